"""Every write to API tokens: issue (after checking the password), revoke, and mark as used.

Issuing and revoking write an audit record in the same transaction. A failed sign-in is recorded
by the audit app's ``user_login_failed`` receiver (``channel`` = ``api``), like a failed sign-in
on the login page.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xinbao.api.errors import BadCredentials
from xinbao.api.models import ApiToken
from xinbao.audit.services import audit_record
from xinbao.items.errors import IllegalMove, NotAllowed
from xinbao.security.otp import matching_device, otp_required_for, user_has_device
from xinbao.security.validators import password_expired

if TYPE_CHECKING:
    from django.http import HttpRequest

    from xinbao.orgs.models import User

TOKEN_PREFIX = "xb_"  # noqa: S105 - marks our tokens in logs and secret scanners
SHOWN_PREFIX_LENGTH = len(TOKEN_PREFIX) + 8
# ``last_used_at`` is written at most this often per token, not on every request.
TOUCH_INTERVAL = datetime.timedelta(minutes=1)


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def token_sign_in(
    *, request: HttpRequest, username: str, password: str, name: str, otp: str = ""
) -> tuple[ApiToken, str]:
    """Check the username and password as the login page does and issue a token.

    Wrong credentials, an unknown account and an inactive one are refused alike, so the answer
    does not tell whether the account exists. An account that must change its password first
    gets no token until it has done so on the web. The second factor holds here as on the
    pages (R08): an account with a TOTP device must send a current code (a wrong or missing one
    counts towards the lockout, as on the code step), and one whose role requires a device it
    has not enrolled gets no token until it has enrolled on the web.
    """
    user = authenticate(request, username=username, password=password, channel="api")
    if user is None:
        raise BadCredentials(_("用户名或密码错误。"))
    if user.must_change_password or password_expired(user):
        raise NotAllowed(_("请先登录网页修改初始密码,再申请接口令牌。"))
    epoch = user.otp_epoch  # as loaded before the devices are read (security.otp)
    if user_has_device(user):
        if matching_device(user, otp) is None:
            user_login_failed.send(
                sender=__name__,
                credentials={"username": user.get_username(), "channel": "api-otp"},
                request=request,
            )
            raise BadCredentials(_("动态口令不正确:已绑定动态口令的账号须在 otp 中填写当前口令。"))
    elif settings.XINBAO_OTP_REQUIRED and otp_required_for(user):
        raise NotAllowed(_("请先登录网页绑定动态口令,再申请接口令牌。"))
    return token_create(user=user, name=name, otp_epoch=epoch)


def token_create(
    *, user: User, name: str = "", otp_epoch: int | None = None
) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns the row and the secret, which is never stored. The
    token holds while the user's second-factor epoch stays at ``otp_epoch`` (default: the
    epoch ``user`` was loaded with)."""

    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    days = int(settings.XINBAO_API_TOKEN_DAYS)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=" ".join(name.split())[:60] or _("接口令牌"),
            prefix=secret[:SHOWN_PREFIX_LENGTH],
            digest=token_digest(secret),
            expires_at=timezone.now() + datetime.timedelta(days=days),
            otp_epoch=user.otp_epoch if otp_epoch is None else otp_epoch,
        )
        audit_record(
            actor=user,
            action="api.token_create",
            obj=token,
            changes={
                "name": token.name,
                "prefix": token.prefix,
                "expires_at": token.expires_at.isoformat(),
            },
        )
    return token, secret


def token_revoke(*, token: ApiToken, actor: User) -> ApiToken:
    """Revoke one of ``actor``'s own tokens; revoking twice is refused."""
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().get(pk=token.pk)
        if locked.user_id != actor.pk:
            raise NotAllowed(_("只能撤销自己的令牌。"))
        if locked.revoked_at is not None:
            raise IllegalMove(_("这个令牌已经撤销。"))
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            action="api.token_revoke",
            obj=locked,
            changes={"name": locked.name, "prefix": locked.prefix},
        )
    return locked


def token_touch(*, token: ApiToken, now: datetime.datetime) -> None:
    """Record use, at most once per ``TOUCH_INTERVAL`` (one conditional update, no audit)."""
    if token.last_used_at is not None and now - token.last_used_at < TOUCH_INTERVAL:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now
