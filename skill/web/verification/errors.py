"""The one exception every verification failure raises, so callers need a single ``except``."""

from __future__ import annotations

from typing import Literal, get_args

from ask_sdk_webservice_support.verifier import VerificationException

Kind = Literal[
    "headers",
    "cert_url",
    "cert_fetch",
    "cert_chain",
    "timestamp",
    "application_id",
    "signature",
    "body",
    "other",
]
"""What a refusal was about: a closed set, counted in /metrics (skill/web/metrics.py) by this alone."""
KINDS: tuple[Kind, ...] = get_args(Kind)


class RequestVerificationError(VerificationException):
    """A request failed one of Amazon's rules for web-service skills.

    It subclasses ask-sdk's ``VerificationException`` so flask-ask-sdk's machinery treats it as a
    verification failure. ``reason`` is for the log only: it never goes back to the caller, and it never
    holds user IDs, device IDs or the body. ``kind`` is the rule it broke; a fetcher written elsewhere
    may leave it "other", and the signer cache then counts its failure as a fetch failure.
    """

    def __init__(self, reason: str, kind: Kind = "other") -> None:
        super().__init__(reason)
        self.reason = reason
        self.kind: Kind = kind
