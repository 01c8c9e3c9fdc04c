from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublishingConfig(AppConfig):
    name = "xinbao.publishing"
    verbose_name = _("刊物与采用")
