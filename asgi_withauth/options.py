"""One set of options for reading and writing next-auth sessions: :class:`AuthOptions`.

What next-auth's ``authOptions`` say about the session (secret, cookie, format, lifetime,
callbacks, pages) lives in one frozen object that every entry point accepts: ``WithAuth``,
``get_token``, ``get_server_session``, the FastAPI and Starlette integrations, the CLI.

    AUTH = AuthOptions(secret=os.environ["NEXTAUTH_SECRET"], max_age=7 * 24 * 3600)
    app = WithAuth(app, options=AUTH, matcher="/dashboard/:path*")
    token = await get_token(request, options=AUTH)

Each entry point also takes the same settings as keyword arguments, in Python's spelling
(``sign_in_page=``) or next-auth's (``pages={"signIn": ...}``), checked the same way
everywhere by :meth:`AuthOptions.build`. The environment (``NEXTAUTH_SECRET``,
``AUTH_SECRET``, ``NEXTAUTH_URL``, ``AUTH_URL``, ``VERCEL``) is read here and nowhere else,
once per options object (:class:`Environment`).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, Literal, TypedDict, TypeVar
from urllib.parse import urlsplit

from .jwt import DEFAULT_LEEWAY, DEFAULT_MAX_AGE, Secret, Version

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .adapters.base import SessionAdapter

__all__ = [
    "ALWAYS",
    "DEFAULT_AUTH_PATH",
    "DEFAULT_ERROR_PAGE",
    "DEFAULT_LOOKUP_TTL",
    "DEFAULT_SIGN_IN_PAGE",
    "DEFAULT_UPDATE_AGE",
    "AuthKwargs",
    "AuthOptions",
    "Callback",
    "DecodeHook",
    "EncodeHook",
    "Environment",
]

DEFAULT_SIGN_IN_PAGE: Final = "/api/auth/signin"
DEFAULT_ERROR_PAGE: Final = "/api/auth/error"
DEFAULT_AUTH_PATH: Final = "/api/auth"

ALWAYS: Final = 0
"""``update_age`` that rewrites the cookie on every read, as next-auth's jwt strategy does."""

DEFAULT_UPDATE_AGE: Final = 24 * 60 * 60
"""next-auth's ``session.updateAge`` (24 hours): how often the database strategy extends a session row."""

DEFAULT_LOOKUP_TTL: Final = 5.0
"""How long WithAuth trusts a database-session lookup, in seconds (the revocation delay)."""

Strategy = Literal["jwt", "database"]

Callback = Callable[..., Any]
"""A next-auth callback, sync or async, in keyword style (``def session(session, token)``)
or dict style (``def session(params)`` with ``params["session"]``, like JavaScript's
``({ session, token }) => ...``)."""

DecodeHook = Callable[..., "Mapping[str, Any] | Awaitable[Mapping[str, Any] | None] | None"]
"""Replaces the codec when reading: called as ``hook(token=..., secret=..., salt=...)``, sync
or async; returns the claims, or None for a token it refuses."""

EncodeHook = Callable[..., "str | Awaitable[str]"]
"""Replaces the codec when writing a refreshed session: called as
``hook(token=..., secret=..., salt=..., max_age=...)``, sync or async; returns the cookie value."""

# next-auth's option dicts and the keys they may hold: any other key is refused, since a
# typo would otherwise be ignored silently.
_NEXT_AUTH_KEYS: Final[Mapping[str, frozenset[str]]] = {
    "pages": frozenset({"signIn", "error", "signOut", "verifyRequest", "newUser"}),
    "callbacks": frozenset({"authorized", "jwt", "session", "signIn", "redirect"}),
    "jwt": frozenset({"decode", "encode", "secret", "maxAge"}),
    "session": frozenset({"maxAge", "updateAge", "strategy", "generateSessionToken"}),
    "cookies": frozenset(
        {"sessionToken", "callbackUrl", "csrfToken", "pkceCodeVerifier", "state", "nonce", "webauthnChallenge"}
    ),
}

# Python spelling <- (next-auth's dict, its path inside it)
_SPELLINGS: Final[Mapping[str, tuple[str, tuple[str, ...]]]] = {
    "sign_in_page": ("pages", ("signIn",)),
    "error_page": ("pages", ("error",)),
    "cookie_name": ("cookies", ("sessionToken", "name")),
    "cookie_options": ("cookies", ("sessionToken", "options")),
    "decode": ("jwt", ("decode",)),
    "encode": ("jwt", ("encode",)),
    "max_age": ("session", ("maxAge",)),
    "update_age": ("session", ("updateAge",)),
    "strategy": ("session", ("strategy",)),
    "authorized": ("callbacks", ("authorized",)),
}


@dataclass(frozen=True)
class Environment:
    """next-auth's environment variables, read once. An empty variable counts as unset."""

    nextauth_secret: str | None = None
    auth_secret: str | None = None
    nextauth_url: str | None = None
    auth_url: str | None = None
    vercel: bool = False

    @classmethod
    def read(cls, environ: Mapping[str, str] | None = None) -> Environment:
        """The variables of ``environ`` (default: the process environment)."""
        env = os.environ if environ is None else environ
        return cls(
            nextauth_secret=env.get("NEXTAUTH_SECRET") or None,
            auth_secret=env.get("AUTH_SECRET") or None,
            nextauth_url=env.get("NEXTAUTH_URL") or None,
            auth_url=env.get("AUTH_URL") or None,
            vercel=bool(env.get("VERCEL")),
        )

    @property
    def secret(self) -> str | None:
        """``NEXTAUTH_SECRET``, else ``AUTH_SECRET`` (next-auth v4's order), else None."""
        return self.nextauth_secret or self.auth_secret

    @property
    def secret_name(self) -> str | None:
        """The variable :attr:`secret` came from."""
        if self.nextauth_secret:
            return "NEXTAUTH_SECRET"
        return "AUTH_SECRET" if self.auth_secret else None

    @property
    def url(self) -> str | None:
        """``NEXTAUTH_URL``, else ``AUTH_URL``."""
        return self.nextauth_url or self.auth_url

    @property
    def secure_cookie(self) -> bool | None:
        """next-auth's default for ``__Secure-`` cookies: an https URL, or running on Vercel;
        None when neither says (then the request's scheme decides)."""
        if self.url:
            return self.url.startswith("https://")
        return True if self.vercel else None

    @property
    def auth_path(self) -> str:
        """The path of the URL (next-auth's ``parseUrl``: https:// assumed), else /api/auth."""
        url = self.url
        if not url:
            return DEFAULT_AUTH_PATH
        path = urlsplit(url if "://" in url else "https://" + url).path.rstrip("/")
        return path or DEFAULT_AUTH_PATH


def _frozen(mapping: Mapping[str, Any] | None = None) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping or {}))


def _no_callbacks() -> Mapping[str, Callback]:
    return MappingProxyType({})


@dataclass(frozen=True, eq=False)
class AuthOptions:
    """How sessions are read and written: what next-auth's ``authOptions`` say about them.

    Frozen; derive a variant with :meth:`replace`. Compared by identity: each options object
    owns the keys derived from its secret and the cache of tokens decoded with them, so
    build it once (at import time) and pass it to every call.
    """

    secret: Secret | None = None
    """The Next.js app's ``NEXTAUTH_SECRET``/``AUTH_SECRET``, or a list for rotation (the
    first encrypts, all decrypt). None: the environment's; "" means no secret."""
    salt: str | None = None
    """Key derivation salt. None: "" for v4, the cookie's name for v5 (Auth.js's rule)."""
    cookie_name: str | None = None
    """The session cookie. None: next-auth's and Auth.js's default names, ``__Secure-``
    prefixed on secure requests. next-auth's or Auth.js's default name implies its format."""
    cookie_options: Mapping[str, Any] = field(default_factory=_frozen)
    """next-auth's ``cookies.sessionToken.options`` for cookies we write (path, domain, sameSite...)."""
    version: Version | None = None
    """4 (next-auth), 5 (Auth.js) or None (either, each cookie name in its own format)."""
    secure_cookie: bool | None = None
    """Use ``__Secure-`` names. None: an https NEXTAUTH_URL/AUTH_URL or VERCEL, else the request's scheme."""
    decode: DecodeHook | None = None
    """Replaces the codec when reading (next-auth's ``jwt.decode``)."""
    encode: EncodeHook | None = None
    """Replaces the codec when writing a refreshed session (next-auth's ``jwt.encode``)."""
    leeway: int = DEFAULT_LEEWAY
    """Clock tolerance on ``exp``/``nbf``, in seconds (next-auth: 15)."""
    require_exp: bool = False
    """Refuse tokens without ``exp`` (next-auth accepts them)."""
    max_age: int = DEFAULT_MAX_AGE
    """Session lifetime in seconds (``session.maxAge``): a refreshed token expires this long after."""
    update_age: int | None = None
    """``session.updateAge``. JWT strategy: skip rewriting a cookie issued less than this many
    seconds ago (None or 0: rewrite on every read, as next-auth does). Database strategy: extend
    the session row when it was last extended this long ago (None: next-auth's 24 hours)."""
    adapter: SessionAdapter | None = None
    """Where database sessions live (``asgi_withauth.adapters``); with one, the strategy is
    ``"database"`` unless ``strategy="jwt"``, as in next-auth."""
    strategy: Strategy | None = None
    """``session.strategy``: ``"jwt"`` or ``"database"``. None: database with an adapter, else jwt."""
    lookup_ttl: float = DEFAULT_LOOKUP_TTL
    """Database strategy: how long WithAuth (and the integrations) trust a session lookup, hits
    and misses, in seconds. A session deleted in the database still passes for up to this long;
    0 looks up on every request. get_server_session always looks up."""
    callbacks: Mapping[str, Callback] = field(default_factory=_no_callbacks)
    """next-auth's callbacks: ``authorized`` (WithAuth), ``jwt`` and ``session`` (get_server_session)."""
    sign_in_page: str = DEFAULT_SIGN_IN_PAGE
    """Where denied requests are sent (``pages.signIn``); may be absolute (another origin)."""
    error_page: str = DEFAULT_ERROR_PAGE
    """Where configuration errors are sent (``pages.error``)."""
    auth_path: str | None = None
    """next-auth's own routes, never protected. None: the path of NEXTAUTH_URL, else /api/auth."""
    cache_size: int = 1024
    """Decoded tokens kept (0: none); a hit still honours ``exp``."""
    env: Environment = field(default_factory=Environment.read)
    """The environment as read when the options were built."""

    def __post_init__(self) -> None:
        if self.version not in (None, 4, 5):
            raise ValueError("version: expected 4 (next-auth), 5 (Auth.js) or None (either)")
        if self.salt is not None and not isinstance(self.salt, str):
            raise TypeError("salt: expected str")
        for name in ("leeway", "max_age", "update_age", "cache_size"):
            value = getattr(self, name)
            if value is None and name == "update_age":
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name}: expected a whole number of seconds >= 0, got {value!r}")
        if isinstance(self.lookup_ttl, bool) or not isinstance(self.lookup_ttl, int | float) or self.lookup_ttl < 0:
            raise ValueError(f"lookup_ttl: expected seconds >= 0, got {self.lookup_ttl!r}")
        if self.strategy not in (None, "jwt", "database"):
            raise ValueError(f"strategy: expected 'jwt' or 'database', got {self.strategy!r}")
        if self.strategy == "database" and self.adapter is None:
            raise ValueError("strategy='database' needs an adapter (asgi_withauth.adapters); pass adapter=...")
        if not self.max_age:
            raise ValueError("max_age: a session must last at least one second")
        if isinstance(self.secret, list):
            object.__setattr__(self, "secret", tuple(self.secret))
        object.__setattr__(self, "cookie_options", _frozen(self.cookie_options))
        object.__setattr__(self, "callbacks", _known_keys("callbacks", self.callbacks))

    # ------------------------------------------------------------------ resolved values

    @property
    def resolved_secret(self) -> Secret | None:
        """The explicit secret, else the environment's. As in next-auth, an explicit empty
        secret is no secret and does not fall back to the environment."""
        if self.secret is not None:
            return self.secret or None
        return self.env.secret

    @property
    def configured(self) -> bool:
        """Whether tokens can be read: a secret or a decode hook is set."""
        return self.resolved_secret is not None or self.decode is not None

    @property
    def resolved_secure_cookie(self) -> bool | None:
        """``secure_cookie``, else the environment's default (None: the request decides)."""
        return self.secure_cookie if self.secure_cookie is not None else self.env.secure_cookie

    @property
    def resolved_strategy(self) -> Strategy:
        """next-auth's rule: ``strategy`` if given, else database with an adapter, else jwt."""
        if self.strategy is not None:
            return self.strategy
        return "database" if self.adapter is not None else "jwt"

    @property
    def resolved_auth_path(self) -> str:
        """``auth_path``, else the environment's, without a trailing slash."""
        return (self.auth_path or self.env.auth_path).rstrip("/") or "/"

    def callback(self, name: str) -> Callback | None:
        """The callback called ``name`` (``"authorized"``, ``"jwt"``, ``"session"``), or None."""
        return self.callbacks.get(name)

    # ------------------------------------------------------------------ building

    def replace(self, **changes: Any) -> AuthOptions:
        """A copy with ``changes`` (field names), the environment read again."""
        changes.setdefault("env", Environment.read())
        return dataclasses.replace(self, **changes)

    @classmethod
    def build(cls, options: AuthOptions | None = None, /, **kwargs: Unpack[AuthKwargs]) -> AuthOptions:
        """The options an entry point was called with: ``options`` (or the defaults) with the
        keyword arguments, in Python's or next-auth's spelling, applied on top.

        Refuses a setting given twice with different values (``sign_in_page`` and
        ``pages={"signIn": ...}``), unknown keys in next-auth's dicts, and unknown names.
        With no keyword arguments, ``options`` itself is returned (keys stay derived); with
        neither, the options of the environment (one object while the environment stays the
        same, so that ``get_token(request)`` derives its keys once).
        """
        if not kwargs:
            return options if options is not None else _from_environment()
        changes = _changes(dict(kwargs))
        if options is None:
            return cls(**changes)
        return options.replace(**changes)


_ENVIRONMENT_OPTIONS: list[AuthOptions] = []


def _from_environment() -> AuthOptions:
    """The default options, for the environment as it is now. The one options object kept at
    module level: it holds nothing that the process environment does not hold already."""
    env = Environment.read()
    if _ENVIRONMENT_OPTIONS and _ENVIRONMENT_OPTIONS[0].env == env:
        return _ENVIRONMENT_OPTIONS[0]
    options = AuthOptions(env=env)
    _ENVIRONMENT_OPTIONS[:] = [options]
    return options


class AuthKwargs(TypedDict, total=False):
    """The keyword arguments every entry point accepts for :class:`AuthOptions`: its fields
    (except ``env``), and next-auth's spellings ``pages``, ``cookies``, ``jwt``, ``session``."""

    secret: Secret | None
    salt: str | None
    cookie_name: str | None
    cookie_options: Mapping[str, Any]
    version: Version | None
    secure_cookie: bool | None
    decode: DecodeHook | None
    encode: EncodeHook | None
    leeway: int
    require_exp: bool
    max_age: int | None
    update_age: int | None
    adapter: SessionAdapter | None
    strategy: Strategy | None
    lookup_ttl: float
    callbacks: Mapping[str, Callback] | None
    authorized: Callback | None
    sign_in_page: str | None
    error_page: str | None
    auth_path: str | None
    cache_size: int
    pages: Mapping[str, str] | None
    cookies: Mapping[str, Mapping[str, Any]] | None
    jwt: Mapping[str, Any] | None
    session: Mapping[str, Any] | None


_FIELDS: Final = frozenset(f.name for f in dataclasses.fields(AuthOptions)) - {"env"}
_T = TypeVar("_T")


def _known_keys(name: str, options: Mapping[str, _T] | None) -> Mapping[str, _T]:
    """next-auth's option dict, read-only, refusing keys next-auth does not have."""
    options = dict(options or {})
    allowed = _NEXT_AUTH_KEYS[name]
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise TypeError(f"{name}: unknown key(s) {unknown}; next-auth's are {sorted(allowed)}")
    return MappingProxyType(options)


def _dig(spelled: Mapping[str, Mapping[str, Any]], where: tuple[str, tuple[str, ...]]) -> Any:
    value: Any = spelled.get(where[0])
    for key in where[1]:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _pick(changes: dict[str, Any], name: str, value: Any, label: str) -> None:
    if value is None:
        return
    current = changes.get(name)
    if current is not None and current != value:
        raise TypeError(f"{name} is given twice ({label} too), with different values; keep one")
    changes[name] = value


def _changes(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments (both spellings) as :class:`AuthOptions` field values."""
    spelled = {name: _known_keys(name, kwargs.pop(name, None)) for name in _NEXT_AUTH_KEYS}
    unknown = sorted(set(kwargs) - _FIELDS - {"authorized"})
    if unknown:
        raise TypeError(f"unknown option(s) {unknown}; see AuthOptions for the names")
    changes = {name: value for name, value in kwargs.items() if value is not None or name in ("secret", "salt")}
    authorized = changes.pop("authorized", None)
    if spelled["callbacks"] or authorized is not None:
        callbacks = dict(spelled["callbacks"])
        _pick(callbacks, "authorized", authorized, "authorized=")
        changes["callbacks"] = callbacks
    for name, where in _SPELLINGS.items():
        if name != "authorized":
            _pick(changes, name, _dig(spelled, where), f"{where[0]}[{']['.join(map(repr, where[1]))}]")
    return changes
