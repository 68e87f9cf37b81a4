"""Token authentication for tools: `Authorization: Bearer <token>` (or `Token <token>`).

Tokens are looked up by their SHA-256 (routing.models.ApiToken); an unknown, expired or
inactive user's token is refused with 401 rather than treated as anonymous, so a tool with a
stale token hears why. `last_used_at` is written at most once a minute per token. Failures
are counted per client address; past TRAFFICLENS_TOKEN_FAILURE_LIMIT they get 429
(routing/api/throttling.py).
"""

from datetime import timedelta

from django.contrib.auth.models import Group, User
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from routing.api.columns import aware_datetime
from routing.api.throttling import count_token_failure
from routing.models import ApiToken, hash_token
from routing.roles import ROLES, remember_role

KEYWORDS = (b"bearer", b"token")


_TOKEN_COLUMNS = ("id", "name", "prefix", "created_at", "last_used_at", "expires_at")


def _token_sql() -> str:
    """The token's user (all columns), the token, and one flag per role group of the user.

    Raw SQL because it runs on every API request: the ORM's token + user + groups queries took
    longer to build than the rest of a Service detail request together. Token columns come
    back as `token_<name>`; the flags as `in_<role>`.
    """
    token, user = ApiToken._meta.db_table, User._meta.db_table
    groups, membership = Group._meta.db_table, User.groups.through._meta.db_table
    columns = ", ".join(f"t.{c} AS token_{c}" for c in _TOKEN_COLUMNS)
    flags = ", ".join(
        f"EXISTS (SELECT 1 FROM {membership} m JOIN {groups} g ON g.id = m.group_id "
        f"WHERE m.user_id = u.id AND g.name = '{role}') AS in_{role}"
        for role in ROLES  # fixed identifiers, not input
    )
    return (
        f"SELECT u.*, {columns}, {flags} FROM {token} t JOIN {user} u ON u.id = t.user_id "
        "WHERE t.key_hash = %s"
    )


def _find(raw: str) -> tuple[User, ApiToken] | None:
    """The user and token for a raw token, in one query; None when no token has that hash."""
    user = next(iter(User.objects.raw(_TOKEN_SQL, [hash_token(raw)])), None)
    if user is None:
        return None
    values = {c: getattr(user, f"token_{c}") for c in _TOKEN_COLUMNS}
    for c in ("created_at", "last_used_at", "expires_at"):
        values[c] = aware_datetime(values[c])
    remember_role(user, {role: bool(getattr(user, f"in_{role}")) for role in ROLES})
    return user, ApiToken(user=user, **values)


_TOKEN_SQL = _token_sql()
TOUCH_EVERY = timedelta(minutes=1)


class BearerTokenAuthentication(BaseAuthentication):
    """Authenticate a request by an API token in the Authorization header."""

    def authenticate(self, request):
        try:
            return self._authenticate(request)
        except exceptions.AuthenticationFailed:
            count_token_failure(request)  # 429 instead, past the limit for this address
            raise

    def _authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in KEYWORDS:
            return None  # no token: let session auth (or anonymity) decide
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                "Invalid Authorization header: expected 'Bearer <token>'."
            )
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        found = _find(raw)
        if found is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        user, token = found
        now = timezone.now()
        if token.is_expired(now):
            raise exceptions.AuthenticationFailed("Token has expired.")
        if not user.is_active:
            raise exceptions.AuthenticationFailed("User is inactive.")
        if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return user, token

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """Describes BearerTokenAuthentication in the OpenAPI schema."""

    target_class = BearerTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token from `manage.py create_token` or the admin.",
        }
