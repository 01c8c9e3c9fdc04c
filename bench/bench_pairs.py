"""Benchmark: the re-index's pairs pass (``search.pairing``) alone, in memory, no database.

Generates a corpus like ``bench/bench_duplicates.py``'s (the same generator,
``near_duplicates.corpus``, with numbered units, one unit name and no categories drawn:
``--counties`` counties of 40 units, ``--dup-share`` near-duplicates, two years of reports in
order) without writing it anywhere, computes every item's entry as the re-index's
first pass does (``parallel.entries_of``; kept in a pickle under the temporary directory for the
next run), gathers them into a ``pairing.Corpus`` and runs ``Corpus.view`` over every item in the
re-index's order (department, submission time, id) and batches, in this one process. Prints the
CPU per item of the pairs, the exact measures and shinglings per item, and how many shinglings
the kept texts (``pairing.SHINGLED_KEPT_BYTES``, or ``--kept-bytes``) spared; ``--per-batch``
keeps each batch's texts for that batch alone (the pass before they were kept), and wins over
``--kept-bytes``. ``--profile`` adds the
functions that cost most (cProfile).

    .venv/bin/python bench/bench_pairs.py --items 100000
    .venv/bin/python bench/bench_pairs.py --items 100000 --per-batch  # as before the kept texts
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import os
import pickle
import pstats
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DATABASE_URL", "sqlite:////tmp/xinbao_bench_pairs.sqlite3")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinbao.settings")

import django

django.setup()

from bench import near_duplicates as nd

from xinbao.search import pairing, parallel, rebuild
from xinbao.search import shingles as sh

UNITS_PER_COUNTY = 40  # the demo county's 22 townships and 18 departments

Meta = tuple[int, int, datetime.datetime]


def entries(
    n_items: int, counties: int, dup_share: float
) -> tuple[list[parallel.Entry], list[Meta]]:
    """Every item's entry and (department, unit, submission time), from the pickle if a run
    with the same arguments left one."""
    cache = (
        Path(tempfile.gettempdir()) / f"xinbao_bench_pairs_{n_items}_{counties}_{dup_share}.pickle"
    )
    if cache.exists():
        with cache.open("rb") as f:
            loaded: tuple[list[parallel.Entry], list[Meta]] = pickle.load(f)  # noqa: S301 - our own file
            return loaded
    units = [(c, c * 1000 + u) for c in range(counties) for u in range(UNITS_PER_COUNTY)]
    now = datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC)
    rows: list[parallel.EntryRow] = []
    metas: list[Meta] = []
    t0 = time.perf_counter()
    generated = nd.corpus(
        random.Random(23),
        n_items,
        units,
        county_of=lambda unit: unit[0],
        name_of=lambda _unit: "城关镇",
        dup_share=dup_share,
    )
    for i, made in enumerate(generated):
        at = nd.reported_at(now, i, n_items)
        rows.append((i + 1, made.text.title[:200], made.text.body, [], None, 0))
        metas.append((made.unit[0], made.unit[1], at))
    computed: list[parallel.Entry] = []
    step = rebuild.REINDEX_BATCH
    for start in range(0, n_items, step):
        computed += [e for e in parallel.entries_of(rows[start : start + step]) if e is not None]
    print(f"generated {n_items} items and their entries in {time.perf_counter() - t0:.0f} s")
    with cache.open("wb") as f:
        pickle.dump((computed, metas), f)
    return computed, metas


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--counties", type=int, default=10)
    parser.add_argument("--dup-share", type=float, default=0.1)
    parser.add_argument("--kept-bytes", type=int, default=pairing.SHINGLED_KEPT_BYTES)
    parser.add_argument("--per-batch", action="store_true")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    computed, metas = entries(args.items, args.counties, args.dup_share)
    corpus = pairing.Corpus()
    for (pk, text, signature, keys, paragraphs), meta in zip(computed, metas, strict=True):
        corpus.add(pk, meta, text, signature, (keys, paragraphs))
    corpus.freeze()
    batches = corpus.batches(rebuild.REINDEX_BATCH)
    pairing.SHINGLED_KEPT_BYTES = 2**62 if args.per_batch else args.kept_bytes
    made = 0
    from_stored = sh.Shingled.from_stored

    def counted(text: str) -> sh.Shingled:
        nonlocal made
        made += 1
        return from_stored(text)

    sh.Shingled.from_stored = counted  # type: ignore[method-assign]
    measures = sum(len(found) for b in batches for found in corpus.candidates(b))
    made = 0
    started = time.process_time()
    profile = cProfile.Profile() if args.profile else None
    if profile is not None:
        profile.enable()
    pairs = 0
    for b in batches:
        if args.per_batch:
            corpus._shingled.clear()
        pairs += len(corpus.view(b)[0])
    if profile is not None:
        profile.disable()
    cpu = time.process_time() - started
    n = len(corpus)
    print(
        f"pairs pass over {n} items, kept shingled texts "
        f"{'one batch' if args.per_batch else f'up to {args.kept_bytes} bytes of text'}: "
        f"{1000 * cpu / n:.3f} ms CPU an item; {pairs // 2} pairs"
    )
    print(
        f"candidates measured {measures / n:.2f} an item (plus same-event partners); texts "
        f"shingled {made / n:.2f} an item"
    )
    if profile is not None:
        pstats.Stats(profile).sort_stats("tottime").print_stats(15)
    return 0


if __name__ == "__main__":
    sys.exit(main())
