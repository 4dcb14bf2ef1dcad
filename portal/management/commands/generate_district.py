"""`manage.py generate_district --residents N`: a county-level city at district scale, for load
tests (the generator is portal/demo/district.py)."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal.demo.district import BATCH, DEFAULT_CITY_CODE, DistrictRefused, district_generate


class Command(BaseCommand):
    help = (
        "Generate a district-scale registry for load tests: a county-level city with streets, "
        "communities, grids of 150-500 households, residents, tags, grid workers and visits."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--residents", type=int, required=True, help="how many residents to create"
        )
        parser.add_argument("--seed", type=int, default=20261128, help="random seed")
        parser.add_argument(
            "--city-code",
            default=DEFAULT_CITY_CODE,
            help=f"6-digit GB/T 2260 code of the county-level city (default {DEFAULT_CITY_CODE})",
        )
        parser.add_argument("--city-name", default="", help="name of the city if it is new")
        parser.add_argument(
            "--append",
            action="store_true",
            help="add new streets to a city that already has some",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=BATCH,
            help="rows per INSERT of grids, buildings and workers (the rest is one COPY a table)",
        )
        parser.add_argument(
            "--force", action="store_true", help="run with DEBUG off (a throwaway database only)"
        )

    def handle(
        self, *, residents, seed, city_code, city_name, append, batch_size, force, **options
    ):
        if not settings.DEBUG and not force:
            raise CommandError(
                "Refusing to write made-up residents with DEBUG off: this may be a real "
                "registry. Use --force on a throwaway database only."
            )
        if residents < 1:
            raise CommandError("--residents must be at least 1")
        if len(city_code) != 6 or not city_code.isascii() or not city_code.isdigit():
            raise CommandError("--city-code must be six digits (GB/T 2260)")
        started = time.monotonic()
        try:
            totals = district_generate(
                residents=residents,
                seed=seed,
                city_code=city_code,
                city_name=city_name,
                append=append,
                batch=batch_size,
                progress=self.stdout.write if options.get("verbosity", 1) >= 1 else None,
            )
        except DistrictRefused as refused:
            raise CommandError(str(refused)) from refused
        elapsed = time.monotonic() - started
        city = totals["city"]
        self.stdout.write(
            self.style.SUCCESS(
                f"Generated {totals['residents']:,} residents in {totals['households']:,} "
                f"households, {totals['grids']} grids, {totals['communities']} communities, "
                f"{totals['streets']} streets of {city.name} ({city.code}); "
                f"{totals['tags']:,} tags, {totals['visits']:,} visits, "
                f"{totals['workers']} grid workers in {elapsed:.1f}s "
                f"({totals['residents'] / max(elapsed, 0.001):,.0f} residents/s)."
            )
        )
