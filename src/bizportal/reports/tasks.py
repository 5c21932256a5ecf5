"""Report files prepared in the background: asking for one, and building it.

Why a task: a report over a long period on a large agency can take longer than a web
request should; the requester gets a status page that follows the progress and a
download link when the file is stored. The export keeps the report's parameters and
the requester's language, so the file is the one asked for, whenever it is built.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from bizportal.core.tasks import enqueue_with_commit

from . import exports
from .definitions import FilterError, Filters, Report, Scope, registry
from .models import Export, ExportStatus

logger = logging.getLogger(__name__)

#: Per-cent marks the status page shows.
PROGRESS_RUN = 10
PROGRESS_BUILT = 60
PROGRESS_DONE = 100
#: Times an export is queued before it is given up as failed.
MAX_ATTEMPTS = 3


class ExportFailed(Exception):
    """Why a file could not be built, in words for the requester."""


def request_export(user: Any, report: Report, file_format: str, filters: Filters) -> Export:
    """Record what the user asked for and queue its building (after the commit)."""
    if file_format not in exports.FORMATS:
        raise ValueError(f"unknown export format {file_format!r}")
    with transaction.atomic():
        export = Export.objects.create(
            public_id=uuid.uuid4(),
            requested_by=user,
            report=report.slug,
            file_format=file_format,
            parameters=filters.as_query(),
            language=translation.get_language() or "th",
            queued_at=timezone.now(),
            attempts=1,
        )
        enqueue_with_commit(build_export, export.pk)
    return export


def requeue_stalled(older_than: dt.datetime) -> int:
    """Queue again the exports queued or building since before ``older_than`` (their
    task was lost with a worker or never reached the queue); after
    :data:`MAX_ATTEMPTS` the export fails with a message instead of looping."""
    stalled = Export.objects.filter(
        status__in=(ExportStatus.QUEUED, ExportStatus.RUNNING), queued_at__lt=older_than
    )
    requeued = 0
    for export in stalled.only("pk", "attempts", "language"):
        if export.attempts >= MAX_ATTEMPTS:
            with translation.override(export.language or "th"):
                _fail(export, _("The file could not be prepared. Please ask for it again."))
            continue
        # Conditional: two sweeps at once queue it once.
        if Export.objects.filter(pk=export.pk, attempts=export.attempts).update(
            attempts=export.attempts + 1, queued_at=timezone.now(), status=ExportStatus.QUEUED
        ):
            enqueue_with_commit(build_export, export.pk)
            requeued += 1
    return requeued


def remove_expired(now: dt.datetime | None = None) -> int:
    """Delete the files prepared more than ``BIZPORTAL_REPORT_EXPORT_DAYS`` ago: a
    report file is a snapshot to download, not an archive (the report itself stays)."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.BIZPORTAL_REPORT_EXPORT_DAYS)
    removed = 0
    for export in Export.objects.filter(status=ExportStatus.DONE, finished_at__lt=cutoff):
        if export.file:
            export.file.delete(save=False)
        export.status = ExportStatus.EXPIRED
        export.save(update_fields=["file", "status"])
        removed += 1
    return removed


@task()
def build_export(export_id: int) -> str:
    """Build and store the file of one export; see :func:`build`."""
    return build(export_id)


def _claim(export_id: int) -> Export | None:
    """Mark the export as being built, unless it is already done (a second run of the
    task does nothing) or gone."""
    with transaction.atomic():
        export = Export.objects.select_for_update().filter(pk=export_id).first()
        if export is None or (export.status == ExportStatus.DONE and export.file):
            return None
        export.status = ExportStatus.RUNNING
        export.progress = 0
        export.error = ""
        export.save(update_fields=["status", "progress", "error"])
        return export


def _progress(export: Export, percent: int) -> None:
    Export.objects.filter(pk=export.pk).update(progress=percent)


def build(export_id: int) -> str:
    """Run the report with the stored parameters in the stored language, render the file
    and store it; the status ends DONE (progress 100) or FAILED with a clear error.

    Idempotent: a finished export is left as it is; a failed or interrupted one is
    built again from the start, its previous file (if any) replaced."""
    export = _claim(export_id)
    if export is None:
        return "skipped"
    try:
        with translation.override(export.language or "th"):
            data, name = _render(export)
            old = export.file.name if export.file else ""
            # Under the export's random id: a file name nobody can guess.
            export.file.save(f"{export.public_id}/{name}", ContentFile(data), save=False)
            if old and old != export.file.name:
                export.file.storage.delete(old)
    except (ExportFailed, FilterError) as error:
        return _fail(export, str(error))
    except Exception as error:
        logger.exception("report export %s failed", export.public_id)
        with translation.override(export.language or "th"):
            message = _("The file could not be prepared (%(error)s). Please try again.") % {
                "error": type(error).__name__
            }
        return _fail(export, message)
    export.status = ExportStatus.DONE
    export.progress = PROGRESS_DONE
    export.finished_at = timezone.now()
    export.save(update_fields=["file", "status", "progress", "finished_at"])
    return ExportStatus.DONE


def _render(export: Export) -> tuple[bytes, str]:
    """The file's bytes and name; the report is run in the requester's scope as it is
    now (someone who lost the right to the report gets no file)."""
    file_format = exports.FORMATS.get(export.file_format)
    if file_format is None or export.report not in registry:
        raise ExportFailed(_("This report or file format does not exist."))
    report = registry[export.report]
    scope = Scope.of(export.requested_by)
    if scope is None or not report.visible_to(scope):
        raise ExportFailed(_("You may no longer open this report."))
    filters = Filters.parse(export.parameters, scope)
    result = report.run(scope, filters)
    _progress(export, PROGRESS_RUN)
    data = file_format.render(result)
    _progress(export, PROGRESS_BUILT)
    name = exports.filename(report.slug, filters.start, filters.end, file_format.extension)
    return data, name


def _fail(export: Export, message: str) -> str:
    export.status = ExportStatus.FAILED
    export.error = message[:300]
    export.finished_at = timezone.now()
    export.save(update_fields=["status", "error", "finished_at"])
    return ExportStatus.FAILED
