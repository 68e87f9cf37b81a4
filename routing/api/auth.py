"""Token authentication for tools: `Authorization: Bearer <token>` (or `Token <token>`).

Tokens are looked up by their SHA-256 (routing.models.ApiToken); an unknown, expired or
inactive user's token is refused with 401 rather than treated as anonymous, so a tool with a
stale token hears why. `last_used_at` is written at most once a minute per token. Failures
are counted per client address; past TRAFFICLENS_TOKEN_FAILURE_LIMIT they get 429
(routing/api/throttling.py).
"""

from datetime import timedelta
from functools import cache

from django.contrib.auth.models import Group, User
from django.db import connection
from django.db.models.expressions import Col
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from routing import prepared
from routing.api.columns import aware_datetime
from routing.api.throttling import count_token_failure
from routing.models import ApiToken, hash_token
from routing.roles import ROLES, remember_role

KEYWORDS = (b"bearer", b"token")


_TOKEN_COLUMNS = ("id", "name", "prefix", "created_at", "last_used_at", "expires_at")
_USER_FIELDS = User._meta.concrete_fields


def _token_sql() -> str:
    """The token's user (every field, in the model's order), the token's _TOKEN_COLUMNS, and
    one flag per role group of the user.

    Raw SQL because it runs on every API request: the ORM's token + user + groups queries took
    longer to build than the rest of a Service detail request together.
    """
    token, user = ApiToken._meta.db_table, User._meta.db_table
    groups, membership = Group._meta.db_table, User.groups.through._meta.db_table
    user_columns = ", ".join(f"u.{connection.ops.quote_name(str(f.column))}" for f in _USER_FIELDS)
    token_columns = ", ".join(f"t.{c}" for c in _TOKEN_COLUMNS)
    flags = ", ".join(
        f"EXISTS (SELECT 1 FROM {membership} m JOIN {groups} g ON g.id = m.group_id "
        f"WHERE m.user_id = u.id AND g.name = '{role}')"
        for role in ROLES  # fixed identifiers, not input
    )
    return (
        f"SELECT {user_columns}, {token_columns}, {flags} "
        f"FROM {token} t JOIN {user} u ON u.id = t.user_id WHERE t.key_hash = %s"
    )


@cache
def _user_converters() -> list[tuple[int, list, Col]]:
    """What the ORM does to each user column read from this database (SQLite's booleans and
    timestamps), as (position, converters, column expression) for the fields that need any."""
    out = []
    for i, field in enumerate(_USER_FIELDS):
        column = field.get_col(User._meta.db_table)
        converters = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
        if converters:
            out.append((i, converters, column))
    return out


def _find(raw: str) -> tuple[User, ApiToken] | None:
    """The user and token for a raw token, in one query; None when no token has that hash.

    A cursor and Model.from_db rather than User.objects.raw(): a raw queryset works out its
    columns and the model's field order again on every request (0.33-0.37 ms of CPU per
    lookup against 0.22-0.29 ms this way, docs/benchmarks.md)."""
    row = prepared.fetch(_TOKEN_SQL, [hash_token(raw)], one=True)
    if row is None:
        return None
    user_values = list(row[: len(_USER_FIELDS)])
    for i, converters, column in _user_converters():
        for convert in converters:
            user_values[i] = convert(user_values[i], column, connection)
    user = User.from_db(connection.alias, [f.attname for f in _USER_FIELDS], user_values)
    token_values = row[len(_USER_FIELDS) : len(_USER_FIELDS) + len(_TOKEN_COLUMNS)]
    values = dict(zip(_TOKEN_COLUMNS, token_values, strict=True))
    for c in ("created_at", "last_used_at", "expires_at"):
        values[c] = aware_datetime(values[c])
    flags = row[len(_USER_FIELDS) + len(_TOKEN_COLUMNS) :]
    remember_role(user, {role: bool(flag) for role, flag in zip(ROLES, flags, strict=True)})
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
