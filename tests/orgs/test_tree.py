"""Derived tree fields: path and receiving department follow every change."""

from __future__ import annotations

import pytest

from tests.factories import make_unit
from xinbao.orgs.models import Unit
from xinbao.orgs.services import unit_save

pytestmark = pytest.mark.django_db


def test_path_and_department_follow_moves_and_kind_changes() -> None:
    city = make_unit(code="C", kind=Unit.Kind.ORG_DEPT, level=Unit.Level.CITY)
    county = make_unit(code="X", kind=Unit.Kind.ORG_DEPT, parent=city)
    town = make_unit(code="T", parent=county)
    village_group = make_unit(code="V", kind=Unit.Kind.OTHER, parent=town)
    assert (town.path, town.department) == ("/C/X/T/", county)
    assert village_group.department == county

    other = make_unit(code="Y", kind=Unit.Kind.ORG_DEPT, parent=city)
    town.parent = other
    unit_save(unit=town, actor=None)
    village_group.refresh_from_db()
    assert (village_group.path, village_group.department) == ("/C/Y/T/V/", other)

    # ``other`` stops being an organization department: its units now report to the city.
    other.kind, other.level = Unit.Kind.OTHER, ""
    unit_save(unit=other, actor=None)
    town.refresh_from_db()
    village_group.refresh_from_db()
    assert (town.department, village_group.department) == (city, city)


def test_a_unit_cannot_be_its_own_ancestor() -> None:
    from django.core.exceptions import ValidationError

    county = make_unit(code="X2", kind=Unit.Kind.ORG_DEPT)
    town = make_unit(code="T2", parent=county)
    county.parent = town
    with pytest.raises(ValidationError, match="上级单位"):
        unit_save(unit=county, actor=None)
