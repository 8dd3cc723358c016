"""The skill built once per container, answering envelopes that are already JSON-shaped dicts.

ask-sdk's `SkillBuilder.lambda_handler()` builds a new skill (configuration, handler chains) on every
call, turns the event back into JSON text only to parse it again, deep-copies the session attributes
and reads the timestamp with dateutil. `Dispatcher` does the same work once or not at all, through
ask-sdk's public dispatch classes (`GenericRequestDispatcher`, `HandlerInput`, `AttributesManager`),
and gives the same answers (`tests/test_dispatch.py` compares it with ask-sdk's own handler).

It imports nothing of ask-sdk's service clients (`ask_sdk_core.skill` pulls in all of them, and
dateutil's time zones with them: about 40% of the hello-world's import time).
"""

from __future__ import annotations

import logging
import re
from typing import Any, NoReturn

from ask_sdk_core.__version__ import __version__ as _SDK_VERSION
from ask_sdk_core.attributes_manager import AttributesManager
from ask_sdk_core.exceptions import SerializationException
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.view_resolvers.template_factory import TemplateFactory
from ask_sdk_model.response_envelope import ResponseEnvelope
from ask_sdk_runtime.dispatch import GenericRequestDispatcher
from ask_sdk_runtime.exceptions import AskSdkException
from ask_sdk_runtime.skill import RuntimeConfiguration
from ask_sdk_runtime.skill_builder import AbstractSkillBuilder
from ask_sdk_runtime.utils import UserAgentManager, user_agent_info

from skill.runtime.app import register
from skill.runtime.content import load_content
from skill.runtime.replies import fallback_answer
from skill.runtime.respond import say_only
from skill.runtime.throttle import ThrottledLog
from skill.runtime.usage import count_unread
from skill.runtime.wire import read_envelope, to_json

log = logging.getLogger(__name__)

RESPONSE_FORMAT_VERSION = "1.0"
EMPTY_RESPONSE: dict[str, Any] = {"version": RESPONSE_FORMAT_VERSION, "response": {}}
"""A valid Alexa response that says nothing: for requests the skill has no use for."""

_TYPE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9.]{0,99}")

SPOKEN_REQUESTS = frozenset({"LaunchRequest", "IntentRequest", "Alexa.Presentation.APL.UserEvent"})
"""Requests someone is waiting to hear an answer to: never answered with silence."""

_unreadable = ThrottledLog(log)
APL_INTERFACE = "Alexa.Presentation.APL"
"""Every such request would log the same line: at most one an interval, with a count."""


class WrongSkill(AskSdkException):
    """The request is not for the configured skill (its context or its session names another)."""


def _get(obj: Any, *keys: str) -> Any:
    for key in keys:
        if type(obj) is not dict:
            return None
        obj = obj.get(key)
    return obj


def application_ids(event: Any) -> tuple[Any, ...]:
    """Every application ID the envelope names: context.System and session, usually the same one."""
    named = (
        _get(event, "context", "System", "application", "applicationId"),
        _get(event, "session", "application", "applicationId"),
    )
    return tuple(app_id for app_id in named if app_id is not None)


def check_skill_id(event: Any, skill_id: str) -> None:
    """Raise `WrongSkill` unless the envelope names `skill_id`, and only it, wherever it names one.

    ask-sdk checks the context alone, so a request whose session belongs to another skill got through.
    """
    named = application_ids(event)
    if not named:
        raise WrongSkill("Skill ID Verification failed: the request names no skill")
    if any(app_id != skill_id for app_id in named):
        raise WrongSkill("Skill ID Verification failed: the request is for another skill")


def _copy(value: Any) -> Any:
    """A copy of JSON-shaped data deep enough that handlers' changes never reach the event.

    ask-sdk uses `copy.deepcopy`; session attributes come from JSON, so only dicts and lists need
    copying, and this is several times cheaper.
    """
    kind = type(value)
    if kind is dict:
        return {key: _copy(item) for key, item in value.items()}
    if kind is list:
        return [_copy(item) for item in value]
    if kind in (str, int, float, bool) or value is None:
        return value
    import copy

    return copy.deepcopy(value)


def is_envelope(event: Any) -> bool:
    """Shaped like an Alexa request envelope (what the web service checks before dispatching)."""
    request = _get(event, "request")
    return type(event) is dict and "version" in event and type(request) is dict and "type" in request


class _Registry(AbstractSkillBuilder):
    """ask-sdk's registration methods (handlers, interceptors); `Dispatcher` takes the configuration
    they build, so there is no skill object to create."""

    def create(self) -> NoReturn:
        raise NotImplementedError("Dispatcher is the skill")

    def configuration(self) -> RuntimeConfiguration:
        return self.runtime_configuration_builder.get_runtime_configuration()


class Dispatcher:
    """The skill, built once: call it with an envelope (a dict, as JSON gives it) to get the response.

    With `skill_id`, a request for any other skill is refused with `WrongSkill` before anything else.
    """

    def __init__(self, skill_id: str | None = None, *, skill: Any = None) -> None:
        """Build the skill's handlers, or take those of an ask-sdk `CustomSkill` already built (`skill`).

        Such a skill must have no persistence adapter, API client or custom user agent: `invoke` would
        use them and this does not, so it refuses them (`ValueError`) rather than answer differently.
        """
        if skill is None:
            registry = _Registry()
            register(registry)
            configuration = registry.configuration()
            dispatcher = GenericRequestDispatcher(options=configuration)
            loaders, renderer = configuration.loaders, configuration.renderer
        else:
            _refuse_what_it_would_ignore(skill)
            dispatcher, loaders, renderer = skill.request_dispatcher, skill.loaders, skill.renderer
        self._dispatcher = dispatcher
        self._templates = TemplateFactory(template_loaders=loaders, template_renderer=renderer)
        self.skill_id = skill_id
        # As ask-sdk's CustomSkill does: the user agent every response carries.
        UserAgentManager.register_component(user_agent_info(sdk_version=_SDK_VERSION))

    def __call__(self, event: Any, context: Any = None) -> dict[str, Any]:
        """Answer one envelope, leaving `event` as it was; raises what ask-sdk would raise."""
        if self.skill_id is not None:
            check_skill_id(event, self.skill_id)
        envelope = read_envelope(event)
        attributes_manager = self._attributes(envelope)
        handler_input = HandlerInput(
            request_envelope=envelope,
            attributes_manager=attributes_manager,
            context=context,
            template_factory=self._templates,
        )
        response = self._dispatcher.dispatch(handler_input)
        answer = ResponseEnvelope(
            response=response,
            version=RESPONSE_FORMAT_VERSION,
            session_attributes=(
                handler_input.attributes_manager.session_attributes if envelope.session is not None else None
            ),
            user_agent=UserAgentManager.get_user_agent(),
        )
        written: dict[str, Any] = to_json(answer)
        return written

    @staticmethod
    def _attributes(envelope: Any) -> AttributesManager:
        """ask-sdk's attributes manager, with the session attributes copied by `_copy`, not deepcopy."""
        session = None if envelope is None else envelope.session  # None: the manager raises as ask-sdk's does
        if session is None or session.attributes is None:
            return AttributesManager(request_envelope=envelope)
        attributes = session.attributes
        session.attributes = None  # the manager then starts from {} instead of deep-copying them
        try:
            manager = AttributesManager(request_envelope=envelope)
        finally:
            session.attributes = attributes
        manager.session_attributes = _copy(attributes)
        return manager

    def answer(self, event: Any, context: Any = None) -> dict[str, Any]:
        """`self(event)`, except that a genuine request someone is waiting to hear an answer to (a launch,
        an intent, a touch on the screen) that ask-sdk cannot read gets a spoken reply: say an intent
        whose slot carries a resolution status newer than the installed SDK. The skill always answers
        in speech, so such a request hears the fallback, at the listener's speech rate, with the session
        kept open and its attributes handed back unchanged; it is counted as a request of kind "other".
        Anything else ask-sdk cannot read is still raised."""
        try:
            return self(event, context)
        except SerializationException:
            kind = _get(event, "request", "type")
            if not (is_envelope(event) and type(kind) is str and kind in SPOKEN_REQUESTS):
                raise
        _unreadable.log("ask-sdk cannot read a request of type %s; answering with the fallback", kind)
        request = event["request"]
        session = event.get("session")
        attributes = _get(session, "attributes")
        attributes = _copy(attributes) if type(attributes) is dict else {}
        count_unread(request.get("locale"))
        interfaces = _get(event, "context", "System", "device", "supportedInterfaces")
        screen = type(interfaces) is dict and APL_INTERFACE in interfaces
        reply = ResponseEnvelope(
            response=say_only(fallback_answer(load_content()), attributes, request.get("locale"), screen),
            version=RESPONSE_FORMAT_VERSION,
            session_attributes=attributes if type(session) is dict else None,
            user_agent=UserAgentManager.get_user_agent(),
        )
        written: dict[str, Any] = to_json(reply)
        return written

    def lambda_handler(self, event: Any, context: Any = None) -> dict[str, Any]:
        """Lambda's rules on top of `answer`: any other genuine request ask-sdk cannot read (a request
        type newer than the installed SDK, say) gets a valid empty response, as the web service gives
        it; anything that is not an Alexa envelope at all is still raised, which is how a Lambda reports
        an error."""
        try:
            return self.answer(event, context)
        except SerializationException:
            if not is_envelope(event):
                raise
            kind = event["request"]["type"]
            named = kind if isinstance(kind, str) and _TYPE_NAME.fullmatch(kind) else "unnamed"
            _unreadable.log("ask-sdk cannot read this %s request; answering with an empty response", named)
            return dict(EMPTY_RESPONSE, response={})


def _refuse_what_it_would_ignore(skill: Any) -> None:
    ignored = [
        name
        for name in ("persistence_adapter", "api_client", "custom_user_agent")
        if getattr(skill, name, None) is not None
    ]
    if ignored:
        raise ValueError(
            f"Dispatcher answers without a {', '.join(ignored)}, so it cannot answer for a skill that has "
            "one as its invoke would; build that skill without it, or call its invoke"
        )
