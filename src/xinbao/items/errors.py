"""Errors a user can cause. Each carries a Chinese message fit to show as it is."""

from __future__ import annotations


class ItemError(Exception):
    """A refused request: nothing was changed. ``str(error)`` is the message for the user."""

    status = 400


class NotAllowed(ItemError):
    """The actor may not do this to this item."""

    status = 403


class IllegalMove(ItemError):
    """The workflow table does not allow this move from the item's state."""

    status = 409


class StaleVersion(ItemError):
    """Someone else saved the item since this copy was loaded."""

    status = 409


class InvalidInput(ItemError):
    """The data does not pass validation."""

    status = 400
