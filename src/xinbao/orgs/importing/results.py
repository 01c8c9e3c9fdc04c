"""What an import reports: the plan of every row (created, updated or unchanged, with the
changed fields), or ``UnitImportError`` with a message for every bad row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

MAX_MESSAGES_SHOWN = 50

CREATE, UPDATE, UNCHANGED = "create", "update", "unchanged"


class UnitImportError(Exception):
    """The file cannot be imported; ``messages`` names every bad row. Nothing was written."""

    def __init__(self, messages: list[str]) -> None:
        self.messages = messages
        super().__init__("\n".join(self.shown))

    @property
    def shown(self) -> list[str]:
        """At most ``MAX_MESSAGES_SHOWN`` messages, plus a line counting the rest."""
        shown = self.messages[:MAX_MESSAGES_SHOWN]
        if rest := len(self.messages) - len(shown):
            shown.append(_("……另有 %(count)d 处错误未列出。") % {"count": rest})
        return shown


@dataclass(frozen=True)
class FieldChange:
    label: str
    old: str
    new: str


@dataclass
class UnitPlan:
    row: int
    code: str
    name: str
    action: str
    changes: list[FieldChange] = field(default_factory=list)


@dataclass
class OfficerPlan:
    row: int
    username: str
    full_name: str
    unit_code: str
    action: str
    changes: list[FieldChange] = field(default_factory=list)


@dataclass
class ImportResult:
    """What the import did (or, for a dry run, would do), in file order."""

    units: list[UnitPlan]
    officers: list[OfficerPlan]
    dry_run: bool
    rederived: int = 0  # units outside the file whose path or department followed a change

    def units_with(self, action: str) -> list[UnitPlan]:
        return [plan for plan in self.units if plan.action == action]

    def officers_with(self, action: str) -> list[OfficerPlan]:
        return [plan for plan in self.officers if plan.action == action]

    def summary(self) -> str:
        text = _("新建 %(created)d 个单位,更新 %(updated)d 个,未变 %(unchanged)d 个") % {
            "created": len(self.units_with(CREATE)),
            "updated": len(self.units_with(UPDATE)),
            "unchanged": len(self.units_with(UNCHANGED)),
        }
        if self.officers:
            text += _(
                ";新建 %(created)d 个信息员账号,更新 %(updated)d 个,未变 %(unchanged)d 个"
            ) % {
                "created": len(self.officers_with(CREATE)),
                "updated": len(self.officers_with(UPDATE)),
                "unchanged": len(self.officers_with(UNCHANGED)),
            }
        if self.rederived:
            text += _(";另有 %(count)d 个下级单位的隶属关系随之更新") % {"count": self.rederived}
        text += "。"
        return (_("预览(未写入):") + text) if self.dry_run else text
