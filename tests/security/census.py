"""The URL census (R10, R11, R25): every URL pattern of the root URLconf, as a concrete path.

Path parameters are filled by a callback (``fill(param_name) -> str``), so that tests can point
them at objects that exist; regex parameters of the admin (``app_label``) get a valid choice.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern

ROUTE_PARAM = re.compile(r"<(?:(?P<conv>[^>:]+):)?(?P<name>\w+)>")
REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?P<body>[^)]*)\)")


@dataclass(frozen=True)
class Route:
    template: str  # the pattern, joined from the root
    name: str  # the view name as reverse() takes it ("app:name"), "" when unnamed

    def path(self, fill: Callable[[str], str]) -> str:
        def route_value(match: re.Match[str]) -> str:
            return fill(match["name"])

        def regex_value(match: re.Match[str]) -> str:
            body = match["body"]
            if "|" in body or body.isalnum():  # a choice such as (orgs|items)
                return body.split("|")[0]
            return fill(match["name"])

        text = REGEX_GROUP.sub(regex_value, self.template)
        text = ROUTE_PARAM.sub(route_value, text)
        text = text.replace("^", "").replace("$", "").replace("\\", "")
        return "/" + text


def _pattern_text(pattern: object) -> str:
    if isinstance(pattern, RoutePattern | RegexPattern):
        return str(pattern)
    return str(pattern)


def _walk(patterns: list[object], prefix: str, namespace: str) -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace
            inner = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            yield from _walk(entry.url_patterns, prefix + _pattern_text(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            name = entry.name or ""
            full = f"{namespace}:{name}" if namespace and name else name
            yield Route(template=prefix + _pattern_text(entry.pattern), name=full)


def all_routes() -> list[Route]:
    return list(_walk(get_resolver().url_patterns, "", ""))
