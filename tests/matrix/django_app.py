"""The matrix app on Django (ASGI): function views (they answer every method), settings in-module.

Django serves HTTP only; websockets go to a small router that resolves the path the way
Django's own ASGI request does (``path_info``: ``scope["path"]`` with ``root_path`` removed as
a plain text prefix) against Django's URL resolver, as a Channels-style router would.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from django.conf import settings

if not settings.configured:
    settings.configure(
        ROOT_URLCONF=__name__,
        ALLOWED_HOSTS=["*"],
        SECRET_KEY="path-matrix-django-key",
        INSTALLED_APPS=[],
        MIDDLEWARE=[],
        DEBUG=False,
    )

# (the imports below come after the settings, which get_asgi_application reads)
from django.core.asgi import get_asgi_application
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpResponse
from django.urls import Resolver404, URLResolver, path
from django.urls.resolvers import RegexPattern

from tests.matrix import PROTECTED, PROTECTED_ROUTES, PROTECTED_SOCKETS, PUBLIC, PUBLIC_ROUTES, body, protect


def django_path(route: str) -> str:
    return route.lstrip("/").replace("{", "<str:").replace("}", ">")


def page(kind: str, name: str) -> Callable[..., Coroutine[Any, Any, HttpResponse]]:
    async def view(request: ASGIRequest, **params: str) -> HttpResponse:
        return HttpResponse(body(kind, name, request.scope), content_type="text/plain")

    return view


def socket(name: str) -> Callable[..., Coroutine[Any, Any, None]]:
    async def view(scope: dict[str, Any], receive: Any, send: Any, **params: str) -> None:
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "text": body(PROTECTED, name, scope)})
        await send({"type": "websocket.close", "code": 1000})

    return view


urlpatterns = [
    *(path(django_path(route), page(PUBLIC, name)) for name, route in PUBLIC_ROUTES.items()),
    *(path(django_path(route), page(PROTECTED, name)) for name, route in PROTECTED_ROUTES.items()),
]


sockets = URLResolver(
    RegexPattern(r"^/"),  # what Django's root resolver is
    [path(django_path(route), socket(name)) for name, route in PROTECTED_SOCKETS.items()],  # type: ignore[arg-type]
)


http = get_asgi_application()


async def dispatch(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "websocket":
        await http(scope, receive, send)
        return
    root = scope.get("root_path") or ""
    path_info = scope["path"].removeprefix(root) if root else scope["path"]
    try:
        match = sockets.resolve(path_info)
    except Resolver404:
        await send({"type": "websocket.close", "code": 1000})
        return
    await match.func(scope, receive, send, **match.kwargs)


app = protect(dispatch)
