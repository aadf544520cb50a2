"""The chat's templates: Jinja2 with the catalogue's `t` in the visitor's language."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse

from bot.messages import t

_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
)


def page(name: str, lang: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    """A chat page in `lang` (zh or en)."""

    def tr(key: str, **kw: Any) -> str:
        return t(key, lang, **kw)

    html = _ENV.get_template(name).render(t=tr, lang=lang, **values)
    return HTMLResponse(html, status_code=status_code)
