"""Uploaded files: the one place that decides whether a file may come in.

Every upload — spreadsheets (registry import, meal import, a department's form), visit photos,
service-hours evidence, alliance agreement scans — goes through `upload_check()` before it is
read or stored:

- its size is capped (`UPLOAD_MAX_BYTES`, 10 MB by default; a caller may ask for less);
- its name's extension must be one of the kinds the field takes;
- its first bytes must be what the extension claims (a small explicit signature check: an
  `.xlsx` is a zip holding a workbook, a `.pdf` starts with `%PDF-`, a `.jpg` with FF D8 FF, a
  `.csv` is text);
- an `.xlsx` is opened as a zip and its directory checked BEFORE openpyxl reads it: at most
  `UPLOAD_XLSX_MAX_ENTRIES` entries and `UPLOAD_XLSX_MAX_UNCOMPRESSED` bytes once unpacked
  (a zip bomb of a few kilobytes unpacks to gigabytes of XML).

Stored files are never served from MEDIA_URL (no route serves it): each is served by a view
of its owner that looks the object up through `visible_to()` first, so an outsider gets the
same 404 as for a missing object.
"""

from __future__ import annotations

import zipfile
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.urls import reverse
from django.utils.translation import gettext as _

MB = 1024 * 1024
DEFAULT_MAX_BYTES = 10 * MB
DEFAULT_XLSX_MAX_ENTRIES = 1_000
DEFAULT_XLSX_MAX_UNCOMPRESSED = 200 * MB

# kind → (extensions, signature test on the first bytes)
_KINDS = {
    "xlsx": ((".xlsx",), lambda head: head.startswith(b"PK\x03\x04")),
    "csv": ((".csv",), lambda head: b"\x00" not in head and not _binary(head)),
    "pdf": ((".pdf",), lambda head: head.startswith(b"%PDF-")),
    "jpeg": ((".jpg", ".jpeg"), lambda head: head.startswith(b"\xff\xd8\xff")),
    "png": ((".png",), lambda head: head.startswith(b"\x89PNG\r\n\x1a\n")),
    "gif": ((".gif",), lambda head: head[:6] in (b"GIF87a", b"GIF89a")),
    "webp": ((".webp",), lambda head: head[:4] == b"RIFF" and head[8:12] == b"WEBP"),
    "heic": (
        (".heic", ".heif"),
        lambda head: head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1"),
    ),
}
SPREADSHEET = ("xlsx", "csv")
PHOTO = ("jpeg", "png", "gif", "webp", "heic")
DOCUMENT = ("pdf", *PHOTO)  # a scan or evidence: a PDF or a picture
_SIGNATURES = (b"PK\x03\x04", b"%PDF-", b"\xff\xd8\xff", b"\x89PNG", b"GIF8", b"\xd0\xcf\x11\xe0")


def _binary(head: bytes) -> bool:
    return head.startswith(_SIGNATURES)


def max_bytes_default() -> int:
    return getattr(settings, "UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES)


def extensions(kinds) -> tuple[str, ...]:
    return tuple(ext for kind in kinds for ext in _KINDS[kind][0])


def upload_check(uploaded_file, *, kinds, max_bytes: int | None = None) -> str:
    """The kind of `uploaded_file` (one of `kinds`), or ValidationError saying what is wrong:
    too large, an extension the field does not take, content that is not what the name claims,
    a workbook that unpacks to too much. Leaves the file at its start."""
    limit = min(max_bytes or max_bytes_default(), max_bytes_default())
    size = getattr(uploaded_file, "size", None)
    if size is None:
        size = _size(uploaded_file)
    if size > limit:
        raise ValidationError(
            _("The file is larger than %(mb)s MB.") % {"mb": _mb(limit)}, code="file_size"
        )
    extension = PurePath(getattr(uploaded_file, "name", "") or "").suffix.lower()
    kind = next((k for k in kinds if extension in _KINDS[k][0]), None)
    if kind is None:
        raise ValidationError(
            _("Files of this type are not accepted here (accepted: %(types)s).")
            % {"types": ", ".join(extensions(kinds))},
            code="file_type",
        )
    head = _head(uploaded_file)
    if kind == "xlsx" and not _KINDS[kind][1](head):
        raise ValidationError(
            _("This file cannot be read as an Excel workbook (.xlsx)."), code="unreadable"
        )
    if not head or not _KINDS[kind][1](head):
        raise ValidationError(
            _("The file's content is not a %(type)s file, whatever its name says.")
            % {"type": extension},
            code="file_content",
        )
    if kind == "xlsx":
        xlsx_check(uploaded_file)
    return kind


def xlsx_check(fileobj) -> None:
    """Refuse a workbook whose zip directory lists too many entries or too many bytes once
    unpacked (checked from the directory, before anything is decompressed), or that is not a
    workbook at all. Leaves the file at its start."""
    max_entries = getattr(settings, "UPLOAD_XLSX_MAX_ENTRIES", DEFAULT_XLSX_MAX_ENTRIES)
    max_total = getattr(settings, "UPLOAD_XLSX_MAX_UNCOMPRESSED", DEFAULT_XLSX_MAX_UNCOMPRESSED)
    unreadable = ValidationError(  # the spreadsheet kit's code for a workbook it cannot read
        _("This file cannot be read as an Excel workbook (.xlsx)."), code="unreadable"
    )
    try:
        fileobj.seek(0)
        with zipfile.ZipFile(fileobj) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        raise unreadable from None
    finally:
        fileobj.seek(0)
    if len(entries) > max_entries:
        raise ValidationError(
            _("The workbook holds too many parts (%(count)d; at most %(limit)d).")
            % {"count": len(entries), "limit": max_entries},
            code="xlsx_entries",
        )
    total = sum(entry.file_size for entry in entries)
    if total > max_total:
        raise ValidationError(
            _("The workbook unpacks to more than %(mb)s MB; split it into smaller files.")
            % {"mb": _mb(max_total)},
            code="xlsx_size",
        )
    names = {entry.filename for entry in entries}
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise unreadable


def _head(fileobj, length: int = 16) -> bytes:
    fileobj.seek(0)
    head = fileobj.read(length)
    fileobj.seek(0)
    if isinstance(head, str):
        head = head.encode("utf-8", errors="replace")
    return head or b""


def _size(fileobj) -> int:
    fileobj.seek(0, 2)
    size = fileobj.tell()
    fileobj.seek(0)
    return size


def _mb(limit: int) -> str:
    return f"{limit / MB:g}"


def form_file_clean(uploaded_file, *, kinds, max_bytes: int | None = None):
    """For a form's clean_<field>() or a serializer's validate_<field>(): None/False (no file,
    or the "clear" box) and a file already stored pass through; an upload is checked."""
    if not isinstance(uploaded_file, UploadedFile):
        return uploaded_file
    upload_check(uploaded_file, kinds=kinds, max_bytes=max_bytes)
    return uploaded_file


def scoped_file_url(request, url_name: str, pk: int) -> str:
    """The address of a stored file's scoped view (for an API's file field): the view looks the
    object up in the reader's scope; MEDIA_URL serves nothing."""
    url = reverse(url_name, args=[pk])
    return request.build_absolute_uri(url) if request is not None else url
