"""Who may see and do what with the officer team (roster, training, exemplary items, portfolios):
the one place these rules live. See docs/roster.md for the table.

三员分立 (SECURITY.md R13): the system administrator manages accounts and units but holds no
business role. So:
- appointing an officer, changing their rank (主/一般/后备) or post, recording training and choosing
  exemplary items are business decisions: the editors of the officer's department;
- moving an officer's account to another unit and recording that they left (which deactivates the
  account, never deletes it) are account management: the department's editors (who know) or the
  system administrator (who runs accounts); both write the same history and audit record;
- the security and audit administrators and the department leaders change nothing here;
  department leaders read everything of their department.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from xinbao.items.errors import NotAllowed
from xinbao.orgs.models import DEPARTMENT_ROLES, Role
from xinbao.security.personal import mask, may_see_personal_data

if TYPE_CHECKING:
    from xinbao.orgs.models import Unit, User


def is_department_reader(user: User, department_id: int | None) -> bool:
    """An editor or department leader of ``department_id``."""
    return (
        department_id is not None
        and user.has_role(*DEPARTMENT_ROLES)
        and user.unit_id == department_id
    )


def is_editor_of(user: User, department_id: int | None) -> bool:
    return (
        department_id is not None and user.has_role(Role.EDITOR) and user.unit_id == department_id
    )


def sees_full_contact(viewer: User, unit: Unit) -> bool:
    """Phone numbers in full: the department's editors and leaders, the unit's own leader, and
    the account administrators of role_matrix.toml ``[personal_data]``. Everyone else who may
    read the roster sees them masked (``security.personal.mask``, the one masking rule)."""
    if is_department_reader(viewer, unit.department_id) or may_see_personal_data(viewer):
        return True
    return viewer.has_role(Role.UNIT_LEADER) and viewer.unit_id == unit.pk


def masked_phone(phone: str) -> str:
    """``13812341234`` → ``138****1234`` (``security.personal.mask``)."""
    return mask(phone.strip()) if phone.strip() else ""


def phone_for(viewer: User, officer: User) -> str:
    """The officer's phone as ``viewer`` may see it."""
    phone = officer.contact_phone
    if officer.unit is not None and sees_full_contact(viewer, officer.unit):
        return phone
    return masked_phone(phone)


def check_roster_editor(actor: User, unit: Unit) -> None:
    """Appoint, change rank or post: an editor of the unit's department."""
    if not is_editor_of(actor, unit.department_id):
        raise NotAllowed(_("只有本部门的编辑可以任命信息员或调整其类别。"))


def check_account_manager(actor: User, unit: Unit) -> None:
    """Move or record leaving: an editor of the unit's department. (三员分立: the system
    administrator keeps accounts through the admin site and holds no roster duty.)"""
    if not is_editor_of(actor, unit.department_id):
        raise NotAllowed(_("只有本部门的编辑可以办理信息员调动和离任。"))


def can_see_portfolio(viewer: User, officer: User) -> bool:
    """The officer themself, the leader of their unit, and their department's editors and
    leaders. Nobody else (other officers, other units' leaders, administrators)."""
    if not viewer.is_active or officer.role != Role.OFFICER or officer.unit is None:
        return False
    if viewer.pk == officer.pk:
        return True
    if viewer.has_role(Role.UNIT_LEADER) and viewer.unit_id == officer.unit_id:
        return True
    return is_department_reader(viewer, officer.unit.department_id)
