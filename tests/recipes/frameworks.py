"""One small adapter per framework, so that tests/test_recipes.py runs the same checks on every
recipe app (test plumbing, not part of the recipes)."""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any

Hook = Callable[[], Awaitable[None]]


def configure_django() -> None:
    """Django's settings for the recipe (``ROOT_URLCONF`` is the recipe module), once per process:
    a real project has its settings module instead."""
    from django.conf import settings

    if not settings.configured:
        settings.configure(
            ROOT_URLCONF="tests.recipes.django_app",
            ALLOWED_HOSTS=["testserver"],
            SECRET_KEY="django-recipe-test-key",
            INSTALLED_APPS=[],
            MIDDLEWARE=[],
        )


@dataclass(frozen=True)
class Framework:
    """A recipe: its module, the anyio backends it runs on, and what it has beyond HTTP."""

    name: str
    module: str
    backends: tuple[str, ...]
    apps: Callable[[ModuleType], tuple[Any, Any]]
    """From the recipe module: the app as served (protected by WithAuth), and the framework's own
    app without WithAuth."""
    websockets: bool = True
    """The recipe serves a websocket on ``/ws`` that greets the signed-in user."""
    startup_hook: Callable[[Any, Hook], contextlib.AbstractContextManager[None]] | None = None
    """Registers a lifespan startup hook, for the block, on the framework's app inside the app as
    served (its argument); None: the framework has no lifespan."""

    def load(self) -> ModuleType:
        if self.name == "django":
            configure_django()
        return importlib.import_module(self.module)

    def app(self) -> Any:
        """The app as served: the framework's app protected by WithAuth."""
        return self.apps(self.load())[0]

    def framework_app(self) -> Any:
        """The framework's own app, without WithAuth."""
        return self.apps(self.load())[1]


def _django_apps(module: ModuleType) -> tuple[Any, Any]:
    app = module.asgi_application()  # what asgi.py holds: WithAuth(get_asgi_application(), ...)
    return app, app.app


@contextlib.contextmanager
def litestar_startup(served: Any, hook: Hook) -> Iterator[None]:
    """``Litestar.on_startup`` of the Litestar app inside WithAuth."""
    served.app.on_startup.append(hook)
    try:
        yield
    finally:
        served.app.on_startup.remove(hook)


@contextlib.contextmanager
def quart_startup(served: Any, hook: Hook) -> Iterator[None]:
    """``@app.before_serving`` of the Quart app inside WithAuth."""
    served.app.before_serving(hook)
    try:
        yield
    finally:
        served.app.before_serving_funcs.remove(hook)


@contextlib.contextmanager
def starlette_startup(served: Any, hook: Hook) -> Iterator[None]:
    """The router's lifespan with ``hook`` run before it starts: of the Starlette app itself
    (WithAuth is in its middleware list), or of the FastAPI app inside WithAuth."""
    router = served.router if hasattr(served, "router") else served.app.router
    original = router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(lifespan_app: Any) -> AsyncIterator[Any]:
        await hook()
        async with original(lifespan_app) as state:
            yield state

    router.lifespan_context = lifespan
    try:
        yield
    finally:
        router.lifespan_context = original


FRAMEWORKS = (
    Framework(
        "starlette",
        "tests.recipes.starlette_app",
        ("asyncio", "trio"),
        lambda module: (module.app, module.starlette_app),
        startup_hook=starlette_startup,
    ),
    Framework(
        "fastapi",
        "tests.recipes.fastapi_app",
        ("asyncio", "trio"),
        lambda module: (module.app, module.fastapi_app),
        startup_hook=starlette_startup,
    ),
    Framework(
        "litestar",
        "tests.recipes.litestar_app",
        ("asyncio", "trio"),  # built on anyio
        lambda module: (module.app, module.litestar_app),
        startup_hook=litestar_startup,
    ),
    # Quart is built on asyncio (its ASGI glue makes asyncio tasks and queues): on trio it fails
    # with "no current event loop". Trio users need the separate quart-trio package.
    Framework(
        "quart",
        "tests.recipes.quart_app",
        ("asyncio",),
        lambda module: (module.app, module.quart_app),
        startup_hook=quart_startup,
    ),
    # Django's ASGI handler is asyncio-only: asgiref's sync_to_async and the request signals need
    # a running asyncio loop ("no current event loop" on trio). Django has no websockets (that is
    # Channels) and no lifespan support.
    Framework(
        "django",
        "tests.recipes.django_app",
        ("asyncio",),
        _django_apps,
        websockets=False,
    ),
)
"""Every recipe. The Starlette and FastAPI ones are the README's first two recipes, as apps."""
