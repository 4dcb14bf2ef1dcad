from django.core.management.base import BaseCommand, CommandError

from portal import writes
from portal.models import User
from portal.roles import Role


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
        if client.role != Role.INTEGRATION:
            raise CommandError(
                f"{username!r} has role {client.role!r}; tokens are for role 'integration'"
            )
        token, raw = writes.api_token_issue(
            actor=None, client=client, name=name or username, days=days
        )
        self.stdout.write(
            f"Token for {username} (expires {token.expires_at:%Y-%m-%d}); store it now:\n{raw}"
        )
