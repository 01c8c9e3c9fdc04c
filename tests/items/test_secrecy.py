"""The 保密 self-check: what it finds (and what it leaves alone), the confirmation an officer gives
before submitting an item with findings, its audit record, re-checking after edits, and the
public web column, which never carries an item with findings."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import County
from tests.factories import docx_bytes, make_item, put_in_state
from xinbao.audit.models import AuditRecord
from xinbao.items import services
from xinbao.items.attachments import attachment_add
from xinbao.items.errors import InvalidInput, NotAllowed
from xinbao.items.models import Item, SecrecyReview, SecrecyTermList, State
from xinbao.items.secrecy import DEFAULT_TERMS, ID_CHECK, ID_WEIGHTS, Finding, scan
from xinbao.items.services import ItemData, SecrecyUnconfirmed, item_update, transition
from xinbao.publishing.models import IssueEntry, Publication
from xinbao.publishing.queries import carriable_items
from xinbao.publishing.services import issue_add_item, issue_create, issue_publish

SAFE_BODY = "今年以来,甲镇坚持把党员教育作为基层组织建设的基础工程。\n一是创新方式。"


def id_number(first17: str) -> str:
    """``first17`` with its GB 11643 check digit."""
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return first17 + ID_CHECK[total % 11]


VALID_ID = id_number("33010219840512301")
VALID_ID_X = id_number("11010519491231002")  # this one's check digit is X


def found(text: str, terms: tuple[str, ...] = DEFAULT_TERMS) -> list[tuple[str, str]]:
    return [(f.kind, f.text) for f in scan([text], source="正文", terms=terms)]


# --- What is found -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, mark",
    [
        ("★秘密★ 关于换届工作的通知", "★秘密★"),
        ("秘密★1年", "秘密★1年"),
        ("机密★长期", "机密★长期"),
        ("★机密★10年", "★机密★10年"),
        ("本件密级:绝密。", "密级:绝密"),
        ("密级：机密", "密级：机密"),
        ("【绝密】干部调整方案", "【绝密】"),
        ("（秘密）", "（秘密）"),
        ("秘密", "秘密"),  # a paragraph that is only the mark, as a document header
        ("附上机密文件两份", "机密文件"),
        ("機密★5年", "機密★5年"),  # traditional script
    ],
)
def test_classification_marks_are_found(text: str, mark: str) -> None:
    assert found(text) == [("mark", mark)]


@pytest.mark.parametrize(
    "text",
    [
        "基层党建是推动发展的秘密武器。",
        "全体干部要严守国家秘密和工作纪律。",  # 国家秘密 in prose is a duty, not a mark
        "村委会选举实行秘密写票。",
        "企业反映商业机密保护问题。",
        "保密工作常抓不懈。",
    ],
)
def test_ordinary_words_are_not_classification_marks(text: str) -> None:
    assert found(text, terms=()) == []


@pytest.mark.parametrize("number", [VALID_ID, VALID_ID_X, VALID_ID_X.lower()])
def test_eighteen_digit_id_numbers_with_a_valid_check_digit_are_found(number: str) -> None:
    assert found(f"该同志身份证号{number},现任村支书。") == [("id_card", number)]


def test_fifteen_digit_id_numbers_are_found() -> None:
    assert found("旧身份证号 330102840512301 已换发") == [("id_card", "330102840512301")]


def test_a_random_eighteen_digit_number_with_a_bad_check_digit_is_not_an_id() -> None:
    wrong = VALID_ID[:17] + ("0" if VALID_ID[17] != "0" else "1")
    assert found(f"流水号{wrong}") == []
    assert found("订单 123456789012345678 已处理") == []  # no valid birth date either
    assert found(f"编号{VALID_ID}9") == []  # part of a longer number


@pytest.mark.parametrize(
    "written",
    [
        "13812345678",
        "138-1234-5678",
        "138 1234 5678",
        "+86 139 1234 5678",
        "8615912345678",
        "\uff11\uff13\uff18\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18",  # full-width
    ],
)
def test_mobile_numbers_are_found_with_separators(written: str) -> None:
    assert found(f"联系人张某,电话{written}。") == [("mobile", written)]


def test_numbers_that_only_look_like_mobiles_are_not() -> None:
    assert found("项目编号 2013812345678901") == []
    assert found("座机 0571-8765 4321") == []
    assert found("增长 12345678901 元") == []  # starts 12: no mobile network


def test_default_internal_terms_are_found_with_their_position() -> None:
    findings = scan(
        ["第一段没有问题。", "本材料为内部资料,请勿外传。"], source="正文", terms=DEFAULT_TERMS
    )
    assert findings == [
        Finding(
            kind="term",
            source="正文",
            paragraph=2,
            offset=4,
            text="内部资料",
            before="本材料为",
            after=",请勿外传。",
        )
    ]


def test_one_paragraph_with_every_kind_lists_them_in_reading_order() -> None:
    text = f"★秘密★ 张某身份证{VALID_ID},手机13812345678,材料内部掌握。"
    assert [kind for kind, _t in found(text)] == ["mark", "id_card", "mobile", "term"]


# --- The item's findings follow its text ---------------------------------------------------------


def test_findings_count_is_kept_on_create_edit_and_attachment(
    county: County, media_root: Path
) -> None:
    item = make_item(officer=county.officer_a, body=f"联系电话13812345678。\n{SAFE_BODY}")
    assert item.secrecy_findings == 1

    item = item_update(
        item=item,
        actor=county.officer_a,
        data=ItemData(title=item.title, body=SAFE_BODY, category=item.category),
        version=item.version,
    )
    item.refresh_from_db()
    assert item.secrecy_findings == 0

    attachment_add(
        item=item,
        actor=county.officer_a,
        upload=SimpleUploadedFile("材料.docx", docx_bytes("说明", "★机密★ 人选名单")),
    )
    item.refresh_from_db()
    assert item.secrecy_findings == 1
    from xinbao.items.queries import item_findings

    (finding,) = item_findings(item)
    assert (finding.kind, finding.source, finding.text) == ("mark", "附件:材料.docx", "★机密★")


def test_department_terms_replace_the_default_list(county: County) -> None:
    services.secrecy_terms_update(
        department=county.dept, actor=county.editor, terms="乡村振兴试点名单\n内部资料"
    )
    item = make_item(officer=county.officer_a, body="拟报送乡村振兴试点名单。\n内部掌握。")
    assert item.secrecy_findings == 1  # 内部掌握 is a default term, no longer on the list
    record = AuditRecord.objects.filter(action="items.secrecy_terms_update").get()
    assert record.actor_id == county.editor.pk


def test_terms_may_be_set_only_by_the_departments_editor(county: County) -> None:
    people = (county.other_editor, county.officer_a, county.dept_leader, county.sysadmin)
    for person in people:  # 三员分立: not the system administrator either
        with pytest.raises(NotAllowed):
            services.secrecy_terms_update(department=county.dept, actor=person, terms="甲")
    assert not SecrecyTermList.objects.exists()
    services.secrecy_terms_update(department=county.dept, actor=county.editor, terms="甲")
    assert SecrecyTermList.objects.get(department=county.dept).terms == "甲"


# --- Submission needs the 保密审查 ---------------------------------------------------------------


def flagged_item(county: County) -> Item:
    return make_item(officer=county.officer_a, body=f"联系人电话13812345678。\n{SAFE_BODY}")


def test_submission_with_findings_is_refused_without_confirmation(county: County) -> None:
    item = flagged_item(county)
    with pytest.raises(SecrecyUnconfirmed, match="保密自查发现 1 处"):
        transition(item=item, actor=county.officer_a, action="submit")
    item.refresh_from_db()
    assert item.state == State.DRAFT
    assert not SecrecyReview.objects.exists()


def test_confirmation_with_someone_elses_name_is_refused(county: County) -> None:
    item = flagged_item(county)
    with pytest.raises(InvalidInput, match="本人的姓名"):
        transition(item=item, actor=county.officer_a, action="submit", secrecy_name="张三")
    item.refresh_from_db()
    assert item.state == State.DRAFT
    assert not AuditRecord.objects.filter(action="item.secrecy_confirm").exists()


def test_confirmed_submission_goes_through_and_is_audited(county: County) -> None:
    item = flagged_item(county)
    name = county.officer_a.display_name
    item = transition(item=item, actor=county.officer_a, action="submit", secrecy_name=name)
    assert item.state == State.SUBMITTED
    review = SecrecyReview.objects.get(item=item)
    assert (review.reviewer_id, review.typed_name) == (county.officer_a.pk, name)
    assert review.keys == ["mobile:13812345678"]
    confirm = AuditRecord.objects.get(action="item.secrecy_confirm")
    submit = AuditRecord.objects.get(action="item.submit")
    assert confirm.object_id == submit.object_id == str(item.pk)
    assert confirm.changes["findings"] == 1 and confirm.changes["name"] == name
    assert confirm.pk < submit.pk


def test_confirmation_and_audit_roll_back_with_a_failed_submission(
    county: County, monkeypatch: pytest.MonkeyPatch
) -> None:
    item = flagged_item(county)

    def fail(*args: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "_perform", fail)
    with pytest.raises(RuntimeError):
        transition(
            item=item,
            actor=county.officer_a,
            action="submit",
            secrecy_name=county.officer_a.display_name,
        )
    assert not SecrecyReview.objects.exists()
    assert not AuditRecord.objects.filter(action="item.secrecy_confirm").exists()


def test_item_without_findings_needs_no_confirmation(county: County) -> None:
    item = make_item(officer=county.officer_a, body=SAFE_BODY)
    assert transition(item=item, actor=county.officer_a, action="submit").state == State.SUBMITTED
    assert not AuditRecord.objects.filter(action="item.secrecy_confirm").exists()


def returned_after_confirmation(county: County) -> Item:
    item = flagged_item(county)
    transition(
        item=item,
        actor=county.officer_a,
        action="submit",
        secrecy_name=county.officer_a.display_name,
    )
    transition(item=item, actor=county.editor, action="return", comment="请补充")
    item.refresh_from_db()
    return item


def test_confirmation_holds_after_an_edit_that_adds_no_new_finding(county: County) -> None:
    item = returned_after_confirmation(county)
    item = item_update(
        item=item,
        actor=county.officer_a,
        data=ItemData(
            title=item.title,
            body=f"{SAFE_BODY}\n补充:联系人电话 138-1234-5678。",
            category=item.category,
        ),
        version=item.version,
    )
    item = transition(item=item, actor=county.officer_a, action="resubmit")
    assert item.state == State.RESUBMITTED
    reused = AuditRecord.objects.filter(action="item.secrecy_confirm").latest("id")
    assert reused.changes["earlier_confirmation"] is True


def test_new_finding_after_an_edit_invalidates_the_confirmation(county: County) -> None:
    item = returned_after_confirmation(county)
    item = item_update(
        item=item,
        actor=county.officer_a,
        data=ItemData(
            title=item.title,
            body=f"{item.body}\n当事人身份证号{VALID_ID}。",
            category=item.category,
        ),
        version=item.version,
    )
    with pytest.raises(SecrecyUnconfirmed, match="保密自查发现 2 处"):
        transition(item=item, actor=county.officer_a, action="resubmit")
    item = transition(
        item=item,
        actor=county.officer_a,
        action="resubmit",
        secrecy_name=county.officer_a.display_name,
    )
    assert item.state == State.RESUBMITTED
    assert SecrecyReview.objects.filter(item=item).count() == 2


# --- The public web column -----------------------------------------------------------------------


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


def test_item_with_findings_is_refused_when_added_to_a_web_column(
    county: County, column: Publication
) -> None:
    item = adopted(county, f"联系人电话13812345678。\n{SAFE_BODY}")
    issue = issue_create(publication=column, actor=county.editor)
    assert item not in carriable_items(issue)
    with pytest.raises(InvalidInput, match="保密自查提示"):
        issue_add_item(issue=issue, item=item, actor=county.editor)
    assert not issue.entries.exists()


def test_issue_is_refused_at_publish_when_an_item_gained_findings(
    county: County, column: Publication
) -> None:
    item = adopted(county, SAFE_BODY)
    issue = issue_create(publication=column, actor=county.editor)
    issue_add_item(issue=issue, item=item, actor=county.editor)
    Item.objects.filter(pk=item.pk).update(secrecy_findings=1)  # e.g. the term list grew
    with pytest.raises(InvalidInput, match="保密自查提示"):
        issue_publish(issue=issue, actor=county.editor)


def test_public_column_filters_out_items_with_findings(county: County, column: Publication) -> None:
    shown = adopted(county, SAFE_BODY)
    later_flagged = adopted(county, SAFE_BODY + "\n二是强化考核。")
    issue = issue_create(publication=column, actor=county.editor)
    for item in (shown, later_flagged):
        issue_add_item(issue=issue, item=item, actor=county.editor)
    issue_publish(issue=issue, actor=county.editor)
    Item.objects.filter(pk=later_flagged.pk).update(secrecy_findings=2)

    anon = Client()
    listed = anon.get(reverse("publishing:column_list")).context["page"].object_list
    assert [e.item_id for e in listed] == [shown.pk]
    hidden = IssueEntry.objects.get(item=later_flagged)
    assert anon.get(reverse("publishing:column_entry", args=[hidden.pk])).status_code == 404


# --- Pages ---------------------------------------------------------------------------------------


def client_for(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_item_page_shows_findings_highlighted_in_context(county: County) -> None:
    item = flagged_item(county)
    page = client_for(county.officer_a).get(reverse("items:detail", args=[item.pk]))
    html = page.content.decode()
    assert "保密自查" in html
    assert "正文 第 1 段第 6 字" in html
    assert "联系人电话<mark>13812345678</mark>。" in html
    assert 'name="secrecy_name"' in html


def test_submit_through_the_page_needs_the_typed_name(county: County) -> None:
    item = flagged_item(county)
    officer = client_for(county.officer_a)
    url = reverse("items:move", args=[item.pk])
    refused = officer.post(url, {"action": "submit", "comment": ""})
    assert refused.status_code == 400
    assert "请逐条核对" in refused.content.decode()
    item.refresh_from_db()
    assert item.state == State.DRAFT

    name = county.officer_a.display_name
    done = officer.post(url, {"action": "submit", "secrecy_name": name})
    assert done.status_code == 302
    item.refresh_from_db()
    assert item.state == State.SUBMITTED


def test_save_and_submit_keeps_the_typed_text_and_shows_its_findings(county: County) -> None:
    item = make_item(officer=county.officer_a, body=SAFE_BODY)
    response = client_for(county.officer_a).post(
        reverse("items:edit", args=[item.pk]),
        {
            "title": item.title,
            "body": f"{SAFE_BODY}\n★秘密★",
            "category": item.category_id,
            "urgency": 0,
            "authors": [county.officer_a.pk],
            "version": item.version,
            "then": "submit",
        },
    )
    html = response.content.decode()
    assert "<mark>★秘密★</mark>" in html  # the findings of what was typed, not of the saved text
    assert "★秘密★</textarea>" in html
    item.refresh_from_db()
    assert (item.state, item.body) == (State.DRAFT, SAFE_BODY)


def test_item_page_queries_do_not_grow_with_findings_or_attachments(
    county: County, media_root: Path
) -> None:
    officer = client_for(county.officer_a)

    def queries_for(findings: int, attachments: int) -> int:
        body = "\n".join(f"第{n}段联系电话1381234567{n}。" for n in range(findings))
        item = make_item(officer=county.officer_a, body=body)
        for n in range(attachments):
            attachment_add(
                item=item,
                actor=county.officer_a,
                upload=SimpleUploadedFile(f"材料{n}.docx", docx_bytes("说明", "内部资料")),
            )
        url = reverse("items:detail", args=[item.pk])
        officer.get(url)  # warm the session
        with CaptureQueriesContext(connection) as captured:
            assert officer.get(url).status_code == 200
        return len(captured)

    assert queries_for(1, 1) == queries_for(6, 4)


def test_terms_page_is_the_editors_own_departments(county: County) -> None:
    url = reverse("items:secrecy_terms")
    editor = client_for(county.editor)
    assert "内部资料" in editor.get(url).content.decode()  # the default list
    response = editor.post(url, {"terms": "换届人选\n换届人选\n考察名单"})
    assert response.status_code == 302
    assert SecrecyTermList.objects.get(department=county.dept).terms == "换届人选\n考察名单"
    # another department's list is not reachable by its id: the page is always one's own
    other = editor.post(f"{url}?department={county.other_dept.pk}", {"terms": "外部"})
    assert other.status_code == 302
    assert SecrecyTermList.objects.get(department=county.dept).terms == "外部"
    assert not SecrecyTermList.objects.filter(department=county.other_dept).exists()
    # 三员分立: the system administrator holds no business page (role_matrix.toml)
    for person in (county.officer_a, county.dept_leader, county.sysadmin):
        assert client_for(person).get(url).status_code == 404


def test_terms_page_keeps_what_was_typed_when_too_long(county: County) -> None:
    url = reverse("items:secrecy_terms")
    typed = "甲" * 5001
    response = client_for(county.editor).post(url, {"terms": typed})
    assert response.status_code == 200
    assert typed in response.content.decode()
    assert not SecrecyTermList.objects.exists()


def test_editor_edit_that_adds_a_finding_updates_the_count(county: County) -> None:
    item = put_in_state(make_item(officer=county.officer_a, body=SAFE_BODY), State.IN_REVIEW)
    item = item_update(
        item=item,
        actor=county.editor,
        data=ItemData(title=item.title, body=f"{SAFE_BODY}\n内部掌握", category=item.category),
        version=item.version,
    )
    item.refresh_from_db()
    assert item.secrecy_findings == 1


def test_web_column_refuses_to_publish_an_entry_whose_edited_text_has_findings(
    county: County, column: Publication
) -> None:
    from xinbao.publishing.services import entry_update

    item = adopted(county, SAFE_BODY)
    issue = issue_create(publication=column, actor=county.editor)
    entry = issue_add_item(issue=issue, item=item, actor=county.editor)
    entry_update(
        entry=entry,
        actor=county.editor,
        headline=entry.headline,
        text=f"{entry.text}\n联系人电话13812345678",
        editor_note="",
        source_line=entry.source_line,
    )
    with pytest.raises(InvalidInput, match="刊发文字含保密自查提示"):
        issue_publish(issue=issue, actor=county.editor)
