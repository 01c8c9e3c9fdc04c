from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TransferConfig(AppConfig):
    name = "xinbao.transfer"
    verbose_name = _("数据导入导出")
