from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SecurityConfig(AppConfig):
    name = "xinbao.security"
    verbose_name = _("身份鉴别")

    def ready(self) -> None:
        from xinbao.security import checks, signals  # noqa: F401 - registers checks and receivers
