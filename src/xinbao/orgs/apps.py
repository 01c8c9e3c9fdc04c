from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgsConfig(AppConfig):
    name = "xinbao.orgs"
    verbose_name = _("组织机构与用户")
