"""Attachments on an S3-compatible store (``settings.default_storage`` with ``XINBAO_S3_BUCKET``:
django-storages' S3 backend): the same upload, digest, authorized download, integrity refusal
as on the file system, against moto's S3 (boto3's calls answered in-process)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from django.test import Client
from django.urls import reverse
from moto import mock_aws
from pytest_django.fixtures import Settings as SettingsWrapper

from tests.conftest import County
from tests.factories import make_item
from tests.items.test_attachments import PDF, upload
from xinbao.audit.models import AuditRecord
from xinbao.items.attachments import attachment_add
from xinbao.settings import default_storage

pytestmark = pytest.mark.django_db
BUCKET = "xinbao-attachments"


@pytest.fixture
def bucket(settings: SettingsWrapper, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The deployment's S3 settings, read from the environment as in production."""
    for name, value in {
        "XINBAO_S3_BUCKET": BUCKET,
        "XINBAO_S3_REGION": "cn-north-1",
        "XINBAO_S3_ACCESS_KEY": "testing",
        "XINBAO_S3_SECRET_KEY": "testing",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        s3 = boto3.client("s3", region_name="cn-north-1")
        s3.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "cn-north-1"}
        )
        settings.STORAGES = {**settings.STORAGES, "default": default_storage()}
        yield s3


def stored_keys(s3: Any) -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


def test_an_attachment_is_stored_in_the_bucket_and_downloaded_through_the_check(
    county: County, bucket: Any
) -> None:
    item = make_item(officer=county.officer_a)
    attachment = attachment_add(item=item, actor=county.officer_a, upload=upload("报告.pdf", PDF))
    assert stored_keys(bucket) == [attachment.file.name]
    stored = bucket.get_object(Bucket=BUCKET, Key=attachment.file.name)
    assert stored["Body"].read() == PDF
    assert attachment.sm3 == hashlib.new("sm3", PDF).hexdigest()
    url = reverse("items:attachment", args=[item.pk, attachment.pk])
    client = Client()
    client.force_login(county.officer_a)
    response = client.get(url)
    assert response.status_code == 200 and response.content == PDF
    assert response["Content-Type"] == "application/pdf"
    outsider = Client()
    outsider.force_login(county.other_officer)
    assert outsider.get(url).status_code == 404


def test_an_object_altered_in_the_bucket_is_refused_and_audited(
    county: County, bucket: Any
) -> None:
    item = make_item(officer=county.officer_a)
    attachment = attachment_add(item=item, actor=county.officer_a, upload=upload("报告.pdf", PDF))
    bucket.put_object(Bucket=BUCKET, Key=attachment.file.name, Body=PDF + b"%altered")
    client = Client()
    client.force_login(county.officer_a)
    response = client.get(reverse("items:attachment", args=[item.pk, attachment.pk]))
    assert response.status_code == 409
    assert "完整性校验未通过" in response.content.decode()
    assert AuditRecord.objects.filter(action="integrity.violation", success=False).exists()
