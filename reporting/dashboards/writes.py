"""The dashboard's one write: the hours-saved rule (audited, the page shows the rule in force)."""

from django.db import transaction
from django.utils import timezone

from portal.audit import audit_record
from reporting.dashboards.models import SINGLETON, BurdenRule
from reporting.dashboards.policy import access_burden_rule_change

RULE_FIELDS = (
    "minutes_per_prefilled_field",
    "minutes_per_answered_form",
    "minutes_per_rejected_form",
)


def burden_rule_set(*, actor, **minutes) -> BurdenRule:
    """Set the minutes of the hours-saved rule (the fields not given keep their value)."""
    access_burden_rule_change(actor)
    with transaction.atomic():
        rule = BurdenRule.objects.select_for_update().filter(pk=SINGLETON).first()
        rule = rule or BurdenRule(pk=SINGLETON)
        before = {name: getattr(rule, name) for name in RULE_FIELDS}
        for name in RULE_FIELDS:
            if name in minutes and minutes[name] is not None:
                setattr(rule, name, minutes[name])
        rule.updated_by = actor if actor is not None and actor.is_authenticated else None
        rule.updated_at = timezone.now()
        rule.full_clean()
        rule.save()
        audit_record(
            actor=actor,
            action="reporting.burden_rule_set",
            obj=rule,
            details={"from": before, "to": {name: getattr(rule, name) for name in RULE_FIELDS}},
        )
    return rule
