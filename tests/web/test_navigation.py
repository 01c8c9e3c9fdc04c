"""The top bar: each role's links, the editors' groups (队伍建设, 设置) as menus that mark the
current page, and a site icon on every kind of page (no /favicon.ico 404 in the log)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import County
from xinbao.orgs.models import User


def page_for(user: User, url: str) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return str(response.content.decode())


def top_level_labels(page: str) -> list[str]:
    nav = re.search(r"<nav>(.*?)</nav>", page, re.S)
    assert nav is not None
    # Drop the groups' menus, keep their names.
    bar = re.sub(r'<div class="nav-menu">.*?</div>', "", nav.group(1), flags=re.S)
    return re.findall(r"<(?:a|summary)[^>]*>([^<]+)</(?:a|summary)>", bar)


@pytest.mark.django_db
def test_editor_bar_keeps_team_and_settings_pages_in_menus(county: County) -> None:
    page = page_for(county.editor, reverse("items:inbox"))
    labels = top_level_labels(page)
    assert labels[:2] == ["收件箱", "刊物"]
    assert "队伍建设" in labels and "设置" in labels
    assert "培训" not in labels and "保密用语" not in labels
    assert len(labels) <= 9  # one line at 1280 px
    menu = re.search(r"<summary>队伍建设</summary><div class=\"nav-menu\">(.*?)</div>", page, re.S)
    assert menu is not None
    assert reverse("orgs:trainings") in menu.group(1)
    assert reverse("orgs:roster") in menu.group(1)


@pytest.mark.django_db
def test_group_is_marked_active_on_one_of_its_pages(county: County) -> None:
    page = page_for(county.editor, reverse("orgs:trainings"))
    assert '<details class="nav-group active"><summary>队伍建设</summary>' in page
    assert '<details class="nav-group"><summary>设置</summary>' in page
    assert f'<a href="{reverse("orgs:trainings")}" class="active" aria-current="page">' in page


@pytest.mark.django_db
def test_officer_bar_is_flat(county: County) -> None:
    page = page_for(county.officer_a, reverse("items:list"))
    assert "nav-group" not in page
    assert top_level_labels(page)[:2] == ["我的信息", "写信息"]


@pytest.mark.django_db
def test_pages_name_the_site_icon(client: Client, county: County) -> None:
    login = str(client.get(reverse("login")).content.decode())
    assert 'rel="icon"' in login and "favicon.svg" in login
    assert 'rel="icon"' in page_for(county.officer_a, reverse("items:list"))
