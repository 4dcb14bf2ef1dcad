"""`python manage.py reporting_review FORMS.json --out ANSWER.json`: review a batch of forms in
the shared README's shape against the catalogue in the database (elements, duty items and the
aliases cadres confirmed) and write the batch answer — and nothing else: no row is written.
Runs on SQLite (make run's default) as on PostgreSQL: it only reads the catalogue."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from reporting.catalogue.selectors import review_catalogue


class Command(BaseCommand):
    help = "Review department forms (JSON list) and write the batch answer (JSON)."

    def add_arguments(self, parser):
        parser.add_argument("forms", help="a JSON file holding a list of forms")
        parser.add_argument("--out", required=True, help="where to write the answer")

    def handle(self, *args, forms, out, **options):
        from reporting.review import review_forms

        try:
            batch = json.loads(Path(forms).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot read {forms}: {exc}") from None
        if isinstance(batch, dict) and "forms" in batch:
            batch = batch["forms"]
        if not isinstance(batch, list):
            raise CommandError(f"{forms} must hold a list of forms")
        catalogue = review_catalogue()
        if not catalogue_has_elements(catalogue):
            raise CommandError("the catalogue is empty: run `manage.py migrate` first")
        answer = review_forms(batch, catalogue).to_answer()
        Path(out).write_text(json.dumps(answer, ensure_ascii=False, indent=1), encoding="utf-8")
        # the summary goes to stderr: the answer file is the command's only output
        self.stderr.write(
            f"{len(batch)} forms, {len(answer.get('fields', {}))} fields reviewed → {out}"
        )


def catalogue_has_elements(catalogue) -> bool:
    elements = getattr(catalogue, "elements", None)
    return bool(elements) if elements is not None else True
