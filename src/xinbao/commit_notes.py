"""Changes noted inside a transaction and handled all at once after it commits.

A watcher (the ledger's and the dashboards' signal handlers) notes a token for each changed fact
with no query at that moment, so saving a fact costs nothing more; after the transaction commits
its handler takes every token noted in this thread and resolves them together. A rollback
discards the ``on_commit`` call, and the next commit's handler takes what is left.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import transaction

Token = tuple[Any, ...]


class CommitNotes:
    """One watcher's pending tokens (per thread) and the handler that takes them after commit."""

    def __init__(self, handler: Callable[[], None]) -> None:
        self._local = threading.local()
        self._handler = handler

    def _pending(self) -> set[Token]:
        if not hasattr(self._local, "pending"):
            self._local.pending = set()
        pending: set[Token] = self._local.pending
        return pending

    def add(self, *token: Any) -> None:
        self._pending().add(token)
        transaction.on_commit(self._handler)

    def take(self) -> set[Token]:
        """Every token noted so far in this thread; the notebook starts empty again."""
        tokens = self._pending()
        self._local.pending = set()
        return tokens
