from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScoringConfig(AppConfig):
    name = "xinbao.scoring"
    verbose_name = _("考核计分")

    def ready(self) -> None:
        from xinbao.scoring import signals

        signals.connect()
