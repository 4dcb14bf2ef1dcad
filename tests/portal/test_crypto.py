"""Sensitive fields: encrypted at rest with rotating keys, searchable by keyed hash, masked."""

import pytest
from django.db import connection

from grids.models import Resident
from portal import crypto
from tests.grids.factories import ResidentFactory

pytestmark = pytest.mark.django_db


def _stored(resident_pk: int) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone FROM grids_resident WHERE id = %s", [resident_pk])
        return cursor.fetchone()


def test_the_database_holds_no_clear_id_number_or_phone(resident_a):
    stored_id, stored_phone = _stored(resident_a.pk)
    assert resident_a.id_number not in stored_id
    assert resident_a.phone not in stored_phone
    assert stored_id.startswith("test2:")  # encrypted under the first (current) key


def test_values_read_back_in_clear(resident_a):
    fresh = Resident.objects.get(pk=resident_a.pk)
    assert fresh.id_number == resident_a.id_number
    assert fresh.phone == resident_a.phone


def test_exact_search_through_the_keyed_hash(resident_a, resident_b):
    field = Resident._meta.get_field("id_number")
    found = Resident.objects.filter(id_number_hash=field.hash_of(resident_a.id_number.lower()))
    assert list(found) == [resident_a]


def test_old_keys_still_decrypt_after_rotation(settings, grid_a):
    settings.FIELD_ENCRYPTION_KEYS = ["test1:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="]
    old = ResidentFactory(household__grid=grid_a)
    assert _stored(old.pk)[0].startswith("test1:")
    settings.FIELD_ENCRYPTION_KEYS = [
        "test3:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
        "test1:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=",
    ]
    assert Resident.objects.get(pk=old.pk).id_number == old.id_number
    new = ResidentFactory(household__grid=grid_a)
    assert _stored(new.pk)[0].startswith("test3:")


def test_tampered_ciphertext_is_refused():
    token = crypto.encrypt("13800138000", context="grids.resident.phone")
    kid, body = token.split(":", 1)
    tampered = f"{kid}:{body[:-4]}AAAA"
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(tampered, context="grids.resident.phone")


def test_a_value_cannot_be_moved_to_another_column():
    token = crypto.encrypt("13800138000", context="grids.resident.phone")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token, context="grids.resident.id_number")


def test_missing_keys_are_a_configuration_error_in_production(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.DEBUG = False
    settings.FIELD_ENCRYPTION_KEYS = []
    with pytest.raises(ImproperlyConfigured):
        crypto.encrypt("x", context="c")


def test_masked_forms(resident_a):
    assert (
        resident_a.id_number_masked
        == resident_a.id_number[:4] + "*" * 10 + resident_a.id_number[-4:]
    )
    assert resident_a.phone_masked == resident_a.phone[:3] + "****" + resident_a.phone[-4:]
