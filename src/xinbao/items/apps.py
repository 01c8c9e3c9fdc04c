from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ItemsConfig(AppConfig):
    name = "xinbao.items"
    verbose_name = _("信息稿件")
