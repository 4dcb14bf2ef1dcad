from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from portal import writes
from portal.models import User


class Command(BaseCommand):
    help = "Issue (or rotate) the API token of a district integration account; prints it once."

    def add_arguments(self, parser):
        parser.add_argument("username", help="the integration's account (role 'integration')")
        parser.add_argument("--name", default="", help="label of the token")
        parser.add_argument("--days", type=int, default=None, help="validity in days")

    def handle(self, username, name, days, **options):
        try:
            client = User.objects.get(username=username, is_active=True)
        except User.DoesNotExist:
            raise CommandError(f"no active user {username!r}") from None
        try:
            token, raw = writes.api_token_issue(
                actor=None, client=client, name=name or username, days=days
            )
        except ValidationError:
            raise CommandError(
                f"{username!r} has role {client.role!r}; tokens are for role 'integration'"
            ) from None
        self.stdout.write(
            f"Token for {username} (expires {token.expires_at:%Y-%m-%d}); store it now:\n{raw}"
        )
