import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from portal import demo
from portal.demo.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD
from portal.demo.party import PARTY_ACCOUNTS


class Command(BaseCommand):
    help = "Load the demo street (deterministic; running it twice duplicates nothing)."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=20261128)
        parser.add_argument("--force", action="store_true", help="load even with DEBUG off")

    def handle(self, seed, force, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "Refusing to load demo data with DEBUG off: it creates accounts with a published "
                "password. Use --force on a throwaway database only."
            )
        started = time.monotonic()
        with transaction.atomic():
            demo.load(
                seed=seed,
                report=lambda step, seconds: self.stdout.write(f"  {step}: {seconds:.1f}s"),
            )
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready in {time.monotonic() - started:.1f}s.")
        )
        self.stdout.write(f"Demo accounts (password {DEMO_PASSWORD}):")
        for username, role, full_name in DEMO_ACCOUNTS:
            self.stdout.write(f"  {username:<10} {role.label} ({full_name})")
        for username, description in PARTY_ACCOUNTS:
            self.stdout.write(f"  {username:<10} {description}")
