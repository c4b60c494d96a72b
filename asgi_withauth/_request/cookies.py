"""next-auth's session cookies: names, parsing, chunk joining and chunk writing.

A session longer than one cookie can hold is written as ``<name>.0``, ``<name>.1``,
... (next-auth's ``SessionStore``). We read exactly ``<name>`` or a contiguous run
``<name>.0 .. <name>.<n>``; next-auth's looser ``startsWith`` selection is not copied.

Chunk counts are bounded: no session the codec accepts (``MAX_TOKEN_LENGTH``) needs more
than :data:`MAX_SESSION_CHUNKS` chunks, so a request with more is a broken session, and
clearing names at most ``<name>`` and ``<name>.0 .. <name>.16``: whatever a request holds,
the answer carries at most ``MAX_SESSION_CHUNKS + 1`` session Set-Cookie headers. (next-auth
clears every cookie whose name starts with the session cookie's, however many there are.)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.utils import formatdate
from typing import Final, Literal
from urllib.parse import unquote

from ..errors import SessionCookieError
from ..jwt import MAX_TOKEN_LENGTH, Version

__all__ = [
    "CHUNK_SIZES",
    "MAX_SESSION_CHUNKS",
    "SECURE_PREFIX",
    "CookieOptions",
    "CookieWrite",
    "SessionCookieError",
    "chunk_session_cookie",
    "clear_session_cookie",
    "cookie_name_version",
    "decode_uri_component",
    "default_salt",
    "group_session_cookies",
    "parse_cookie_header",
    "read_session_cookie",
    "serialize_cookie",
    "session_cookie_name",
    "session_cookie_names",
    "set_cookie_headers",
]

SECURE_PREFIX: Final = "__Secure-"
_BASE_NAMES: Final[dict[Version, str]] = {4: "next-auth.session-token", 5: "authjs.session-token"}

CHUNK_SIZES: Final[dict[Version, int]] = {4: 4096 - 163, 5: 4096 - 160}
"""Longest value next-auth writes into one cookie before chunking (v4: 3933, v5: 3936)."""

MAX_SESSION_CHUNKS: Final = -(-MAX_TOKEN_LENGTH // min(CHUNK_SIZES.values()))
"""Most chunks a session the codec accepts can need (17): a request with more is broken, and
chunk names from ``.17`` on are never written by next-auth for such a session, nor cleared."""

_BAD_PERCENT: Final = re.compile(r"%(?![0-9A-Fa-f]{2})")
_COOKIE_NAME: Final = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_COOKIE_VALUE: Final = re.compile(r"[!#-+\--:<-\[\]-~]*")


def session_cookie_name(*, version: Version = 4, secure: bool = False) -> str:
    """next-auth's default session cookie name (``__Secure-`` prefixed when secure)."""
    return (SECURE_PREFIX if secure else "") + _BASE_NAMES[version]


def cookie_name_version(name: str) -> Version | None:
    """The format a session cookie's name implies: 4 for next-auth's default names, 5 for
    Auth.js's (``__Secure-`` prefixed or not), None for any other name."""
    base = name.removeprefix(SECURE_PREFIX)
    for version, default in _BASE_NAMES.items():
        if base == default:
            return version
    return None


def default_salt(version: Version, cookie_name: str) -> str:
    """The salt next-auth derives a cookie's key with: "" for v4, the cookie's name for v5."""
    return "" if version == 4 else cookie_name


def parse_cookie_header(header: str) -> dict[str, str]:
    """Parse a ``Cookie`` header. When a name repeats, the first occurrence wins.

    That is what the ``cookie`` package (Auth.js v5, Next.js API routes) does, and
    browsers list the most specific cookie (longest path) first. Like next-auth,
    quoted values are unquoted and percent-encoding is decoded when well-formed;
    parts without ``=`` are skipped.
    """
    cookies: dict[str, str] = {}
    for part in header.split(";"):
        name, sep, value = part.partition("=")
        if not sep:
            continue
        name = name.strip()
        if not name or name in cookies:
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
            value = value[1:-1]
        if "%" in value:
            value = decode_uri_component(value) or value
        cookies[name] = value
    return cookies


def decode_uri_component(text: str) -> str | None:
    """JavaScript's ``decodeURIComponent``: None where it would throw (bad ``%`` or UTF-8)."""
    if _BAD_PERCENT.search(text):
        return None
    try:
        return unquote(text, errors="strict")
    except UnicodeDecodeError:
        return None


def read_session_cookie(
    cookies: Mapping[str, str], name: str, *, max_length: int = MAX_TOKEN_LENGTH, max_chunks: int | None = None
) -> str | None:
    """Return the session value stored under ``name``, joining chunks; None when absent.

    A plain ``<name>`` cookie wins over chunks. Chunks must form a contiguous run
    ``<name>.0 .. <name>.<n>``; a gap, a joined value over ``max_length`` characters, or
    more chunks than a value of that length needs at next-auth's chunk size (``max_chunks``,
    default 17 for the default ``max_length``) raises :class:`SessionCookieError`, before
    anything is joined.
    """
    value = cookies.get(name)
    if value:
        if len(value) > max_length:
            raise SessionCookieError(f"session cookie {name!r} is longer than {max_length} characters")
        return value
    prefix = name + "."
    chunks: dict[int, str] = {}
    for key, chunk in cookies.items():
        index = _chunk_index(key, prefix)
        if index is not None:
            chunks[index] = chunk
    if not chunks:
        return None
    if len(chunks) != max(chunks) + 1:
        raise SessionCookieError(f"session cookie {name!r} is missing a chunk; the user must sign in again")
    if sum(map(len, chunks.values())) > max_length:
        raise SessionCookieError(f"session cookie {name!r} is longer than {max_length} characters")
    most = max_chunks if max_chunks is not None else -(-max_length // min(CHUNK_SIZES.values()))
    if len(chunks) > most:
        raise SessionCookieError(f"session cookie {name!r} has {len(chunks)} chunks; no session needs more than {most}")
    return "".join(chunks[i] for i in range(len(chunks))) or None


@dataclass(frozen=True, slots=True)
class CookieWrite:
    """One Set-Cookie that next-auth's SessionStore would emit: a chunk, or a clearing."""

    name: str
    value: str
    clear: bool


def _chunk_index(key: str, prefix: str) -> int | None:
    """N for a cookie named exactly ``<prefix>N`` (N canonical decimal, < 10000), else None."""
    if not key.startswith(prefix):
        return None
    suffix = key[len(prefix) :]
    if suffix.isascii() and suffix.isdigit() and len(suffix) <= 4 and (suffix == "0" or suffix[0] != "0"):
        return int(suffix)
    return None


def _existing_chunk_names(name: str, existing: Iterable[str]) -> list[str]:
    """The names among ``existing`` that a session cookie ``name`` can have (``name`` and
    ``name.0`` .. ``name.16``), in their order, each once: at most ``MAX_SESSION_CHUNKS + 1``."""
    prefix = name + "."
    names: dict[str, None] = {}
    for key in existing:
        if key == name or ((index := _chunk_index(key, prefix)) is not None and index < MAX_SESSION_CHUNKS):
            names[key] = None
    return list(names)


def group_session_cookies(cookies: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """``cookies`` grouped by the session cookie each could belong to: ``<name>`` and its chunks
    ``<name>.<n>`` under ``<name>``, in header order. Reading every group with
    :func:`read_session_cookie` is linear in the number of cookies (for a custom cookie name)."""
    groups: dict[str, dict[str, str]] = {}
    for key, value in cookies.items():
        base = key.rpartition(".")[0]
        name = base if base and _chunk_index(key, base + ".") is not None else key
        groups.setdefault(name, {})[key] = value
    return groups


def session_cookie_names(cookies: Iterable[str], name: str) -> tuple[str, ...]:
    """The names among ``cookies`` that belong to the session cookie ``name`` (``name`` and
    ``name.0`` .. ``name.16``, in their order): what a rewrite or a clearing must cover."""
    return tuple(_existing_chunk_names(name, cookies))


def chunk_session_cookie(
    name: str, value: str, *, existing: Iterable[str] = (), version: Version = 4
) -> list[CookieWrite]:
    """The cookies to write for a new session ``value``, as next-auth's SessionStore does.

    ``existing`` are the cookie names on the request: the ones that belong to this
    session (``name`` or ``name.<n>``, n < :data:`MAX_SESSION_CHUNKS`) and are not
    rewritten are cleared. Values up to the chunk size go under ``name``; longer ones under
    ``name.0``, ``name.1``, ...
    """
    size = CHUNK_SIZES[version]
    if len(value) <= size:
        fresh = {name: value}
    else:
        fresh = {f"{name}.{i}": value[start : start + size] for i, start in enumerate(range(0, len(value), size))}
    writes = {key: CookieWrite(key, "", clear=True) for key in _existing_chunk_names(name, existing)}
    writes.update((key, CookieWrite(key, chunk, clear=False)) for key, chunk in fresh.items())
    return list(writes.values())


def clear_session_cookie(name: str, *, existing: Iterable[str]) -> list[CookieWrite]:
    """Clearings for the cookies of the session ``name`` present on the request (``name`` and
    chunks below :data:`MAX_SESSION_CHUNKS`: at most 18, however many the request holds)."""
    return [CookieWrite(key, "", clear=True) for key in _existing_chunk_names(name, existing)]


SameSite = Literal["lax", "strict", "none"]


def serialize_cookie(
    name: str,
    value: str,
    *,
    path: str = "/",
    domain: str | None = None,
    expires: float | None = None,
    max_age: int | None = None,
    http_only: bool = True,
    secure: bool = False,
    same_site: SameSite | None = "lax",
) -> str:
    """A ``Set-Cookie`` header value with next-auth's attribute spelling.

    ``expires`` is a Unix timestamp (written as an HTTP date, whole seconds).
    """
    if not _COOKIE_NAME.fullmatch(name):
        raise ValueError(f"cookie name {name!r} has characters a cookie name cannot hold")
    if not _COOKIE_VALUE.fullmatch(value):
        raise ValueError(f"cookie {name!r}: value has characters a cookie value cannot hold")
    parts = [f"{name}={value}"]
    if max_age is not None:
        parts.append(f"Max-Age={int(max_age)}")
    if domain:
        parts.append(f"Domain={domain}")
    if path:
        parts.append(f"Path={path}")
    if expires is not None:
        parts.append("Expires=" + formatdate(int(expires), usegmt=True))
    if http_only:
        parts.append("HttpOnly")
    if secure:
        parts.append("Secure")
    if same_site:
        parts.append("SameSite=" + same_site.capitalize())
    return "; ".join(parts)


@dataclass(frozen=True, slots=True)
class CookieOptions:
    """Attributes of the session cookie (next-auth's ``cookies.sessionToken.options``)."""

    path: str = "/"
    domain: str | None = None
    same_site: SameSite | None = "lax"
    http_only: bool = True
    secure: bool = False
    max_age: int | None = None

    @classmethod
    def from_next_auth(cls, options: Mapping[str, object] | None, *, secure: bool) -> CookieOptions:
        """From next-auth's spelling: ``{"path", "domain", "sameSite", "httpOnly", "secure", "maxAge"}``."""
        options = dict(options or {})
        unknown = set(options) - {"path", "domain", "sameSite", "httpOnly", "secure", "maxAge"}
        if unknown:
            raise ValueError(
                f"unknown session cookie options {sorted(unknown)}; next-auth's are path, domain, "
                "sameSite, httpOnly, secure, maxAge"
            )
        same_site = options.get("sameSite", "lax")
        if same_site not in ("lax", "strict", "none", None, False):
            raise ValueError("sameSite must be 'lax', 'strict', 'none' or False")
        max_age = options.get("maxAge")
        return cls(
            path=str(options.get("path", "/")),
            domain=str(options["domain"]) if options.get("domain") else None,
            same_site=same_site or None,  # type: ignore[arg-type]
            http_only=bool(options.get("httpOnly", True)),
            secure=bool(options.get("secure", secure)),
            max_age=int(max_age) if isinstance(max_age, int) else None,
        )


def set_cookie_headers(writes: Iterable[CookieWrite], options: CookieOptions, *, expires: float | None) -> list[str]:
    """``Set-Cookie`` values for ``writes``: chunks with ``expires``, clearings with ``Max-Age=0``."""
    return [
        serialize_cookie(
            write.name,
            write.value,
            path=options.path,
            domain=options.domain,
            expires=None if write.clear else expires,
            max_age=0 if write.clear else options.max_age,
            http_only=options.http_only,
            secure=options.secure,
            same_site=options.same_site,
        )
        for write in writes
    ]
