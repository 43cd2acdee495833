"""Text from the API made safe to print on a terminal: the one sanitiser every boundary calls.

A team abbreviation, a status or a play description is data, but a terminal takes some
characters as commands: ``ESC [ 2 J`` clears the screen, ``ESC ] 8 ;; URL BEL`` makes a
hidden link, ``CR`` rewrites the line, bidi overrides reorder what the reader sees, and a lone
surrogate cannot even be encoded for output. Every such character is shown escaped instead
(``\\x1b``, ``\\r``, ``\\u202e``), so the text stays readable and nothing is silently lost.

The translation is Rich's (``rich.control.escape_control_codes``) with a wider table than
Rich's own, which only covers BEL, BS, VT, FF and CR.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated

from pydantic import AfterValidator


def _escaped(code: int) -> str:
    from rich.control import CONTROL_ESCAPE

    if code in CONTROL_ESCAPE:
        return CONTROL_ESCAPE[code]
    names = {0x09: "\\t", 0x0A: "\\n"}
    if code in names:
        return names[code]
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _unsafe_codes() -> list[int]:
    c0_del_c1 = [*range(0x20), 0x7F, *range(0x80, 0xA0)]
    # Line and paragraph separators, and the bidi marks, embeddings, overrides and isolates
    # that reorder what a reader sees (as in "Trojan source").
    layout = [0x2028, 0x2029, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
    # A lone surrogate (JSON allows "\ud800") cannot be encoded as UTF-8 for output.
    surrogates = list(range(0xD800, 0xE000))
    return c0_del_c1 + layout + surrogates


@cache
def _table() -> dict[int, str]:
    return {code: _escaped(code) for code in _unsafe_codes()}


def terminal_safe(text: str) -> str:
    """``text`` with every control, escape, layout and unencodable character shown escaped.

    Printable text comes back unchanged (the same object), and applying it twice changes
    nothing more than once. Rich markup such as ``[bold]`` is left as it is: it is printable,
    and the dashboard shows it literally.
    """
    if text.isprintable():
        return text
    # Imported here: Rich costs ~20 ms to import and most text never needs it.
    from rich.control import escape_control_codes

    return escape_control_codes(text, _table())


def terminal_safe_or_none(text: str | None) -> str | None:
    return None if text is None else terminal_safe(text)


ApiText = Annotated[str, AfterValidator(terminal_safe)]
"""A string field of an MLB model: made terminal-safe when the response is parsed."""
