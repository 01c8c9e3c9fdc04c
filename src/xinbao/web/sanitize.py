"""The one way user text becomes HTML markup (SECURITY.md R20).

Nothing in xinbao stores HTML: titles, bodies and comments are plain text, and templates escape
them. A few places build markup around user text themselves (revision diffs, search highlights,
the public column's paragraphs); each escapes the text and then passes the result through
``clean_html``, which keeps only the tags those places emit, with no attributes except ``class``
on paragraphs and spans — so a slip in the escaping upstream still cannot let a script, an event
handler or a ``javascript:`` link through. ``nh3`` is the Rust ammonia sanitizer.
"""

from __future__ import annotations

import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = frozenset({"p", "br", "mark", "ins", "del", "span", "strong", "em"})
ALLOWED_ATTRIBUTES = {"p": {"class"}, "span": {"class"}}


def clean_html(html: str) -> SafeString:
    """``html`` with everything outside the allow-list removed (tags stripped to their text;
    ``script`` and ``style`` with their content), marked safe for templates."""
    cleaned = nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(),
        link_rel=None,
        strip_comments=True,
    )
    return mark_safe(cleaned)  # noqa: S308 - nh3 output holds only the allow-listed markup
