"""The pure per-item work of a rebuild (``xinbao reindex``), run in worker processes while the
main process reads and writes the database.

``ordered_map(fn, batches, workers)`` yields ``fn(batch)`` for each batch, in order. With
``workers`` ≤ 1 it runs in this process; otherwise in a pool of ``workers`` processes with at most
``2 × workers`` batches in flight, so the workers compute the next batches while the caller writes
the current one, and memory stays bounded whatever the number of items. Workers never touch the
database: the functions given to it (``tokens_of``, ``entries_of``) get plain tuples read by the
main process and return plain tuples. On Linux the pool forks, so a worker starts with the
OpenCC and rjieba dictionaries the main process loaded before (``warm_up``); it ends with
``os._exit`` and so never closes the database connection it inherited. Each worker asks the
kernel to end it when the main process dies (``_die_with_parent``): a rebuild killed midway leaves
no worker behind holding the inherited socket, and with it the main process's open transaction.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
from array import array
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TypeVar

from xinbao.search import shingles as sh
from xinbao.search.normalize import normalize
from xinbao.search.tokens import _cutter, document_token_list, tsvector

T = TypeVar("T")
R = TypeVar("R")

# id, title, keywords, body, attachments' text
TextRow = tuple[int, str, str, str, list[str]]
# id, title, body, attachments' text, stored text (or None), stored band count
EntryRow = tuple[int, str, str, list[str], str | None, int]
# id, stored text, packed signature, the bands' keys and paragraphs (``pack_bands``) — or None
# when the stored entry is current
Entry = tuple[int, str, bytes, bytes, bytes]
EntryResult = Entry | None


def default_workers() -> int:
    """One worker per CPU this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def warm_up() -> None:
    """Load the dictionaries once, before the pool forks (each worker would load its own)."""
    normalize("預熱")
    _cutter()("预热")


def _context() -> multiprocessing.context.BaseContext:
    if "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()  # pragma: no cover - not Linux


PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _die_with_parent() -> None:
    """Pool initializer: kill this worker when the process that forked it exits (Linux). SIGKILL,
    not SIGTERM: a handler the parent had installed for SIGTERM (a server's, a test runner's) is
    inherited by the fork and would keep the worker alive."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def ordered_map(fn: Callable[[T], R], batches: Iterable[T], workers: int) -> Iterator[R]:
    """``fn(batch)`` for each of ``batches``, in order (see the module docstring)."""
    if workers <= 1:
        for batch in batches:
            yield fn(batch)
        return
    warm_up()
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=_context(), initializer=_die_with_parent
    ) as pool:
        pending: deque[Future[R]] = deque()
        for batch in batches:
            pending.append(pool.submit(fn, batch))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def fields(title: str, keywords: str, body: str, attachments: Sequence[str]) -> list[str]:
    """The texts an item is indexed from. The title is given twice: a word in the title counts
    double for relevance."""
    return [title, title, keywords, body, *attachments]


def tokens_of(rows: Sequence[TextRow], vectors: bool = False) -> list[tuple[int, str, str | None]]:
    """The full-text token string of each item (``search.index``) and, with ``vectors`` (for
    PostgreSQL), its ``tsvector`` in text form (``tokens.tsvector``; None: left to the
    server)."""
    out: list[tuple[int, str, str | None]] = []
    for pk, title, keywords, body, attachments in rows:
        tokens = document_token_list(fields(title, keywords, body, attachments))
        joined = " ".join(tokens)
        out.append((pk, joined, tsvector(tokens, joined) if vectors else None))
    return out


def _band_count(shingled: sh.Shingled) -> int:
    """How many bands ``Entry.of_shingled(shingled)`` has, without computing them."""
    return (0 if shingled.empty else sh.DOC_BANDS) + sh.PARA_BANDS * len(shingled.long)


def entries_of(rows: Sequence[EntryRow]) -> list[EntryResult]:
    """The near-duplicate entry of each item (``search.duplicates.Entry``) as what is stored,
    or None when the stored text and band count show the stored entry is current."""
    from xinbao.search import duplicates as dup  # it imports search.index, which imports this

    out: list[EntryResult] = []
    for pk, title, body, attachments, stored, count in rows:
        shingled = sh.Shingled.of(sh.paragraphs_of(title, body, attachments))
        if stored == shingled.stored and count == _band_count(shingled):
            out.append(None)
            continue
        values, keys, paragraphs = dup.Entry.computed(shingled)
        out.append((pk, shingled.stored, sh.pack(values), keys.tobytes(), paragraphs.tobytes()))
    return out


def pack_bands(bands: Sequence[tuple[int, int]]) -> tuple[bytes, bytes]:
    """(paragraph, key) bands as two packed arrays, keys (int64) and paragraphs (int16): what a
    worker sends back and the rebuild copies into the database and its arrays without a Python
    object per band."""
    return (
        array("q", [key for _p, key in bands]).tobytes(),
        array("h", [paragraph for paragraph, _k in bands]).tobytes(),
    )
