"""Plugs our verifiers into flask-ask-sdk's ``SkillAdapter(verifiers=[...])``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ask_sdk_webservice_support.verifier import AbstractVerifier

from skill.verification.envelope import check_application_id, envelope_facts, facts_from_model
from skill.verification.verifier import AlexaRequestVerifier


class AskSdkVerifier(AbstractVerifier):
    """Runs ``AlexaRequestVerifier`` on the body text ask-sdk hands over.

    ask-sdk passes the body as text decoded from strict UTF-8, so encoding it again gives back the
    exact bytes Alexa signed. When ask-sdk hands over the envelope it deserialized from that same text,
    the timestamp and application ID are read from it rather than parsing the JSON again.
    """

    def __init__(self, verifier: AlexaRequestVerifier) -> None:
        self.verifier = verifier

    def verify(
        self, headers: Mapping[str, str], serialized_request_env: str, deserialized_request_env: Any
    ) -> None:
        facts = facts_from_model(deserialized_request_env) if deserialized_request_env is not None else None
        self.verifier.verify(headers, serialized_request_env.encode("utf-8"), facts)


class ApplicationIdVerifier(AbstractVerifier):
    """Only the application ID rule: kept when signature checks are off, and added when a caller
    injects a verifier but configures the skill ID on the app, so the ID is never silently unchecked."""

    def __init__(self, skill_id: str) -> None:
        self.skill_id = skill_id

    def verify(
        self, headers: Mapping[str, str], serialized_request_env: str, deserialized_request_env: Any
    ) -> None:
        del headers
        if deserialized_request_env is not None:  # as AskSdkVerifier does: no second parse of the body
            facts = facts_from_model(deserialized_request_env)
        else:
            facts = envelope_facts(serialized_request_env.encode("utf-8"))
        check_application_id(facts.application_ids, self.skill_id)
