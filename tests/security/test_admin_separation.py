"""R13 三员分立: deploy checks refuse superusers and administrators with powers outside their
role's list in role_matrix.toml."""

from __future__ import annotations

from django.contrib.auth.models import Permission
from django.core.checks import run_checks

from tests.conftest import County
from tests.factories import make_user
from xinbao.orgs.models import Role, User
from xinbao.security.matrix import get_matrix


def deploy_errors() -> set[str]:
    return {m.id for m in run_checks(include_deployment_checks=True) if m.id}


def test_r13_deploy_check_fails_when_an_active_superuser_exists(county: County) -> None:
    assert "xinbao.security.E001" not in deploy_errors()
    User.objects.filter(pk=county.sysadmin.pk).update(is_superuser=True)
    assert "xinbao.security.E001" in deploy_errors()
    User.objects.filter(pk=county.sysadmin.pk).update(is_active=False)
    assert "xinbao.security.E001" not in deploy_errors()


def test_r13_audit_admin_with_a_granted_permission_fails_the_deploy_check(county: County) -> None:
    auditor = make_user(role=Role.AUDITADMIN, username="aud")
    assert "xinbao.security.E002" not in deploy_errors()
    auditor.user_permissions.add(Permission.objects.get(codename="add_user"))
    assert "xinbao.security.E002" in deploy_errors()


def test_r13_security_admin_cannot_create_accounts_and_system_admin_cannot_read_audit(
    county: County,
) -> None:
    powers = get_matrix().powers
    secadmin = make_user(role=Role.SECADMIN, username="sec", is_staff=True)
    for perm in powers["secadmin"].permissions:
        app, code = perm.split(".")
        secadmin.user_permissions.add(
            Permission.objects.get(content_type__app_label=app, codename=code)
        )
    secadmin = User.objects.get(pk=secadmin.pk)
    assert secadmin.has_perm("orgs.change_user")
    assert not secadmin.has_perm("orgs.add_user")
    assert not any(p.startswith("audit.") for p in powers["sysadmin"].permissions)
    assert "xinbao.security.E002" not in deploy_errors()


def test_r13_security_admin_ends_a_session_from_the_admin_with_an_audit_record(
    county: County,
) -> None:
    from django.contrib.sessions.models import Session
    from django.test import Client

    from tests.security.conftest import web_login
    from xinbao.audit.models import AuditRecord
    from xinbao.security.models import UserSession

    officer = Client()
    web_login(officer, county.officer_a.username)
    row = UserSession.objects.get(user=county.officer_a)
    secadmin = make_user(role=Role.SECADMIN, username="sec", is_staff=True)
    for code in ("view_usersession", "delete_usersession"):
        secadmin.user_permissions.add(Permission.objects.get(codename=code))
    admin = Client()
    admin.force_login(secadmin)
    page = admin.get("/admin/security/usersession/")
    assert page.status_code == 200 and row.session_key not in page.content.decode()
    response = admin.post(f"/admin/security/usersession/{row.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Session.objects.filter(session_key=row.session_key).exists()
    assert officer.get("/items/").status_code == 302
    assert AuditRecord.objects.filter(action="session.ended_by_admin").count() == 1
    User.objects.filter(pk=county.sysadmin.pk).update(is_staff=True)
    sysadmin = Client()
    sysadmin.force_login(county.sysadmin)
    assert sysadmin.get("/admin/security/usersession/").status_code == 403


def test_r13_a_superuser_without_an_administrator_role_reaches_nothing(county: County) -> None:
    from django.test import Client

    root = User.objects.create(
        username="root", is_superuser=True, is_staff=True, role="", must_change_password=False
    )
    client = Client()
    client.force_login(root)
    for path in ("/admin/", "/admin/orgs/user/", "/audit/", "/inbox/", "/"):
        assert client.get(path).status_code == 404, path
