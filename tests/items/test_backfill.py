"""The upgrade's data work for items (``xinbao.items.backfill``, ``xinbao backfill``): items from
before migration items/0006 (``secrecy_findings`` NULL) are counted in batches, resumably and
once, with the result the old migration and the live check give; until then they count as
unchecked and never reach the public web column; attachments get their SM3 digest."""

from __future__ import annotations

import hashlib
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from tests.conftest import County
from tests.factories import docx_bytes, make_item
from xinbao.items import backfill
from xinbao.items.attachments import attachment_add
from xinbao.items.models import Attachment, Item, SecrecyTermList
from xinbao.items.queries import item_findings
from xinbao.items.secrecy import DEFAULT_TERMS, scan
from xinbao.items.services import transition
from xinbao.publishing.models import IssueEntry, Publication
from xinbao.publishing.queries import carriable_items
from xinbao.publishing.services import issue_add_item, issue_create, issue_publish

SAFE = "今年以来,甲镇坚持把党员教育作为基层组织建设的基础工程。\n一是创新方式。"
BODIES = [
    SAFE,
    f"联系电话13812345678。\n{SAFE}",
    f"★机密★\n本材料仅供内部参考,不得外传。\n{SAFE}",
    f"{SAFE}\n二是强化考核。",
    "密级:秘密\n手机 139 1234 5678,另一个 13700001111。",
]


def old_migration_count(item: Item) -> int:
    """What items/0006 used to store (title and body lines, the default terms)."""
    lines = [item.title, *[line for line in item.body.splitlines() if line.strip()]]
    return len(scan(lines, source="", terms=DEFAULT_TERMS))


def as_before_the_upgrade() -> None:
    Item.objects.update(secrecy_findings=None)


@pytest.fixture
def corpus(county: County) -> list[Item]:
    return [
        make_item(officer=county.officer_a, title=f"信息{n}", body=b) for n, b in enumerate(BODIES)
    ]


def test_backfill_gives_what_the_old_migration_and_the_live_check_give(corpus: list[Item]) -> None:
    live = {item.pk: item.secrecy_findings for item in Item.objects.all()}
    as_before_the_upgrade()
    assert backfill.secrecy_pending() == len(corpus)

    result = backfill.secrecy_backfill(batch_size=2)

    assert result.seen == len(corpus)
    stored = dict(Item.objects.values_list("pk", "secrecy_findings"))
    assert stored == live
    assert stored == {item.pk: old_migration_count(item) for item in Item.objects.all()}
    assert stored == {item.pk: len(item_findings(item)) for item in Item.objects.all()}
    assert sorted(stored.values()) != [0] * len(corpus)  # the corpus has findings to count


def test_backfill_resumes_after_an_interruption_and_a_second_run_does_nothing(
    corpus: list[Item],
) -> None:
    live = dict(Item.objects.values_list("pk", "secrecy_findings"))
    as_before_the_upgrade()

    class Stop(Exception):
        pass

    def stop_after_first_batch(n: int) -> None:
        raise Stop

    with pytest.raises(Stop):
        backfill.secrecy_backfill(batch_size=2, progress=stop_after_first_batch)
    assert backfill.secrecy_pending() == len(corpus) - 2  # the first batch was committed

    assert backfill.secrecy_backfill(batch_size=2).seen == len(corpus) - 2
    assert dict(Item.objects.values_list("pk", "secrecy_findings")) == live
    assert backfill.secrecy_backfill(batch_size=2).seen == 0


def test_backfill_uses_the_departments_terms_and_attachment_text(
    county: County, media_root: Path
) -> None:
    SecrecyTermList.objects.create(department=county.dept, terms="甲镇", updated_by=county.editor)
    item = make_item(officer=county.officer_a, body=SAFE)
    attachment_add(
        item=item,
        actor=county.officer_a,
        upload=SimpleUploadedFile("材料.docx", docx_bytes("说明", "★机密★ 人选名单")),
    )
    item.refresh_from_db()
    live = item.secrecy_findings
    assert live == 2  # 甲镇 in the body, the mark in the attachment
    as_before_the_upgrade()
    backfill.secrecy_backfill()
    item.refresh_from_db()
    assert item.secrecy_findings == live


def test_an_item_edited_meanwhile_keeps_its_own_count(corpus: list[Item]) -> None:
    as_before_the_upgrade()
    Item.objects.filter(pk=corpus[0].pk).update(secrecy_findings=7)  # an edit stored its count
    backfill.secrecy_backfill()
    assert Item.objects.get(pk=corpus[0].pk).secrecy_findings == 7


# --- Between the upgrade and the backfill --------------------------------------------------------


@pytest.fixture
def column(county: County) -> Publication:
    return Publication.objects.create(
        department=county.dept, name="组工信息专栏", kind=Publication.Kind.WEB_COLUMN
    )


def adopted(county: County, body: str) -> Item:
    item = make_item(officer=county.officer_a, body=body)
    transition(
        item=item,
        actor=county.officer_a,
        action="submit",
        secrecy_name=county.officer_a.display_name,
    )
    return transition(item=item, actor=county.editor, action="adopt")


def test_unchecked_items_never_show_in_the_public_column(
    county: County, column: Publication
) -> None:
    shown, unchecked = adopted(county, SAFE), adopted(county, SAFE + "\n二是强化考核。")
    issue = issue_create(publication=column, actor=county.editor)
    for item in (shown, unchecked):
        issue_add_item(issue=issue, item=item, actor=county.editor)
    issue_publish(issue=issue, actor=county.editor)
    Item.objects.filter(pk=unchecked.pk).update(secrecy_findings=None)

    anon = Client()
    listed = anon.get(reverse("publishing:column_list")).context["page"].object_list
    assert [e.item_id for e in listed] == [shown.pk]
    hidden = IssueEntry.objects.get(item=unchecked)
    assert anon.get(reverse("publishing:column_entry", args=[hidden.pk])).status_code == 404

    backfill.secrecy_backfill()
    listed = anon.get(reverse("publishing:column_list")).context["page"].object_list
    assert sorted(e.item_id for e in listed) == sorted([shown.pk, unchecked.pk])


def test_an_unchecked_item_is_checked_when_added_to_a_web_column(
    county: County, column: Publication
) -> None:
    clean, flagged = adopted(county, SAFE), adopted(county, f"联系电话13812345678。\n{SAFE}")
    Item.objects.update(secrecy_findings=None)
    issue = issue_create(publication=column, actor=county.editor)
    assert {clean, flagged} <= set(carriable_items(issue))  # offered: adding checks them

    issue_add_item(issue=issue, item=clean, actor=county.editor)
    with pytest.raises(Exception, match="保密自查提示"):
        issue_add_item(issue=issue, item=flagged, actor=county.editor)
    assert Item.objects.get(pk=clean.pk).secrecy_findings == 0


def test_publishing_checks_entries_still_unchecked(county: County, column: Publication) -> None:
    item = adopted(county, f"联系电话13812345678。\n{SAFE}")
    Item.objects.filter(pk=item.pk).update(secrecy_findings=0)  # added while it was clean
    issue = issue_create(publication=column, actor=county.editor)
    issue_add_item(issue=issue, item=item, actor=county.editor)
    Item.objects.filter(pk=item.pk).update(secrecy_findings=None)  # then the upgrade
    with pytest.raises(Exception, match="保密自查提示"):
        issue_publish(issue=issue, actor=county.editor)
    issue.refresh_from_db()
    assert issue.state == issue.State.DRAFT  # refused whole: the check rolled back with it


# --- Attachments' SM3 digests and the command ----------------------------------------------------


def test_sm3_backfill_and_the_command(county: County, media_root: Path) -> None:
    item = make_item(officer=county.officer_a, body=SAFE)
    for name in ("一.docx", "二.docx", "三.docx"):
        attachment_add(
            item=item,
            actor=county.officer_a,
            upload=SimpleUploadedFile(name, docx_bytes(name, "正文")),
        )
    digests = dict(Attachment.objects.values_list("pk", "sm3"))
    altered = Attachment.objects.order_by("pk").last()
    assert altered is not None
    Attachment.objects.update(sm3="")
    Path(altered.file.path).write_bytes(b"changed")  # an altered file keeps no SM3 digest
    Item.objects.update(secrecy_findings=None)

    out = StringIO()
    call_command("backfill", "--batch-size", "2", "--no-progress", stdout=out)

    expected = {pk: ("" if pk == altered.pk else d) for pk, d in digests.items()}
    assert dict(Attachment.objects.values_list("pk", "sm3")) == expected
    first = Attachment.objects.order_by("pk").first()
    assert first is not None
    assert first.sm3 == hashlib.new("sm3", Path(first.file.path).read_bytes()).hexdigest()
    assert not Item.objects.filter(secrecy_findings__isnull=True).exists()
    assert "保密自查" in out.getvalue()
    again = StringIO()
    call_command("backfill", "--only", "secrecy", "--no-progress", stdout=again)
    assert "处理 0 条" in again.getvalue()
