"""What a department may carry, forward and record: the publishing side of scope."""

from __future__ import annotations

from xinbao.items.models import Item, State
from xinbao.orgs.models import Unit
from xinbao.publishing.models import Forwarding

# An item adopted by its department stays adopted when archived.
ADOPTED_STATES = frozenset({State.ADOPTED, State.ARCHIVED})


def adopted_by_department(department: Unit, item: Item) -> bool:
    if item.department_id == department.pk:
        return (
            item.state in ADOPTED_STATES
            and item.decided_at is not None
            and (item.events.filter(action="adopt").exists())
        )
    return Forwarding.objects.filter(
        item=item, to_department=department, state=Forwarding.State.ADOPTED
    ).exists()


def may_carry(department: Unit, item: Item) -> bool:
    """Whether ``department`` may put ``item`` into its publications or forward it up."""
    return adopted_by_department(department, item)


def may_record_recognition(department: Unit, item: Item) -> bool:
    """Upper-level adoptions and instructions are recorded by the department the item was
    submitted to, or by one it was forwarded to."""
    if item.department_id == department.pk:
        return True
    return Forwarding.objects.filter(item=item, to_department=department).exists()
