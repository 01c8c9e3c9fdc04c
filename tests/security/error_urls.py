"""The real URLconf plus a view that raises, for the R26 error-page tests only."""

import sqlite3

from django.contrib.auth.decorators import login_not_required
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.urls import path

from xinbao.urls import handler400, handler403, handler404, handler500, urlpatterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


@login_not_required
def explode(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("SELECT secret FROM orgs_user -- boom in /srv/xinbao/views.py")


@login_not_required
def database_fails(request: HttpRequest) -> HttpResponse:
    try:
        sqlite3.connect(":memory:").execute("SELECT * FROM no_such_table")
    except sqlite3.Error as error:  # a real driver error, wrapped as Django wraps it
        raise OperationalError(str(error)) from error
    return HttpResponse()


urlpatterns = [
    *urlpatterns,
    path("test-only/explode/", explode, name="test_explode"),
    path("test-only/database-fails/", database_fails, name="test_database_fails"),
]
