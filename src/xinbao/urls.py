from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from xinbao.api.main import api

admin.site.site_header = _("信报 系统管理")
admin.site.site_title = _("信报")
admin.site.index_title = _("系统管理")

urlpatterns = [
    path("", include("xinbao.web.urls")),
    path("", include("xinbao.security.urls")),
    path("", include("xinbao.items.urls")),
    path("", include("xinbao.audit.urls")),
    path("", include("xinbao.notify.urls")),
    path("", include("xinbao.publishing.urls")),
    path("", include("xinbao.topics.urls")),
    path("", include("xinbao.search.urls")),
    path("", include("xinbao.scoring.urls")),
    path("", include("xinbao.transfer.urls")),
    path("", include("xinbao.orgs.urls")),
    path("", include("xinbao.dashboard.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]

handler400 = "xinbao.web.errors.bad_request"
handler403 = "xinbao.web.errors.permission_denied"
handler404 = "xinbao.web.errors.page_not_found"
handler500 = "xinbao.web.errors.server_error"
