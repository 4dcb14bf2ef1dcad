from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from portal.audit_archive import BATCH_SIZE, audit_archive_run


class Command(BaseCommand):
    help = (
        "Move audit events older than AUDIT_RETENTION_MONTHS (at least 6) into verified, "
        "compressed archive files under AUDIT_ARCHIVE_DIR; beat runs the same every night."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)

    def handle(self, batch_size, **options):
        try:
            result = audit_archive_run(batch_size=batch_size)
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"Archived {result['events']} audit events from before {result['cutoff']} "
            f"into {len(result['archives'])} file(s)."
        )
        for name in result["archives"]:
            self.stdout.write(f"  {name}")
