"""asgi_withauth.errors: one module, one base class, a distinct code for every error."""

from __future__ import annotations

import inspect

import pytest

from asgi_withauth import errors, jwt


def error_classes() -> list[type[errors.WithAuthError]]:
    return [
        value
        for name in errors.__all__
        if inspect.isclass(value := getattr(errors, name)) and issubclass(value, errors.WithAuthError)
    ]


def test_every_exported_error_is_a_withauth_error() -> None:
    assert len(error_classes()) == len(errors.__all__)


def test_codes_are_distinct_short_words() -> None:
    codes = [cls.code for cls in error_classes()]
    assert len(set(codes)) == len(codes)
    assert all(code.replace("_", "").isalpha() and code.islower() and len(code) <= 24 for code in codes)


@pytest.mark.parametrize(
    ("error", "base"),
    [
        (errors.MissingSecretError, errors.ConfigurationError),
        (errors.ConfigurationError, RuntimeError),
        (errors.JWTError, ValueError),
        (errors.TokenTooLargeError, errors.MalformedTokenError),
        (errors.ExpiredTokenError, errors.InvalidClaimsError),
        (errors.NotYetValidError, errors.InvalidClaimsError),
        (errors.PathTooLongError, errors.MalformedPathError),
        (errors.NonCanonicalPathError, errors.MalformedPathError),
        (errors.DemoDependencyError, ImportError),
    ],
)
def test_errors_keep_their_standard_bases(error: type[Exception], base: type[Exception]) -> None:
    assert issubclass(error, base)


def test_the_codec_raises_the_errors_of_this_module() -> None:
    assert jwt.JWTError is errors.JWTError
    with pytest.raises(errors.ExpiredTokenError) as caught:
        jwt.decode(jwt.encode({"sub": "1"}, "s", max_age=-60), "s")
    assert caught.value.code == "token_expired"


def test_path_errors_carry_their_status() -> None:
    assert (errors.MalformedPathError.status, errors.PathTooLongError.status) == (400, 414)
    assert errors.NonCanonicalPathError("x", location="/a").location == "/a"


def test_a_missing_secret_says_what_to_do() -> None:
    assert "NEXTAUTH_SECRET" in str(errors.MissingSecretError())
