"""R11 as an invariant (Hypothesis stateful): users of random roles in random units make random
requests to random views and objects; a request the matrix forbids never succeeds and never
changes an item."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, rule

from tests.factories import make_item, make_unit, make_user
from tests.security.test_role_matrix import params
from xinbao.items.models import Item
from xinbao.orgs.models import DEPARTMENT_ROLES, Role, Unit
from xinbao.security.matrix import get_matrix

MATRIX = get_matrix()
VIEWS = sorted(name for name, rule in MATRIX.views.items() if name != "logout")


def snapshot() -> list[tuple[Any, ...]]:
    return list(Item.objects.order_by("pk").values_list("pk", "state", "version", "title"))


class MatrixMachine(RuleBasedStateMachine):
    users = Bundle("users")
    items = Bundle("items")

    @initialize()
    def county(self) -> None:
        self.dept = make_unit(kind=Unit.Kind.ORG_DEPT)
        self.towns = [make_unit(parent=self.dept) for _ in range(2)]
        self.client = Client()

    @rule(target=users, role=st.sampled_from(sorted(Role.values)), town=st.integers(0, 1))
    def add_user(self, role: str, town: int) -> Any:
        if role in (Role.SYSADMIN, Role.SECADMIN, Role.AUDITADMIN):
            unit = None
        elif role in DEPARTMENT_ROLES:
            unit = self.dept
        else:
            unit = self.towns[town]
        return make_user(role=role, unit=unit)

    @rule(target=items, town=st.integers(0, 1))
    def add_item(self, town: int) -> Any:
        officer = make_user(role=Role.OFFICER, unit=self.towns[town])
        return make_item(officer=officer)

    @rule(
        user=users,
        item=items,
        view=st.sampled_from(VIEWS),
        method=st.sampled_from(["GET", "POST"]),
    )
    def request(self, user: Any, item: Any, view: str, method: str) -> None:
        kwargs = dict.fromkeys(params(view), item.pk)
        path = reverse(view, kwargs=kwargs or None)
        allowed = MATRIX.decide(view, method, user.role) is None
        before = snapshot()
        self.client.force_login(user)
        response = getattr(self.client, method.lower())(
            path, {"title": "越权修改", "action": "submit"}
        )
        if not allowed:
            assert response.status_code in (404, 405), (user.role, method, view)
            assert snapshot() == before, (user.role, method, view)


@pytest.mark.django_db
def test_r11_no_forbidden_request_ever_succeeds(media_root: Any) -> None:
    MatrixMachine.TestCase.settings = settings(
        max_examples=8,
        stateful_step_count=12,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    MatrixMachine.TestCase().runTest()
