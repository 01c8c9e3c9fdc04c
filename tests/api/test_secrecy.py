"""The 保密 self-check through the API: the findings, and the confirmation on the transition."""

from __future__ import annotations

from collections.abc import Callable

from tests.api.conftest import ApiClient
from tests.conftest import County
from tests.factories import make_item
from xinbao.audit.models import AuditRecord
from xinbao.items.models import State
from xinbao.orgs.models import User

Api = Callable[[User | None], ApiClient]
BODY = "联系人电话 138-1234-5678。\n今年以来,甲镇坚持把党员教育作为基础工程。"


def test_findings_are_listed_with_their_position(county: County, api: Api) -> None:
    item = make_item(officer=county.officer_a, body=BODY)
    body = api(county.officer_a).get(f"/items/{item.pk}/secrecy").json()
    assert body["count"] == 1
    assert body["needs_confirmation"] is True
    assert body["publishable_on_web"] is False
    assert body["review"] is None
    (finding,) = body["findings"]
    assert finding["kind"] == "mobile"
    assert (finding["source"], finding["paragraph"], finding["offset"]) == ("正文", 1, 6)
    assert finding["text"] == "138-1234-5678"
    assert finding["before"] == "联系人电话 "


def test_findings_of_an_item_out_of_scope_answer_404(county: County, api: Api) -> None:
    item = make_item(officer=county.officer_a, body=BODY)
    for person in (county.officer_b, county.other_editor, county.sysadmin):
        assert api(person).get(f"/items/{item.pk}/secrecy").status_code == 404


def test_submit_needs_the_officers_name_and_then_records_the_review(
    county: County, api: Api
) -> None:
    item = make_item(officer=county.officer_a, body=BODY)
    client = api(county.officer_a)
    refused = client.post(f"/items/{item.pk}/transitions", {"action": "submit"})
    assert refused.status_code == 400
    assert "保密自查发现 1 处" in refused.json()["detail"]
    wrong = client.post(
        f"/items/{item.pk}/transitions", {"action": "submit", "secrecy_name": "别人"}
    )
    assert wrong.status_code == 400

    done = client.post(
        f"/items/{item.pk}/transitions",
        {"action": "submit", "secrecy_name": county.officer_a.display_name},
    )
    assert done.status_code == 200
    assert done.json()["state"] == State.SUBMITTED
    after = client.get(f"/items/{item.pk}/secrecy").json()
    assert after["needs_confirmation"] is False
    assert after["review_covers_findings"] is True
    assert after["review"]["typed_name"] == county.officer_a.display_name
    assert AuditRecord.objects.filter(action="item.secrecy_confirm").count() == 1
