"""In-process profile of the pages the load benchmark visits: Python function calls, CPU
milliseconds and database queries per request, with production-like settings (DEBUG off, the
cached template loader, the whole middleware stack through Django's test client).

Call counts do not depend on how busy the machine is; CPU milliseconds a little (cache misses),
wall time a lot, so it is not printed. Runs against the data bench/bench_load.py built:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/xinbao_load \\
    XINBAO_REDIS_URL=redis://127.0.0.1:6379/14 XINBAO_CACHE_PREFIX=xinbao_load_profile \\
      .venv/bin/python bench/profile_pages.py [--repeat 20] [--top 25 --page "leader: ranking"]

``--top N`` prints the N functions with the most own time for ``--page`` (all pages without it);
``--sql`` prints each page's SQL statements, in the order they ran (the counted request).
"""

from __future__ import annotations

import argparse
import cProfile
import logging
import os
import pstats
import sys
import time
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinbao.settings")
os.environ["XINBAO_DEBUG"] = "0"
os.environ.setdefault("XINBAO_ALLOWED_HOSTS", "testserver")
os.environ.setdefault("XINBAO_SECRET_KEY", "profile-pages-key-" + "Z3#x" * 12)

import django

django.setup()

from django.db import connection
from django.test import Client

from xinbao.items.models import Item
from xinbao.orgs.models import Role, Unit, User


class QueryCounter(list):
    """An execute wrapper that keeps each statement's SQL (DEBUG off does not log them)."""

    def __call__(self, execute: Any, sql: str, *rest: Any) -> Any:
        self.append(sql)
        return execute(sql, *rest)


def pick_users() -> dict[str, User]:
    """One officer, editor and department leader of the first county, as bench_load.py picks."""
    county = Unit.objects.filter(level="county", kind="org_dept").order_by("code").first()
    return {
        "officer": User.objects.filter(role=Role.OFFICER, unit__department=county)
        .order_by("username")
        .first(),
        "editor": User.objects.filter(role=Role.EDITOR, unit=county).first(),
        "leader": User.objects.get(username=f"d{county.code}"),
    }


def pages(users: dict[str, User]) -> list[tuple[str, User, str]]:
    editor = users["editor"]
    waiting = (
        Item.objects.filter(department=editor.unit, state="submitted").order_by("-id").first()
        or Item.objects.filter(department=editor.unit).order_by("-id").first()
    )
    return [
        ("officer: my items", users["officer"], "/items/"),
        ("editor: inbox", editor, "/inbox/"),
        ("editor: review page", editor, f"/items/{waiting.pk}/"),
        ("leader: ranking", users["leader"], "/scoring/ranking/"),
        ("leader: dashboard", users["leader"], "/dashboard/"),
    ]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--top", type=int, default=0)
    parser.add_argument("--page", default="")
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--filter", action="append", default=[])
    parser.add_argument("--sql", action="store_true", help="print each page's SQL statements")
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # the request log of every request
    users = pick_users()
    clients: dict[int, Client] = {}
    print(f"{'page':<22}{'status':>7}{'calls':>9}{'CPU ms':>8}{'queries':>9}{'KiB':>6}")
    for name, user, url in pages(users):
        client = clients.get(user.pk)
        if client is None:
            client = clients[user.pk] = Client()
            client.force_login(user)
        client.get(url)  # warm: template cache, cached aggregates, connection
        queries = QueryCounter()
        with connection.execute_wrapper(queries):
            answer = client.get(url)
        started = time.process_time()
        for _ in range(args.repeat):
            client.get(url)
        cpu_ms = (time.process_time() - started) * 1000 / args.repeat
        profile = cProfile.Profile()
        profile.enable()
        client.get(url)
        profile.disable()
        stats = pstats.Stats(profile)
        print(
            f"{name:<22}{answer.status_code:>7}{stats.total_calls:>9}{cpu_ms:>8.1f}"  # type: ignore[attr-defined]
            f"{len(queries):>9}{len(answer.content) / 1024:>6.0f}"
        )
        if args.sql and args.page in ("", name):
            for number, sql in enumerate(queries, 1):
                print(f"  {number:>3}. {sql}")
        if args.top and args.page in ("", name):
            stats.sort_stats(args.sort).print_stats(*args.filter, args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
