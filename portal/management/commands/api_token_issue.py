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
        parser.add_argument(
            "--scope",
            action="append",
            default=[],
            metavar="GROUP:read|write",
            help=(
                "limit the token to a resource group (repeat for several): registry, visits, "
                "services, deliveries, partybuilding, reporting, webhooks, or * for all; "
                "none given: read-write on every group"
            ),
        )

    def handle(self, username, name, days, scope, **options):
        try:
            client = User.objects.get(username=username, is_active=True)
        except User.DoesNotExist:
            raise CommandError(f"no active user {username!r}") from None
        scopes = {}
        for item in scope:
            group, _sep, level = item.partition(":")
            scopes[group.strip()] = level.strip() or "read"
        try:
            token, raw = writes.api_token_issue(
                actor=None, client=client, name=name or username, days=days, scopes=scopes
            )
        except ValidationError as exc:
            if "client" in getattr(exc, "message_dict", {}):
                raise CommandError(
                    f"{username!r} has role {client.role!r}; tokens are for role 'integration'"
                ) from None
            raise CommandError("; ".join(exc.messages)) from None
        granted = ", ".join(f"{group}:{level}" for group, level in token.scopes.items())
        self.stdout.write(
            f"Token for {username} (expires {token.expires_at:%Y-%m-%d}, scopes {granted}); "
            f"store it now:\n{raw}"
        )
