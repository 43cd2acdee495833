"""The ApiError family: every way a request to the MLB Stats API can fail, with URL and reason.

Each is an ``MlbdashError`` so the CLI prints it as one line and exits 1. ``retryable`` says
whether the client's retry policy may try the same request again.
"""

from __future__ import annotations

from mlbdash.errors import MlbdashError


class ApiError(MlbdashError):
    """A request failed. ``url`` is what was asked, ``reason`` a short phrase (no traceback)."""

    retryable: bool = False
    status: int | None = None  # the HTTP status of the answer, when one came

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{reason} ({url})")
        self.url = url
        self.reason = reason

    @property
    def cause(self) -> str:
        """What went wrong, without how many attempts it took."""
        return self.reason


class BadResponse(ApiError):
    """An answer that is not the JSON we asked for: HTML page, wrong type, bad JSON, too big."""

    def __init__(self, url: str, reason: str, *, retryable: bool = False) -> None:
        super().__init__(url, reason)
        self.retryable = retryable


class BodyTooLarge(BadResponse):
    """The body passed the size cap; reading stopped there."""


class RedirectLoop(BadResponse):
    """The server kept redirecting."""


class HttpStatusError(ApiError):
    """An HTTP error status. 429 and 5xx are retryable; other 4xx are not."""

    def __init__(self, url: str, status: int, *, retry_after_s: float | None = None) -> None:
        super().__init__(url, f"HTTP {status}")
        self.status = status
        self.retry_after_s = retry_after_s
        self.retryable = status == 429 or status >= 500


class NotFound(HttpStatusError):
    """404: the game (or resource) does not exist."""

    def __init__(self, url: str) -> None:
        super().__init__(url, 404)
        self.reason = "not found (HTTP 404)"
        self.args = (f"{self.reason} ({url})",)


class TransportFailure(ApiError):
    """No usable answer arrived: timeout, refused or reset connection. Retryable."""

    retryable = True


class RequestFailed(ApiError):
    """Retries ran out; ``reason`` is the last attempt's reason."""

    def __init__(self, url: str, reason: str, *, attempts: int, status: int | None = None) -> None:
        super().__init__(url, f"gave up after {attempts} attempts: {reason}")
        self.last_reason = reason
        self.attempts = attempts
        self.status = status

    @property
    def cause(self) -> str:
        return self.last_reason


class RequestAborted(ApiError):
    """The request was given up because the run is stopping (a signal, ``--duration``)."""
