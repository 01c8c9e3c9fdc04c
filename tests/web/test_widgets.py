"""FastSelect writes exactly what Django's template-rendered Select writes."""

from __future__ import annotations

import pytest
from django import forms

from xinbao.web.widgets import FastSelect

CHOICES = [("", "全部"), ("a<b", 'A & "B"'), ("2", "二"), ("组", [("x", "X"), ("y", "<Y>")])]


@pytest.mark.parametrize("value", ["", "a<b", "x", None, ["2", "y"]])
@pytest.mark.parametrize(
    "attrs", [None, {"id": "id_u", "required": True, "disabled": False, "data-x": '1"2'}]
)
def test_fast_select_renders_as_select(value: object, attrs: dict | None) -> None:
    expected = forms.Select(choices=CHOICES).render("u", value, attrs)
    assert FastSelect(choices=CHOICES).render("u", value, attrs) == expected
