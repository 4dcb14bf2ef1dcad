"""Model fields for sensitive values: encrypted at rest, searchable through a keyed hash."""

from django.db import models

from portal.crypto import blind_index, decrypt, encrypt


class EncryptedCharField(models.TextField):
    """Stores a short string encrypted (AES-GCM); Python code sees the clear value.

    `hash_field` names a sibling CharField that receives the blind index of the value, set
    whenever the row is saved; declare it *after* this field so the insert picks it up.
    `normalize` turns user input into the canonical form that is hashed (e.g. upper-case X).
    Lookups other than `isnull` make no sense on ciphertext: filter on the hash field.
    """

    def __init__(self, *args, hash_field: str | None = None, normalize=None, **kwargs):
        self.hash_field = hash_field
        self.normalize = normalize
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.hash_field:
            kwargs["hash_field"] = self.hash_field
        return name, path, args, kwargs

    @property
    def context(self) -> str:
        return f"{self.model._meta.label_lower}.{self.name}"

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value, context=self.context)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value, context=self.context)

    def pre_save(self, model_instance, add):
        value = getattr(model_instance, self.attname)
        if value and self.normalize:
            value = self.normalize(value)
            setattr(model_instance, self.attname, value)
        if self.hash_field:
            setattr(model_instance, self.hash_field, self.hash_of(value) if value else "")
        return value

    def hash_of(self, value: str) -> str:
        """The blind index of `value` as stored in `hash_field` (for exact search)."""
        if self.normalize:
            value = self.normalize(value)
        return blind_index(value, context=self.context)
