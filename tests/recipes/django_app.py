"""Django (ASGI) behind WithAuth: views read ``request.scope``; cookies go through ``response.cookies``.

``ROOT_URLCONF`` points at this module; the settings are the project's (the tests configure them).
"""

from __future__ import annotations

from django.core.asgi import get_asgi_application
from django.core.handlers.asgi import ASGIRequest
from django.http import JsonResponse
from django.urls import path

from asgi_withauth import Rule, WithAuth, load_server_session
from tests.recipes import SECRET


async def home(request: ASGIRequest) -> JsonResponse:
    return JsonResponse({"page": "public"})


async def me(request: ASGIRequest) -> JsonResponse:
    return JsonResponse({"sub": request.scope["nextauth"]["token"]["sub"]})


async def session(request: ASGIRequest) -> JsonResponse:
    result = await load_server_session(request, secret=SECRET)
    response = JsonResponse(result.session, safe=False)
    for cookie in result.set_cookie:
        response.cookies.load(cookie)  # Django keeps one value per header: cookies go here
    return response


urlpatterns = [path("", home), path("dashboard", me), path("api/me", me), path("session", session)]


def asgi_application() -> WithAuth:
    """What ``asgi.py`` holds: ``application = WithAuth(get_asgi_application(), ...)``."""
    return WithAuth(
        get_asgi_application(),
        secret=SECRET,
        matcher=["/dashboard/:path*"],
        rules=[Rule("/api/:path*", deny="status")],
    )
