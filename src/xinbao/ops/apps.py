from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    name = "xinbao.ops"
    verbose_name = _("运维:备份、恢复与幂等请求")
