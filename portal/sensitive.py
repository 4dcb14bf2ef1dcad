"""Revealing and exporting personal data (PIPL art. 28): permission, reason, audit — every time."""

import csv
import io
from collections.abc import Iterable, Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from portal.audit import audit_record
from portal.spreadsheets import safe_row

REVEAL_PERM = "portal.reveal_sensitive"
EXPORT_UNMASKED_PERM = "portal.export_unmasked"
MIN_REASON_LENGTH = 4


def sensitive_reveal(*, actor, obj, field: str, reason: str) -> str:
    """Return the clear value of `obj.field` for the actor, and log that they saw it and why.

    The caller has already fetched `obj` through `visible_to(actor)`; this adds the permission
    to unmask and the reason. Refused attempts are audited too.
    """
    reason = (reason or "").strip()
    if not actor.has_perm(REVEAL_PERM):
        audit_record(
            actor=actor, action="reveal", obj=obj, outcome="denied", details={"field": field}
        )
        raise PermissionDenied
    if len(reason) < MIN_REASON_LENGTH:
        raise ValidationError(
            {
                "reason": _("Say why you need to see it (at least %(n)d characters).")
                % {"n": MIN_REASON_LENGTH}
            }
        )
    with transaction.atomic():
        audit_record(
            actor=actor, action="reveal", obj=obj, details={"field": field, "reason": reason}
        )
    return getattr(obj, field)


def export_response(
    *,
    actor,
    rows: Iterable[Sequence],
    headers: Sequence[str],
    filename: str,
    fmt: str,
    subject: str,
    unmasked: bool,
    filters: dict | None = None,
) -> HttpResponse:
    """Build a CSV or XLSX download of `rows` and write the export's audit event.

    `rows` must already be scoped (visible_to) and masked unless `unmasked`; the audit event
    records what was exported, how many rows, with which filters, and whether unmasked.
    """
    if fmt not in ("csv", "xlsx"):
        raise ValidationError({"format": _("Choose CSV or Excel.")})
    # Text cells never run as formulas (a resident named `=HYPERLINK(...)`): neutralised for
    # both formats; numbers and dates stay numbers and dates.
    headers = safe_row(headers)
    rows = [safe_row(row) for row in rows]
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "csv":
        buffer = io.StringIO()
        buffer.write("\ufeff")  # Excel opens UTF-8 CSV with Chinese text only with a BOM
        writer = csv.writer(buffer)
        writer.writerow(headers)
        writer.writerows(rows)
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    else:
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(subject[:31])
        sheet.append(headers)
        for row in rows:
            sheet.append(row)
        buffer = io.BytesIO()
        workbook.save(buffer)
        response = HttpResponse(
            buffer.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{filename}-{stamp}.{fmt}"'
    audit_record(
        actor=actor,
        action="export",
        details={
            "subject": subject,
            "rows": len(rows),
            "format": fmt,
            "unmasked": unmasked,
            "filters": filters or {},
        },
    )
    return response
