"""Login bookkeeping: the session's login time and row in the session list; lockouts audited;
the second factor's epoch raised when a user's confirmed devices change."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models.signals import post_delete, post_init, post_save
from django.dispatch import receiver
from django.http import HttpRequest
from django_otp.plugins.otp_totp.models import TOTPDevice

from xinbao.audit.services import audit_record
from xinbao.security.models import UserSession
from xinbao.security.otp import otp_epoch_bump, otp_session_start
from xinbao.security.sessions import start_session


@receiver(user_logged_in)
def remember_session(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        start_session(request, user)
        otp_session_start(request, user)


@receiver(user_locked_out)
def record_lockout(
    sender: Any, request: HttpRequest | None, username: str | None = None, **kwargs: Any
) -> None:
    """The locked username is kept (the account may not exist); an address locked by the
    per-address cap (``security.lockout.AddressCapHandler``) has no username but its address."""
    name = str(username or "")[:150]
    user = get_user_model().objects.filter(username=name).first() if name else None
    changes: dict[str, Any] = {"username": name, "scope": "account" if name else "address"}
    if not name:
        changes["address"] = str(kwargs.get("ip_address") or "")[:64]
    audit_record(actor=None, action="auth.locked", obj=user, changes=changes, success=False)


@receiver(user_logged_out)
def forget_session(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """Logout flushes the session row (Django); its line in the session list goes too (R28)."""
    key = getattr(getattr(request, "session", None), "session_key", None)
    if key:
        UserSession.objects.filter(session_key=key).delete()


def _device_facts(device: TOTPDevice) -> tuple[Any, ...]:
    """What a session's verification by this device rests on; a field not loaded (``only``,
    ``defer``) is None rather than read, which would load an instance that reads again."""
    loaded = device.__dict__
    return (loaded.get("user_id"), loaded.get("key"), loaded.get("confirmed"))


@receiver(post_init, sender=TOTPDevice)
def remember_device(sender: Any, instance: TOTPDevice, **kwargs: Any) -> None:
    instance._xinbao_loaded = _device_facts(instance)


@receiver(post_save, sender=TOTPDevice)
def device_saved(sender: Any, instance: TOTPDevice, created: bool, **kwargs: Any) -> None:
    """A confirmed device added (enrolment, admin), re-keyed or moved raises the owners' epochs
    (R08): sessions that knew the user had no device, or were verified by the old key, ask
    again. The saves that verifying a code makes (throttling, ``last_t``) change none of it."""
    loaded = getattr(instance, "_xinbao_loaded", None)
    facts = _device_facts(instance)
    changed = created or loaded != facts
    confirmed = instance.confirmed or (loaded is not None and loaded[2])
    if changed and confirmed:
        otp_epoch_bump(instance.user_id)
        if loaded is not None and loaded[0] != instance.user_id:
            otp_epoch_bump(loaded[0])
    instance._xinbao_loaded = facts


@receiver(post_delete, sender=TOTPDevice)
def device_deleted(sender: Any, instance: TOTPDevice, **kwargs: Any) -> None:
    """A device removed (reset, account disabled) ends every session's second factor."""
    otp_epoch_bump(instance.user_id)
