"""PostgreSQL: a phrase is first asked of the GIN index as its rarest tokens alone (the relaxed
form, ``search.index.RELAXED_TOKENS``, by the planner's statistics ``lexeme_shares``), then each
candidate is checked exactly: the answer is the phrase's, newest first, whichever tokens the
relaxed form asked for."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.conftest import County
from tests.factories import make_item, put_in_state
from xinbao.items.models import State
from xinbao.search import index
from xinbao.search.queries import search_items
from xinbao.search.query import Phrase, parse_query

pytestmark = pytest.mark.django_db
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the relaxed form is PostgreSQL's"
)

PHRASE = Phrase(tokens=("基层", "层组", "组织", "织建", "建设"))


def test_the_rarest_tokens_are_kept_in_their_order() -> None:
    shares = {"基层": 0.57, "层组": 0.12, "组织": 0.76, "织建": 0.13, "建设": 0.56}
    assert index._rarest(PHRASE, lambda: shares) == ("层组", "织建")
    # A token the statistics do not list is rarer than any listed one.
    assert index._rarest(PHRASE, lambda: {**shares, "组织": 0.01}) == ("层组", "组织")
    assert index._rarest(PHRASE, lambda: {}) == ("基层", "层组")


def test_short_and_prefix_phrases_keep_every_token_and_ask_nothing() -> None:
    def never() -> index.Shares:
        raise AssertionError("the statistics were asked for")

    assert index._rarest(Phrase(tokens=("换届", "届工")), never) == ("换届", "届工")
    prefix = Phrase(tokens=("基层", "层组", "组织", "织"), prefix=True)
    assert index._rarest(prefix, never) == prefix.tokens


@postgresql_only
def test_the_relaxed_form_asks_for_the_rarest_tokens_the_statistics_know(
    county: County,
) -> None:
    for n in range(6):
        body = "加强基层组织建设。" if n % 2 else "建设基层队伍,组织活动。"
        put_in_state(make_item(officer=county.officer_a, title=f"第{n}条", body=body), "submitted")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE search_searchdocument")
    shares = index.lexeme_shares()
    assert shares["基层"] == pytest.approx(1.0) and shares["织建"] == pytest.approx(0.5)
    compiled = index.compile_query(parse_query('"基层组织建设"'), index.lexeme_shares)
    assert compiled.relaxed is not None and "'织建'" in compiled.relaxed
    assert "'基层'" not in compiled.relaxed and "<->" not in compiled.relaxed
    assert "'基层' <-> '层组' <-> '组织' <-> '织建' <-> '建设'" in str(compiled.positive)


@postgresql_only
@pytest.mark.parametrize(
    "shares",
    [{}, {"层组": 0.9, "织建": 0.9}, {"基层": 0.0, "建设": 0.0}],
    ids=["statistics say nothing", "the true phrase pairs common", "the decoys' pairs rare"],
)
def test_the_phrase_is_found_exactly_whichever_tokens_prefilter(
    county: County, monkeypatch: pytest.MonkeyPatch, shares: index.Shares
) -> None:
    """Items holding every pair of 基层组织建设 but not the phrase (建设基层组织, 基层的组织建设…)
    are candidates of some relaxed forms and never found."""
    bodies = ["基层组织建设", "建设基层组织", "基层的组织建设", "织建层组基层建设组织", "组织建设"]
    made = []
    for n in range(15):
        item = make_item(officer=county.officer_a, title=f"第{n}条", body=bodies[n % 5] + "。")
        made.append(put_in_state(item, State.SUBMITTED))
    monkeypatch.setattr(index, "lexeme_shares", lambda: shares)
    results = search_items(county.editor, '"基层组织建设"')
    expected = [item.pk for item in reversed(made) if "基层组织建设" in item.body]
    assert results.ids[:100] == expected and results.count == 3
