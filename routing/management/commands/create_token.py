"""`manage.py create_token USERNAME --name NAME [--expires-days N]`: an API token, printed once.

For any user, superusers included: whoever runs it has the deployment's shell and database
already, so the API's limits on who may issue whose tokens (routing.roles.manages_tokens_of)
would protect nothing here.
"""

from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from routing.models import ApiToken
from routing.roles import highest_role


class Command(BaseCommand):
    help = (
        "Create an API token for a user and print it. Only its hash is stored, so this is the "
        "one time it is shown. The token acts with the user's roles: the groups viewer, editor and "
        "admin (every cluster) and the user's cluster grants."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", required=True, help="what the token is for, e.g. ci-deploy")
        parser.add_argument(
            "--expires-days", type=int, metavar="N", help="expire after N days (default: never)"
        )

    def handle(
        self,
        *args: str,
        username: str,
        name: str,
        expires_days: int | None = None,
        **options: Any,
    ) -> None:
        name = name.strip()
        if not name or len(name) > ApiToken.NAME_MAX_LENGTH:
            raise CommandError("--name must be 1 to 100 characters")
        if expires_days is not None and expires_days < 1:
            raise CommandError("--expires-days must be at least 1")
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user named {username!r}")
        if not user.is_active:
            raise CommandError(f"user {username!r} is inactive")
        expires_at = timezone.now() + timedelta(days=expires_days) if expires_days else None
        _, raw = ApiToken.objects.issue(user, name, expires_at=expires_at)
        if highest_role(user) is None:
            self.stderr.write(
                f"warning: {username} is in none of the groups viewer, editor, admin and has no "
                "cluster grant: the token will be refused (403) until the user is given a role"
            )
        self.stdout.write(raw)
