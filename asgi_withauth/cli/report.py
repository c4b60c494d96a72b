"""What ``inspect`` found out (:class:`Report`), and its two renderings: text for people,
one JSON object for scripts."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from ..errors import CLIError
from .locate import Located
from .output import error_text, human_utc, relative, utc_text
from .sources import SecretRef

__all__ = ["Report", "render_inspect", "report_json", "time_facts"]

_TIME_CLAIMS: Final = ("iat", "nbf", "exp")
_DECRYPT_KINDS: Final = frozenset({"wrong_secret", "wrong_salt", "tampered"})
_HEADLINES: Final = {"expired": "EXPIRED", "not_yet_valid": "NOT YET VALID"}


@dataclass(slots=True)
class Report:
    """Everything ``inspect`` found out; rendered as text or as one JSON object."""

    located: Located | None = None
    format: dict[str, Any] | None = None
    secrets: list[SecretRef] = field(default_factory=list)
    secret: SecretRef | None = None
    salt: str | None = None
    salts_tried: list[str] = field(default_factory=list)
    decrypted: bool = False
    claims: dict[str, Any] | None = None
    times: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    error: CLIError | None = None

    @property
    def version(self) -> int | None:
        """4 or 5 as the header announces, else None."""
        return None if self.format is None else self.format["version"]

    @property
    def exit_code(self) -> int:
        """0 when the token is valid, else the error's code."""
        return 0 if self.error is None else self.error.exit_code


def time_facts(claims: Mapping[str, Any], now: float) -> dict[str, dict[str, Any]]:
    """iat, nbf and exp: the timestamp, the UTC time and the relative phrase."""
    facts: dict[str, dict[str, Any]] = {}
    for name in _TIME_CLAIMS:
        value = claims.get(name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            continue
        facts[name] = {"timestamp": value, "utc": utc_text(value), "relative": relative(name, value - now)}
    return facts


def render_inspect(report: Report, *, as_json: bool) -> tuple[str, str]:
    """stdout and stderr of ``inspect``: the report, and usage errors (exit 2) apart in text mode."""
    if as_json:
        return json.dumps(report_json(report), indent=2, ensure_ascii=False), ""
    lines = report_lines(report)
    if report.error is not None and report.exit_code == 2:
        return "\n".join(lines), error_text("inspect", report.error)
    return "\n".join(lines + verdict_lines(report)), ""


def report_json(report: Report) -> dict[str, Any]:
    """The ``inspect --json`` object."""
    located = report.located
    return {
        "ok": report.error is None,
        "input": located.origin if located else None,
        "cookie": located.cookie if located else None,
        "chunks": located.chunks if located else 0,
        "format": report.format,
        "decrypted": report.decrypted,
        "secret_index": report.secret.index if report.secret else None,
        "secret_count": len(report.secrets),
        "secret_source": report.secret.source if report.secret else None,
        "salt": report.salt,
        "claims": report.claims,
        "times": report.times,
        "notes": report.notes,
        "error": report.error.as_json() if report.error else None,
    }


def report_lines(report: Report) -> list[str]:
    """The human-readable report (without usage errors, which go to stderr)."""
    lines: list[str] = []
    if report.located:
        lines.append(f"source:    {source_line(report.located)}")
    if report.format:
        lines.append(f"format:    {format_line(report.format)}")
    if report.decrypted and report.secret is not None:
        lines.append(f"decrypts:  yes, with {report.secret}, salt {report.salt!r}")
    elif report.secrets and report.error and report.error.kind in _DECRYPT_KINDS:
        lines.append("decrypts:  no")
    lines.extend(f"note:      {note}" for note in report.notes)
    lines.extend(time_lines(report.times))
    if report.claims is not None:
        lines.append("claims:")
        lines.extend("  " + line for line in json.dumps(report.claims, indent=2, ensure_ascii=False).splitlines())
    return lines


def format_line(fmt: Mapping[str, Any]) -> str:
    """``Auth.js v5 (alg dir, enc A256CBC-HS512, kid ...)``."""
    names = {4: "next-auth v4", 5: "Auth.js v5"}
    name = names.get(fmt["version"], "not a next-auth format")
    details = ", ".join(f"{key} {fmt[key]}" for key in ("alg", "enc", "kid") if fmt[key] is not None)
    return f"{name} ({details})" if details else name


def source_line(located: Located) -> str:
    """Where the token came from."""
    if located.origin == "cookie":
        chunks = f" ({located.chunks} chunks joined)" if located.chunks else ""
        return f"cookie {located.cookie}{chunks}"
    return "an Authorization: Bearer header" if located.origin == "bearer" else "a bare token"


def time_lines(times: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """One line per time claim: UTC time and relative phrase."""
    lines = []
    for name in _TIME_CLAIMS:
        if name in times:
            fact = times[name]
            lines.append(f"{name}:       {human_utc(fact['utc'])} ({fact['relative']})")
    return lines


def verdict_lines(report: Report) -> list[str]:
    """``result: VALID``, or the rejection (``EXPIRED``, ``REJECTED (kind)``) and what to check next."""
    if report.error is None:
        return ["result:    VALID"]
    error = report.error
    headline = _HEADLINES.get(error.kind, f"REJECTED ({error.kind})")
    return [f"result:    {headline}: {error.message}", f"next:      {error.hint}"]
