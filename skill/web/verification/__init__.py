"""Alexa request verification for the web service (Lambda needs none: Amazon invokes it directly).

Implements Amazon's "host a custom skill as a web service" checklist on top of
``cryptography.x509.verification``; ask-sdk-webservice-support 1.2's own checks are switched off
because they check only the SHA-1 signature and never validate the chain to a trusted root.
"""

from skill.web.verification.cache import FetchBudget
from skill.web.verification.chain import MIN_RSA_BITS, SIGNING_DOMAIN, TrustedSigner, trusted_signer
from skill.web.verification.envelope import (
    EnvelopeFacts,
    check_application_id,
    check_timestamp,
    envelope_facts,
    facts_of,
)
from skill.web.verification.errors import KINDS, Kind, RequestVerificationError
from skill.web.verification.fetching import Fetcher, fetch_url
from skill.web.verification.refusals import RefusalLog
from skill.web.verification.trust import default_trust_store, store_from_pem
from skill.web.verification.urls import canonical_chain_url
from skill.web.verification.verifier import CHAIN_URL_HEADER, SIGNATURE_HEADER, AlexaRequestVerifier, Headers

__all__ = [
    "CHAIN_URL_HEADER",
    "KINDS",
    "MIN_RSA_BITS",
    "SIGNATURE_HEADER",
    "SIGNING_DOMAIN",
    "AlexaRequestVerifier",
    "EnvelopeFacts",
    "FetchBudget",
    "Fetcher",
    "Headers",
    "Kind",
    "RefusalLog",
    "RequestVerificationError",
    "TrustedSigner",
    "canonical_chain_url",
    "check_application_id",
    "check_timestamp",
    "default_trust_store",
    "envelope_facts",
    "facts_of",
    "fetch_url",
    "store_from_pem",
    "trusted_signer",
]
