from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TopicsConfig(AppConfig):
    name = "xinbao.topics"
    verbose_name = _("约稿、工作要点与时效")

    def ready(self) -> None:
        from xinbao.topics.signals import connect

        connect()
