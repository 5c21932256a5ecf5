#!/usr/bin/env python3
"""Object-storage backup: copy the portal's bucket (uploaded documents, licence PDFs)
into a backup bucket, usually at another site or provider.

Why a copy and not only the database backup: files are not in PostgreSQL, and a
restored database whose documents are gone cannot show an applicant's file or re-verify
a licence. Why this script rather than bucket replication: not every S3 service in a
government cloud offers replication, and this runs in the portal's own (restricted)
image with its own credentials, through the egress proxy (botocore honours HTTPS_PROXY
and NO_PROXY).

What it does: every object missing from the backup bucket, of a different size, or
changed since its copy was written (source LastModified later than the copy's), is
copied (streamed: nothing on the read-only root file system). Nothing is
ever deleted from the backup bucket: a file deleted or overwritten by mistake stays
recoverable; give the backup bucket versioning and an object-lock or lifecycle rule for
retention. Exit status 1 when any object failed, so the CronJob shows it.

Source: the portal's own settings (STORAGE_S3_BUCKET, STORAGE_S3_ENDPOINT_URL,
STORAGE_S3_ACCESS_KEY_ID, STORAGE_S3_SECRET_ACCESS_KEY[_FILE], STORAGE_S3_REGION,
STORAGE_S3_PREFIX). Destination: MEDIA_BACKUP_S3_BUCKET, MEDIA_BACKUP_S3_ENDPOINT_URL,
MEDIA_BACKUP_S3_ACCESS_KEY_ID, MEDIA_BACKUP_S3_SECRET_ACCESS_KEY[_FILE],
MEDIA_BACKUP_S3_REGION, MEDIA_BACKUP_S3_PREFIX (default: the source prefix).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError


def setting(name: str, default: str = "") -> str:
    """NAME, or the content of the file NAME_FILE names (a mounted secret)."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


def client(prefix: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=setting(f"{prefix}_ENDPOINT_URL") or None,
        aws_access_key_id=setting(f"{prefix}_ACCESS_KEY_ID") or None,
        aws_secret_access_key=setting(f"{prefix}_SECRET_ACCESS_KEY") or None,
        region_name=setting(f"{prefix}_REGION") or None,
        config=Config(s3={"addressing_style": setting("STORAGE_S3_ADDRESSING_STYLE", "path")}),
    )


def listing(s3: Any, bucket: str, prefix: str) -> Iterator[dict[str, Any]]:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        yield from page.get("Contents", [])


def main() -> int:
    source_bucket = setting("STORAGE_S3_BUCKET")
    backup_bucket = setting("MEDIA_BACKUP_S3_BUCKET")
    if not source_bucket or not backup_bucket:
        print("media backup: set STORAGE_S3_BUCKET and MEDIA_BACKUP_S3_BUCKET", file=sys.stderr)
        return 2
    source_prefix = setting("STORAGE_S3_PREFIX")
    backup_prefix = setting("MEDIA_BACKUP_S3_PREFIX", source_prefix)
    source, backup = client("STORAGE_S3"), client("MEDIA_BACKUP_S3")
    present = {
        item["Key"]: (item["Size"], item["LastModified"])
        for item in listing(backup, backup_bucket, backup_prefix)
    }
    copied = skipped = failed = 0
    for item in listing(source, source_bucket, source_prefix):
        key = backup_prefix + item["Key"][len(source_prefix) :]
        # Not the ETag: a multipart upload's differs from the same bytes sent whole.
        size, written = present.get(key, (None, None))
        if size == item["Size"] and written is not None and written >= item["LastModified"]:
            skipped += 1
            continue
        try:
            body = source.get_object(Bucket=source_bucket, Key=item["Key"])
            backup.upload_fileobj(
                body["Body"],
                backup_bucket,
                key,
                ExtraArgs={"ContentType": body.get("ContentType", "application/octet-stream")},
            )
            copied += 1
        except (BotoCoreError, ClientError) as error:
            failed += 1
            print(f"media backup: {item['Key']} not copied: {error}", file=sys.stderr)
    print(f"media backup: {copied} copied, {skipped} already backed up, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
