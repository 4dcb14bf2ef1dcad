"""Demo accounts: one per role, all with the password `portal-demo` (printed by `make run`)."""

from portal.models import User
from portal.roles import Role

DEMO_PASSWORD = "portal-demo"  # noqa: S105 - published demo password, refused when DEBUG is off

DEMO_ACCOUNTS = [
    # username, role, full name
    ("admin", Role.STREET_ADMIN, "陈志强"),
    ("cadre", Role.STREET_CADRE, "林晓燕"),
    ("community", Role.COMMUNITY_CADRE, "黄建华"),
    ("leader", Role.GRID_LEADER, "郑海波"),
    ("worker", Role.GRID_WORKER, "潘丽娟"),
    ("worker2", Role.GRID_WORKER, "叶国平"),
    ("partner", Role.PARTNER_STAFF, "金晓明"),
    ("partner2", Role.PARTNER_STAFF, "周美玲"),
    ("party", Role.PARTY_OFFICER, "吴振东"),
]
# The street administrator's account is also Django's superuser (the admin site, two-factor).
SUPERUSERS = {"admin"}


def load(ctx: dict) -> None:
    """Create the demo accounts if missing; existing ones keep their password and settings."""
    users = {}
    for username, role, full_name in DEMO_ACCOUNTS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(
                username=username, role=role, full_name=full_name, email=f"{username}@example.org"
            )
            user.is_staff = user.is_superuser = username in SUPERUSERS
            user.set_password(DEMO_PASSWORD)
            user.save()
        users[username] = user
    ctx["users"] = users
