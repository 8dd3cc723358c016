"""The one exception every verification failure raises, so callers need a single ``except``."""

from __future__ import annotations

from ask_sdk_webservice_support.verifier import VerificationException


class RequestVerificationError(VerificationException):
    """A request failed one of Amazon's rules for web-service skills.

    It subclasses ask-sdk's ``VerificationException`` so flask-ask-sdk's machinery treats it as a
    verification failure. ``reason`` is for the log only: it never goes back to the caller, and it never
    holds user IDs, device IDs or the body.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
