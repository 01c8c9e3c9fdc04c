"""The role matrix (``role_matrix.toml``), loaded once: who may open which view with which
method (R10–R13). ``RoleMatrixMiddleware`` enforces it and the generated tests read it."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured

MATRIX_PATH = Path(__file__).with_name("role_matrix.toml")
MATRIX_FILE = "src/xinbao/security/role_matrix.toml"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# Namespaces whose pages are the Django admin: open to the roles whose powers say admin_site.
ADMIN_NAMESPACE = "admin"


@dataclass(frozen=True)
class ViewRule:
    name: str
    methods: dict[str, frozenset[str]]  # method -> roles
    object: str = ""

    def roles(self) -> frozenset[str]:
        return frozenset().union(*self.methods.values())


@dataclass(frozen=True)
class Powers:
    role: str
    duties: str
    admin_site: bool
    permissions: frozenset[str]


@dataclass(frozen=True)
class Matrix:
    roles: dict[str, str]
    views: dict[str, ViewRule]
    public_views: frozenset[str]
    public_paths: tuple[str, ...]
    delegated: dict[str, str]
    powers: dict[str, Powers]
    objects: dict[str, str] = field(default_factory=dict)
    personal_data_roles: frozenset[str] = frozenset()

    @property
    def admin_site_roles(self) -> frozenset[str]:
        return frozenset(role for role, p in self.powers.items() if p.admin_site)

    def is_public(self, view_name: str) -> bool:
        return view_name in self.public_views

    def namespace(self, view_name: str) -> str:
        return view_name.split(":", 1)[0] if ":" in view_name else ""

    def is_delegated(self, view_name: str) -> bool:
        return self.namespace(view_name) in self.delegated

    def decide(self, view_name: str, method: str, role: str) -> int | None:
        """``None`` to let the view run, else the status to answer: 404 for a role (or a view)
        the matrix does not list, 405 for a listed role using an unlisted method."""
        method = "GET" if method in ("HEAD", "OPTIONS") else method
        if self.namespace(view_name) == ADMIN_NAMESPACE:
            if role not in self.admin_site_roles:
                return 404
            return None if method in ("GET", "POST") else 405
        rule = self.views.get(view_name)
        if rule is None or role not in rule.roles():
            return 404
        if role not in rule.methods.get(method, frozenset()):
            return 405
        return None

    def missing_message(self, view_name: str) -> str:
        return (
            f"URL name {view_name!r} is not in the role matrix. Add a line under [views] in "
            f'{MATRIX_FILE}, e.g.  "{view_name}" = {{ GET = "business", POST = "editor" }}  '
            f"(or to [public] views if anonymous visitors may open it)."
        )


def _expand(
    value: Any, groups: dict[str, list[str]], roles: dict[str, str], where: str
) -> set[str]:
    names = [value] if isinstance(value, str) else list(value)
    out: set[str] = set()
    for name in names:
        if name in groups:
            out.update(groups[name])
        elif name in roles:
            out.add(name)
        else:
            raise ImproperlyConfigured(f"{MATRIX_FILE}: unknown role or group {name!r} in {where}")
    return out


def parse(data: dict[str, Any]) -> Matrix:
    roles: dict[str, str] = data["roles"]
    groups: dict[str, list[str]] = data.get("groups", {})
    objects: dict[str, str] = data.get("objects", {})
    views: dict[str, ViewRule] = {}
    for name, spec in data.get("views", {}).items():
        methods: dict[str, frozenset[str]] = {}
        for key, value in spec.items():
            if key == "object":
                if value not in objects:
                    raise ImproperlyConfigured(f"{MATRIX_FILE}: {name}: unknown object {value!r}")
                continue
            if key not in METHODS:
                raise ImproperlyConfigured(f"{MATRIX_FILE}: {name}: unknown method {key!r}")
            methods[key] = frozenset(_expand(value, groups, roles, name))
        views[name] = ViewRule(name=name, methods=methods, object=spec.get("object", ""))
    powers = {
        role: Powers(
            role=role,
            duties=spec.get("duties", ""),
            admin_site=bool(spec.get("admin_site", False)),
            permissions=frozenset(spec.get("permissions", [])),
        )
        for role, spec in data.get("powers", {}).items()
    }
    public = data.get("public", {})
    overlap = set(public.get("views", [])) & set(views)
    if overlap:
        raise ImproperlyConfigured(f"{MATRIX_FILE}: both public and role-gated: {sorted(overlap)}")
    return Matrix(
        roles=roles,
        views=views,
        public_views=frozenset(public.get("views", [])),
        public_paths=tuple(public.get("paths", [])),
        delegated=dict(data.get("delegated", {})),
        powers=powers,
        objects=objects,
        personal_data_roles=frozenset(
            _expand(data.get("personal_data", {}).get("unmasked", []), groups, roles, "personal")
        ),
    )


@cache
def get_matrix() -> Matrix:
    with MATRIX_PATH.open("rb") as handle:
        return parse(tomllib.load(handle))
