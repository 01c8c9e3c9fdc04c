from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    name = "xinbao.dashboard"
    verbose_name = _("统计分析")

    def ready(self) -> None:
        from xinbao.dashboard.signals import connect

        connect()
