"""The real URLconf plus a view that raises, for the R26 error-page tests only."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.urls import path

from xinbao.urls import handler400, handler403, handler404, handler500, urlpatterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


@login_not_required
def explode(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("SELECT secret FROM orgs_user -- boom in /srv/xinbao/views.py")


urlpatterns = [*urlpatterns, path("test-only/explode/", explode, name="test_explode")]
