"""The web dashboard and JSON API: ``create_app(settings)`` gives the ASGI app.

``create_app`` is imported when first asked for, so ``from sync.web import i18n`` (or any
one module of the web) does not load every router with it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sync.web.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from sync.web.app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
