"""Every rule of Amazon's web-service checklist, in one object the web app holds for its lifetime."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
from collections.abc import Callable, Iterable
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.x509.verification import Store

from skill.web.verification.cache import FetchBudget, SignerCache
from skill.web.verification.chain import TrustedSigner, trusted_signer
from skill.web.verification.envelope import (
    EnvelopeFacts,
    check_application_id,
    check_timestamp,
    envelope_facts,
)
from skill.web.verification.errors import RequestVerificationError
from skill.web.verification.fetching import DEFAULT_TIMEOUT_SECONDS, Fetcher, fetch_url
from skill.web.verification.known import KnownSigners
from skill.web.verification.trust import default_trust_store
from skill.web.verification.urls import canonical_chain_url

CHAIN_URL_HEADER = "SignatureCertChainUrl"
SIGNATURE_HEADER = "Signature-256"
_MAX_SIGNATURE_HEADER = 2048  # base64 of a 4096-bit signature is 684 characters
_PADDING = padding.PKCS1v15()  # stateless, so one instance serves every request and thread
_DIGEST = hashes.SHA256()

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Headers(Protocol):
    """What the verifier needs of a request's headers: a dict, or the web framework's own type."""

    def get(self, key: str, /) -> str | None: ...

    def items(self) -> Iterable[tuple[str, str]]: ...


def header(headers: Headers, name: str) -> str | None:
    """Look a header up case-insensitively whatever mapping the host hands us."""
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    for key, candidate in headers.items():
        if key.lower() == lowered:
            return candidate
    return None


class AlexaRequestVerifier:
    """Checks that a request really comes from Alexa, for this skill, and recently.

    ``trust_store``, ``fetcher`` and ``clock`` exist so tests can use their own CA, serve chains without
    a network and move time; production uses certifi's roots, HTTPS and the system clock.
    ``fetch_deadline`` bounds a whole certificate download (and how long other requests wait for it);
    ``budget`` bounds downloads of URLs not seen before (default: a few, then one a second, and one
    per client address every 10 s). The URLs that verified requests are shared with the other workers
    through the file in ``TPI_SIGNER_STATE_DIR``, when that is set.
    """

    def __init__(
        self,
        *,
        skill_id: str | None = None,
        trust_store: Store | None = None,
        fetcher: Fetcher | None = None,
        clock: Clock | None = None,
        fetch_deadline: float = DEFAULT_TIMEOUT_SECONDS,
        budget: FetchBudget | None = None,
    ) -> None:
        self.skill_id = skill_id or None
        # Parsed here (about 140 ms for certifi's bundle) so no request waits for it.
        self._trust_store = trust_store if trust_store is not None else default_trust_store()
        self._fetcher = fetcher or functools.partial(fetch_url, timeout=fetch_deadline)
        self._clock = clock or utc_now
        known = KnownSigners.from_environment()
        self._signers = SignerCache(
            self._load_signer, wait_seconds=fetch_deadline, budget=budget, known=known
        )

    def _load_signer(self, url: str, now: dt.datetime) -> TrustedSigner:
        return trusted_signer(self._fetcher(url), self._trust_store, now)

    def verify(
        self, headers: Headers, body: bytes, facts: EnvelopeFacts | None = None, *, client: str | None = None
    ) -> None:
        """Return quietly if every rule holds, else raise ``RequestVerificationError`` with the reason.

        Cheap checks run first so a forged request costs no network round trip. ``client`` (the
        caller's address) gets its own share of the budget for fetching certificate URLs not seen before.
        """
        url = header(headers, CHAIN_URL_HEADER)
        encoded = header(headers, SIGNATURE_HEADER)
        if not url:
            raise RequestVerificationError(f"{CHAIN_URL_HEADER} header is missing", "headers")
        if not encoded:
            raise RequestVerificationError(f"{SIGNATURE_HEADER} header is missing", "headers")
        if len(encoded) > _MAX_SIGNATURE_HEADER:
            raise RequestVerificationError(f"{SIGNATURE_HEADER} header is too long", "headers")
        try:
            signature = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise RequestVerificationError(f"{SIGNATURE_HEADER} header is not base64", "headers") from None
        url = canonical_chain_url(url)  # what is fetched and cached: one entry however it is spelt

        if facts is None:
            facts = envelope_facts(body)
        now = self._clock()
        check_timestamp(facts.timestamp, now)
        if self.skill_id is not None:
            check_application_id(facts.application_ids, self.skill_id)

        signer = self._signers.get(url, now, client)
        if not signer.not_before <= now <= signer.not_after:
            raise RequestVerificationError("signing certificate is not valid now", "cert_chain")
        try:
            signer.public_key.verify(signature, body, _PADDING, _DIGEST)
        except InvalidSignature:
            raise RequestVerificationError("Signature-256 does not match the body", "signature") from None
        self._signers.mark_used(url)
