"""The console's ASGI app: routes of every page group, static files, security headers."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from bot.web import (
    routes_auth,
    routes_bulk,
    routes_disclosure,
    routes_export,
    routes_queue,
    routes_ticket,
)
from bot.web.context import WebContext
from bot.web.routes_accounts import ROUTES as ACCOUNTS
from bot.web.routes_figures import ROUTES as FIGURES
from bot.web.routes_kb import ROUTES as KNOWLEDGE
from bot.web.security import SecurityHeaders
from bot.web.views import render

STATIC = Path(__file__).parent / "static"


async def _not_found(request: Request, exc: Exception) -> Response:
    """No route: the console's own 404 page, not a framework one."""
    return render(request, "error.html", "zh", 404, session=None, key="web_not_found")


def console_routes() -> list[BaseRoute]:
    """The staff console's pages."""
    return [
        *routes_auth.ROUTES,
        *routes_queue.ROUTES,
        *routes_export.ROUTES,
        *routes_bulk.ROUTES,
        *routes_ticket.ROUTES,
        *routes_disclosure.ROUTES,
        *FIGURES,
        *KNOWLEDGE,
        *ACCOUNTS,
    ]


def create_app(ctx: WebContext, extra: Sequence[BaseRoute] = ()) -> Starlette:
    """The app; `extra` routes or mounts (e.g. a citizen chat at /chat) are added first."""
    routes: list[BaseRoute] = [
        *extra,
        *console_routes(),
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(SecurityHeaders)],
        exception_handlers={404: _not_found},
    )
    app.state.ctx = ctx
    return app
