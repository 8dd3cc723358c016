"""Request envelopes in, response envelopes out: ask-sdk's model objects, built and read faster.

ask-sdk's `DefaultSerializer` re-derives everything on every request: it matches each field's type
string with a regular expression, imports each model class by name, rebuilds each class's attribute
map, and parses the timestamp with `dateutil` (42 µs of a 120 µs request). Here the same walk over the
models' own `deserialized_types` and `attribute_map` is planned once per type and reused, and the
timestamp goes through `datetime.fromisoformat` when it has Alexa's form.

The result is the SDK's, object for object (`tests/test_wire.py` compares both on every envelope the
tests can make, on generated ones and on a corpus of timestamp forms). Anything unusual, where matching
the SDK's quirks exactly would take more code than it saves, is handed to the SDK's own serializer for
the whole envelope, so odd and broken input gets exactly the SDK's answer or exception.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import importlib
import json
import re
from collections.abc import Callable
from typing import Any

from ask_sdk_model.request_envelope import RequestEnvelope

_ALEXA_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?(?:Z|[+-]\d\d:\d\d)?", re.ASCII)
"""The form Alexa sends (`2025-06-01T12:00:00Z`), where `fromisoformat` and `dateutil` agree exactly."""

_NATIVE: dict[str, type] = {
    "int": int,
    "long": int,
    "float": float,
    "str": str,
    "bool": bool,
    "date": dt.date,
    "datetime": dt.datetime,
    "object": object,
}
_PRIMITIVES = (float, bool, bytes, str, int)  # the SDK's PRIMITIVE_TYPES, in its order


class _Unusual(Exception):
    """Input off the common path: the SDK's serializer reads the whole envelope instead."""


def parse_timestamp(text: str) -> Any:
    """`fromisoformat` for Alexa's form, else ask-sdk's own reading of the field (dateutil).

    The two give the same instant, offset and `isoformat()`; only the tzinfo class differs (the
    standard library's `timezone` rather than dateutil's `tzutc`/`tzoffset`). The SDK's reading raises
    `SerializationException` for text it cannot parse, and is imported only when it is needed.
    """
    if _ALEXA_TIMESTAMP.fullmatch(text):
        try:
            return dt.datetime.fromisoformat(text)
        except ValueError:
            pass  # an impossible date or time: the SDK's parser decides what happens
    from ask_sdk_core.serialize import DefaultSerializer

    return DefaultSerializer().deserialize(json.dumps(text), "datetime")


# --- reading: JSON-shaped data to model objects --------------------------------------------------

_Reader = Callable[[Any], Any]
_readers: dict[Any, _Reader] = {}


def _reader(obj_type: Any) -> _Reader:
    """How to read a value declared as `obj_type` (a type string or a class), planned once."""
    try:
        return _readers[obj_type]
    except KeyError:
        pass
    read = _plan(obj_type)
    _readers[obj_type] = read
    return read


def _plan(obj_type: Any) -> _Reader:
    if isinstance(obj_type, tuple):  # ("model", name): a subtype a discriminator named
        return _model_reader(_load_class(obj_type[1]))
    if isinstance(obj_type, str):
        if obj_type.startswith("list["):
            inner = re.match(r"list\[(.*)\]", obj_type)
            if inner is None or "," in inner.group(1):
                raise _Unusual(obj_type)  # no such field in ask-sdk-model; the SDK handles it
            return _list_reader(inner.group(1).strip())
        if obj_type.startswith("dict("):
            inner = re.match(r"dict\(([^,]*), (.*)\)", obj_type)
            if inner is None:
                raise _Unusual(obj_type)
            return _dict_reader(inner.group(2))
        obj_type = _NATIVE[obj_type] if obj_type in _NATIVE else _load_class(obj_type)
    if obj_type in _PRIMITIVES:
        return _primitive_reader(obj_type)
    if obj_type is object:
        return _same
    if obj_type is dt.datetime:
        return _read_datetime
    if obj_type is dt.date:
        return _read_date
    if isinstance(obj_type, type) and issubclass(obj_type, enum.Enum):
        return obj_type
    if hasattr(obj_type, "deserialized_types"):
        if hasattr(obj_type, "get_real_child_model"):
            return _discriminated_reader(obj_type)
        return _model_reader(obj_type)
    return _same


def _same(payload: Any) -> Any:
    return payload


def _list_reader(item_type: str) -> _Reader:
    def read(payload: Any) -> Any:
        if type(payload) is not list:
            raise _Unusual("list expected")
        read_item = _reader(item_type)
        return [None if item is None else read_item(item) for item in payload]

    return read


def _dict_reader(value_type: str) -> _Reader:
    def read(payload: Any) -> Any:
        if type(payload) is not dict:
            raise _Unusual("dict expected")
        read_value = _reader(value_type)
        return {key: None if value is None else read_value(value) for key, value in payload.items()}

    return read


def _primitive_reader(cast: type) -> _Reader:
    def read(payload: Any) -> Any:
        if type(payload) is cast:
            return payload
        try:
            return cast(payload)
        except TypeError:
            return payload  # the SDK keeps a value it cannot convert as it came
        except ValueError:
            raise _Unusual("primitive") from None

    return read


def _read_datetime(payload: Any) -> Any:
    if type(payload) is not str:
        raise _Unusual("timestamp is not text")
    return parse_timestamp(payload)


def _read_date(payload: Any) -> Any:
    return _read_datetime(payload).date()


def complete_attribute_map(cls: Any) -> dict[str, str]:
    """`cls.attribute_map` completed as the SDK's serializer completes it on every call: a field the
    map leaves out is read from, and written to, the key of its own name. Without changing the class."""
    attribute_map: dict[str, str] = dict(getattr(cls, "attribute_map", {}))
    for attr in cls.deserialized_types:
        attribute_map.setdefault(attr, attr)
    return attribute_map


def _model_reader(cls: Any) -> _Reader:
    # Planned from the completed map, so a class whose map misses a field (any release may ship one)
    # reads exactly as the SDK reads it; a map naming an undeclared field fails here, and the SDK decides.
    attribute_map = complete_attribute_map(cls)
    fields = [(attr, key, cls.deserialized_types[attr]) for attr, key in attribute_map.items()]
    known = frozenset(key for _, key, _ in fields)

    def read(payload: Any) -> Any:
        if type(payload) is not dict:
            raise _Unusual("object expected")
        model = cls()
        for attr, key, declared in fields:
            if key in payload:
                value = payload[key]
                setattr(model, attr, None if value is None else _reader(declared)(value))
        for key in payload:
            if key not in known:
                if key[:1] == "_":  # "__dict__" and the like would replace the model's insides
                    raise _Unusual("private name")
                setattr(model, key, payload[key])  # the SDK keeps fields newer than the model too
        return model

    return read


def _discriminated_reader(cls: Any) -> _Reader:
    def read(payload: Any) -> Any:
        if type(payload) is not dict:
            raise _Unusual("object expected")
        name = cls.get_real_child_model(payload)
        if not name:
            raise _Unusual("unknown type")  # e.g. a request type newer than the installed SDK
        return _reader(("model", name))(payload)

    return read


def _load_class(name: str) -> Any:
    module, _, attr = name.rpartition(".")
    if not module:
        raise _Unusual(name)
    return getattr(importlib.import_module(module), attr)


def read_envelope(event: Any) -> RequestEnvelope:
    """The `RequestEnvelope` ask-sdk's serializer would make of `event`, or its exception.

    `event` is not changed. Values typed `object` in the model (session attributes, say) are shared
    with it, as the SDK shares them with the JSON it parsed.
    """
    try:
        if type(event) is not dict:
            raise _Unusual("envelope is not an object")
        envelope: RequestEnvelope = _reader(RequestEnvelope)(event)
        return envelope
    except Exception:  # _Unusual, or what the SDK would wrap in SerializationException
        return _sdk_reads(event)


def _sdk_reads(event: Any) -> RequestEnvelope:
    """The SDK's own reading, exactly as its `lambda_handler` does it (imported only when needed)."""
    from ask_sdk_core.serialize import DefaultSerializer

    envelope: RequestEnvelope = DefaultSerializer().deserialize(json.dumps(event), RequestEnvelope)
    return envelope


# --- writing: model objects to JSON-shaped data --------------------------------------------------

_Writer = Callable[[Any], Any]
_writers: dict[type, _Writer] = {}


def to_json(obj: Any) -> Any:
    """What `DefaultSerializer.serialize(obj)` returns, with each class's fields listed once."""
    if obj is None:
        return None
    kind = type(obj)
    try:
        write = _writers[kind]
    except KeyError:
        write = _writers[kind] = _writer_for(kind)
    return write(obj)


def _writer_for(kind: type) -> _Writer:
    """The SDK's order of checks, decided once per type (`isinstance` depends only on the type)."""
    if issubclass(kind, _PRIMITIVES):
        return _same
    if issubclass(kind, list):
        return lambda obj: [to_json(item) for item in obj]
    if issubclass(kind, tuple):
        return lambda obj: tuple(to_json(item) for item in obj)
    if issubclass(kind, dt.date):  # datetime is a date
        return lambda obj: obj.isoformat()
    if issubclass(kind, enum.Enum):
        return lambda obj: obj.value
    if issubclass(kind, decimal.Decimal):
        return lambda obj: int(obj) if obj % 1 == 0 else float(obj)
    if issubclass(kind, dict):
        return lambda obj: {key: to_json(value) for key, value in obj.items()}
    declared = getattr(kind, "deserialized_types", None)
    if not isinstance(declared, dict):
        return _write_generic
    attribute_map = complete_attribute_map(kind)
    fields = [(attr, attribute_map[attr]) for attr in declared]

    def write(obj: Any) -> Any:
        result = {}
        for attr, key in fields:
            value = getattr(obj, attr)
            if value is not None:
                result[key] = to_json(value)
        return result

    return write


def _write_generic(obj: Any) -> Any:
    """Objects that are not models: the SDK's serializer decides (and raises where it raises)."""
    from ask_sdk_core.serialize import DefaultSerializer

    return DefaultSerializer().serialize(obj)
