"""JSON for requests in the shared Redis queue: data only, never code.

scrapy-redis pickles queued requests by default, so anyone who can write to the Redis server
could run code in every worker. This module is its ``SCHEDULER_SERIALIZER`` instead: it turns the
dict of ``Request.to_dict(spider=...)`` into JSON and back. Bytes (headers, bodies) and mappings
whose keys are not plain strings are tagged; anything else that is not JSON is refused with a
``TypeError`` naming it, and only request classes from ``scrapy.http`` are accepted on the way in.
"""

from __future__ import annotations

import base64
import json
from typing import Any

# Tags for values JSON has no type for. A dict with a key starting with "$" is always tagged,
# so data can never pass for a tag.
_BYTES = "$bytes"
_MAP = "$map"
_ALLOWED_CLASS_PREFIX = "scrapy.http."


def _encode(value: Any, where: str) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, bytes):
        return {_BYTES: base64.b64encode(value).decode("ascii")}
    if isinstance(value, list | tuple):
        return [_encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith("$") for k in value):
            return {k: _encode(v, f"{where}.{k}") for k, v in value.items()}
        return {_MAP: [[_encode(k, where), _encode(v, f"{where}.{k!r}")] for k, v in value.items()]}
    raise TypeError(f"{where} holds a {type(value).__name__}, which the shared queue cannot carry as JSON")


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if isinstance(value, dict):
        if len(value) == 1 and _BYTES in value:
            return base64.b64decode(value[_BYTES], validate=True)
        if len(value) == 1 and _MAP in value:
            return {_hashable(_decode(k)): _decode(v) for k, v in value[_MAP]}
        return {k: _decode(v) for k, v in value.items()}
    return value


def _hashable(key: Any) -> Any:
    return tuple(key) if isinstance(key, list) else key


def dumps(request: dict[str, Any]) -> bytes:
    """A request dict (from ``Request.to_dict``) as JSON bytes; TypeError for non-JSON values."""
    return json.dumps(_encode(request, "request"), separators=(",", ":")).encode("utf-8")


def loads(data: bytes | str) -> dict[str, Any]:
    """The request dict back; ValueError for anything but a request from :func:`dumps`."""
    try:
        request = _decode(json.loads(data))
    except (ValueError, TypeError) as exc:  # not JSON, or a malformed tag
        raise ValueError(f"not a queued request: {exc}") from None
    if not isinstance(request, dict) or not isinstance(request.get("url"), str):
        raise ValueError("not a queued request: no url")
    cls = request.get("_class")
    if cls is not None and not (isinstance(cls, str) and cls.startswith(_ALLOWED_CLASS_PREFIX)):
        raise ValueError(f"not a queued request: request class {cls!r} is not from scrapy.http")
    return request
