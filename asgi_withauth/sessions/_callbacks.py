"""Calling next-auth's ``jwt`` and ``session`` callbacks from Python, and next-auth's default session."""

from __future__ import annotations

import inspect
import json
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, Final

from .._cache import memoized
from ..errors import CallbackError, SessionUpdateError
from ..options import Callback

__all__ = ["default_session", "iso_ms", "json_data", "json_object", "run_callback"]

_USER_CLAIMS: Final = (("name", "name"), ("email", "email"), ("image", "picture"))


def iso_ms(moment: float | datetime) -> str:
    """JavaScript's ``Date.prototype.toISOString()``: milliseconds and ``Z``, for a Unix time
    or an aware datetime."""
    stamp = moment if isinstance(moment, datetime) else datetime.fromtimestamp(moment, tz=timezone.utc)
    stamp = stamp.astimezone(timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


@memoized(256)  # callbacks, not secrets
def _dict_style(callback: Callback) -> bool:
    """Whether ``callback`` takes one ``params`` dict rather than keyword arguments."""
    try:
        parameters = list(inspect.signature(callback).parameters.values())
    except (TypeError, ValueError):
        return False
    return _takes_one_dict(parameters)


def _takes_one_dict(parameters: list[inspect.Parameter]) -> bool:
    names = {p.name for p in parameters}
    if names & {"token", "session"} or any(p.kind is p.VAR_KEYWORD for p in parameters):
        return False
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) == 1


async def run_callback(callback: Callback, **params: Any) -> Any:
    """Call a next-auth callback, sync or async, keyword or dict style, with the parameters
    it accepts."""
    if _dict_style(callback):
        result = callback(params)
    else:
        accepted = inspect.signature(callback).parameters
        if not any(p.kind is p.VAR_KEYWORD for p in accepted.values()):
            params = {k: v for k, v in params.items() if k in accepted}
        result = callback(**params)
    if inspect.isawaitable(result):
        result = await result
    return result


def json_object(value: Any, what: str) -> dict[str, Any]:
    """``value`` if it is a JSON object, else :class:`~asgi_withauth.errors.CallbackError`."""
    if not isinstance(value, dict):
        raise CallbackError(f"the {what} callback returned {type(value).__name__}; it must return a dict")
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise CallbackError(f"the {what} callback returned something that is not JSON: {exc}") from None
    return value


def json_data(value: Any) -> Any:
    """A fresh copy of ``value`` as JSON would carry it (what next-auth's callbacks get from a
    request body), or :class:`~asgi_withauth.errors.SessionUpdateError`."""
    try:
        return json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise SessionUpdateError(f"the session update data is not JSON: {exc}") from exc


def default_session(token: Mapping[str, Any], expires: str) -> dict[str, Any]:
    """next-auth's default session; claims the token lacks are left out (undefined in JSON)."""
    user = {key: token[claim] for key, claim in _USER_CLAIMS if claim in token}
    return {"user": user, "expires": expires}
