"""TOTP second factor (RFC 6238, HMAC-based) through django-otp's devices (R08).

Which device verified a session is kept in the session with the user's ``otp_epoch`` at that
moment, so that a request learns whether its session is verified without reading the device
table: the session is trusted only while its epoch is the user's (whose row the request loads
anyway). Adding, removing or re-keying a confirmed device and changing the password raise the
epoch (``otp_epoch_bump``, ``User.save``), which ends the second factor of every other session;
the session that made the change records the new epoch (``otp_session_login`` /
``otp_session_keep``). The same record with no device says "this user had no confirmed device
at this epoch", so users without one cost no device query either.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import F
from django.http import HttpRequest
from django_otp.plugins.otp_totp.models import TOTPDevice

from xinbao.orgs.models import Role

# Roles that must use a second factor when XINBAO_OTP_REQUIRED is on: editors, department
# leaders and the three administrators (三员).
OTP_REQUIRED_ROLES = frozenset(
    {Role.EDITOR, Role.DEPT_LEADER, Role.SYSADMIN, Role.SECADMIN, Role.AUDITADMIN}
)

# {"user": pk, "epoch": User.otp_epoch when written, "device": persistent id, or None when the
# user had no confirmed device}
SESSION_KEY = "xinbao_otp"


def otp_required_for(user: Any) -> bool:
    return bool(user.is_superuser or getattr(user, "role", "") in OTP_REQUIRED_ROLES)


def otp_session_state(request: HttpRequest, user: Any) -> dict[str, Any] | None:
    """The session's second-factor record when it is this user's at the user's current epoch;
    a stale or foreign record is removed and None returned."""
    state = request.session.get(SESSION_KEY)
    if state is None:
        return None
    if (
        isinstance(state, dict)
        and state.get("user") == user.pk
        and state.get("epoch") == user.otp_epoch
    ):
        return state
    del request.session[SESSION_KEY]
    return None


def _record(request: HttpRequest, user: Any, device: str | None, epoch: int) -> None:
    user.otp_epoch = epoch
    request.session[SESSION_KEY] = {"user": user.pk, "epoch": epoch, "device": device}


def otp_session_login(request: HttpRequest, device: TOTPDevice, *, enrolled: bool = False) -> None:
    """Mark the session verified by ``device`` (which must be the signed-in user's) at the
    epoch the request loaded the user with, before it read the device; after an enrolment,
    whose confirmation raised it once, at that epoch plus one. The value is never read back
    afresh: a reset that lands between the code check and this record (the lost device
    deleted by an administrator) leaves the record stale, and the session asks again."""
    user: Any = request.user
    if device.user_id != user.pk:
        raise ValueError("the device belongs to another user")
    _record(request, user, device.persistent_id, user.otp_epoch + (1 if enrolled else 0))
    user.otp_device_id = device.persistent_id


def otp_session_keep(request: HttpRequest) -> None:
    """After the signed-in user's own change raised the epoch (a new password: ``User.save``
    leaves the instance at its loaded epoch plus one), keep this session's second factor:
    re-record it at that epoch if it was verified."""
    user: Any = request.user
    device = getattr(user, "otp_device_id", None)
    if device is not None:
        _record(request, user, device, user.otp_epoch)


def user_has_device(user: Any, request: HttpRequest | None = None) -> bool:
    """Whether ``user`` has a confirmed TOTP device. With the request, a "none" answer is kept
    in the session at the user's epoch and read from there until a device is confirmed."""
    if request is not None:
        state = otp_session_state(request, user)
        if state is not None and state.get("device") is None:
            return False
    found = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    if request is not None and not found:
        _record(request, user, None, user.otp_epoch)
    return found


def matching_device(user: Any, token: str) -> TOTPDevice | None:
    """The user's confirmed device that accepts ``token`` (each code once: django-otp keeps the
    last accepted step and throttles failures), or None."""
    token = token.strip()
    if not token:
        return None
    for device in TOTPDevice.objects.filter(user=user, confirmed=True):
        if device.verify_token(token):
            return device
    return None


def otp_session_start(request: HttpRequest, user: Any) -> None:
    """At sign-in: a user without a confirmed device is recorded as such in the new session
    (which is being written anyway), so that no later request of it queries the device table.
    A verification the session already holds (same user signing in again) is left alone."""
    state = otp_session_state(request, user)
    if state is None or state.get("device") is None:
        user_has_device(user, request)


def otp_epoch_bump(user_id: int) -> None:
    """Raise the user's epoch: every session's second-factor record of them stops counting."""
    get_user_model().objects.filter(pk=user_id).update(otp_epoch=F("otp_epoch") + 1)
