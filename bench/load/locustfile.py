"""Load mix for bench/bench_load.py: officers, editors and department leaders at work.

Accounts come from bench/bench_load.py's preparation step (``LOAD_PASSWORD`` for all of them;
the usernames it prints into ``LOAD_ACCOUNTS``, a JSON file). Each simulated user signs in
through the login page once (officers also take an API token once), then loops over its tasks
with its session. Writes go through the same paths people use: the API for creating an item (as
the OA integration would) and the pages for moves.

Sign-ins are a phase of their own: a password check is PBKDF2-SM3 at 320,000 iterations
(≈ 0.5 s of CPU, a security requirement), so a hundred of them keep two cores busy for most of a
minute. Their timings go to ``LOAD_LOGINS`` (JSON: name → count, failures, p50/p95/p99); the page
statistics are reset once every user has signed in, and the run stops ``LOAD_MEASURE_SECONDS``
later, so the page rows measure users at work, not the morning's sign-in queue.

Think time between a user's requests: ``LOAD_THINK`` ("MIN,MAX" seconds, uniform), default
"0.5,2" — far busier than a person reading a page (tens of seconds): at 100 users it offers about
70 requests a second, a stress test of capacity. bench/bench_load.py's ``--think`` sets it.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import sys
from pathlib import Path
from typing import Any

import gevent
from locust import HttpUser, between, events, task
from locust.env import Environment

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the bench's text generator
import near_duplicates as nd

ACCOUNTS: dict[str, list[str]] = json.loads(Path(os.environ["LOAD_ACCOUNTS"]).read_text())
PASSWORD = os.environ["LOAD_PASSWORD"]
ITEM_LINK = re.compile(r'href="/items/(\d+)/(?:edit/)?"')  # inbox rows: the edit page
SIGN_IN = {"login page", "login", "api: token"}
sign_in_times: dict[str, list[float]] = {name: [] for name in SIGN_IN}
sign_in_failures: dict[str, int] = dict.fromkeys(SIGN_IN, 0)
signed_in = 0
THINK = tuple(float(x) for x in os.environ.get("LOAD_THINK", "0.5,2").split(","))
TAKEN = {role: itertools.count() for role in ACCOUNTS}


@events.request.add_listener
def keep_sign_ins(name: str, response_time: float, exception: Any, **_: Any) -> None:
    if name in sign_in_times:
        sign_in_times[name].append(response_time)
        sign_in_failures[name] += exception is not None


def percentile(times: list[float], share: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


@events.spawning_complete.add_listener
def measure_after_sign_in(user_count: int, **_: Any) -> None:
    """Once every user has signed in: reset the statistics, run LOAD_MEASURE_SECONDS, stop."""
    environment: Environment = measure_after_sign_in.environment  # type: ignore[attr-defined]

    def measure() -> None:
        while signed_in < user_count:
            gevent.sleep(0.5)
        environment.stats.reset_all()
        if mark := os.environ.get("LOAD_MARK"):
            Path(mark).write_text("measuring")
        gevent.sleep(float(os.environ.get("LOAD_MEASURE_SECONDS", "60")))
        if environment.runner is not None:
            environment.runner.quit()

    gevent.spawn(measure)


@events.init.add_listener
def remember_environment(environment: Environment, **_: Any) -> None:
    measure_after_sign_in.environment = environment  # type: ignore[attr-defined]


@events.quitting.add_listener
def write_sign_ins(**_: Any) -> None:
    if target := os.environ.get("LOAD_LOGINS"):
        rows = {
            name: {
                "requests": len(times),
                "failures": sign_in_failures[name],
                "p50": percentile(times, 0.50),
                "p95": percentile(times, 0.95),
                "p99": percentile(times, 0.99),
            }
            for name, times in sign_in_times.items()
        }
        Path(target).write_text(json.dumps(rows))


class Person(HttpUser):
    abstract = True
    role = ""
    wait_time = between(THINK[0], THINK[1])

    def on_start(self) -> None:
        global signed_in
        # each simulated user its own account while there are enough (a person signs in once)
        taken = next(TAKEN[self.role])
        names = ACCOUNTS[self.role]
        self.username = names[taken % len(names)]
        self.sign_in()
        signed_in += 1

    def sign_in(self) -> None:
        self.client.get("/login/", name="login page")
        token = self.client.cookies.get("csrftoken", "")
        with self.client.post(
            "/login/",
            {"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Referer": self.host + "/login/"},
            name="login",
            catch_response=True,
        ) as answer:
            if answer.ok and answer.url and "/login/" in answer.url:
                answer.failure("still on the login page")

    def page(self, url: str, name: str) -> Any:
        """GET a page; landing on the login page (a lost session) counts as an error."""
        with self.client.get(url, name=name, catch_response=True) as answer:
            if answer.ok and answer.url and "/login/" in answer.url:
                answer.failure("redirected to the login page")
            return answer

    def csrf(self) -> dict[str, str]:
        return {"X-CSRFToken": self.client.cookies.get("csrftoken", ""), "Referer": self.host}

    def move(self, item_id: str, action: str, then: str, comment: str = "") -> Any:
        """POST a workflow move, then GET the page it redirects to as a request of its own,
        named ``then``: each row of the statistics times one request (a move followed into its
        redirect would time the write and the next page's render as one). A 409 is the right
        answer when another editor of the county decided the item first (two editors pick
        from the same inbox): not an error, and no page follows."""
        with self.client.post(
            f"/items/{item_id}/move/",
            {"action": action, "comment": comment},
            headers=self.csrf(),
            name=f"move: {action}",
            allow_redirects=False,
            catch_response=True,
        ) as answer:
            location = answer.headers.get("Location", "")
            if answer.status_code == 409:
                answer.success()
                return None
            if answer.status_code != 302 or "/login/" in location:
                answer.failure(f"no redirect after the move ({answer.status_code} {location})")
                return None
        return self.page(location, then)


class Officer(Person):
    role = "officers"
    weight = 6

    def sign_in(self) -> None:
        super().sign_in()
        answer = self.client.post(
            "/api/v1/auth/token",
            json={"username": self.username, "password": PASSWORD},
            name="api: token",
        )
        self.token = answer.json().get("token", "") if answer.ok else ""

    @task(5)
    def my_items(self) -> None:
        self.page("/items/", "officer: my items")

    @task(1)
    def write_and_submit(self) -> None:
        """A new item of realistic text, each distinct (as officers write them); one in twenty
        an edited copy of the officer's previous one (a resubmitted or recycled report)."""
        previous: nd.Source | None = getattr(self, "previous", None)
        if previous is not None and random.random() < 0.05:
            text = nd.variant(random.Random(), previous, "mixed")
        else:
            text = nd.source(random.Random(), random.choice(nd.themes()))
        self.previous = text
        answer = self.client.post(
            "/api/v1/items",
            json={
                "title": text.title[:100],
                "body": text.body,
                "category": "经验做法",
            },
            headers={"Authorization": f"Bearer {self.token}"},
            name="api: create item",
        )
        if answer.status_code == 201:
            self.move(str(answer.json()["id"]), "submit", then="officer: my items")


class Editor(Person):
    role = "editors"
    weight = 3

    @task(5)
    def inbox(self) -> None:
        page = self.page("/inbox/", "editor: inbox")
        self.waiting: list[str] = ITEM_LINK.findall(page.text)

    @task(3)
    def review_and_decide(self) -> None:
        waiting: list[str] = getattr(self, "waiting", [])
        if not waiting:
            return self.inbox()
        item_id = waiting.pop(random.randrange(len(waiting)))
        self.page(f"/items/{item_id}/", "editor: review page")
        if random.random() < 0.5:
            inbox = self.move(item_id, "adopt", then="editor: inbox")
            if inbox is not None:
                self.waiting = ITEM_LINK.findall(inbox.text)
        return None


class Leader(Person):
    role = "leaders"
    weight = 1

    @task(3)
    def ranking(self) -> None:
        self.page("/scoring/ranking/", "leader: ranking")

    @task(2)
    def dashboard(self) -> Any:
        self.page("/dashboard/", "leader: dashboard")
