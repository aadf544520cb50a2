"""Template rendering: Jinja2 with the catalogue's `t` bound to the viewer's language."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from bot.messages import t

TEMPLATES = Path(__file__).parent / "templates"

_ENV = Environment(
    loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True), trim_blocks=True
)

#: The desk's time zone (China has one, without daylight saving).
CHINA = dt.timezone(dt.timedelta(hours=8))


def china_time(at: dt.datetime) -> str:
    """A stored (UTC) time as a clerk in China reads it."""
    local = at.astimezone(CHINA) if at.tzinfo else at
    return local.strftime("%Y-%m-%d %H:%M")


_ENV.filters["china"] = china_time


def render(
    request: Request, name: str, lang: str, status_code: int = 200, **values: Any
) -> HTMLResponse:
    """A page in `lang` (zh or en)."""

    def tr(key: str, **kw: Any) -> str:
        return t(key, lang, **kw)

    html = _ENV.get_template(name).render(
        t=tr, lang=lang, path=request.url.path, today=dt.date.today(), **values
    )
    return HTMLResponse(html, status_code=status_code)


def not_found(request: Request, session: Any) -> HTMLResponse:
    """The 404 page (an unknown or malformed ticket number, an unknown queue)."""
    return render(request, "error.html", session.lang, 404, session=session, key="web_not_found")
