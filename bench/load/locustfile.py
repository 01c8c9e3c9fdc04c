"""Load mix for bench/bench_load.py: officers, editors and department leaders at work.

Accounts come from bench/bench_load.py's preparation step (``LOAD_PASSWORD`` for all of them;
the usernames it prints into ``LOAD_ACCOUNTS``, a JSON file). Each simulated user signs in
through the login page once, then loops over its tasks. Writes go through the same paths people
use: the API for creating an item (as the OA integration would) and the pages for moves.
"""

from __future__ import annotations

import json
import os
import random
import re
from pathlib import Path
from typing import Any

from locust import HttpUser, between, task

ACCOUNTS: dict[str, list[str]] = json.loads(Path(os.environ["LOAD_ACCOUNTS"]).read_text())
PASSWORD = os.environ["LOAD_PASSWORD"]
ITEM_LINK = re.compile(r'href="/items/(\d+)/"')


class Person(HttpUser):
    abstract = True
    role = ""
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        self.username = random.choice(ACCOUNTS[self.role])
        self.client.get("/login/", name="login page")
        token = self.client.cookies.get("csrftoken", "")
        self.client.post(
            "/login/",
            {"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Referer": self.host + "/login/"},
            name="login",
        )

    def csrf(self) -> dict[str, str]:
        return {"X-CSRFToken": self.client.cookies.get("csrftoken", ""), "Referer": self.host}

    def move(self, item_id: str, action: str, comment: str = "") -> None:
        self.client.post(
            f"/items/{item_id}/move/",
            {"action": action, "comment": comment},
            headers=self.csrf(),
            name=f"move: {action}",
        )


class Officer(Person):
    role = "officers"
    weight = 6

    def on_start(self) -> None:
        super().on_start()
        answer = self.client.post(
            "/api/v1/auth/token",
            json={"username": self.username, "password": PASSWORD},
            name="api: token",
        )
        self.token = answer.json().get("token", "") if answer.ok else ""

    @task(5)
    def my_items(self) -> None:
        self.client.get("/items/", name="officer: my items")

    @task(1)
    def write_and_submit(self) -> None:
        answer = self.client.post(
            "/api/v1/items",
            json={
                "title": f"某镇探索党员积分管理新办法{random.randrange(10**6)}",
                "body": "今年以来,该镇把党员积分管理作为加强党员教育管理的重要抓手。\n"
                "一是明确积分标准。二是强化结果运用。",
                "category": "经验做法",
            },
            headers={"Authorization": f"Bearer {self.token}"},
            name="api: create item",
        )
        if answer.status_code == 201:
            self.move(str(answer.json()["id"]), "submit")


class Editor(Person):
    role = "editors"
    weight = 3

    @task(5)
    def inbox(self) -> None:
        page = self.client.get("/inbox/", name="editor: inbox")
        self.waiting: list[str] = ITEM_LINK.findall(page.text)

    @task(3)
    def review_and_decide(self) -> None:
        waiting: list[str] = getattr(self, "waiting", [])
        if not waiting:
            return self.inbox()
        item_id = waiting.pop(random.randrange(len(waiting)))
        self.client.get(f"/items/{item_id}/", name="editor: review page")
        if random.random() < 0.5:
            self.move(item_id, "adopt")
        return None


class Leader(Person):
    role = "leaders"
    weight = 1

    @task(3)
    def ranking(self) -> None:
        self.client.get("/scoring/ranking/", name="leader: ranking")

    @task(2)
    def dashboard(self) -> Any:
        self.client.get("/dashboard/", name="leader: dashboard")
