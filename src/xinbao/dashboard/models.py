"""Stored dashboard aggregates: one unit's figures for one month (``UnitMonth``), rewritten by
``dashboard.aggregates`` from the recorded facts, never edited by hand, so that a dashboard of a
province-scale year reads a few rows per unit instead of every item (see ``aggregates``)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from xinbao.orgs.models import Unit


class UnitMonth(models.Model):
    """The figures of one unit's items in one month of one department, as JSON (the keys are
    listed in ``dashboard.aggregates``). Only months with something in them have a row."""

    department = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(_("月份"))  # the first day of the month
    data = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("单位月度统计")
        verbose_name_plural = _("单位月度统计")
        constraints = [
            models.UniqueConstraint(
                fields=["department", "unit", "month"], name="unitmonth_dept_unit_month_uniq"
            )
        ]
        indexes = [models.Index(fields=["department", "month"], name="unitmonth_dept_month_idx")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.month:%Y-%m}"


class AggregateBuild(models.Model):
    """A department whose ``UnitMonth`` rows have been built from all its facts; from then on
    they are kept up to date unit by unit after each fact change commits. Its row is also the
    lock that serializes rewrites of the department's rows."""

    department = models.OneToOneField(
        Unit, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    built_at = models.DateTimeField(_("生成时间"))

    class Meta:
        verbose_name = _("统计汇总生成记录")
        verbose_name_plural = _("统计汇总生成记录")

    def __str__(self) -> str:
        return f"{self.department_id} {self.built_at:%Y-%m-%d %H:%M}"
