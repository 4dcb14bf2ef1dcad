"""Tests for portal.validators.

These need no database and no Django settings: messages are lazy, so the
tests compare ``ValidationError.code`` (and dict keys), never message text.
"""

import datetime

import pytest
from django.core.exceptions import ValidationError
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from portal.validators import (
    USCC_ALPHABET,
    citizen_id_birth_date,
    citizen_id_check_char,
    citizen_id_make,
    citizen_id_normalize,
    citizen_id_sex,
    mask_citizen_id,
    mask_mobile,
    mobile_normalize,
    uscc_check_char,
    uscc_make,
    uscc_normalize,
    validate_citizen_id,
    validate_citizen_id_matches,
    validate_grid_code,
    validate_mobile,
    validate_uscc,
)

TODAY = datetime.date.today()
EARLIEST = datetime.date(1850, 1, 1)
SPEC_CITIZEN_IDS = ["11010519491231002X", "440524188001010014"]
SPEC_USCC = "91350100M000100Y43"
COMMUNITY = "330102001001"

relaxed = settings(deadline=None)

area_codes = st.integers(min_value=0, max_value=999_999).map(lambda n: f"{n:06d}")
birth_dates = st.dates(min_value=EARLIEST, max_value=TODAY)
sequences = st.integers(min_value=0, max_value=999)


@st.composite
def citizen_ids(draw):
    """A valid number together with the facts it was built from."""
    birth_date = draw(birth_dates)
    sequence = draw(sequences)
    number = citizen_id_make(area_code=draw(area_codes), birth_date=birth_date, sequence=sequence)
    return number, birth_date, sequence


uscc_bodies = st.text(alphabet=USCC_ALPHABET, min_size=17, max_size=17)
mobiles = st.builds(
    lambda second, rest: f"1{second}{rest}",
    st.sampled_from("3456789"),
    st.text(alphabet="0123456789", min_size=9, max_size=9),
)


def error_code(func, *args, **kwargs):
    with pytest.raises(ValidationError) as excinfo:
        func(*args, **kwargs)
    return excinfo.value.code


# --- Citizen ID ------------------------------------------------------------


@relaxed
@given(citizen_ids())
def test_made_citizen_ids_validate_and_round_trip(made):
    number, birth_date, sequence = made
    validate_citizen_id(number)
    assert len(number) == 18
    assert citizen_id_birth_date(number) == birth_date
    assert citizen_id_sex(number) == ("male" if sequence % 2 else "female")
    assert citizen_id_normalize(number) == number


@pytest.mark.parametrize(
    ("number", "birth_date", "sex"),
    [
        ("11010519491231002X", datetime.date(1949, 12, 31), "female"),
        ("440524188001010014", datetime.date(1880, 1, 1), "male"),
    ],
)
def test_spec_examples(number, birth_date, sex):
    validate_citizen_id(number)
    assert citizen_id_check_char(number[:17]) == number[17]
    assert citizen_id_birth_date(number) == birth_date
    assert citizen_id_sex(number) == sex


@relaxed
@given(citizen_ids(), st.data())
def test_any_single_substitution_is_refused(made, data):
    number = made[0]
    position = data.draw(st.integers(min_value=0, max_value=17), label="position")
    replacement = data.draw(
        st.sampled_from("0123456789X").filter(lambda char: char != number[position]),
        label="replacement",
    )
    changed = number[:position] + replacement + number[position + 1 :]
    code = error_code(validate_citizen_id, changed)
    if position == 17:
        assert code == "checksum"
    elif replacement == "X":
        assert code == "format"
    elif 6 <= position < 14:
        # a changed birth date may stop being a real (or past) date first
        assert code in {"birth_date", "checksum"}
    else:
        assert code == "checksum"


def test_check_char_changes_are_checksum_errors():
    for number in SPEC_CITIZEN_IDS:
        for char in "0123456789X":
            if char != number[17]:
                assert error_code(validate_citizen_id, number[:17] + char) == "checksum"


@relaxed
@given(area_codes, st.integers(min_value=1, max_value=3650), sequences)
def test_future_birth_date_refused(area_code, days, sequence):
    today = datetime.date(2024, 6, 1)
    number = citizen_id_make(
        area_code=area_code, birth_date=today + datetime.timedelta(days=days), sequence=sequence
    )
    assert error_code(validate_citizen_id, number, today=today) == "birth_date"


def test_birth_date_today_is_accepted():
    number = citizen_id_make(area_code="330102", birth_date=TODAY, sequence=1)
    validate_citizen_id(number)


def test_birth_date_tomorrow_is_refused_by_default():
    tomorrow = TODAY + datetime.timedelta(days=1)
    number = citizen_id_make(area_code="330102", birth_date=tomorrow, sequence=1)
    assert error_code(validate_citizen_id, number) == "birth_date"


def test_earliest_birth_date_boundary():
    validate_citizen_id(citizen_id_make(area_code="110105", birth_date=EARLIEST, sequence=3))
    too_early = EARLIEST - datetime.timedelta(days=1)
    number = citizen_id_make(area_code="110105", birth_date=too_early, sequence=3)
    assert error_code(validate_citizen_id, number) == "birth_date"


@pytest.mark.parametrize(
    "date_digits", ["20010230", "20010229", "19991301", "19990001", "19990100"]
)
def test_impossible_birth_dates_refused(date_digits):
    first17 = f"110105{date_digits}001"
    assert error_code(validate_citizen_id, first17 + citizen_id_check_char(first17)) == "birth_date"


def test_leap_day_accepted():
    first17 = "11010520000229001"
    validate_citizen_id(first17 + citizen_id_check_char(first17))


@relaxed
@given(st.text(alphabet="0123456789", max_size=30).filter(lambda text: len(text) != 18))
def test_wrong_length_refused(text):
    assert error_code(validate_citizen_id, text) == "length"


def test_old_fifteen_digit_number_refused():
    assert error_code(validate_citizen_id, "110105491231002") == "length"


@relaxed
@given(
    citizen_ids(),
    st.integers(min_value=0, max_value=16),
    st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcxyz-/\u0661\uff21"),
)
def test_letters_in_the_body_refused(made, position, char):
    number = made[0]
    changed = number[:position] + char + number[position + 1 :]
    assert error_code(validate_citizen_id, changed) == "format"


def test_lowercase_x_whitespace_and_fullwidth_accepted():
    validate_citizen_id("11010519491231002x")
    validate_citizen_id("  11010519491231002X\n")
    fullwidth = "".join(chr(ord(char) + 0xFEE0) for char in "11010519491231002x")
    validate_citizen_id(fullwidth)
    assert citizen_id_normalize(" 11010519491231002x ") == "11010519491231002X"
    assert citizen_id_normalize(fullwidth) == "11010519491231002X"


def test_check_char_rejects_bad_input():
    for bad in ["", "1101051949123100", "110105194912310021", "1101051949123100A"]:
        with pytest.raises(ValueError):
            citizen_id_check_char(bad)


def test_make_rejects_bad_arguments():
    date = datetime.date(1990, 1, 1)
    with pytest.raises(ValueError):
        citizen_id_make(area_code="11010", birth_date=date, sequence=1)
    with pytest.raises(ValueError):
        citizen_id_make(area_code="11010A", birth_date=date, sequence=1)
    with pytest.raises(ValueError):
        citizen_id_make(area_code="110105", birth_date=date, sequence=1000)
    with pytest.raises(ValueError):
        citizen_id_make(area_code="110105", birth_date=date, sequence=-1)
    with pytest.raises(ValueError):
        citizen_id_make(area_code="110105", birth_date="1990-01-01", sequence=1)


# --- Citizen ID vs. entered sex and birth date -----------------------------


def mismatch_keys(number, **kwargs):
    with pytest.raises(ValidationError) as excinfo:
        validate_citizen_id_matches(number, **kwargs)
    return excinfo.value.error_dict


@relaxed
@given(citizen_ids())
def test_matching_facts_pass(made):
    number, birth_date, sequence = made
    sex = "male" if sequence % 2 else "female"
    validate_citizen_id_matches(number, sex=sex, birth_date=birth_date)
    validate_citizen_id_matches(number, sex=None, birth_date=None)
    validate_citizen_id_matches(number, sex="", birth_date=None)


@relaxed
@given(citizen_ids())
def test_wrong_sex_is_reported_on_sex(made):
    number, birth_date, sequence = made
    wrong = "female" if sequence % 2 else "male"
    errors = mismatch_keys(number, sex=wrong, birth_date=birth_date)
    assert set(errors) == {"sex"}
    assert errors["sex"][0].code == "sex_mismatch"


@relaxed
@given(citizen_ids(), st.integers(min_value=-40000, max_value=40000).filter(bool))
def test_wrong_birth_date_is_reported_on_birth_date(made, shift):
    number, birth_date, _ = made
    try:
        wrong = birth_date + datetime.timedelta(days=shift)
    except OverflowError:
        assume(False)
    errors = mismatch_keys(number, sex=None, birth_date=wrong)
    assert set(errors) == {"birth_date"}
    assert errors["birth_date"][0].code == "birth_date_mismatch"


def test_both_mismatches_reported_together():
    errors = mismatch_keys("11010519491231002X", sex="male", birth_date=datetime.date(1949, 12, 30))
    assert set(errors) == {"sex", "birth_date"}


def test_sex_aliases_and_datetimes():
    number = "440524188001010014"
    for sex in ["male", "Male", "M", "m", "男"]:
        validate_citizen_id_matches(number, sex=sex, birth_date=None)
    assert set(mismatch_keys(number, sex="女", birth_date=None)) == {"sex"}
    validate_citizen_id_matches(number, sex=None, birth_date=datetime.datetime(1880, 1, 1, 12, 0))
    with pytest.raises(ValueError):
        validate_citizen_id_matches(number, sex="unknown", birth_date=None)


def test_invalid_number_is_left_to_its_own_validator():
    validate_citizen_id_matches("110105194912310021", sex="male", birth_date=TODAY)
    validate_citizen_id_matches("", sex="male", birth_date=TODAY)


# --- Unified social credit code --------------------------------------------


def test_uscc_spec_example():
    validate_uscc(SPEC_USCC)
    assert uscc_check_char(SPEC_USCC[:17]) == SPEC_USCC[17]
    assert uscc_make(SPEC_USCC[:17]) == SPEC_USCC


@relaxed
@given(uscc_bodies)
def test_made_uscc_validates(body):
    code = uscc_make(body)
    assert len(code) == 18
    assert code.startswith(body)
    validate_uscc(code)
    validate_uscc(code.lower())
    assert uscc_normalize(f" {code.lower()} ") == code


@relaxed
@given(uscc_bodies, st.data())
def test_uscc_single_substitution_refused(body, data):
    code = uscc_make(body)
    position = data.draw(st.integers(min_value=0, max_value=17), label="position")
    replacement = data.draw(
        st.sampled_from(USCC_ALPHABET).filter(lambda char: char != code[position]),
        label="replacement",
    )
    changed = code[:position] + replacement + code[position + 1 :]
    assert error_code(validate_uscc, changed) == "checksum"


@relaxed
@given(uscc_bodies, st.integers(min_value=0, max_value=17), st.sampled_from("IOZSV-*\u00e9"))
def test_uscc_characters_outside_alphabet_refused(body, position, char):
    code = uscc_make(body)
    changed = code[:position] + char + code[position + 1 :]
    assert error_code(validate_uscc, changed) == "format"


@pytest.mark.parametrize("value", ["", SPEC_USCC[:17], SPEC_USCC + "0", "91350100M000100Y4 3"])
def test_uscc_wrong_length_refused(value):
    assert error_code(validate_uscc, value) == "length"


# --- Mobile numbers --------------------------------------------------------


def test_mobile_spec_examples():
    assert mobile_normalize("+86 138-0013-8000") == "13800138000"
    validate_mobile("+86 138-0013-8000")
    validate_mobile("8613800138000")
    validate_mobile("13800138000")
    assert error_code(validate_mobile, "12800138000") == "format"
    assert error_code(validate_mobile, "1380013800") == "format"
    assert error_code(validate_mobile, "+861380013800") == "format"
    assert error_code(validate_mobile, "") == "format"
    assert error_code(validate_mobile, "1380013800a") == "format"


def test_country_prefix_only_stripped_before_eleven_digits():
    assert mobile_normalize("86138001380") == "86138001380"
    assert mobile_normalize("+8613800138") == "+8613800138"
    assert mobile_normalize("+86138001380001") == "+86138001380001"


@relaxed
@given(st.text(alphabet="0123456789", min_size=10, max_size=10))
def test_ten_digit_numbers_refused(digits):
    assert error_code(validate_mobile, digits) == "format"


@relaxed
@given(
    mobiles,
    st.sampled_from(["", "+86", "86", "+86 ", "86-", "+86-"]),
    st.lists(st.sampled_from(["", "", " ", "-", "  ", " - "]), min_size=12, max_size=12),
)
def test_valid_mobile_survives_decoration(mobile, prefix, separators):
    body = "".join(separator + digit for separator, digit in zip(separators, mobile, strict=False))
    decorated = prefix + body + separators[-1]
    assert mobile_normalize(decorated) == mobile
    validate_mobile(decorated)


@relaxed
@given(st.sampled_from("012"), st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_mobiles_with_wrong_second_digit_refused(second, rest):
    assert error_code(validate_mobile, f"1{second}{rest}") == "format"


# --- Grid codes ------------------------------------------------------------


@relaxed
@given(st.integers(min_value=0, max_value=999))
def test_grid_code_in_its_community(number):
    validate_grid_code(f"{COMMUNITY}{number:03d}", community_code=COMMUNITY)


def test_grid_code_refusals():
    assert (
        error_code(validate_grid_code, "330102001002001", community_code=COMMUNITY) == "community"
    )
    assert error_code(validate_grid_code, "33010200100101", community_code=COMMUNITY) == "format"
    assert error_code(validate_grid_code, "3301020010010011", community_code=COMMUNITY) == "format"
    assert error_code(validate_grid_code, "33010200100100A", community_code=COMMUNITY) == "format"
    assert error_code(validate_grid_code, "", community_code=COMMUNITY) == "format"
    with pytest.raises(ValueError):
        validate_grid_code("330102001001001", community_code="3301020010")


@relaxed
@given(st.text(alphabet="0123456789", min_size=15, max_size=15))
def test_grid_code_with_other_prefix_refused(code):
    assume(code[:12] != COMMUNITY)
    assert error_code(validate_grid_code, code, community_code=COMMUNITY) == "community"


# --- Masking ---------------------------------------------------------------


def test_mask_examples():
    assert mask_citizen_id("330302199001011234") == "3303**********1234"
    assert mask_citizen_id("") == ""
    assert mask_citizen_id(None) == ""
    assert mask_citizen_id("110105491231002") == "11***********02"
    assert mask_citizen_id("1234") == "****"
    assert mask_mobile("13800000000") == "138****0000"
    assert mask_mobile("+86 138-0013-8000") == "138****8000"
    assert mask_mobile("") == ""


@relaxed
@given(citizen_ids())
def test_masked_citizen_id_hides_the_middle(made):
    number = made[0]
    masked = mask_citizen_id(number)
    assert len(masked) == len(number)
    assert masked[4:14] == "*" * 10
    assert masked[:4] == number[:4]
    assert masked[14:] == number[14:]
    assert mask_citizen_id(masked) == masked


@relaxed
@given(st.text(alphabet=st.characters(codec="ascii", exclude_categories=["Cc", "Zs"])))
def test_masking_any_text_keeps_length_and_hides_the_middle(text):
    masked = mask_citizen_id(text)
    assert len(masked) == len(text)
    if len(text) == 18:
        assert masked[4:14] == "*" * 10
    elif len(text) > 4:
        assert set(masked[2:-2]) == {"*"}
    else:
        assert set(masked) <= {"*"}
    assert mask_citizen_id(masked) == masked


@relaxed
@given(mobiles)
def test_masked_mobile_hides_the_middle(mobile):
    masked = mask_mobile(mobile)
    assert len(masked) == 11
    assert masked == mobile[:3] + "****" + mobile[7:]
    assert mask_mobile(masked) == masked
