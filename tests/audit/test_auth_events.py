from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import County
from tests.factories import PASSWORD
from xinbao.audit.models import AuditRecord


@pytest.mark.django_db
def test_login_logout_and_failures_are_audited_with_ip(county: County) -> None:
    client = Client(REMOTE_ADDR="10.1.2.3")
    start = AuditRecord.objects.count()
    client.post("/login/", {"username": county.officer_a.username, "password": "wrong-one"})
    client.post("/login/", {"username": "nobody-such", "password": "wrong-one"})
    client.post("/login/", {"username": county.officer_a.username, "password": PASSWORD})
    client.post("/logout/")
    records = list(AuditRecord.objects.order_by("id").values_list("action", "success", "ip"))[
        start:
    ]
    assert records == [
        ("auth.login_failed", False, "10.1.2.3"),
        ("auth.login_failed", False, "10.1.2.3"),
        ("auth.login", True, "10.1.2.3"),
        ("auth.logout", True, "10.1.2.3"),
    ]
    failed = AuditRecord.objects.filter(action="auth.login_failed").order_by("id")
    assert [r.changes["username"] for r in failed] == [county.officer_a.username, "nobody-such"]
    assert "wrong-one" not in str(list(AuditRecord.objects.values_list("changes", flat=True)))
