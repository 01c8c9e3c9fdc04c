"""A readable diff between two versions of an item's text, for officers to see what the editor
changed. Chinese has no spaces, so the comparison is by character, paragraph by paragraph."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import pairwise

from django.utils.html import escape
from django.utils.safestring import SafeString

from xinbao.items.models import Revision, split_paragraphs
from xinbao.web.sanitize import clean_html


@dataclass
class RevisionPair:
    old: Revision
    new: Revision

    @property
    def title_html(self) -> SafeString:
        return inline_diff(self.old.title, self.new.title)

    @property
    def body_html(self) -> SafeString:
        return body_diff(self.old.body, self.new.body)

    @property
    def changed(self) -> bool:
        return (self.old.title, self.old.body) != (self.new.title, self.new.body)


def revision_pairs(revisions: Sequence[Revision]) -> list[RevisionPair]:
    """Consecutive pairs, newest first."""
    pairs = [RevisionPair(a, b) for a, b in pairwise(revisions)]
    return list(reversed(pairs))


def inline_diff(old: str, new: str) -> SafeString:
    """``new`` with deleted text in ``<del>`` and inserted text in ``<ins>``; all text escaped."""
    out: list[str] = []
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        if op == "equal":
            out.append(escape(old[a0:a1]))
            continue
        if a1 > a0:
            out.append(f"<del>{escape(old[a0:a1])}</del>")
        if b1 > b0:
            out.append(f"<ins>{escape(new[b0:b1])}</ins>")
    return clean_html("".join(out))


def body_diff(old: str, new: str) -> SafeString:
    """Paragraph-aligned diff: paragraphs are matched first, then changed ones by character."""
    old_p, new_p = split_paragraphs(old), split_paragraphs(new)
    html: list[str] = []
    matcher = SequenceMatcher(None, old_p, new_p, autojunk=False)
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        if op == "equal":
            html.extend(f"<p>{escape(p)}</p>" for p in new_p[b0:b1])
        elif op == "replace" and a1 - a0 == b1 - b0:
            html.extend(
                f"<p>{inline_diff(o, n)}</p>"
                for o, n in zip(old_p[a0:a1], new_p[b0:b1], strict=True)
            )
        else:
            html.extend(f'<p class="del"><del>{escape(p)}</del></p>' for p in old_p[a0:a1])
            html.extend(f'<p class="ins"><ins>{escape(p)}</ins></p>' for p in new_p[b0:b1])
    return clean_html("".join(html))
