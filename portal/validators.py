"""Validators and helpers for the identifiers the street office handles every day.

Residents' citizen ID numbers (GB 11643), organisations' unified social credit
codes (GB 32100), mainland mobile numbers and grid codes all arrive through
forms typed by busy staff, pasted out of WeChat or spreadsheets, or imported in
bulk. Catching a mistyped number at the form is far cheaper than finding it
months later in a report, so every rule here says *which* part is wrong.

The module is deliberately pure: it imports only ``ValidationError`` and
``gettext_lazy`` so that it works (and can be tested) without Django settings.
Messages are lazy and English in the source, marked for translation; the
zh-hans catalogue supplies what residents and staff actually read.

Every ``validate_*`` function that takes a single value can go straight into a
model or form field's ``validators=[...]``. ``validate_grid_code`` is the
exception: it needs the community the grid belongs to, so call it from
``clean()``.
"""

from __future__ import annotations

import datetime
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

__all__ = [
    "CITIZEN_ID_EARLIEST_BIRTH_DATE",
    "USCC_ALPHABET",
    "citizen_id_birth_date",
    "citizen_id_check_char",
    "citizen_id_make",
    "citizen_id_normalize",
    "citizen_id_sex",
    "mask_citizen_id",
    "mask_mobile",
    "mobile_normalize",
    "uscc_check_char",
    "uscc_make",
    "uscc_normalize",
    "validate_citizen_id",
    "validate_citizen_id_matches",
    "validate_grid_code",
    "validate_mobile",
    "validate_uscc",
]

# ---------------------------------------------------------------------------
# Shared normalisation
# ---------------------------------------------------------------------------

# Chinese input methods happily produce full-width digits and letters
# ("１１０１０５…", "Ｘ"), and the ideographic space. They look right on screen,
# so fold them to ASCII instead of refusing what the user cannot see is wrong.
_HALFWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_HALFWIDTH[0x3000] = ord(" ")

# str.upper() is Unicode-aware and may change the length ("ß" -> "SS"), which
# would turn a format error into a confusing length error. Fold ASCII only.
_ASCII_UPPER = {code: code - 32 for code in range(ord("a"), ord("z") + 1)}


def _text(value: object) -> str:
    """Coerce to ``str`` so numbers read from spreadsheets (ints) still work."""
    if value is None:
        return ""
    return str(value)


def _halfwidth(value: str) -> str:
    return value.translate(_HALFWIDTH)


def _mask_middle(value: str, *, head: int, tail: int) -> str:
    """Star everything but ``head`` leading and ``tail`` trailing characters.

    When the string is too short to keep both ends *and* hide something, it is
    starred entirely: revealing all of a short value is never the safe choice.
    """
    if not value:
        return ""
    if len(value) <= head + tail:
        return "*" * len(value)
    return value[:head] + "*" * (len(value) - head - tail) + value[len(value) - tail :]


# ---------------------------------------------------------------------------
# Citizen ID number (公民身份号码, GB 11643-1999)
# ---------------------------------------------------------------------------

CITIZEN_ID_LENGTH = 18
CITIZEN_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CITIZEN_ID_CHECK_CHARS = "10X98765432"  # indexed by (weighted sum mod 11)

# Older residents' records include people born in the late nineteenth century
# (the standard's own example is born in 1880); anything earlier is a typo.
CITIZEN_ID_EARLIEST_BIRTH_DATE = datetime.date(1850, 1, 1)

_CITIZEN_ID_RE = re.compile(r"[0-9]{17}[0-9X]", re.ASCII)
_DIGITS_17_RE = re.compile(r"[0-9]{17}", re.ASCII)
_AREA_CODE_RE = re.compile(r"[0-9]{6}", re.ASCII)

_SEX_ALIASES = {
    "male": "male",
    "m": "male",
    "男": "male",
    "female": "female",
    "f": "female",
    "女": "female",
}


def citizen_id_normalize(value: str) -> str:
    """Return the canonical spelling of a citizen ID number.

    Strips surrounding whitespace, folds full-width characters to ASCII and
    upper-cases a trailing ``x``: the check character ten is written ``X`` by
    the standard, but people type it in whichever case their keyboard is in.
    The result is what should be stored, so that lookups and uniqueness
    constraints do not depend on how a number happened to be typed.
    Nothing is validated here.
    """
    value = _halfwidth(_text(value)).strip()
    return value.replace("x", "X")


def citizen_id_check_char(first17: str) -> str:
    """Compute the check character (``0``-``9`` or ``X``) for 17 digits.

    Raises ``ValueError`` if ``first17`` is not exactly 17 ASCII digits: this
    is a building block for code, not a user-facing validator.
    """
    if not isinstance(first17, str) or not _DIGITS_17_RE.fullmatch(first17):
        raise ValueError(f"expected 17 ASCII digits, got {first17!r}")
    total = sum(
        int(digit) * weight for digit, weight in zip(first17, CITIZEN_ID_WEIGHTS, strict=True)
    )
    return CITIZEN_ID_CHECK_CHARS[total % 11]


def _parse_birth_date(digits: str) -> datetime.date | None:
    """Parse ``YYYYMMDD``; ``None`` for dates that do not exist (e.g. 0230)."""
    try:
        return datetime.date(int(digits[0:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None


def validate_citizen_id(value: str, *, today: datetime.date | None = None) -> None:
    """Validate an 18-character citizen ID number.

    Raises ``ValidationError`` whose ``code`` says which rule failed, so forms
    can tell the clerk what to look at instead of a bare "invalid":

    ``length``
        not 18 characters (the old 15-digit numbers were retired in 2013);
    ``format``
        anything but digits in the first 17 positions, or a last character
        other than a digit or ``X``;
    ``birth_date``
        positions 7-14 are not a real date, are in the future, or are before
        ``CITIZEN_ID_EARLIEST_BIRTH_DATE``;
    ``checksum``
        the check character does not match - almost always a typo, which is
        exactly what the check character is there to catch.

    ``today`` exists for tests; by default the local date is used (Django sets
    the process time zone from ``TIME_ZONE``, so this is the office's date).
    """
    value = citizen_id_normalize(value)
    if len(value) != CITIZEN_ID_LENGTH:
        raise ValidationError(
            _("A citizen ID number has 18 characters; this one has %(length)d."),
            code="length",
            params={"length": len(value)},
        )
    if not _CITIZEN_ID_RE.fullmatch(value):
        raise ValidationError(
            _(
                "A citizen ID number is 17 digits followed by a digit or the letter X; "
                "this one contains other characters."
            ),
            code="format",
        )
    birth_date = _parse_birth_date(value[6:14])
    if birth_date is None:
        raise ValidationError(
            _("The birth date in this ID number (%(digits)s) is not a real date."),
            code="birth_date",
            params={"digits": value[6:14]},
        )
    if birth_date > (today or datetime.date.today()):
        raise ValidationError(
            _("The birth date in this ID number (%(date)s) is in the future."),
            code="birth_date",
            params={"date": birth_date.isoformat()},
        )
    if birth_date < CITIZEN_ID_EARLIEST_BIRTH_DATE:
        raise ValidationError(
            _("The birth date in this ID number (%(date)s) is implausibly early."),
            code="birth_date",
            params={"date": birth_date.isoformat()},
        )
    if citizen_id_check_char(value[:17]) != value[17]:
        raise ValidationError(
            _(
                "The check character of this ID number is wrong; please check it for typing mistakes."
            ),
            code="checksum",
        )


def citizen_id_birth_date(value: str) -> datetime.date:
    """Return the birth date encoded in a citizen ID number.

    Meant for numbers that already passed ``validate_citizen_id`` (so derived
    data such as age can be computed instead of typed twice). Raises
    ``ValueError`` when the number has no readable date.
    """
    value = citizen_id_normalize(value)
    digits = value[6:14]
    if len(value) != CITIZEN_ID_LENGTH or not digits.isascii() or not digits.isdigit():
        raise ValueError(f"not a citizen ID number: {value!r}")
    birth_date = _parse_birth_date(digits)
    if birth_date is None:
        raise ValueError(f"no valid birth date in citizen ID number: {value!r}")
    return birth_date


def citizen_id_sex(value: str) -> str:
    """Return ``"male"`` or ``"female"`` from the sequence code's last digit.

    The standard assigns odd sequence numbers to men and even ones to women.
    Raises ``ValueError`` when the number is too malformed to tell.
    """
    value = citizen_id_normalize(value)
    if len(value) != CITIZEN_ID_LENGTH or value[16] not in "0123456789":
        raise ValueError(f"not a citizen ID number: {value!r}")
    return "male" if int(value[16]) % 2 else "female"


def _canonical_sex(sex: str) -> str:
    canonical = _SEX_ALIASES.get(sex.strip().lower())
    if canonical is None:
        raise ValueError(f"unknown sex value: {sex!r}")
    return canonical


def validate_citizen_id_matches(
    value: str,
    *,
    sex: str | None,
    birth_date: datetime.date | None,
) -> None:
    """Check that separately entered sex and birth date agree with the number.

    Resident forms ask for sex and birth date as well as the ID number; when
    they disagree one of them was mistyped, and the number (with its check
    character) is usually the one to trust. Errors are keyed by field -
    ``{"sex": [...], "birth_date": [...]}`` - so a model's ``clean()`` can
    raise them as they are and each message lands next to its own input.

    ``None`` (or an empty string) means "not entered" and is not checked. An
    invalid number is skipped too: its own field validator reports that, and
    a mismatch against garbage would only add noise. ``sex`` accepts
    ``male``/``female`` (also ``m``/``f``, ``男``/``女``); anything else is a
    programming error and raises ``ValueError``.
    """
    try:
        validate_citizen_id(value)
    except ValidationError:
        return
    errors: dict[str, list[ValidationError]] = {}
    if sex is not None and sex.strip() and _canonical_sex(sex) != citizen_id_sex(value):
        errors["sex"] = [
            ValidationError(
                _("The sex does not match the ID number."),
                code="sex_mismatch",
            )
        ]
    if birth_date is not None:
        if isinstance(birth_date, datetime.datetime):
            birth_date = birth_date.date()
        expected = citizen_id_birth_date(value)
        if birth_date != expected:
            errors["birth_date"] = [
                ValidationError(
                    _("The birth date does not match the ID number, which gives %(date)s."),
                    code="birth_date_mismatch",
                    params={"date": expected.isoformat()},
                )
            ]
    if errors:
        raise ValidationError(errors)


def citizen_id_make(*, area_code: str, birth_date: datetime.date, sequence: int) -> str:
    """Build a valid citizen ID number (demo data and tests).

    Raises ``ValueError`` for an area code that is not six digits or a
    sequence outside 0-999. The birth date is not range-checked, so tests can
    build numbers that ``validate_citizen_id`` must refuse.
    """
    if not isinstance(area_code, str) or not _AREA_CODE_RE.fullmatch(area_code):
        raise ValueError(f"area_code must be six ASCII digits, got {area_code!r}")
    if isinstance(sequence, bool) or not isinstance(sequence, int) or not 0 <= sequence <= 999:
        raise ValueError(f"sequence must be an integer from 0 to 999, got {sequence!r}")
    if not isinstance(birth_date, datetime.date):
        raise ValueError(f"birth_date must be a date, got {birth_date!r}")
    # Explicit zero padding: strftime("%Y") does not pad years before 1000.
    date_digits = f"{birth_date.year:04d}{birth_date.month:02d}{birth_date.day:02d}"
    first17 = f"{area_code}{date_digits}{sequence:03d}"
    return first17 + citizen_id_check_char(first17)


# ---------------------------------------------------------------------------
# Unified social credit code (统一社会信用代码, GB 32100-2015)
# ---------------------------------------------------------------------------

# I, O, Z, S and V are left out of the standard's alphabet because they are
# easily confused with 1, 0, 2, 5 and U; a character's value is its index.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_LENGTH = 18
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_VALUES = {char: index for index, char in enumerate(USCC_ALPHABET)}


def uscc_normalize(value: str) -> str:
    """Return the canonical spelling of a unified social credit code.

    Strips surrounding whitespace, folds full-width characters and upper-cases
    ASCII letters (codes are printed in capitals, but typed in any case).
    Confusable letters such as ``O`` are *not* silently turned into ``0``:
    guessing could turn one organisation's code into another's.
    """
    return _halfwidth(_text(value)).strip().translate(_ASCII_UPPER)


def uscc_check_char(first17: str) -> str:
    """Compute the check character for the first 17 characters of a USCC.

    Raises ``ValueError`` unless ``first17`` is 17 characters of
    ``USCC_ALPHABET`` (upper case).
    """
    if (
        not isinstance(first17, str)
        or len(first17) != USCC_LENGTH - 1
        or any(char not in _USCC_VALUES for char in first17)
    ):
        raise ValueError(f"expected 17 characters of {USCC_ALPHABET}, got {first17!r}")
    total = sum(
        _USCC_VALUES[char] * weight for char, weight in zip(first17, USCC_WEIGHTS, strict=True)
    )
    return USCC_ALPHABET[(31 - total % 31) % 31]


def validate_uscc(value: str) -> None:
    """Validate an 18-character unified social credit code.

    ``code`` on the ``ValidationError`` is ``length``, ``format`` (a character
    outside the standard's alphabet - typically the letters I, O, Z, S or V,
    which it never uses) or ``checksum`` (a typo the check character caught).
    """
    value = uscc_normalize(value)
    if len(value) != USCC_LENGTH:
        raise ValidationError(
            _("A unified social credit code has 18 characters; this one has %(length)d."),
            code="length",
            params={"length": len(value)},
        )
    if any(char not in _USCC_VALUES for char in value):
        raise ValidationError(
            _(
                "A unified social credit code contains only digits and capital letters "
                "other than I, O, Z, S and V."
            ),
            code="format",
        )
    if uscc_check_char(value[:17]) != value[17]:
        raise ValidationError(
            _(
                "The check character of this unified social credit code is wrong; "
                "please check it for typing mistakes."
            ),
            code="checksum",
        )


def uscc_make(first17: str) -> str:
    """Append the check character to 17 USCC characters (demo data and tests)."""
    first17 = uscc_normalize(first17)
    return first17 + uscc_check_char(first17)


# ---------------------------------------------------------------------------
# Mainland mobile numbers
# ---------------------------------------------------------------------------

_MOBILE_RE = re.compile(r"1[3-9][0-9]{9}", re.ASCII)
_COUNTRY_PREFIX_RE = re.compile(r"(?:\+86|86)([0-9]{11})", re.ASCII)
# Spaces of every kind and the dashes word processors substitute for "-".
_MOBILE_SEPARATORS_RE = re.compile(r"[\s\-\u2010\u2011\u2012\u2013\u2014\u2212]+")


def mobile_normalize(value: str) -> str:
    """Return the bare 11-digit form people write numbers in many ways.

    Folds full-width characters, removes spaces and dashes (``138 0013 8000``,
    ``138-0013-8000``) and then drops a ``+86``/``86`` country prefix, but only
    when exactly 11 digits follow it - otherwise the digits are left alone so
    that validation reports them rather than a shortened number slipping by.
    Nothing is validated here.
    """
    value = _MOBILE_SEPARATORS_RE.sub("", _halfwidth(_text(value)))
    match = _COUNTRY_PREFIX_RE.fullmatch(value)
    if match:
        return match.group(1)
    return value


def validate_mobile(value: str) -> None:
    """Validate a mainland Chinese mobile number (``code="format"``).

    Mobile numbers are 11 digits starting ``13``-``19``; ``12…`` and shorter
    numbers are landlines or typos, and SMS notices sent to them are lost.
    """
    if not _MOBILE_RE.fullmatch(mobile_normalize(value)):
        raise ValidationError(
            _("Enter an 11-digit mainland mobile number starting with 13 to 19."),
            code="format",
        )


# ---------------------------------------------------------------------------
# Grid codes
# ---------------------------------------------------------------------------

GRID_CODE_LENGTH = 15
COMMUNITY_CODE_LENGTH = 12
_GRID_CODE_RE = re.compile(r"[0-9]{15}", re.ASCII)
_COMMUNITY_CODE_RE = re.compile(r"[0-9]{12}", re.ASCII)


def validate_grid_code(code: str, *, community_code: str) -> None:
    """Validate a 15-digit grid code against the community it belongs to.

    A grid code is the community's 12-digit statistical code followed by a
    3-digit grid number, so a grid filed under the wrong community is visible
    from the code alone. Codes: ``format`` (not 15 digits) and ``community``
    (the prefix is another community's). A ``community_code`` that is not 12
    digits is a programming or data error and raises ``ValueError``.
    """
    if not isinstance(community_code, str) or not _COMMUNITY_CODE_RE.fullmatch(community_code):
        raise ValueError(f"community_code must be 12 ASCII digits, got {community_code!r}")
    code = _text(code)
    if not _GRID_CODE_RE.fullmatch(code):
        raise ValidationError(
            _("A grid code has 15 digits."),
            code="format",
        )
    if code[:COMMUNITY_CODE_LENGTH] != community_code:
        raise ValidationError(
            _("A grid code must start with its community's code, %(community_code)s."),
            code="community",
            params={"community_code": community_code},
        )


# ---------------------------------------------------------------------------
# Masking for display
# ---------------------------------------------------------------------------


def mask_citizen_id(value: str) -> str:
    """Mask a citizen ID number for display: ``3303**********1234``.

    Lists, exports and screens are seen by far more people than need the full
    number; the first four (province and city) and last four characters are
    enough to tell residents apart. An 18-character number keeps 4 + 4 and
    stars the middle ten - which also hides the birth date; any other length
    keeps 2 + 2. The length is preserved and masking a masked value changes
    nothing. Empty (or ``None``) gives ``""``.
    """
    value = citizen_id_normalize(value)
    if len(value) == CITIZEN_ID_LENGTH:
        return _mask_middle(value, head=4, tail=4)
    return _mask_middle(value, head=2, tail=2)


def mask_mobile(value: str) -> str:
    """Mask a mobile number for display: ``138****0000``.

    The number is normalised first, so however it was typed the result looks
    the same. An 11-digit number keeps the first three (the carrier) and the
    last four; anything else keeps 2 + 2. Empty (or ``None``) gives ``""``.
    """
    value = mobile_normalize(value)
    if len(value) == 11:
        return _mask_middle(value, head=3, tail=4)
    return _mask_middle(value, head=2, tail=2)


# --- Webhook targets --------------------------------------------------------------------------


def webhook_target_refusal(url: str, *, allowed_hosts=()) -> str | None:
    """Why the portal will not POST to `url` (None: it may). A subscriber's URL must reach a
    public address: one that resolves to a loopback, private, link-local, reserved or
    multicast address would let an integration account make the portal call its own network
    (SSRF) — unless the host is listed in WEBHOOK_ALLOWED_HOSTS (a district system inside the
    government network). Checked when a subscription is saved and again before each delivery
    (a name may later resolve elsewhere)."""
    import ipaddress
    import socket
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return str(_("Give a valid http or https address."))
    if parts.scheme not in ("http", "https") or not host:
        return str(_("Give a valid http or https address."))
    if host.lower() in {h.lower() for h in allowed_hosts}:
        return None
    try:
        infos = socket.getaddrinfo(host, port or 443, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return str(_("This address's host name cannot be resolved."))
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if not address.is_global or address.is_multicast:
            return str(
                _(
                    "This address leads into a private or local network; the portal sends "
                    "webhooks only to public addresses (or hosts the administrators allow)."
                )
            )
    return None
