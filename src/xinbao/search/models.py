"""What the full-text index is built from: one token string per item, and the text of .docx
attachments (extracted once, when the attachment is saved).

``SearchDocument.tokens`` is the source of the backend index (see ``search.fulltext``): on SQLite
an FTS5 external-content table over this table, kept in step by triggers; on PostgreSQL a
``tsvector`` column of this table kept by a trigger, with a GIN index.
Only ``search.index`` writes these rows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from xinbao.items.models import Attachment, Item


class SearchDocument(models.Model):
    item = models.OneToOneField(
        Item, primary_key=True, on_delete=models.CASCADE, related_name="search_document"
    )
    tokens = models.TextField(_("检索词"))
    indexed_at = models.DateTimeField(_("索引时间"), auto_now=True)
    # The item's fields that visibility reads (``items.permissions.visible_parts``), copied so
    # that on PostgreSQL the match and the permission filter come from one GIN index walk
    # (``search_doc_scope_gin``: unit, department, vector). ``search.index`` keeps them in step
    # with the item (``index_item``, ``scope_sync`` from the signals on every workflow move,
    # ``reindex``); ``None`` until the item is indexed.
    # Plain integers (not foreign keys, which are bigint): PostgreSQL compares them with the
    # integer literals of a query inside the GIN index (btree_gin has no cross-type operators).
    unit_id = models.IntegerField(null=True)
    department_id = models.IntegerField(null=True)
    state = models.CharField(max_length=20, null=True)  # noqa: DJ001 - None: not yet copied

    class Meta:
        verbose_name = _("检索索引")
        verbose_name_plural = _("检索索引")

    def __str__(self) -> str:
        return str(self.item_id)


class AttachmentText(models.Model):
    attachment = models.OneToOneField(
        Attachment, primary_key=True, on_delete=models.CASCADE, related_name="search_text"
    )
    text = models.TextField(_("附件文字"), blank=True)

    class Meta:
        verbose_name = _("附件文字")
        verbose_name_plural = _("附件文字")

    def __str__(self) -> str:
        return str(self.attachment_id)


class DuplicateSignature(models.Model):
    """An item's entry in the near-duplicate index (``search.duplicates``): its compared text
    (normalized paragraphs, one a line), the MinHash signature of the whole, and its novelty.

    ``novelty`` is 1 − the highest score (``SimilarPair.score``) against any item reported
    before this one (1.0: nothing like it was reported before); ``None`` while it has no entry
    computed. It is recomputed whenever the item is saved or submitted and by ``xinbao
    reindex``. The assessment reads it with ``search.queries.novelty_of``.
    """

    item = models.OneToOneField(
        Item, primary_key=True, on_delete=models.CASCADE, related_name="duplicate_signature"
    )
    text = models.TextField(_("比对文本"))
    signature = models.BinaryField(_("MinHash 签名"))
    novelty = models.FloatField(_("新颖度"), null=True, blank=True)
    nearest = models.ForeignKey(
        Item,
        verbose_name=_("最相似的先报信息"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    computed_at = models.DateTimeField(_("计算时间"), auto_now=True)

    class Meta:
        verbose_name = _("查重索引")
        verbose_name_plural = _("查重索引")

    def __str__(self) -> str:
        return str(self.item_id)


class LshBand(models.Model):
    """One LSH band of an item's signature (``paragraph`` −1) or of one of its long paragraphs:
    items sharing a ``key`` are candidates. Looked up by ``key`` only, in its index, which holds
    the other two columns too: a check reads the index alone (search/0010)."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="+")
    key = models.BigIntegerField()
    paragraph = models.SmallIntegerField(default=-1)

    class Meta:
        verbose_name = _("查重分段")
        verbose_name_plural = _("查重分段")
        indexes = [
            models.Index(fields=["key", "item", "paragraph"], name="search_lsh_key_cover_idx")
        ]

    def __str__(self) -> str:
        return f"{self.item_id}:{self.key}"


class SimilarPair(models.Model):
    """A confirmed similarity between two items, stored both ways round (``item`` → ``other``
    and ``other`` → ``item``), rewritten whenever either item is (re)indexed.

    ``flagged``: 高度相似 (``similarity`` ≥ 0.5 or ``containment`` ≥ 0.8, ``search.shingles``).
    ``same_event``: the two come from different units of one department within
    ``EVENT_DAYS`` days and are alike enough to be reports of the same event (撞车).
    """

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="similar_pairs")
    other = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="+")
    similarity = models.FloatField(_("相似度"))
    containment = models.FloatField(_("包含度"))
    score = models.FloatField(_("得分"))
    flagged = models.BooleanField(_("高度相似"), default=False)
    same_event = models.BooleanField(_("同一事件"), default=False)

    class Meta:
        verbose_name = _("相似信息")
        verbose_name_plural = _("相似信息")
        constraints = [models.UniqueConstraint(fields=["item", "other"], name="search_pair_unique")]
        indexes = [
            models.Index(fields=["item", "-score"], name="search_pair_item_idx"),
            models.Index(fields=["other"], name="search_pair_other_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id}~{self.other_id}"


class ItemMerge(models.Model):
    """``item`` (a report of the same event from another unit) was merged into ``into``, the
    adopted item; ``item``'s unit became a co-reporting unit of ``into`` (joint credit)."""

    item = models.OneToOneField(Item, on_delete=models.CASCADE, related_name="merge_record")
    into = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="merged_items")
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    merged_at = models.DateTimeField(_("合并时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("合并记录")
        verbose_name_plural = _("合并记录")

    def __str__(self) -> str:
        return f"{self.item_id}→{self.into_id}"
