"""The portable archive of one organization department: what it holds and how a row is written.

An archive is a zip file::

    manifest.json            format, version, department, counts and the SM3 digest of every member
    manifest.sig             HMAC-SM3 of manifest.json with the transfer key (``archive.signing``)
    units.jsonl              one JSON object a line, one file per kind (``KINDS``, in import order)
    users.jsonl
    …
    files/<sm3>              attachment files (and training materials, adoption scans), by digest

References between rows never carry database ids of the source installation as ids of the
target: a unit is named by its code, a user by the username, a category by its name, and every
other row by ``ref``, a number local to the archive (the source's primary key, mapped to a new
one on import). A file field holds ``{"sm3", "name"}``; the bytes are ``files/<sm3>``.

What a department's archive holds: the department, the units that report to it (``Unit
.department``) and their people; everything submitted to it (items with revisions, events,
attachments, 保密 reviews, timeliness, key-work tags, reviews, forwardings, upper-level
adoptions, instructions, merges); its publications, issues and what they carried, and the issues
of the departments above that carried its items; its topics and targets, key-work tree, rule
sets, deductions, trainings, officers' history and exemplary items. Units and people outside it
that rows refer to (the departments above, the city editor who adopted a forwarded item) come as
*context* rows: matched by code or username in the target, created when absent (people created
this way are disabled). Derived data is rebuilt on import, not carried: the points ledger and its
tallies, the full-text and near-duplicate indexes, the dashboard cache. Not carried: passwords
(no hash leaves the installation: every imported account must be given a password by the
administrator and changed at first login), second factors, API tokens, sessions, the inbox and
deliveries, reminders already sent, and the audit log (it belongs to the source installation's
chain; the export and the import are each audited where they run).
"""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from xinbao.items.models import (
    Attachment,
    Category,
    Item,
    ItemEvent,
    Revision,
    SecrecyReview,
    SecrecyTermList,
)
from xinbao.orgs.models import (
    Attendance,
    ExemplaryItem,
    OfficerEvent,
    TrainingMaterial,
    TrainingSession,
    Unit,
    User,
)
from xinbao.publishing.models import (
    ExternalAdoption,
    Forwarding,
    Instruction,
    IssueEntry,
    Publication,
    PublicationIssue,
)
from xinbao.scoring.models import ItemReview, ManualAdjustment, RuleSet
from xinbao.search.models import AttachmentText, ItemMerge
from xinbao.topics.models import KeyWorkArea, KeyWorkTag, Timeliness, Topic, TopicTarget

FORMAT = "xinbao-department-archive"
VERSION = 1
MANIFEST = "manifest.json"
FILES_DIR = "files/"


class ArchiveError(Exception):
    """The archive cannot be written or imported; ``messages`` (Chinese) say why. Nothing was
    written."""

    MAX_SHOWN = 20

    def __init__(self, messages: list[str]) -> None:
        self.messages = messages
        super().__init__("\n".join(self.shown))

    @property
    def shown(self) -> list[str]:
        shown = self.messages[: self.MAX_SHOWN]
        if rest := len(self.messages) - len(shown):
            shown.append(_("……另有 %(count)d 处错误未列出。") % {"count": rest})
        return shown


@dataclass
class Scope:
    """The department being exported and the querysets its kinds are cut from."""

    department: Unit

    @property
    def units(self) -> QuerySet[Unit]:
        return Unit.objects.filter(Q(pk=self.department.pk) | Q(department=self.department))

    @property
    def items(self) -> QuerySet[Item]:
        return Item.objects.filter(department=self.department)

    @property
    def ancestor_codes(self) -> list[str]:
        return [c for c in self.department.path.strip("/").split("/")[:-1] if c]

    @property
    def issues(self) -> QuerySet[PublicationIssue]:
        """The department's own issues, and the upper departments' issues carrying its items."""
        return PublicationIssue.objects.filter(
            Q(publication__department=self.department)
            | Q(
                publication__department__code__in=self.ancestor_codes,
                entries__item__department=self.department,
            )
        ).distinct()


@dataclass(frozen=True)
class Kind:
    """One file of the archive: a model, the rows of it that belong to the department, and how
    a row that already exists in the target is recognized (``natural``: context rows only)."""

    name: str
    model: type[models.Model]
    rows: Callable[[Scope], QuerySet[Any]]
    natural: tuple[str, ...] = ()
    exclude: frozenset[str] = field(default_factory=frozenset)
    m2m: tuple[str, ...] = ()

    @property
    def file(self) -> str:
        return f"{self.name}.jsonl"

    @property
    def has_ref(self) -> bool:
        """Rows are named by ``ref`` unless the primary key is a relation (then it is written as
        that relation) or the model is named naturally everywhere (units, users, categories)."""
        pk = self.model._meta.pk
        return not (pk is not None and pk.is_relation) and self.model not in NATURAL_MODELS


def _by_item(model: type[models.Model]) -> Callable[[Scope], QuerySet[Any]]:
    return lambda s: model._default_manager.filter(item__department=s.department)


def _by_department(model: type[models.Model]) -> Callable[[Scope], QuerySet[Any]]:
    return lambda s: model._default_manager.filter(department=s.department)


# Units, users and categories are always named by their natural key; their rows are computed by
# the exporter (the department's own plus every one a row refers to), not from ``rows``.
NATURAL_MODELS: dict[type[models.Model], str] = {Unit: "code", User: "username", Category: "name"}

# Import order: a row comes after every row it refers to.
KINDS: tuple[Kind, ...] = (
    Kind("units", Unit, lambda s: s.units, exclude=frozenset({"path", "department"})),
    Kind("categories", Category, lambda s: Category.objects.all()),
    Kind(
        "users",
        User,
        lambda s: User.objects.filter(unit__in=s.units),
        exclude=frozenset({"password", "groups", "user_permissions"}),
    ),
    Kind(
        "officer_events",
        OfficerEvent,
        lambda s: OfficerEvent.objects.filter(officer__unit__in=s.units),
    ),
    Kind("trainings", TrainingSession, _by_department(TrainingSession)),
    Kind(
        "training_materials",
        TrainingMaterial,
        lambda s: TrainingMaterial.objects.filter(session__department=s.department),
    ),
    Kind(
        "attendance",
        Attendance,
        lambda s: Attendance.objects.filter(session__department=s.department),
    ),
    Kind("key_work_areas", KeyWorkArea, _by_department(KeyWorkArea)),
    Kind("topics", Topic, _by_department(Topic)),
    Kind(
        "topic_targets",
        TopicTarget,
        lambda s: TopicTarget.objects.filter(topic__department=s.department),
    ),
    Kind("items", Item, lambda s: s.items, m2m=("authors", "co_units")),
    Kind("revisions", Revision, _by_item(Revision)),
    Kind("item_events", ItemEvent, _by_item(ItemEvent)),
    Kind("attachments", Attachment, _by_item(Attachment)),
    Kind(
        "attachment_texts",
        AttachmentText,
        lambda s: AttachmentText.objects.filter(attachment__item__department=s.department),
    ),
    Kind("secrecy_reviews", SecrecyReview, _by_item(SecrecyReview)),
    Kind("secrecy_terms", SecrecyTermList, _by_department(SecrecyTermList)),
    Kind("timeliness", Timeliness, _by_item(Timeliness)),
    Kind(
        "key_work_tags",
        KeyWorkTag,
        lambda s: KeyWorkTag.objects.filter(
            area__department=s.department, item__department=s.department
        ),
    ),
    Kind("item_reviews", ItemReview, _by_item(ItemReview)),
    Kind("manual_adjustments", ManualAdjustment, _by_department(ManualAdjustment)),
    Kind("exemplary_items", ExemplaryItem, _by_department(ExemplaryItem)),
    Kind(
        "item_merges",
        ItemMerge,
        lambda s: ItemMerge.objects.filter(
            item__department=s.department, into__department=s.department
        ),
    ),
    Kind(
        "publications",
        Publication,
        lambda s: Publication.objects.filter(
            Q(department=s.department) | Q(pk__in=s.issues.values("publication"))
        ),
        natural=("department", "name"),
    ),
    Kind(
        "issues",
        PublicationIssue,
        lambda s: s.issues,
        natural=("publication", "year", "number", "revision"),
    ),
    Kind(
        "issue_entries",
        IssueEntry,
        lambda s: IssueEntry.objects.filter(issue__in=s.issues, item__department=s.department),
    ),
    Kind("forwardings", Forwarding, _by_item(Forwarding)),
    Kind("external_adoptions", ExternalAdoption, _by_item(ExternalAdoption)),
    Kind("instructions", Instruction, _by_item(Instruction)),
    Kind("rule_sets", RuleSet, _by_department(RuleSet)),
)

KIND_OF_MODEL: dict[type[models.Model], Kind] = {k.model: k for k in KINDS}


def exported_fields(kind: Kind) -> list[models.Field[Any, Any]]:
    """The concrete fields a row carries (the automatic primary key becomes ``ref``)."""
    fields: list[models.Field[Any, Any]] = []
    for f in kind.model._meta.concrete_fields:
        if f.name in kind.exclude:
            continue
        if f.primary_key and not f.is_relation:
            continue
        fields.append(f)
    return fields


def encode_value(f: models.Field[Any, Any], value: Any) -> Any:
    """A plain field's value as JSON (dates and times ISO 8601, decimals and durations as
    strings); ``decode_value`` is its inverse."""
    if value is None or isinstance(value, (bool, int, float, str, dict, list)):
        return value
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return f.value_to_string(value)


def decode_value(f: models.Field[Any, Any], value: Any) -> Any:
    if value is None:
        return None
    if isinstance(f, models.DurationField) and isinstance(value, (int, float)):
        return datetime.timedelta(seconds=value)
    if isinstance(f, models.JSONField):
        return value
    return f.to_python(value)
