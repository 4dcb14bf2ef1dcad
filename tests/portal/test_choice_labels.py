"""What list rows write for each object, cheaply and as before: `get_FOO_display()` of the
portal's models (portal.models.ChoiceLabels) gives the label Django's own would, in the request's
language, from a table built once per field; `|years_old` the words `{% blocktranslate count %}`
wrote."""

import pytest
from django.db import models
from django.utils import translation

from grids.models import Resident, Visit
from services.models import Delivery, Referral, ReferralEvent


def _django_label(instance, field):
    return models.Model._get_FIELD_display(instance, field)


@pytest.mark.parametrize(
    "model, name",
    [
        (Referral, "status"),
        (ReferralEvent, "to_status"),
        (Resident, "sex"),
        (Delivery, "verification"),
        (Visit, "mode"),
    ],
)
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_choice_shows_the_label_djangos_would(model, name, language):
    field = model._meta.get_field(name)
    instance = model()
    display = getattr(instance, f"get_{name}_display")
    with translation.override(language):
        for value, _label in field.flatchoices:
            setattr(instance, field.attname, value)
            assert display() == _django_label(instance, field), value
        for odd in ("not-a-choice", "", None):
            setattr(instance, field.attname, odd)
            assert display() == _django_label(instance, field), odd


def test_the_label_follows_the_language_of_the_moment():
    referral = Referral(status=Referral.Status.ASSIGNED)
    with translation.override("en"):
        english = referral.get_status_display()
    with translation.override("zh-hans"):
        chinese = referral.get_status_display()
    assert english == "Assigned to a partner" and chinese != english


def test_a_label_costs_one_translation_not_one_per_choice(monkeypatch):
    """Django's own hashes every choice's lazy label (a translation each) on every call."""
    calls = []
    original = translation._trans.gettext
    monkeypatch.setattr(
        translation._trans, "gettext", lambda message: calls.append(message) or original(message)
    )
    referral = Referral(status=Referral.Status.IN_SERVICE)
    referral.get_status_display()
    assert len(calls) == 1
    assert len(Referral.Status.choices) > 10  # what Django's would have translated


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_years_old_writes_what_blocktranslate_wrote(language):
    """The lists' age (`|years_old`, portal_tags): the same words and plural as the
    `{% blocktranslate count %}` it replaced, from the same message."""
    from django.template import engines

    django_engine = engines["django"]
    ours = django_engine.from_string("{% load portal_tags %}{{ age|years_old }}")
    theirs = django_engine.from_string(
        "{% load i18n %}{% blocktranslate count age=age %}{{ age }} year old{% plural %}"
        "{{ age }} years old{% endblocktranslate %}"
    )
    with translation.override(language):
        for age in (0, 1, 2, 17, 85, 101):
            assert ours.render({"age": age}) == theirs.render({"age": age}), age
    with translation.override("zh-hans"):
        assert ours.render({"age": 85}) == "85岁"
