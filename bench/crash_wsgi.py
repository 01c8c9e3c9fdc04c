"""The WSGI app for the crash harness's gunicorn, warmed before the fork: the URL patterns (and
so every view and the API) are imported in the master, so a worker that replaces a killed one
answers at once instead of importing them on its first request."""

from __future__ import annotations

from django.urls import get_resolver

from xinbao.wsgi import application

get_resolver().url_patterns  # noqa: B018 - imported for its side effect: the URLconf loads

__all__ = ["application"]
