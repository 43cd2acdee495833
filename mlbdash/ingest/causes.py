"""Why a request got no answer, in words a person can act on.

httpx reports every failure to connect as ``ConnectError("All connection attempts failed")``;
the cause that matters (a DNS lookup that failed, a refused connection, a TLS handshake that
failed) sits further down the exception chain. ``transport_cause`` walks that chain once.
"""

from __future__ import annotations

import errno
import socket
import ssl

import httpx

_UNREACHABLE = {
    errno.ENETUNREACH: "network unreachable",
    errno.EHOSTUNREACH: "host unreachable",
    errno.ENETDOWN: "network down",
    errno.EHOSTDOWN: "host down",
    errno.EADDRNOTAVAIL: "address not available",
}


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen and len(seen) < 16:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _host(url: str) -> str:
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return url
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.host}{port}"


def transport_cause(exc: httpx.TransportError, url: str) -> str:
    """A short phrase: ``DNS lookup failed for statsapi.mlb.com``, ``connection refused by
    127.0.0.1:8080``, ``TLS handshake failed (CERTIFICATE_VERIFY_FAILED)``, ``connect timeout``."""
    host = _host(url)
    for link in _chain(exc):
        if isinstance(link, socket.gaierror):
            detail = link.strerror or str(link)
            return f"DNS lookup failed for {httpx.URL(url).host} ({detail})"
        if isinstance(link, ssl.SSLCertVerificationError):
            why = link.verify_message or link.reason or "certificate not trusted"
            return f"TLS certificate of {host} not accepted ({why})"
        if isinstance(link, ssl.SSLError):
            return f"TLS handshake with {host} failed ({link.reason or link.strerror or link})"
        if isinstance(link, ConnectionRefusedError):
            return f"connection refused by {host}"
        if isinstance(link, ConnectionResetError):
            return f"connection reset by {host}"
        if isinstance(link, OSError) and link.errno in _UNREACHABLE:
            return f"{_UNREACHABLE[link.errno]} ({host})"
    if isinstance(exc, httpx.ConnectTimeout):
        return f"connect timeout ({host})"
    if isinstance(exc, httpx.TimeoutException):
        return f"timeout waiting for {host} ({type(exc).__name__})"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"{host} closed the connection without a complete answer"
    return f"connection error with {host} ({type(exc).__name__})"
