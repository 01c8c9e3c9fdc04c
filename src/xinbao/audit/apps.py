from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "xinbao.audit"
    verbose_name = _("审计日志")

    def ready(self) -> None:
        from xinbao.audit import checks, signals  # noqa: F401 - registers the check, receivers
