"""UPLOAD_STORAGE=s3, the settings as an operator writes them, against moto's S3 (in a
process of its own: the uploads storage is chosen when the models load)."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import ROOT

SCRIPT = """
from moto import mock_aws

with mock_aws():
    import boto3
    import django

    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="portal-uploads")
    django.setup()
    from datetime import timedelta

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.utils import timezone

    from apps_catalog.services import app_save_source
    from executions import uploads
    from executions.models import Execution, StoredFile, SubmissionFile

    call_command("migrate", verbosity=0)
    app, _ = app_save_source(source=open("examples/apps/it_ticket.yml").read())
    execution = Execution.objects.create(app=app, payload={}, inputs={})
    upload = SimpleUploadedFile("notes.txt", b"kept in S3", content_type="text/plain")
    uploads.store(execution, {"attachment": upload})
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="portal-uploads")["Contents"]]
    print("keys", keys, "in the database", StoredFile.objects.count())
    with uploads.opened(execution) as fields:
        print("read", fields["attachment"][1].read())
    SubmissionFile.objects.filter(execution=execution).delete()  # its app was deleted
    print("swept now", uploads.sweep(now=timezone.now()))
    print("swept later", uploads.sweep(now=timezone.now() + timedelta(hours=2)))
    print("left", s3.list_objects_v2(Bucket="portal-uploads")["KeyCount"])
"""


def test_uploads_wait_in_the_bucket_and_the_sweep_removes_them_there(tmp_path):
    env = {
        **os.environ,
        "PORTAL_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "kestra_apps.settings",
        "UPLOAD_STORAGE": "s3",
        "UPLOAD_S3_BUCKET": "portal-uploads",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",  # noqa: S105 - moto's, not a secret
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    env.pop("DATABASE_URL", None)

    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )

    lines = result.stdout.splitlines()
    assert lines[0].startswith("keys ['uploads/submissions/") and lines[0].endswith(
        "/attachment/notes.txt'] in the database 0"
    )
    assert lines[1:] == ["read b'kept in S3'", "swept now 0", "swept later 1", "left 0"]
