"""The web dashboard and JSON API: ``create_app(settings)`` gives the ASGI app."""

from __future__ import annotations

from sync.web.app import create_app

__all__ = ["create_app"]
