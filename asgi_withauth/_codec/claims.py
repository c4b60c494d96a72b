"""The decrypted payload: parsing it, jose's header-replication rule, and the time claims."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping
from typing import Any, Final, TypeGuard

from ..errors import ExpiredTokenError, InvalidClaimsError, NotYetValidError
from .compact import BOM, reject_constant
from .speedups import BACKEND
from .types import DEFAULT_LEEWAY

__all__ = ["check_claims", "check_replicated", "check_times", "parse_claims"]

_TIME_CLAIMS: Final = ("iat", "nbf", "exp")
_SAFE_INTEGER: Final = 2**53
"""Integers up to this size are finite doubles: the common case, checked without a call."""
_ABSENT: Final = object()
_CLAIMS_DECODER: Final = json.JSONDecoder(parse_constant=reject_constant)


def parse_claims(plaintext: bytes) -> dict[str, Any]:
    """The plaintext as a JSON object; InvalidClaimsError otherwise."""
    # TextDecoder (what jose reads the payload with) drops one leading BOM; so do we.
    plaintext = plaintext.removeprefix(BOM)
    fast = BACKEND.claims(plaintext)  # orjson (the speed extra) where it certainly agrees
    if fast is not None:
        return fast
    try:
        claims = _CLAIMS_DECODER.decode(plaintext.decode("utf-8"))
    except RecursionError:
        raise InvalidClaimsError("payload nests too deeply to parse") from None
    except ValueError:  # bad UTF-8 or JSON, or an integer over sys.get_int_max_str_digits() digits
        raise InvalidClaimsError("payload is not UTF-8 JSON (or holds an integer too long to read)") from None
    if not isinstance(claims, dict):
        raise InvalidClaimsError("payload is not a JSON object")
    return claims


# --------------------------------------------------------------------------- times


def check_claims(
    claims: Mapping[str, Any],
    *,
    now: float | None = None,
    leeway: int = DEFAULT_LEEWAY,
    require_exp: bool = False,
) -> None:
    """Judge the time claims of decrypted ``claims`` as decode does.

    ``iat``, ``nbf`` and ``exp`` must be finite numbers when present
    (:class:`InvalidClaimsError`); ``nbf`` more than ``leeway`` seconds after ``now``
    (default: the current time) raises :class:`NotYetValidError`; ``exp`` ``leeway``
    seconds or more before it raises :class:`ExpiredTokenError`; a missing ``exp`` raises
    :class:`InvalidClaimsError` when ``require_exp`` is set.
    """
    check_times(claims, now=int(time.time() if now is None else now), leeway=leeway, require_exp=require_exp)


def check_times(claims: Mapping[str, Any], *, now: int, leeway: int, require_exp: bool) -> None:
    """:func:`check_claims` with every argument given (the codec's hot path)."""
    iat, nbf, exp = claims.get("iat", _ABSENT), claims.get("nbf", _ABSENT), claims.get("exp", _ABSENT)
    safe = _SAFE_INTEGER
    # The common case in one expression: each time claim absent, or an integer a double holds.
    if not (
        (iat is _ABSENT or (type(iat) is int and -safe <= iat <= safe))
        and (nbf is _ABSENT or (type(nbf) is int and -safe <= nbf <= safe))
        and (exp is _ABSENT or (type(exp) is int and -safe <= exp <= safe))
    ):
        _check_finite(claims)
    if nbf is not _ABSENT and nbf > now + leeway:
        raise NotYetValidError("token is not valid yet (nbf is in the future); check the server clocks")
    if exp is not _ABSENT:
        if exp <= now - leeway:
            raise ExpiredTokenError("token has expired; the user must sign in again")
    elif require_exp:
        raise InvalidClaimsError("token has no exp claim and require_exp is set")


def _check_finite(claims: Mapping[str, Any]) -> None:
    """InvalidClaimsError for the first of ``iat``, ``nbf``, ``exp`` that is present and not a finite number."""
    for name in _TIME_CLAIMS:
        if name in claims and not _is_finite_number(claims[name]):
            raise InvalidClaimsError(f"claim {name!r} is not a finite number")


def _is_finite_number(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int beyond the range of a double: Infinity in JavaScript
        return False


# --------------------------------------------------------------------------- replicated claims


def check_replicated(replicated: tuple[tuple[str, Any], ...], claims: Mapping[str, Any]) -> None:
    """jose's rule for ``iss``/``sub`` (``===``) and ``aud`` (same ``JSON.stringify``) copied
    into the header: each must equal its claim; InvalidClaimsError otherwise."""
    for name, value in replicated:
        same = _same_json_text if name == "aud" else _js_identical
        if name not in claims or not same(value, claims[name]):
            raise InvalidClaimsError(f"header parameter {name!r} does not match the {name!r} claim")


def _js_identical(a: object, b: object) -> bool:
    """JavaScript's ``a === b`` for two values of two JSON.parse calls: numbers compare as
    doubles, arrays and objects are never identical."""
    if _is_json_number(a) and _is_json_number(b):
        return _js_number(a) == _js_number(b)
    if isinstance(a, (dict, list)) or isinstance(b, (dict, list)):
        return False
    return type(a) is type(b) and a == b


def _is_json_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _js_number(value: float) -> float:
    """A JSON number as JavaScript holds it: a double, infinite when out of range."""
    try:
        return float(value)
    except OverflowError:
        return math.copysign(math.inf, value)


def _same_json_text(a: object, b: object) -> bool:
    """Whether ``JSON.stringify(a) === JSON.stringify(b)`` for two JSON.parse results: same
    structure, keys in JavaScript's order, non-finite numbers written as null. Recurses only
    where both sides nest, so no deeper than the (depth-limited) header value."""
    if isinstance(a, dict) and isinstance(b, dict):
        keys = _js_key_order(a)
        return keys == _js_key_order(b) and all(_same_json_text(a[key], b[key]) for key in keys)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(_same_json_text, a, b))
    return _js_identical(_json_scalar(a), _json_scalar(b))


def _json_scalar(value: object) -> object:
    if _is_json_number(value) and not math.isfinite(_js_number(value)):
        return None  # JSON.stringify(Infinity) is "null"
    return value


def _js_key_order(obj: Mapping[str, Any]) -> list[str]:
    """An object's keys in JavaScript's property order: array indices ascending, then the rest
    in insertion order."""
    indices = sorted((key for key in obj if _is_array_index(key)), key=int)
    return indices + [key for key in obj if not _is_array_index(key)]


def _is_array_index(key: str) -> bool:
    return key.isascii() and key.isdigit() and len(key) <= 10 and (key == "0" or key[0] != "0") and int(key) < 2**32 - 1
