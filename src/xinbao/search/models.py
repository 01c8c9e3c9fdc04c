"""What the full-text index is built from: one token string per item, and the text of .docx
attachments (extracted once, when the attachment is saved).

``SearchDocument.tokens`` is the source of the backend index (see ``search.fulltext``): on SQLite
an FTS5 external-content table over this table, kept in step by triggers; on PostgreSQL a generated
``tsvector`` column of this table with a GIN index. Only ``search.index`` writes these rows.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from xinbao.items.models import Attachment, Item


class SearchDocument(models.Model):
    item = models.OneToOneField(
        Item, primary_key=True, on_delete=models.CASCADE, related_name="search_document"
    )
    tokens = models.TextField(_("检索词"))
    indexed_at = models.DateTimeField(_("索引时间"), auto_now=True)

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
