"""The ``asgi-withauth`` command, driven as a user drives it.

Key paths run the real command (``python -m asgi_withauth``) in a subprocess; the many
small cases call ``main([...])`` in-process. Every run checks that no secret reaches
stdout or stderr and that user errors never print a traceback.
"""

from __future__ import annotations

import base64
import errno
import hashlib
import hmac
import io
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest
from joserfc import jwe
from joserfc.jwk import OctKey

from asgi_withauth import cli, jwt
from asgi_withauth._request.cookies import chunk_session_cookie
from asgi_withauth.cli import output
from tests.handmade_jwe import seal

FIXTURES = Path(__file__).parent / "fixtures"
CASES: list[dict[str, Any]] = json.loads((FIXTURES / "nextauth_tokens.json").read_text())["cases"]

SECRET = "canary-secret-9d2f4e1b"
OLD = "old-canary-secret-51c7a3"
OTHER = "other-canary-secret-e08b62"
CANARIES = (SECRET, OLD, OTHER)
ENV_NAMES = ("NEXTAUTH_SECRET", "AUTH_SECRET", "NEXTAUTH_URL", "AUTH_URL")
V4 = "next-auth.session-token"
V5 = "authjs.session-token"
V5_SECURE = "__Secure-authjs.session-token"
CLAIMS = {"sub": "u1", "name": "Ada Lovelace", "email": "ada@example.com", "role": "admin"}


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        return json.loads(self.out)


def assert_clean(out: str, err: str, secrets: tuple[str, ...] = CANARIES) -> None:
    """No secret in any output, and no traceback for anything the user did."""
    for secret in secrets:
        assert secret not in out
        assert secret not in err
    assert "Traceback" not in err


Run = Callable[..., Result]


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    """``run(*argv, stdin=None, env={})``: main() in-process; ``env`` is all of the secret environment."""

    def invoke(*argv: str, stdin: str | None = None, env: dict[str, str] | None = None) -> Result:
        for name in ENV_NAMES:
            monkeypatch.delenv(name, raising=False)
        for name, value in (env or {}).items():
            monkeypatch.setenv(name, value)
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = cli.main(list(argv))
        out, err = capsys.readouterr()
        assert_clean(out, err)
        return Result(code, out, err)

    return invoke


def subprocess_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ENV_NAMES}
    env["PYTHONIOENCODING"] = "utf-8"
    env.update(extra)
    return env


def run_command(*argv: str, input: str | bytes | None = None, **env: str) -> Result:
    """The real command in a subprocess: ``python -m asgi_withauth ...``."""
    proc = subprocess.run(
        [sys.executable, "-m", "asgi_withauth", *argv],
        env=subprocess_env(**env),
        capture_output=True,
        input=input.encode() if isinstance(input, str) else input,
        timeout=60,
        check=False,
    )
    out, err = proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8")
    assert_clean(out, err)
    return Result(proc.returncode, out, err)


def mint(claims: dict[str, Any] = CLAIMS, secret: str | list[str] = SECRET, **options: Any) -> str:
    return jwt.encode(claims, secret, **options)


def cookie_header(cookies: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def tamper(token: str) -> str:
    parts = token.split(".")
    parts[3] = ("A" if parts[3][0] != "A" else "B") + parts[3][1:]
    return ".".join(parts)


def header_token(header: dict[str, Any], rest: str = "..AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA") -> str:
    return b64(json.dumps(header).encode()) + rest


# ================================================================= subprocess: the key paths


def test_mint_then_inspect_v4_as_a_user_would() -> None:
    minted = run_command("mint", "--claims", json.dumps(CLAIMS), NEXTAUTH_SECRET=SECRET)
    assert minted.code == 0, minted.err
    assert minted.err == ""
    token = minted.out.strip()
    assert token.count(".") == 4

    result = run_command("inspect", token, NEXTAUTH_SECRET=SECRET)
    assert result.code == 0, result.err
    assert result.err == ""
    assert "next-auth v4 (alg dir, enc A256GCM)" in result.out
    assert "decrypts:  yes, with secret #1 of 1 (NEXTAUTH_SECRET), salt ''" in result.out
    assert '"name": "Ada Lovelace"' in result.out
    assert "expires in 29 days" in result.out
    assert "result:    VALID" in result.out


def test_chunked_v5_cookie_header_with_rotation_as_json() -> None:
    claims = json.dumps({**CLAIMS, "blob": "z" * 9000})
    minted = run_command("mint", "--v5", "--secure", "--cookie", "--claims", claims, AUTH_SECRET=SECRET)
    assert minted.code == 0, minted.err
    header = minted.out.strip()
    assert header.startswith(f"{V5_SECURE}.0=")
    assert f"; {V5_SECURE}.2=" in header

    result = run_command(
        "inspect", f"Cookie: theme=dark; {header}; lang=en", "--secret", OTHER, "--secret", SECRET, "--json"
    )
    assert result.code == 0, result.out
    report = result.json
    assert report["ok"] is True
    assert report["cookie"] == V5_SECURE
    assert report["chunks"] == len(header.split("; ")) >= 3
    assert report["format"]["version"] == 5
    assert report["format"]["enc"] == "A256CBC-HS512"
    assert report["format"]["kid"]
    assert (report["secret_index"], report["secret_count"], report["secret_source"]) == (2, 2, "--secret")
    assert report["salt"] == V5_SECURE
    assert report["claims"]["blob"] == "z" * 9000


def test_cookie_header_on_stdin() -> None:
    token = mint(version=5, salt=V5)
    result = run_command("inspect", "-", input=f"Cookie: {V5}={token}\n", NEXTAUTH_SECRET=SECRET)
    assert result.code == 0, result.out
    assert f"source:    cookie {V5}" in result.out
    assert f"salt '{V5}'" in result.out


def test_wrong_secret_exits_1_with_a_hint_and_no_secret_shown() -> None:
    result = run_command("inspect", mint(), "--secret", OTHER)
    assert result.code == 1
    assert "REJECTED (wrong_secret)" in result.out
    assert "wrong secret, wrong salt, or tampered" in result.out
    assert "check that --secret is the Next.js app's NEXTAUTH_SECRET" in result.out  # the secret given
    assert '"sub"' not in result.out  # nothing decrypted, nothing shown


def test_version() -> None:
    from asgi_withauth import __version__

    result = run_command("--version")
    assert (result.code, result.out, result.err) == (0, f"asgi-withauth {__version__}\n", "")


def test_each_command_documents_its_own_exit_codes() -> None:
    helps = {command: run_command(command, "--help").out for command in ("inspect", "mint", "demo")}
    exit_codes = {command: text.split("exit codes:", 1)[1] for command, text in helps.items()}
    assert "1 the token was rejected" in exit_codes["inspect"]
    assert "0 the token (or the Cookie header value) was printed" in exit_codes["mint"]
    assert "rejected" not in exit_codes["mint"]  # mint rejects no token
    assert len(set(exit_codes.values())) == 3


def test_expired_token_shows_its_claims_and_exits_1() -> None:
    token = mint(max_age=-3 * 3600 - 30)
    result = run_command("inspect", token, NEXTAUTH_SECRET=SECRET)
    assert result.code == 1
    assert "result:    EXPIRED: the token expired 3 hours ago" in result.out
    assert '"name": "Ada Lovelace"' in result.out
    assert "issued 3 hours ago" not in result.out  # iat is now; exp is in the past


def test_database_session_id_in_a_cookie() -> None:
    result = run_command("inspect", f"{V4}={uuid.uuid4()}", NEXTAUTH_SECRET=SECRET)
    assert result.code == 1
    assert "this looks like a database session id under the session cookie next-auth.session-token" in result.out
    assert "the session lives in the database, there is nothing to decode" in result.out


def test_no_secret_is_a_usage_error_without_traceback() -> None:
    result = run_command("inspect", mint())
    assert result.code == 2
    assert "no secret to decrypt with" in result.err
    assert "NEXTAUTH_SECRET" in result.err
    minted = run_command("mint", "--claims", "{}")
    assert minted.code == 2
    assert minted.out == ""
    assert "no secret to encrypt with" in minted.err


@pytest.mark.parametrize(
    ("stdin", "message"),
    [(b"", "nothing to inspect"), (b"\xff\xfe\xfa", "cannot read stdin")],
    ids=["empty", "not-utf8"],
)
def test_unreadable_or_empty_stdin(stdin: bytes, message: str) -> None:
    result = run_command("inspect", "-", input=stdin, NEXTAUTH_SECRET=SECRET)
    assert result.code == 2
    assert message in result.err


def test_bad_claims_json_is_a_usage_error() -> None:
    result = run_command("mint", "--claims", "{'sub': 1}", NEXTAUTH_SECRET=SECRET)
    assert result.code == 2
    assert result.out == ""
    assert "--claims: not valid JSON" in result.err


def test_demo_refuses_a_public_host() -> None:
    result = run_command("demo", "--host", "0.0.0.0")  # noqa: S104 (the point: it is refused)
    assert result.code == 2
    assert "only listens on loopback" in result.err
    assert "--allow-remote" in result.err


@pytest.mark.parametrize("command", ["inspect", "mint", "demo"])
def test_help_says_where_secrets_come_from(command: str) -> None:
    result = run_command(command, "--help")
    assert result.code == 0
    assert "NEXTAUTH_SECRET" in result.out
    assert "AUTH_SECRET" in result.out


def test_console_script_is_declared() -> None:
    (script,) = entry_points(group="console_scripts", name="asgi-withauth")
    assert script.value == "asgi_withauth.cli:main"
    assert 'asgi-withauth = "asgi_withauth.cli:main"' in (FIXTURES.parent.parent / "pyproject.toml").read_text()


# ================================================================= inspect: formats and sources


def test_v5_bare_token_tries_both_default_salts(run: Run) -> None:
    for salt in (V5, V5_SECURE):
        result = run("inspect", mint(version=5, salt=salt), "--json", env={"NEXTAUTH_SECRET": SECRET})
        assert result.code == 0
        assert result.json["salt"] == salt
        assert result.json["cookie"] is None
        assert result.json["input"] == "token"


def test_v5_salt_is_the_cookie_name(run: Run) -> None:
    token = mint(version=5, salt=V5_SECURE)
    result = run("inspect", f"{V5_SECURE}={token}", "--json", env={"NEXTAUTH_SECRET": SECRET})
    assert result.json["salt"] == V5_SECURE
    assert result.json["secret_source"] == "NEXTAUTH_SECRET"


def test_explicit_salt(run: Run) -> None:
    token = mint(version=5, salt="my-cookie")
    assert run("inspect", token, "--salt", "my-cookie", env={"AUTH_SECRET": SECRET}).code == 0
    v4 = mint(salt="v4-salt")
    result = run("inspect", v4, "--salt", "v4-salt", "--json", env={"AUTH_SECRET": SECRET})
    assert (result.code, result.json["salt"], result.json["secret_source"]) == (0, "v4-salt", "AUTH_SECRET")


def test_nextauth_secret_wins_over_auth_secret(run: Run) -> None:
    result = run("inspect", mint(), "--json", env={"NEXTAUTH_SECRET": SECRET, "AUTH_SECRET": OTHER})
    assert result.json["secret_source"] == "NEXTAUTH_SECRET"
    result = run("inspect", mint(secret=OTHER), "--json", env={"NEXTAUTH_SECRET": SECRET, "AUTH_SECRET": OTHER})
    assert result.json["error"]["kind"] == "wrong_secret"


def test_flags_win_over_the_environment(run: Run) -> None:
    result = run("inspect", mint(secret=OTHER), "--secret", OTHER, "--json", env={"NEXTAUTH_SECRET": SECRET})
    assert (result.code, result.json["secret_source"]) == (0, "--secret")


@pytest.mark.parametrize("version", [4, 5])
def test_rotation_names_the_secret_by_position(run: Run, version: jwt.Version) -> None:
    salt = "" if version == 4 else V5
    token = mint(secret=OLD, version=version, salt=salt)
    result = run("inspect", token, "--secret", SECRET, "--secret", OLD, "--secret", OTHER)
    assert result.code == 0
    assert "secret #2 of 3 (--secret)" in result.out


def test_v5_token_without_kid_is_tried_with_the_first_secret_only(run: Run) -> None:
    case = next(c for c in CASES if c["id"] == "v5-nokid-rotation-old")
    args = [arg for secret in case["decode_secret"] for arg in ("--secret", secret)]
    result = run("inspect", case["token"], *args, "--json")
    assert result.code == 1
    assert result.json["error"]["kind"] == "wrong_secret"
    assert "first secret only" in result.json["error"]["message"]
    assert result.json["decrypted"] is False
    assert result.json["claims"] is None


@pytest.mark.parametrize("prefix", ["Cookie: ", "cookie:", "COOKIE:   ", ""])
def test_cookie_header_prefix_is_optional(run: Run, prefix: str) -> None:
    token = mint()
    result = run("inspect", f"{prefix}a=1; {V4}={token}; b=2", "--json", env={"NEXTAUTH_SECRET": SECRET})
    assert (result.code, result.json["cookie"], result.json["input"]) == (0, V4, "cookie")


def test_chunked_cookie_made_with_chunk_session_cookie(run: Run) -> None:
    token = mint({**CLAIMS, "blob": "q" * 12_000}, salt="")
    writes = chunk_session_cookie(f"__Secure-{V4}", token, version=4)
    assert len(writes) >= 3
    header = cookie_header({w.name: w.value for w in reversed(writes)})  # order does not matter
    result = run("inspect", header, "--json", env={"NEXTAUTH_SECRET": SECRET})
    assert result.code == 0
    assert (result.json["cookie"], result.json["chunks"]) == (f"__Secure-{V4}", len(writes))
    assert result.json["claims"]["blob"] == "q" * 12_000


def test_mint_cookie_output_is_what_chunk_session_cookie_writes(run: Run) -> None:
    claims = json.dumps({"blob": "w" * 8000})
    header = run("mint", "--cookie", "--claims", claims, env={"NEXTAUTH_SECRET": SECRET}).out.strip()
    names = [part.split("=", 1)[0] for part in header.split("; ")]
    assert names == [f"{V4}.0", f"{V4}.1", f"{V4}.2"]
    token = "".join(part.split("=", 1)[1] for part in header.split("; "))
    assert [w.name for w in chunk_session_cookie(V4, token)] == names
    assert run("inspect", header, env={"NEXTAUTH_SECRET": SECRET}).code == 0


def test_missing_chunk(run: Run) -> None:
    result = run("inspect", f"{V4}.0=abc; {V4}.2=def", "--json", env={"NEXTAUTH_SECRET": SECRET})
    assert result.code == 1
    assert result.json["error"]["kind"] == "broken_cookie"


def test_custom_cookie_name_holding_a_jwe(run: Run) -> None:
    token = mint(version=5, salt="my-app.session")
    result = run("inspect", f"theme=dark; my-app.session={token}", "--json", env={"NEXTAUTH_SECRET": SECRET})
    assert result.code == 0
    assert (result.json["cookie"], result.json["salt"]) == ("my-app.session", "my-app.session")
    assert any("custom session cookie name" in note for note in result.json["notes"])


def test_chunked_custom_cookie_name(run: Run) -> None:
    token = mint({"sub": "u1", "blob": "x" * 9000}, version=5, salt="my-app.session")
    chunks = chunk_session_cookie("my-app.session", token, version=5)
    header = "; ".join(["theme=dark", *(f"{w.name}={w.value}" for w in chunks)])
    result = run("inspect", header, "--json", env={"NEXTAUTH_SECRET": SECRET})
    assert result.code == 0
    assert (result.json["cookie"], result.json["chunks"]) == ("my-app.session", len(chunks))


def test_cookie_header_without_a_session(run: Run) -> None:
    result = run("inspect", "Cookie: theme=dark; lang=en", env={"NEXTAUTH_SECRET": SECRET})
    assert result.code == 1
    assert "REJECTED (no_session_cookie)" in result.out
    assert "it has: lang, theme" in result.out


def test_bearer_header(run: Run) -> None:
    result = run("inspect", f"Authorization: Bearer {mint()}", "--json", env={"NEXTAUTH_SECRET": SECRET})
    assert (result.code, result.json["input"]) == (0, "bearer")


def test_v5_token_in_the_v4_cookie_gets_a_note(run: Run) -> None:
    token = mint(version=5, salt=V4)
    result = run("inspect", f"{V4}={token}", "--json", env={"NEXTAUTH_SECRET": SECRET})
    assert any("next-auth v4 will not read it" in note for note in result.json["notes"])


# ================================================================= inspect: failures


def test_wrong_secret_v5_with_kid_says_the_kid_matches_nothing(run: Run) -> None:
    result = run("inspect", mint(version=5, salt=V5), "--json", env={"NEXTAUTH_SECRET": OTHER})
    error = result.json["error"]
    assert (result.code, error["kind"]) == (1, "wrong_secret")
    assert "kid does not match the secret (NEXTAUTH_SECRET)" in error["message"]
    assert "salt" in error["hint"]
    assert result.json["decrypted"] is False
    assert result.json["claims"] is None
    assert result.json["secret_index"] is None


def test_wrong_v5_salt_names_the_salt_that_works(run: Run) -> None:
    token = mint(version=5, salt=V5_SECURE)
    result = run("inspect", f"{V5}={token}", env={"NEXTAUTH_SECRET": SECRET})
    assert result.code == 1
    assert "REJECTED (wrong_salt)" in result.out
    assert f"pass --salt {V5_SECURE}" in result.out
    result = run("inspect", token, "--salt", "nope", "--json", env={"NEXTAUTH_SECRET": SECRET})
    assert result.json["error"]["kind"] == "wrong_salt"


def test_v4_salt_given_but_token_has_none(run: Run) -> None:
    result = run("inspect", mint(), "--salt", "x", "--json", env={"NEXTAUTH_SECRET": SECRET})
    assert result.json["error"]["kind"] == "wrong_salt"
    assert "drop --salt" in result.json["error"]["hint"]


@pytest.mark.parametrize(
    ("flags", "env", "named"),
    [
        (["--secret", OTHER], {"NEXTAUTH_SECRET": SECRET}, "--secret"),
        (["--secret", OTHER, "--secret", OLD], {}, "--secret"),
        ([], {"NEXTAUTH_SECRET": OTHER}, "NEXTAUTH_SECRET"),
        ([], {"AUTH_SECRET": OTHER}, "AUTH_SECRET"),
    ],
)
@pytest.mark.parametrize("version", [4, 5])
def test_the_wrong_secret_hint_names_the_secret_that_was_used(
    run: Run, flags: list[str], env: dict[str, str], named: str, version: jwt.Version
) -> None:
    token = mint(version=version, salt="" if version == 4 else V5)
    result = run("inspect", token, *flags, "--json", env=env)
    error = result.json["error"]
    assert (result.code, error["kind"]) == (1, "wrong_secret")
    app_secret = "NEXTAUTH_SECRET" if version == 4 else "AUTH_SECRET"
    assert f"check that {named} is the Next.js app's {app_secret}" in error["hint"]
    if named != "NEXTAUTH_SECRET":
        assert "check NEXTAUTH_SECRET" not in error["hint"]


def cut_tokens() -> list[Any]:
    """Tokens cut short as a copy from a terminal or dev tools cuts them."""
    cuts: dict[str, Callable[[str], str]] = {
        "no-tag": lambda t: t.rsplit(".", 1)[0],
        "tag-cut": lambda t: t[:-5],
        "tag-empty": lambda t: t[: t.rindex(".") + 1],
        "one-char-less": lambda t: t[:-1],
        "ciphertext-cut": lambda t: t[: t.rindex(".") - 3],
        "header-only": lambda t: t.split(".", 1)[0],
        "two-parts": lambda t: ".".join(t.split(".")[:2]),
    }
    return [
        pytest.param(cut(mint(version=v, salt="" if v == 4 else V5)), id=f"v{v}-{name}")
        for v in (4, 5)
        for name, cut in cuts.items()
    ]


@pytest.mark.parametrize("token", cut_tokens())
@pytest.mark.parametrize("as_cookie", [False, True], ids=["token", "cookie"])
def test_a_truncated_token_is_called_truncated(run: Run, token: str, as_cookie: bool) -> None:
    text = f"{V4}={token}" if as_cookie else token
    result = run("inspect", text, "--json", env={"NEXTAUTH_SECRET": SECRET})
    error = result.json["error"]
    assert (result.code, error["kind"]) == (1, "truncated")
    assert error["message"].startswith("this looks like a truncated next-auth token: ")
    assert "not a next-auth token at all" not in error["message"]
    assert "copy the whole cookie value" in error["hint"]
    assert "every chunk" in error["hint"]


def test_a_chunked_cookie_without_its_last_chunk_is_truncated(run: Run) -> None:
    writes = chunk_session_cookie(V4, mint({**CLAIMS, "blob": "q" * 9000}, salt=""), version=4)
    header = cookie_header({w.name: w.value for w in writes[:-1]})
    result = run("inspect", header, env={"NEXTAUTH_SECRET": SECRET})
    assert result.code == 1
    assert "REJECTED (truncated)" in result.out


def test_tampered_v4_is_wrong_secret_wrong_salt_or_tampered(run: Run) -> None:
    result = run("inspect", tamper(mint()), "--json", env={"NEXTAUTH_SECRET": SECRET})
    assert result.json["error"]["kind"] == "wrong_secret"
    assert "wrong secret, wrong salt, or tampered" in result.json["error"]["message"]


def test_tampered_v5_with_matching_kid_is_tampered(run: Run) -> None:
    result = run("inspect", tamper(mint(version=5, salt=V5)), env={"NEXTAUTH_SECRET": SECRET})
    assert result.code == 1
    assert "REJECTED (tampered)" in result.out
    assert "the kid matches secret #1 of 1 (NEXTAUTH_SECRET)" in result.out
    assert '"sub"' not in result.out


def test_expired_json(run: Run) -> None:
    result = run("inspect", mint(max_age=-2 * 86400), "--json", env={"NEXTAUTH_SECRET": SECRET})
    report = result.json
    assert result.code == 1
    assert report["error"]["kind"] == "expired"
    assert report["decrypted"] is True
    assert report["claims"]["sub"] == "u1"
    assert report["times"]["exp"]["relative"] == "expired 2 days ago"
    assert report["times"]["exp"]["utc"].endswith("Z")


def test_within_the_clock_tolerance_is_still_valid(run: Run) -> None:
    result = run("inspect", mint(max_age=-5), "--json", env={"NEXTAUTH_SECRET": SECRET})
    assert result.code == 0
    assert result.json["times"]["exp"]["relative"].startswith("expired")


def test_not_yet_valid(run: Run) -> None:
    token = mint({"sub": "u1", "nbf": int(time.time()) + 3 * 86400 + 60}, version=5, salt=V5)
    result = run("inspect", token, env={"NEXTAUTH_SECRET": SECRET})
    assert result.code == 1
    assert "NOT YET VALID" in result.out
    assert "becomes valid in 3 days" in result.out
    assert '"sub": "u1"' in result.out


def test_signed_jwt_is_not_a_session(run: Run) -> None:
    signing_input = b64(b'{"alg":"HS256","typ":"JWT"}') + "." + b64(b'{"sub":"u1"}')
    signature = b64(hmac.digest(b"key", signing_input.encode(), hashlib.sha256))
    result = run("inspect", f"{signing_input}.{signature}", env={"NEXTAUTH_SECRET": SECRET})
    assert result.code == 1
    assert "a signed JWT" in result.out
    assert "not a next-auth session (next-auth encrypts)" in result.out


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("hello", "not_a_jwe"),
        ("a.b", "not_a_jwe"),
        ("0123456789abcdef.x.y.z", "not_a_jwe"),
        ("a.b.c.d.e", "malformed"),
        ("not base64!.x.y.z.w", "malformed"),
        (header_token({"alg": "dir", "enc": "A256GCM"}, "..%%%.AAAA.AAAA"), "malformed"),
        (header_token({"alg": "dir", "enc": "A128GCM"}), "unsupported_algorithm"),
        (header_token({"alg": "RSA-OAEP", "enc": "A256GCM"}), "unsupported_algorithm"),
        (header_token({"alg": "dir", "enc": "A256GCM", "zip": "DEF"}), "unsupported_algorithm"),
        (header_token({"alg": "dir", "enc": "A256GCM"}, "..AAAA." + "A" * 70_000 + ".AAAA"), "too_large"),
    ],
)
def test_junk_gets_its_own_kind(run: Run, text: str, kind: str) -> None:
    result = run("inspect", text, "--json", env={"NEXTAUTH_SECRET": SECRET})
    assert result.code == 1
    assert result.json["error"]["kind"] == kind
    assert result.json["error"]["hint"]


@pytest.mark.parametrize("value", [str(uuid.uuid4()), str(uuid.uuid4()).upper(), os.urandom(32).hex()])
@pytest.mark.parametrize("name", [V4, V5, V5_SECURE, None])
def test_database_session_ids(run: Run, value: str, name: str | None) -> None:
    text = value if name is None else f"{name}={value}"
    result = run("inspect", text, "--json")  # no secret needed to see this
    assert result.code == 1
    assert result.json["error"]["kind"] == "database_session"
    assert "there is nothing to decode" in result.json["error"]["message"]


def test_no_secret_still_reports_the_format(run: Run) -> None:
    result = run("inspect", f"{V5}={mint(version=5, salt=V5)}")
    assert result.code == 2
    assert "Auth.js v5" in result.out
    assert "no secret to decrypt with" in result.err
    result = run("inspect", mint(), "--json")
    assert (result.code, result.json["error"]["kind"], result.json["format"]["version"]) == (2, "no_secret", 4)


def test_payload_that_is_not_an_object(run: Run) -> None:
    key = OctKey.import_key(jwt.derive_key(SECRET))
    registry = jwe.JWERegistry(algorithms=["dir", "A256GCM"])
    bad = jwe.encrypt_compact({"alg": "dir", "enc": "A256GCM"}, b"[1, 2]", key, registry=registry)
    result = run("inspect", bad, "--json", env={"NEXTAUTH_SECRET": SECRET})
    assert (result.code, result.json["error"]["kind"], result.json["decrypted"]) == (1, "invalid_claims", True)


def test_a_time_claim_that_is_not_a_number_is_invalid_claims(run: Run) -> None:
    bad = seal({"alg": "dir", "enc": "A256GCM"}, b'{"sub":"u1","exp":"tomorrow"}', secret=SECRET)
    result = run("inspect", bad, "--json", env={"NEXTAUTH_SECRET": SECRET})
    assert (result.code, result.json["error"]["kind"], result.json["decrypted"]) == (1, "invalid_claims", True)
    assert "'exp' is not a finite number" in result.json["error"]["message"]
    assert result.json["claims"] is None


@pytest.mark.parametrize("max_age", [3600, -3600])
def test_inspect_decrypts_and_judges_times_with_the_library(
    run: Run, monkeypatch: pytest.MonkeyPatch, max_age: int
) -> None:
    """inspect reads the header with read_header, decrypts with TokenCodec.decrypt and judges the
    times with check_claims: never decode (with a made-up secret or a leeway to skip the times)."""

    def never(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("inspect decoded a token instead of decrypting it")

    monkeypatch.setattr(jwt, "decode", never)
    monkeypatch.setattr(jwt.TokenCodec, "decode", never)
    result = run("inspect", mint(max_age=max_age), "--json", env={"NEXTAUTH_SECRET": SECRET})
    assert result.code == (0 if max_age > 0 else 1)
    assert result.json["claims"]["sub"] == "u1"


# ================================================================= inspect: input and output


def test_stdin_in_process(run: Run) -> None:
    result = run("inspect", "-", stdin=f"  {mint()}\n\n", env={"NEXTAUTH_SECRET": SECRET})
    assert result.code == 0


class BrokenStdin(io.StringIO):
    def read(self, size: int | None = -1) -> str:
        raise OSError(5, "Input/output error")


def test_unreadable_stdin(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", BrokenStdin())
    result = run("inspect", "-", env={"NEXTAUTH_SECRET": SECRET})
    assert result.code == 2
    assert "cannot read stdin: Input/output error" in result.err
    monkeypatch.setattr(sys, "stdin", BrokenStdin())
    result = run("inspect", "-", "--json", env={"NEXTAUTH_SECRET": SECRET})
    assert (result.code, result.json["error"]["kind"]) == (2, "usage")


def test_json_shape(run: Run) -> None:
    result = run("inspect", f"Cookie: {V4}={mint()}", "--json", env={"NEXTAUTH_SECRET": SECRET})
    report = result.json
    assert set(report) == {
        "ok",
        "input",
        "cookie",
        "chunks",
        "format",
        "decrypted",
        "secret_index",
        "secret_count",
        "secret_source",
        "salt",
        "claims",
        "times",
        "notes",
        "error",
    }
    assert report["format"] == {"version": 4, "alg": "dir", "enc": "A256GCM", "kid": None}
    assert set(report["times"]) == {"iat", "exp"}
    assert set(report["times"]["iat"]) == {"timestamp", "utc", "relative"}
    assert report["times"]["exp"]["timestamp"] - report["times"]["iat"]["timestamp"] == jwt.DEFAULT_MAX_AGE
    assert report["error"] is None
    assert result.err == ""


def test_json_error_shape(run: Run) -> None:
    result = run("inspect", mint(), "--secret", OTHER, "--json")
    assert set(result.json["error"]) == {"kind", "message", "hint"}
    assert result.json["ok"] is False
    assert result.err == ""


def test_secrets_never_appear_in_any_output(run: Run) -> None:
    # every rejection path with secrets given as flags and as environment variables
    inputs = [mint(), mint(secret=OTHER), tamper(mint(version=5, salt=V5)), "junk", str(uuid.uuid4()), ""]
    for pasted in (SECRET, OLD):  # a secret pasted into the wrong place
        inputs += [pasted, f"{pasted}=1", f"theme={pasted}", f"{V4}={pasted}", f'"{pasted}"']
    for text in inputs:
        for json_flag in ([], ["--json"]):
            run("inspect", text, "--secret", SECRET, "--secret", OLD, *json_flag)
            run("inspect", text, *json_flag, env={"NEXTAUTH_SECRET": SECRET, "AUTH_SECRET": OLD})
    claims = run("inspect", mint({"oops": SECRET}), "--json", env={"NEXTAUTH_SECRET": SECRET}).json["claims"]
    assert claims["oops"] == "<redacted>"
    run("mint", "--claims", "{bad", "--secret", SECRET)
    run("mint", "--claims", "[]", env={"NEXTAUTH_SECRET": SECRET})


def test_unicode_claims_print(run: Run) -> None:
    token = mint({"name": "Zoë 🦊 名前"})
    result = run("inspect", token, env={"NEXTAUTH_SECRET": SECRET})
    assert '"name": "Zoë 🦊 名前"' in result.out


def test_empty_secret_flag_is_a_usage_error(run: Run) -> None:
    result = run("inspect", mint(), "--secret", "")
    assert result.code == 2
    assert "empty secret" in result.err


# ================================================================= the real next-auth's tokens


def fixture_args(case: dict[str, Any]) -> list[str]:
    decode = case["decode_secret"]
    secrets = [decode] if isinstance(decode, str) else decode
    args = [arg for secret in secrets for arg in ("--secret", secret)]
    if case["version"] == 4 and case["salt"]:
        args += ["--salt", case["salt"]]
    return args


def fixture_cookie_header(case: dict[str, Any]) -> str:
    return cookie_header(case.get("cookies") or {case["cookie_name"]: case["token"]})


def expected_secret_index(case: dict[str, Any]) -> int:
    minted_with = case["secret"] if isinstance(case["secret"], str) else case["secret"][0]
    decode = case["decode_secret"]
    return 1 if isinstance(decode, str) else decode.index(minted_with) + 1


OK_CASES = [c for c in CASES if c["expect"] == "ok"]


@pytest.mark.parametrize("case", OK_CASES, ids=[c["id"] for c in OK_CASES])
def test_real_next_auth_tokens_inspect_ok(run: Run, case: dict[str, Any]) -> None:
    assert case["version"] == 4 or case["salt"] == case["cookie_name"]  # v5 salt = the cookie's name
    result = run("inspect", fixture_cookie_header(case), *fixture_args(case), "--json")
    report = result.json
    assert result.code == 0, report["error"]
    assert report["claims"] == case["claims"]
    assert report["format"]["version"] == case["version"]
    assert report["cookie"] == case["cookie_name"]
    assert report["salt"] == case["salt"]
    assert report["secret_index"] == expected_secret_index(case)
    if "token" in case:  # the bare token: v5 salts are guessed from the default cookie names
        bare = run("inspect", case["token"], *fixture_args(case), "--json")
        assert bare.code == 0, bare.json["error"]
        assert bare.json["claims"] == case["claims"]


BAD_CASES = [c for c in CASES if c["expect"] != "ok"]
KINDS = {"v5-wrong-salt": "wrong_salt", "expired": "expired", "not_yet_valid": "not_yet_valid"}


@pytest.mark.parametrize("case", BAD_CASES, ids=[c["id"] for c in BAD_CASES])
def test_real_next_auth_rejections_are_explained(run: Run, case: dict[str, Any]) -> None:
    result = run("inspect", fixture_cookie_header(case), *fixture_args(case), "--json")
    kind = KINDS.get(case["id"]) or KINDS.get(case["expect"]) or "wrong_secret"
    assert result.code == 1
    assert result.json["error"]["kind"] == kind
    assert result.json["decrypted"] is (kind in ("expired", "not_yet_valid"))


# ================================================================= mint


@pytest.mark.parametrize("version", [4, 5])
@pytest.mark.parametrize("secure", [False, True])
def test_mint_round_trips(run: Run, version: int, secure: bool) -> None:
    flags = (["--v5"] if version == 5 else []) + (["--secure"] if secure else [])
    token = run("mint", "--claims", json.dumps(CLAIMS), *flags, env={"NEXTAUTH_SECRET": SECRET}).out.strip()
    name = ("__Secure-" if secure else "") + (V4 if version == 4 else V5)
    salt = "" if version == 4 else name
    claims = jwt.decode(token, SECRET, salt=salt)
    assert {k: claims[k] for k in CLAIMS} == CLAIMS
    assert claims["exp"] - claims["iat"] == jwt.DEFAULT_MAX_AGE
    assert jwt.peek_version(token) == version
    cookie = run("mint", "--claims", "{}", "--cookie", *flags, env={"NEXTAUTH_SECRET": SECRET}).out.strip()
    assert cookie.startswith(name + "=eyJ")
    result = run("inspect", cookie, "--json", env={"NEXTAUTH_SECRET": SECRET})
    assert (result.code, result.json["cookie"], result.json["salt"]) == (0, name, salt)


def test_mint_options(run: Run) -> None:
    env = {"NEXTAUTH_SECRET": SECRET}
    token = run("mint", "--claims", '{"a": 1}', "--max-age", "60", "--v5", "--salt", "s", env=env).out.strip()
    claims = jwt.decode(token, SECRET, salt="s")
    assert claims["exp"] - claims["iat"] == 60
    expired = run("mint", "--claims", "{}", "--max-age", "-60", env=env).out.strip()
    with pytest.raises(jwt.ExpiredTokenError):
        jwt.decode(expired, SECRET)
    first = run("mint", "--claims", "{}", "--secret", OLD, "--secret", OTHER, env=env).out.strip()
    assert jwt.decode(first, OLD)
    from_stdin = run("mint", "--claims", "-", stdin='{"from": "stdin"}', env=env).out.strip()
    assert jwt.decode(from_stdin, SECRET)["from"] == "stdin"
    auth = run("mint", "--claims", "{}", env={"AUTH_SECRET": OLD}).out.strip()
    assert jwt.decode(auth, OLD)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--claims", "{bad"], "--claims: not valid JSON"),
        (["--claims", "[1, 2]"], "expected a JSON object, got a JSON list"),
        (["--claims", '"text"'], "expected a JSON object"),
        (["--claims", '{"a": NaN}'], "NaN is not JSON"),
        (["--claims", '{"a": Infinity}'], "Infinity is not JSON"),
        (["--claims", '{"a": "\\ud800"}'], "cannot encode these claims"),
        (["--claims", "{}", "--max-age", "soon"], "invalid int value"),
        (["--claims", "{}", "--secret", ""], "empty secret"),
        ([], "--claims"),
    ],
)
def test_mint_usage_errors(run: Run, argv: list[str], message: str) -> None:
    result = run("mint", *argv, env={"NEXTAUTH_SECRET": SECRET})
    assert result.code == 2
    assert result.out == ""
    assert message in result.err


# ================================================================= demo


@dataclass
class FakeServe:
    calls: list[dict[str, Any]]

    def __call__(self, *, host: str, port: int, secret: str) -> None:
        self.calls.append({"host": host, "port": port, "secret": secret})


@pytest.fixture
def any_port(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every port is free (the tests that serve nothing need not find one)."""
    from asgi_withauth.cli import demo

    monkeypatch.setattr(demo, "port_problem", lambda host, port: None)


@pytest.fixture
def fake_serve(monkeypatch: pytest.MonkeyPatch, any_port: None) -> FakeServe:
    import asgi_withauth.demo

    fake = FakeServe([])
    monkeypatch.setattr(asgi_withauth.demo, "serve", fake)
    return fake


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port something listens on (127.0.0.1)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


def test_demo_on_a_busy_port_fails_before_the_banner_with_a_hint(busy_port: int) -> None:
    result = run_command("demo", "--port", str(busy_port))
    assert result.code == 3  # documented in demo --help
    assert result.out == ""  # no banner for a server that never starts
    assert result.err == (
        f"asgi-withauth demo: error: port {busy_port} is in use on 127.0.0.1 (another server, or a demo still "
        f"running?)\nhint: pass another port: asgi-withauth demo --port {busy_port + 1}\n"
    )


def test_demo_exit_codes_are_documented() -> None:
    assert "3 the server could not start: the port is in use (try another --port)" in run_command("demo", "--help").out
    assert "3 demo: the server could not start" in run_command("--help").out


def test_demo_reports_an_address_it_cannot_listen_on(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    import asgi_withauth.demo

    monkeypatch.setattr(asgi_withauth.demo, "serve", FakeServe([]))
    result = run("demo", "--host", "192.0.2.1", "--allow-remote", "--port", "8000")  # TEST-NET-1: not ours
    assert result.code == 3
    assert result.out == ""
    assert result.err.startswith("asgi-withauth demo: error: cannot listen on 192.0.2.1:8000: ")
    assert "choose another --port" in result.err


def test_the_port_check_binds_as_the_server_will(busy_port: int) -> None:
    from asgi_withauth.cli.demo import port_problem

    problem = port_problem("127.0.0.1", busy_port)
    assert problem is not None
    assert problem.errno == errno.EADDRINUSE
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    assert port_problem("127.0.0.1", port) is None
    assert port_problem("no-such-host.invalid", port) is not None


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost", "LocalHost"])
def test_demo_serves_on_loopback_with_a_generated_secret(run: Run, fake_serve: FakeServe, host: str) -> None:
    result = run("demo", "--host", host, "--port", "8123")
    assert result.code == 0
    (call,) = fake_serve.calls
    assert (call["host"], call["port"]) == (host.strip("[]"), 8123)
    assert len(call["secret"]) >= 40
    assert call["secret"] in result.out  # generated for the run: printed so the user can inspect cookies
    assert "/dashboard" in result.out
    assert "/api/me" in result.out
    assert "ws://" in result.out


def test_demo_uses_nextauth_secret_without_printing_it(run: Run, fake_serve: FakeServe) -> None:
    result = run("demo", env={"NEXTAUTH_SECRET": SECRET})
    assert result.code == 0
    assert fake_serve.calls == [{"host": "127.0.0.1", "port": 8000, "secret": SECRET}]
    assert "from NEXTAUTH_SECRET (not shown)" in result.out
    assert "http://127.0.0.1:8000/" in result.out


@pytest.mark.parametrize(
    "host",
    ["0.0.0.0", "::", "192.168.1.20", "10.0.0.1", "example.com", "localhost.example.com"],  # noqa: S104
)
def test_demo_refuses_other_hosts(run: Run, fake_serve: FakeServe, host: str) -> None:
    result = run("demo", "--host", host)
    assert result.code == 2
    assert "only listens on loopback" in result.err
    assert fake_serve.calls == []
    allowed = run("demo", "--host", host, "--allow-remote")
    assert allowed.code == 0
    assert fake_serve.calls[0]["host"] == host


@pytest.mark.parametrize("port", ["0", "65536", "http", "-1"])
def test_demo_port_must_be_a_port(run: Run, fake_serve: FakeServe, port: str) -> None:
    assert run("demo", "--port", port).code == 2
    assert fake_serve.calls == []


def test_demo_missing_module(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "asgi_withauth.demo", None)
    result = run("demo")
    assert result.code == 2
    assert "the demo is not available" in result.err


def test_demo_without_uvicorn(run: Run, monkeypatch: pytest.MonkeyPatch, any_port: None) -> None:
    import asgi_withauth.demo

    def no_uvicorn(**_: Any) -> None:
        raise asgi_withauth.demo.DemoDependencyError("the demo server needs uvicorn, which is not installed")

    monkeypatch.setattr(asgi_withauth.demo, "serve", no_uvicorn)
    result = run("demo")
    assert result.code == 2
    assert "needs uvicorn" in result.err


# ================================================================= main and helpers


def test_no_command_is_a_usage_error(run: Run) -> None:
    result = run()
    assert result.code == 2
    assert "choose a command" in result.err
    assert run("frobnicate").code == 2
    assert run("--help").code == 0


def test_keyboard_interrupt_is_exit_130(run: Run, monkeypatch: pytest.MonkeyPatch, any_port: None) -> None:
    import asgi_withauth.demo

    def interrupted(**_: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(asgi_withauth.demo, "serve", interrupted)
    assert run("demo").code == 130


@pytest.mark.parametrize(
    ("claim", "delta", "phrase"),
    [
        ("exp", 30 * 86400 - 5, "expires in 29 days"),
        ("exp", -3 * 3600 - 1, "expired 3 hours ago"),
        ("exp", 90, "expires in 1 minute"),
        ("exp", 0.2, "expires now"),
        ("iat", -5 * 60 - 3, "issued 5 minutes ago"),
        ("iat", -1, "issued 1 second ago"),
        ("iat", 120, "issued 2 minutes in the future (clock skew?)"),
        ("nbf", 3 * 86400, "becomes valid in 3 days"),
        ("nbf", -47 * 3600, "valid since 47 hours ago"),
        ("exp", 10 * 365 * 86400 + 3 * 86400, "expires in 10 years"),
        ("exp", 700 * 86400, "expires in 700 days"),
    ],
)
def test_relative_times(claim: str, delta: float, phrase: str) -> None:
    assert output.relative(claim, delta) == phrase


def test_utc_times() -> None:
    assert output.utc_text(0) == "1970-01-01T00:00:00Z"
    assert output.utc_text(1e300) is None
    assert output.human_utc("1970-01-01T00:00:00Z") == "1970-01-01 00:00:00 UTC"


def test_secret_refs_never_show_their_value() -> None:
    (ref,) = cli.resolve_secrets(None, {"AUTH_SECRET": SECRET})
    assert str(ref) == "secret #1 of 1 (AUTH_SECRET)"
    assert SECRET not in repr(ref)
    assert cli.resolve_secrets(None, {"NEXTAUTH_SECRET": "", "AUTH_SECRET": ""}) == []
