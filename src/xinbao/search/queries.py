"""Search reads, used by the search page, the ``xinbao search`` command and the API alike.

``search_items`` always starts from ``items.queries.items_visible_to(user)``: search shows a user
exactly the items the lists show them (an officer never finds another unit's drafts, an editor
never finds a draft, another county's people find nothing), then narrows by the filters, by the
units named in the query (单位:…) and by the full-text match.

Order: newest first (most recently created, i.e. highest id — the order the index returns matches
in) or by relevance. Relevance (``search.ranking``) is computed only over the newest
``RELEVANCE_WINDOW`` matches, so its cost is bounded whatever the word.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from django.core.exceptions import EmptyResultSet
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Exists, F, OuterRef, Q, QuerySet, TextChoices
from django.db.models.expressions import RawSQL
from django.utils.functional import cached_property
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xinbao.items.models import Item, ItemEvent
from xinbao.items.permissions import newest_visible_ids, visible_parts, visible_rows
from xinbao.items.queries import (
    LIST_RELATED,
    ItemFilter,
    filter_items,
    items_visible_to,
)
from xinbao.items.workflow import INBOX_OPEN
from xinbao.orgs.models import UNIT_ROLES, Role, Unit
from xinbao.publishing.models import ExternalAdoption, Forwarding
from xinbao.search import duplicates, index, snippets
from xinbao.search.models import DuplicateSignature, SearchDocument, SimilarPair
from xinbao.search.normalize import to_simplified
from xinbao.search.query import ParsedQuery, parse_query
from xinbao.search.ranking import bm25

if TYPE_CHECKING:
    from xinbao.orgs.models import User

RELEVANCE_WINDOW = 1000
# Beyond this many matches the page says "more than" and lists only the newest ones.
COUNT_CAP = 500
# One arm of the stream per part of the visibility; the arms' union is read newest first.
STREAM_ARM_SQL = "SELECT search_fts.rowid FROM search_fts WHERE search_fts MATCH %s AND {check}"
# SQLite: each streamed match is checked in the covering index of the entries' copied fields;
# left to itself the planner seeks the unique index on ``item_id`` and reads the row, whose
# copied fields come after the token string (overflow pages).
DOCUMENTS_FROM = 'FROM "search_searchdocument"'
DOCUMENTS_FROM_INDEXED = 'FROM "search_searchdocument" INDEXED BY search_doc_scope_idx'

PAGE_SIZE = 20


class Order(TextChoices):
    NEWEST = "newest", gettext_lazy("最新在前")
    RELEVANCE = "relevance", gettext_lazy("相关度优先")


class Adoption(TextChoices):
    ADOPTED = "adopted", gettext_lazy("已采用")
    NOT_ADOPTED = "not_adopted", gettext_lazy("未采用")
    UPPER = "upper", gettext_lazy("获上级采用")


@dataclass
class SearchFilters(ItemFilter):
    """The shared item filters, plus adoption (adopted, not adopted, adopted above)."""

    adoption: str | None = None


class _PageScores:
    """The relevance scores of one page's items, computed on first use: the search page shows
    none in newest-first order, the API and the command give them."""

    def __init__(self, results: SearchResults, ids: list[int]) -> None:
        self.results, self.ids = results, ids
        self._scores: dict[int, float] | None = None

    def __getitem__(self, pk: int) -> float:
        if self._scores is None:
            self._scores = self.results.scores(self.ids)
        return self._scores.get(pk, 0.0)


@dataclass
class Hit:
    """One found item; its highlighted title and snippet are made when first read (the API
    and the command show no title highlighting, the page both)."""

    item: Item
    marks: Sequence[str] = field(repr=False)
    scores: Mapping[int, float] | _PageScores = field(repr=False)

    @cached_property
    def title_html(self) -> SafeString:
        return snippets.highlight(self.item.title, self.marks)

    @cached_property
    def snippet(self) -> SafeString:
        return snippets.snippet(self.item.body, self.marks)

    @property
    def score(self) -> float:
        if isinstance(self.scores, _PageScores):
            return self.scores[self.item.pk]
        return self.scores.get(self.item.pk, 0.0)


class NewestIds:
    """The ids of the matching items, newest first, counted (up to ``COUNT_CAP``) and sliced
    lazily: a ``Paginator`` takes it as its object list. The first ``COUNT_CAP + 1`` ids are
    read once, by whichever of the count and the page comes first (the scan that counts them
    finds them anyway); the relevance window reads further.

    SQLite *streams* them: for each part of the visibility (``items.permissions.visible_parts``,
    ``documents``) the FTS5 table yields the matching ids that carry the part's scope token
    (``tokens``: its department or unit, ``index.scoped``) in descending order, and each is
    checked against the part and the filters (a correlated ``EXISTS`` on the entry's copied unit,
    department and state in their covering index; on the item itself when a filter needs other
    fields of it); a part that names items by id alone, the forwarded ones, is read once as a
    set. The parts' union is read newest first, so a page stops after its rows: a very common
    word costs no more than a rare one, and one unit's view no more than a department's.
    Without ``documents`` (a caller's own querysets) a wide view streams the matches checked
    against ``unmatched`` and a narrow one starts from the items (the queryset), asking the index
    about each (``index.matches(per_item=True)``).

    PostgreSQL reads the full-text entries alone (``documents``: one queryset of entries per part
    of the user's visibility, ``items.permissions.visible_parts``, applied to the copied unit,
    department and state, with the filters): the GIN index on unit, department and vector gives
    the visible matches, which are then sorted (``index.newest_document_ids``) — first only
    within each part's newest entries (``windows``: the same parts without the filters), which
    a common word fills at a fraction of the cost.

    A search without words to match (filters alone, or words only excluded) reads each part
    of the view newest first along its own index (``newest``: ``items.permissions
    .newest_visible_ids``); sorting the items query (``id IN (union)``) read every visible id
    first (a county editor at 1,000,000 items, a category filter: 71 → 19 ms).
    """

    def __init__(
        self,
        queryset: QuerySet[Item] | Callable[[], QuerySet[Item]],
        expression: str | None,
        *,
        unmatched: QuerySet[Item] | Callable[[], QuerySet[Item]],
        narrow: bool,
        documents: list[QuerySet[Any]] | None = None,
        compiled: index.CompiledQuery | None = None,
        windows: list[QuerySet[SearchDocument]] | None = None,
        id_sets: list[bool] | None = None,
        visible: bool | None = None,
        tokens: list[str | None] | None = None,
        view: str | None = None,
        newest: Callable[[int], list[int]] | None = None,
    ) -> None:
        self._fetched: list[int] | None = None
        # No words to match (filters alone, or words only excluded): the newest ``limit`` ids,
        # each part of the visibility read along its own index (``newest_visible_ids``).
        self.newest = newest
        self.windows = windows
        self.view = view  # PostgreSQL: what determines ``windows`` (``index.window_floors``)
        self._is_common: bool | None = None
        self.id_sets = id_sets  # for each of ``documents``: whether it is a set of ids
        self.tokens = tokens  # SQLite, for each of ``documents``: its scope token, if any
        self._limit = 0
        self.documents = documents if compiled is not None and compiled.positive else None
        self.compiled = compiled
        # Querysets or what builds them, when first needed (a read of the entries alone, on
        # PostgreSQL or streamed, never builds the items' querysets).
        self._queryset = queryset
        self._unmatched = unmatched
        self.expression = expression
        if visible is None:
            visible = not self.unmatched.query.is_empty()
        self.streamed = (
            expression is not None
            and connection.vendor == "sqlite"
            and (self.documents is not None or not narrow)
            and visible  # nothing visible: no SQL to embed
        )

    @cached_property
    def queryset(self) -> QuerySet[Item]:
        """Visible, filtered and matching."""
        return _built(self._queryset)

    @cached_property
    def unmatched(self) -> QuerySet[Item]:
        """Visible and filtered: what each streamed match must be in."""
        return _built(self._unmatched)

    def _stream_sql(self) -> tuple[str, list[Any]] | None:
        """The streaming query, or ``None`` when every part of it can match nothing at all."""
        if self.expression is None:
            return None
        rowid = RawSQL("search_fts.rowid", [])
        arms: list[tuple[QuerySet[Any, Any], bool, str | None]]
        if self.documents is None:
            arms = [(self.unmatched.filter(pk=rowid).values("pk"), False, None)]
        else:
            n = len(self.documents)
            arms = [
                (part.values("pk"), True, token)
                if ids
                else (part.filter(pk=rowid).values("pk"), False, token)
                for part, ids, token in zip(
                    self.documents,
                    self.id_sets or [False] * n,
                    self.tokens or [None] * n,
                    strict=True,
                )
            ]
        selects: list[str] = []
        params: list[Any] = []
        for part, ids, token in arms:
            try:
                inner, part_params = part.query.sql_with_params()
            except EmptyResultSet:  # a unit that does not exist
                continue
            if ids:  # a few ids (forwarded items): SQLite reads them once, then looks each up
                check = f"search_fts.rowid IN ({inner})"
            else:
                inner = inner.replace(DOCUMENTS_FROM, DOCUMENTS_FROM_INDEXED, 1)
                check = f"EXISTS ({inner})"
            selects.append(STREAM_ARM_SQL.replace("{check}", check))
            params += [index.scoped(self.expression, token), *part_params]
        if not selects:
            return None
        # Django built each ``inner`` and keeps its values in ``params``: no user text in the SQL.
        return " UNION ".join(selects) + " ORDER BY 1 DESC", params

    def _fetch(self, limit: int) -> list[int]:
        """The first ``limit`` ids, in one query; a later call for no more reuses them."""
        if self._fetched is not None and (self._limit >= limit or len(self._fetched) < self._limit):
            return self._fetched[:limit]
        stream = self._stream_sql() if self.streamed else None
        if self.documents is not None and connection.vendor == "postgresql" and self.compiled:
            fetched = index.newest_document_ids(
                self.documents,
                self.compiled,
                limit,
                windows=self.windows,
                is_common=self._common,
                view=self.view,
            )
        elif self.newest is not None:
            fetched = self.newest(limit)
        elif not self.streamed:
            ids = self.queryset.order_by("-pk").values_list("pk", flat=True)
            fetched = list(ids[:limit])
        elif stream is None:
            fetched = []
        else:
            sql, params = stream
            with connection.cursor() as cursor:
                cursor.execute(f"{sql} LIMIT %s", [*params, limit])
                fetched = [row[0] for row in cursor.fetchall()]
        self._fetched, self._limit = fetched, limit
        return fetched

    def _common(self, expression: str | None) -> bool:
        """``index.common``, asked once: the count and the relevance window both read ids."""
        if self._is_common is None:
            self._is_common = index.common(expression)
        return self._is_common

    def count(self) -> int:
        """The number of matches, counting no further than ``COUNT_CAP + 1``. Counting reads
        the ids themselves: the first pages then cost no further query."""
        return len(self._fetch(COUNT_CAP + 1))

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, bounds: slice) -> list[int]:
        start, stop = bounds.start or 0, bounds.stop
        if stop is None:
            raise ValueError("NewestIds is sliced with an end")
        return self._fetch(max(stop, COUNT_CAP + 1))[start:stop]


def _built(queryset: QuerySet[Item] | Callable[[], QuerySet[Item]]) -> QuerySet[Item]:
    return queryset if isinstance(queryset, QuerySet) else queryset()


@dataclass
class SearchResults:
    """The items a search found, lazily: ``count`` and ``page(n)`` run the queries."""

    parsed: ParsedQuery
    order: str
    # Builds the visible, filtered items, then those of them matching (``queryset`` and
    # ``unmatched``), when first asked for: the read of the entries alone does without them.
    items: Callable[[], tuple[QuerySet[Item], QuerySet[Item]]]
    expression: str | None  # the compiled full-text expression (None: no words to match)
    notices: list[str] = field(default_factory=list)

    narrow: bool = False  # the user sees, or asked for, one unit's items
    visible: bool = True  # the user sees any item at all
    # The visible, filtered entries, one queryset per part of the visibility (on SQLite, when a
    # filter needs the item's own fields, the visible, filtered items of each part).
    documents: list[QuerySet[Any]] | None = None
    compiled: index.CompiledQuery | None = None
    # PostgreSQL: the parts of the visibility alone (``documents`` before the filters).
    windows: list[QuerySet[SearchDocument]] | None = None
    id_sets: list[bool] | None = None  # for each of ``documents``: a set of ids (``ids_only``)
    tokens: list[str | None] | None = None  # SQLite: each part's scope token (``NewestIds``)
    # PostgreSQL: the role and unit that determine ``windows`` (``items.permissions
    # .visible_parts`` reads nothing else of the user), naming their floors in the cache.
    view: str | None = None
    newest: Callable[[int], list[int]] | None = None  # no words to match: ``NewestIds.newest``

    @cached_property
    def _built(self) -> tuple[QuerySet[Item], QuerySet[Item]]:
        return self.items()

    @property
    def queryset(self) -> QuerySet[Item]:
        """The visible, filtered and matching items."""
        return self._built[0]

    @property
    def unmatched(self) -> QuerySet[Item]:
        """``queryset`` before the full-text match."""
        return self._built[1]

    @cached_property
    def ids(self) -> NewestIds:
        return NewestIds(
            lambda: self.queryset,
            self.expression,
            unmatched=lambda: self.unmatched,
            narrow=self.narrow,
            documents=self.documents,
            compiled=self.compiled,
            windows=self.windows,
            id_sets=self.id_sets,
            visible=self.visible,
            tokens=self.tokens,
            view=self.view,
            newest=self.newest,
        )

    @cached_property
    def counted(self) -> int:
        return self.ids.count()

    @property
    def count(self) -> int:
        """The number of matches, at most ``COUNT_CAP`` (see ``more``)."""
        return min(self.counted, COUNT_CAP)

    @property
    def more(self) -> bool:
        """Whether there are more than ``COUNT_CAP`` matches (only the newest are listed)."""
        return self.counted > COUNT_CAP

    @property
    def count_cap(self) -> int:
        return COUNT_CAP

    @cached_property
    def window_scores(self) -> dict[int, float]:
        """The scores of the newest ``RELEVANCE_WINDOW`` matches."""
        return self.scores(self.ids[:RELEVANCE_WINDOW])

    def scores(self, ids: list[int]) -> dict[int, float]:
        if not self.parsed.groups:
            return dict.fromkeys(ids, 0.0)
        return bm25(self.parsed, index.token_strings(ids))

    @cached_property
    def ranked_ids(self) -> list[int]:
        """Relevance order over the window, most relevant first (newest first among equals)."""
        scores = self.window_scores
        return sorted(scores, key=lambda pk: (-scores[pk], -pk))

    @property
    def window(self) -> int:
        return RELEVANCE_WINDOW

    @property
    def ranked_by_window(self) -> bool:
        """Whether relevance covered only part of the matches (the newest ``RELEVANCE_WINDOW``)."""
        return self.order == Order.RELEVANCE and len(self.window_scores) >= RELEVANCE_WINDOW

    def page(self, number: Any = 1, per_page: int = PAGE_SIZE) -> Page[Hit]:
        """One page; its ``object_list`` is a list of ``Hit``."""
        ranked = self.order == Order.RELEVANCE
        ids_: Any = self.ranked_ids if ranked else self.ids  # both count and slice
        paginator = Paginator(ids_, per_page)
        if not ranked:
            paginator.count = self.count  # counted once, shared with ``count``
        page: Page[Any] = paginator.get_page(number)
        ids = list(page.object_list)
        by_id = Item.objects.select_related(*LIST_RELATED).in_bulk(ids)
        page.object_list = self.hits([by_id[pk] for pk in ids if pk in by_id])
        return cast(Page[Hit], page)

    def hits(self, items: list[Item]) -> list[Hit]:
        ids = [item.pk for item in items]
        ranks: Mapping[int, float] | _PageScores = (
            self.window_scores if self.order == Order.RELEVANCE else _PageScores(self, ids)
        )
        marks = self.parsed.marks
        return [Hit(item=item, marks=marks, scores=ranks) for item in items]


def units_named(names: list[str]) -> tuple[list[int], list[str]]:
    """Ids of the units a query names (code, name or short name, in either script), and the
    names that matched no unit."""
    ids: list[int] = []
    unknown: list[str] = []
    for name in names:
        variants = {name, to_simplified(name)}
        found = list(
            Unit.objects.filter(
                Q(code__iexact=name) | Q(name__in=variants) | Q(short_name__in=variants)
            ).values_list("pk", flat=True)
        )
        ids.extend(found)
        if not found:
            unknown.append(name)
    return ids, unknown


def apply_filters(qs: QuerySet[Item], f: SearchFilters) -> QuerySet[Item]:
    qs = filter_items(qs, f)
    if f.adoption:
        adopted = Exists(ItemEvent.objects.filter(item=OuterRef("pk"), action="adopt"))
        if f.adoption == Adoption.ADOPTED:
            qs = qs.filter(adopted)
        elif f.adoption == Adoption.NOT_ADOPTED:
            qs = qs.filter(~adopted)
        elif f.adoption == Adoption.UPPER:
            qs = qs.filter(
                Exists(ExternalAdoption.objects.filter(item=OuterRef("pk")))
                | Exists(
                    Forwarding.objects.filter(item=OuterRef("pk"), state=Forwarding.State.ADOPTED)
                )
            )
    return qs


def search_items(
    user: User,
    query: str | ParsedQuery,
    filters: SearchFilters | None = None,
    order: str = Order.NEWEST,
) -> SearchResults:
    """The items ``user`` may see that match ``query`` and ``filters``, in ``order``.

    A query with no words (only filters, or only 单位:…) lists the matching items newest first.
    """
    parsed = parse_query(query) if isinstance(query, str) else query
    order = order if order in Order.values else Order.NEWEST
    filters = filters or SearchFilters()
    parts = visible_parts(user)
    # The same narrowing on the full-text entries' copied fields (PostgreSQL reads them alone).
    scope = Q()
    item_filter = filters != SearchFilters()  # a filter on fields the entries have no copy of
    if item_filter:
        scope &= Q(pk__in=apply_filters(Item.objects.all(), filters).values("pk"))
    notices: list[str] = []
    units = Q()
    if parsed.units:
        ids, unknown = units_named(parsed.units)
        notices += [_("没有找到单位“%(name)s”。") % {"name": name} for name in unknown]
        units &= Q(unit_id__in=ids)
    if parsed.excluded_units:
        ids, unknown = units_named(parsed.excluded_units)
        notices += [_("没有找到要排除的单位“%(name)s”。") % {"name": name} for name in unknown]
        units &= ~Q(unit_id__in=ids)
    scope &= units
    narrow = user.role in UNIT_ROLES or bool(parsed.units) or bool(filters.unit_id)
    compiled = index.compile_query(parsed, index.lexeme_shares) if parsed.has_text else None
    expression = compiled.positive if compiled is not None else None

    def filtered(qs: QuerySet[Item]) -> QuerySet[Item]:
        """``qs`` narrowed by the filters and the query's units."""
        return apply_filters(qs, filters).filter(units)

    def matched(qs: QuerySet[Item]) -> QuerySet[Item]:
        """``qs`` narrowed by the query's words."""
        if compiled is not None and compiled.positive:
            return qs.filter(index.matches(compiled.positive, per_item=narrow))
        if compiled is not None and compiled.excluded:
            return qs.exclude(index.matches(compiled.excluded, per_item=narrow))
        return qs

    def items() -> tuple[QuerySet[Item], QuerySet[Item]]:
        unmatched = filtered(items_visible_to(user))
        return matched(unmatched), unmatched

    newest = None
    if expression is None:
        order = Order.NEWEST

        def newest(limit: int) -> list[int]:
            return newest_visible_ids(user, limit, narrow=lambda qs: matched(filtered(qs)))

    documents: list[QuerySet[Any]] | None = None
    windows = id_sets = tokens = None
    view = None
    if expression is not None and parts:
        id_sets = [ids_only(part) for part in parts]
        if connection.vendor == "postgresql" or not item_filter:  # the entries answer alone
            documents = [SearchDocument.objects.filter(part, scope) for part in parts]
        else:  # SQLite, a filter on the item's own fields: each part's items, filtered
            documents = [
                apply_filters(Item.objects.filter(part), filters).filter(units) for part in parts
            ]
        if connection.vendor == "postgresql":
            windows = [SearchDocument.objects.filter(part) for part in parts]
            view = f"{user.role}:{user.unit_id}"
        else:
            tokens = [index.scope_token(part) for part in parts]
    return SearchResults(
        parsed=parsed,
        order=order,
        items=items,
        expression=expression,
        notices=notices,
        narrow=narrow,
        visible=parts is not None,
        documents=documents,
        compiled=compiled,
        windows=windows,
        id_sets=id_sets,
        tokens=tokens,
        view=view,
        newest=newest,
    )


def ids_only(part: Q) -> bool:
    """Whether a part of the visibility names the items by id alone (``pk__in=…``: the items
    forwarded to a department), not by unit, department or state."""
    return not part.negated and all(
        isinstance(child, tuple) and child[0].split("__")[0] == "pk" for child in part.children
    )


# ---------------------------------------------------------------------------------------------
# Near-duplicates (``search.duplicates``): every read starts from ``items_visible_to(user)``.
# ---------------------------------------------------------------------------------------------

SIMILAR_LIMIT = 10
# The inbox reads at most this many same-event pairs to build its clusters, among at most this
# many of the newest items waiting (same-event reports come within days of each other; a
# county's backlog of thousands must not make every inbox view read all their pairs).
CLUSTER_PAIR_LIMIT = 400
CLUSTER_ITEM_LIMIT = 500
# The inbox lists the newest this many clusters (the heading counts them all).
CLUSTER_SHOW_LIMIT = 20


def similar_items(
    user: User, item: Item, *, limit: int = SIMILAR_LIMIT, reported_only: bool = False
) -> list[SimilarPair]:
    """The items flagged as 高度相似 to ``item`` that ``user`` may see, most similar first
    (``pair.other`` is the similar item, with its unit). ``reported_only``: only those that
    have been submitted (the officer's warning: "与已报送信息高度相似")."""
    pairs = SimilarPair.objects.filter(
        item=item, flagged=True, other__in=items_visible_to(user).values("pk")
    )
    if reported_only:
        pairs = pairs.filter(other__submitted_at__isnull=False)
    return list(pairs.select_related("other__unit").order_by("-score", "-other_id")[:limit])


def reported_similar_exists(item: Item) -> bool:
    """Whether any submitted item, visible or not, is flagged as 高度相似 to ``item``."""
    return SimilarPair.objects.filter(
        item=item, flagged=True, other__submitted_at__isnull=False
    ).exists()


def novelty_of(item_ids: Iterable[int]) -> dict[int, float]:
    """The novelty of each of ``item_ids`` that is indexed (``DuplicateSignature.novelty``:
    1 − the highest similarity or containment against any item reported before it; 1.0 when
    nothing like it was reported before). For the assessment's quality bar and the pages."""
    rows = DuplicateSignature.objects.filter(
        item_id__in=list(item_ids), novelty__isnull=False
    ).values_list("item_id", "novelty")
    return {item_id: novelty for item_id, novelty in rows if novelty is not None}


@dataclass
class SimilarText:
    item: Item
    similarity: float
    containment: float


def similar_to_text(
    user: User | None, text: str, *, title: str = "", limit: int = SIMILAR_LIMIT
) -> list[SimilarText]:
    """The items flagged as 高度相似 to ``text`` (most similar first) that ``user`` may see;
    with no user (command-line tools run by the administrator of the server), all items."""
    matches = [m for m in duplicates.check_text(title, text) if m.measures.flagged]
    qs = Item.objects.all() if user is None else items_visible_to(user)
    by_id = qs.select_related("unit").in_bulk([m.item_id for m in matches])
    found = [
        SimilarText(by_id[m.item_id], m.similarity, m.containment)
        for m in matches
        if m.item_id in by_id
    ]
    return found[:limit]


@dataclass
class DraftWarning:
    """The reported items flagged as 高度相似 to a text being written: those the writer may see
    (most similar first) and how many more there are that they may not."""

    visible: list[SimilarText]
    hidden: int

    @property
    def show(self) -> bool:
        return bool(self.visible or self.hidden)


def similar_to_draft(
    user: User, title: str, body: str, *, item: Item | None = None, limit: int = SIMILAR_LIMIT
) -> DraftWarning:
    """The officer's warning ("与已报送信息高度相似") for unsaved text: the near-duplicate check
    of ``title`` and ``body`` as typed (plus the attachments of ``item``, the saved item being
    edited, which is never its own duplicate) against every indexed item, keeping the reported
    (submitted) ones. Only those ``user`` may see are listed; the others are only counted."""
    attachments = index.attachment_texts_of([item.pk]).get(item.pk, []) if item else []
    entry = duplicates.Entry.of(title, body, attachments)
    matches = [
        m
        for m in duplicates.check(entry, exclude_item_id=item.pk if item else None)
        if m.measures.flagged and m.submitted_at is not None
    ]
    by_id = items_visible_to(user).select_related("unit").in_bulk([m.item_id for m in matches])
    visible = [
        SimilarText(by_id[m.item_id], m.similarity, m.containment)
        for m in matches
        if m.item_id in by_id
    ]
    return DraftWarning(visible[:limit], hidden=len(matches) - len(visible))


@dataclass
class Cluster:
    """Reports of one event from different units, first reported first (``first``: 首报)."""

    items: list[Item]

    @property
    def first(self) -> Item:
        return self.items[0]

    @property
    def units(self) -> list[str]:
        return [item.unit.display_name for item in self.items]


@dataclass
class EventClusters:
    """The inbox's same-event clusters: the newest ``shown`` (their items loaded) of ``total``."""

    shown: list[Cluster] = field(default_factory=list)
    total: int = 0


# Fields the clusters' card shows (title, unit, submission time, link).
CLUSTER_ITEM_FIELDS = (
    "title",
    "unit_id",
    "submitted_at",
    "created_at",
    "unit__name",
    "unit__short_name",
)


def same_event_clusters(user: User, *, show: int = CLUSTER_SHOW_LIMIT) -> EventClusters:
    """The same-event clusters (撞车) among the items waiting for ``user`` (an editor's inbox:
    visible and open; the newest ``CLUSTER_ITEM_LIMIT`` of them): connected groups of
    ``SimilarPair.same_event`` pairs from at least two units, newest cluster first; the items
    of the newest ``show`` are loaded. Four queries whatever the number of clusters: the
    waiting items' ids (on the inbox index), their pairs (on the pair index, both ends among
    those ids), the paired items' units and times, the shown clusters' items."""
    if user.role not in (Role.EDITOR, Role.DEPT_LEADER):
        return EventClusters()
    open_ids = visible_rows(user, "pk", narrow=lambda qs: qs.filter(state__in=INBOX_OPEN))
    waiting = [pk for (pk,) in open_ids.order_by("-pk")[:CLUSTER_ITEM_LIMIT]]
    if len(waiting) < 2:
        return EventClusters()
    pairs = list(
        SimilarPair.objects.filter(
            duplicates.column_in("item_id", waiting),
            duplicates.column_in("other_id", waiting, seek=False),
            same_event=True,
            item_id__lt=F("other_id"),
        )
        .order_by("-item_id")
        .values_list("item_id", "other_id")[:CLUSTER_PAIR_LIMIT]
    )
    if not pairs:
        return EventClusters()
    parent: dict[int, int] = {}

    def root(pk: int) -> int:
        while parent.setdefault(pk, pk) != pk:
            parent[pk] = parent[parent[pk]]
            pk = parent[pk]
        return pk

    for a, b in pairs:
        parent[root(a)] = root(b)
    groups: dict[int, list[tuple[Any, int, int]]] = {}  # root: (reported at, pk, unit)
    for pk, unit_id, submitted_at, created_at in Item.objects.filter(
        duplicates.column_in("id", sorted(parent))
    ).values_list("pk", "unit_id", "submitted_at", "created_at"):
        groups.setdefault(root(pk), []).append((submitted_at or created_at, pk, unit_id))
    found = sorted(
        (sorted(members) for members in groups.values() if len({m[2] for m in members}) > 1),
        key=lambda members: -max(m[1] for m in members),
    )
    shown = found[:show]
    by_id = (
        Item.objects.select_related("unit")
        .only(*CLUSTER_ITEM_FIELDS)
        .in_bulk([m[1] for members in shown for m in members])
    )
    return EventClusters(
        shown=[
            Cluster([by_id[pk] for _at, pk, _unit in members if pk in by_id]) for members in shown
        ],
        total=len(found),
    )
