"""Session limits (R05) and the user's list of their own sessions (R07)."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.contrib.sessions.models import Session
from django.http import HttpRequest
from django.utils import timezone

from xinbao.audit.context import client_ip
from xinbao.security.models import UserSession

LOGIN_AT = "xinbao_login_at"
LAST_SEEN = "xinbao_last_seen"
# The last-seen stamp is rewritten at most this often, so that reading pages does not write the
# session row on every request; the idle limit is therefore exact to within this step.
TOUCH_EVERY = 60


def now() -> datetime.datetime:
    """The clock the limits use (tests move it)."""
    return timezone.now()


def start_session(request: HttpRequest, user: Any) -> None:
    stamp = now().timestamp()
    request.session[LOGIN_AT] = stamp
    request.session[LAST_SEEN] = stamp
    if request.session.session_key is None:
        request.session.save()
    key = request.session.session_key
    if key:
        UserSession.objects.update_or_create(
            session_key=key,
            defaults={
                "user": user,
                "ip": client_ip.get() or request.META.get("REMOTE_ADDR") or None,
                "user_agent": request.headers.get("User-Agent", "")[:300],
            },
        )


def session_expired(request: HttpRequest) -> bool:
    """Idle longer than XINBAO_IDLE_TIMEOUT_MINUTES, or signed in longer than the absolute
    SESSION_COOKIE_AGE. Sessions without stamps (signed in before this existed, or through
    ``force_login`` in tests) get them now."""
    session = request.session
    current = now().timestamp()
    login_at = session.get(LOGIN_AT)
    last_seen = session.get(LAST_SEEN)
    if login_at is None or last_seen is None:
        session[LOGIN_AT] = login_at or current
        session[LAST_SEEN] = current
        return False
    if current - float(login_at) > settings.SESSION_COOKIE_AGE:
        return True
    if current - float(last_seen) > settings.XINBAO_IDLE_TIMEOUT_MINUTES * 60:
        return True
    if current - float(last_seen) >= TOUCH_EVERY:
        session[LAST_SEEN] = current
        if session.session_key:
            UserSession.objects.filter(session_key=session.session_key).update(last_seen=now())
    return False


def active_sessions(user: Any) -> list[UserSession]:
    """The user's sessions that still exist and have not expired."""
    live = set(
        Session.objects.filter(
            session_key__in=UserSession.objects.filter(user=user).values("session_key"),
            expire_date__gt=timezone.now(),
        ).values_list("session_key", flat=True)
    )
    UserSession.objects.filter(user=user).exclude(session_key__in=live).delete()
    return list(UserSession.objects.filter(user=user, session_key__in=live))


def end_other_sessions(user: Any, keep: str | None) -> int:
    """Delete every session of ``user`` but ``keep``; returns how many were ended."""
    rows = UserSession.objects.filter(user=user).exclude(session_key=keep or "")
    keys = list(rows.values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    rows.delete()
    return len(keys)
