"""The 保密 self-check: what in a text looks like it must not travel through this system.

The system is non-classified (非涉密): classified material, people's ID-card and mobile numbers
and internal-only wording should not be in an item. This module finds candidates; it changes
nothing. ``items.services`` keeps ``Item.secrecy_findings`` (the count in the current text) and
refuses an officer's submission with findings until a 保密审查 confirmation covers them.

What counts as a finding (each with the paragraph, the offset in it and the matched text):

- **Classification marks (密级标志).** ``★`` next to 绝密/机密/秘密 (``★秘密★``, ``秘密★1年``,
  ``机密★长期``), a term labelled as a level (``密级:机密``), a term in brackets (``【绝密】``,
  ``(秘密)``) or a paragraph that is only the mark. Traditional forms (絕密, 機密, 祕密) too.
  The bare words are *not* findings in running prose: 秘密 is an ordinary word (秘密武器,
  保守国家秘密, 秘密投票), and 机密/绝密 occur in phrases such as 商业机密. One exception, because
  it names classified material itself: 绝密/机密 directly followed by 文件, 材料, 资料, 文电 or
  件 (``机密文件``) is a finding.
- **ID-card numbers (身份证号).** 18 digits (the last may be X) with a valid birth date and the
  GB 11643 (ISO 7064 MOD 11-2) check digit; 15 digits (the old form) with a valid birth date.
  A random 18-digit number with a wrong check digit is not one, nor a digit run that is part of
  a longer number.
- **Mobile numbers (手机号).** ``1[3-9]`` and nine more digits, optionally after +86/86 and with
  spaces or hyphens between the 3-4-4 groups, not inside a longer digit run.
- **Internal terms (内部用语).** The organization department's list (``SecrecyTermList``), or
  ``DEFAULT_TERMS`` until it sets one; matched case-insensitively as written.

Full-width digits and letters are folded before matching (character by character, so offsets
stay those of the original text).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

DEFAULT_TERMS: tuple[str, ...] = (
    "内部资料",
    "内部文件",
    "内部参考",
    "内部掌握",
    "内部通报",
    "仅供内部",
    "不得外传",
    "注意保存",
    "工作秘密",
    "拟任人选",
    "酝酿人选",
    "考察对象名单",
)
CONTEXT = 12  # characters of context shown either side of a match

KIND_LABELS = {
    "mark": _("密级标志"),
    "id_card": _("身份证号"),
    "mobile": _("手机号"),
    "term": _("内部用语"),
}

_LEVEL = r"(?:绝密|絕密|机密|機密|秘密|祕密)"
_PERIOD = r"(?:\s*\d{1,2}\s*(?:年|个月|個月|月)|\s*长期|\s*長期)?"
MARK = re.compile(
    "|".join(
        [
            rf"★\s*{_LEVEL}(?:\s*★{_PERIOD})?",  # ★秘密, ★秘密★, ★机密★5年
            rf"{_LEVEL}\s*★{_PERIOD}",  # 秘密★1年, 机密★长期
            rf"密\s*级\s*[::]\s*{_LEVEL}",  # 密级:机密
            rf"[【\[(〔(]\s*{_LEVEL}\s*[】\])〕)]",  # 【绝密】
            rf"^\s*{_LEVEL}\s*$",  # a paragraph that is only the mark
            r"(?:绝密|絕密|机密|機密)(?:文件|材料|资料|資料|文电|文電|件)",
        ]
    )
)
ID18 = re.compile(r"(?<![0-9A-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}\d{4}\d{3}[\dXx](?![0-9A-Za-z])")
ID15 = re.compile(r"(?<!\d)[1-9]\d{5}\d{2}\d{4}\d{3}(?!\d)")
MOBILE = re.compile(r"(?<![\d+])(?:\+?86[\s-]?)?1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}(?!\d)")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


@dataclass(frozen=True)
class Finding:
    kind: str  # a key of KIND_LABELS
    source: str  # "标题", "正文" or "附件:<name>"
    paragraph: int  # 1-based paragraph number within the source
    offset: int  # 0-based character offset within the paragraph
    text: str  # the matched text, as written
    before: str  # context before the match
    after: str  # context after the match

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS[self.kind])

    @property
    def key(self) -> str:
        """What a confirmation covers: the kind and the matched text (digits without separators),
        so the same finding moved elsewhere in the text stays covered and a new one does not."""
        return f"{self.kind}:{fold(self.text).replace(' ', '').replace('-', '').lower()}"

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "kind_label": self.kind_label,
            "source": self.source,
            "paragraph": self.paragraph,
            "offset": self.offset,
            "text": self.text,
            "before": self.before,
            "after": self.after,
        }


def fold(text: str) -> str:
    """NFKC per character where that keeps one character (full-width digits, letters, colon),
    so positions in the folded text are positions in the original."""
    out = []
    for char in text:
        folded = unicodedata.normalize("NFKC", char)
        out.append(folded if len(folded) == 1 else char)
    return "".join(out)


def valid_birth(digits: str) -> bool:
    """``YYYYMMDD`` is a real date not in the future-ish range (year ≥ 1900)."""
    import datetime

    try:
        birth = datetime.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return False
    return datetime.date(1900, 1, 1) <= birth <= datetime.date.today()


def id18_valid(number: str) -> bool:
    number = number.upper()
    total = sum(int(d) * w for d, w in zip(number[:17], ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11] == number[17] and valid_birth(number[6:14])


def id15_valid(number: str) -> bool:
    return valid_birth("19" + number[6:12])


def scan_paragraph(text: str, terms: Sequence[str]) -> list[tuple[str, int, int]]:
    """``(kind, start, end)`` of each finding in one paragraph, in order, never overlapping
    (the first kind listed wins a contested span: marks, IDs, mobiles, terms)."""
    folded = fold(text)
    spans: list[tuple[str, int, int]] = []

    def add(kind: str, start: int, end: int) -> None:
        if all(end <= s or start >= e for _k, s, e in spans):
            spans.append((kind, start, end))

    for match in MARK.finditer(folded):
        add("mark", match.start(), match.end())
    for match in ID18.finditer(folded):
        if id18_valid(match.group()):
            add("id_card", match.start(), match.end())
    for match in ID15.finditer(folded):
        if id15_valid(match.group()):
            add("id_card", match.start(), match.end())
    for match in MOBILE.finditer(folded):
        add("mobile", match.start(), match.end())
    lowered = folded.lower()
    for term in terms:
        needle = fold(term).lower()
        if not needle:
            continue
        start = lowered.find(needle)
        while start != -1:
            add("term", start, start + len(needle))
            start = lowered.find(needle, start + len(needle))
    return sorted(spans, key=lambda span: span[1])


def scan(paragraphs: Iterable[str], *, source: str, terms: Sequence[str]) -> list[Finding]:
    findings = []
    for number, paragraph in enumerate(paragraphs, start=1):
        for kind, start, end in scan_paragraph(paragraph, terms):
            findings.append(
                Finding(
                    kind=kind,
                    source=source,
                    paragraph=number,
                    offset=start,
                    text=paragraph[start:end],
                    before=paragraph[max(0, start - CONTEXT) : start],
                    after=paragraph[end : end + CONTEXT],
                )
            )
    return findings


def parse_terms(text: str) -> list[str]:
    """The terms of a list as typed: one a line (commas and 、 also separate), blanks dropped,
    duplicates once, each at most 50 characters."""
    seen: dict[str, None] = {}
    for raw in re.split(r"[\n,，、;；]+", text):
        term = " ".join(raw.split())
        if term:
            seen.setdefault(term[:50], None)
    return list(seen)


def findings_digest(findings: Iterable[Finding]) -> str:
    return hashlib.sha256("\n".join(sorted({f.key for f in findings})).encode()).hexdigest()
