"""Serializers for API tokens: the token as listed (never its hash), as issued (with the token
itself, this once), and the input that issues one."""

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.utils import timezone
from rest_framework import serializers

from routing.api.serializers import StrictSerializerMixin
from routing.models import ApiToken


class TokenSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Database id of the token; the key in its URL.")
    name = serializers.CharField(help_text="What the token is for, e.g. 'ci-deploy'.")
    user = serializers.CharField(
        source="user.username",
        help_text="Username the token acts as, with that user's roles and cluster grants.",
    )
    prefix = serializers.CharField(
        help_text="The token's first 8 characters, to tell tokens apart (the rest is never shown "
        "again)."
    )
    createdAt = serializers.DateTimeField(source="created_at", help_text="When it was issued.")
    lastUsedAt = serializers.DateTimeField(
        source="last_used_at",
        allow_null=True,
        help_text="When it last authenticated a request (to the minute); null: never.",
    )
    expiresAt = serializers.DateTimeField(
        source="expires_at", allow_null=True, help_text="When it stops working; null: never."
    )
    expired = serializers.SerializerMethodField(
        help_text="Whether expiresAt has passed: requests with it then get 401."
    )

    def get_expired(self, token: ApiToken) -> bool:
        return token.is_expired(timezone.now())


class IssuedTokenSerializer(TokenSerializer):
    token = serializers.CharField(
        source="raw",
        help_text="The token itself, for `Authorization: Bearer <token>`. Shown in this answer "
        "only: it is stored as a SHA-256 hash.",
    )


class TokenInputSerializer(StrictSerializerMixin, serializers.Serializer):
    """Issue a token (POST). A token cannot be changed: revoke it and issue another."""

    name = serializers.CharField(
        max_length=ApiToken.NAME_MAX_LENGTH,
        help_text="What the token is for, e.g. 'ci-deploy' (1 to 100 characters).",
    )
    user = serializers.CharField(
        required=False,
        max_length=150,
        help_text="Username of the active user the token acts as; default: you. Only "
        "superusers may name a superuser; without the admin role on every cluster, only yourself "
        "(403 otherwise).",
    )
    expiresAt = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text="When the token stops working (in the future); omitted or null: never.",
    )

    def validate_user(self, value: str) -> User:
        user = get_user_model().objects.filter(username=value).first()
        if user is None:
            raise serializers.ValidationError(f"There is no user named {value!r}.")
        if not user.is_active:
            raise serializers.ValidationError(f"The user {value!r} is inactive.")
        return user

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        expires_at = attrs.get("expiresAt")
        if expires_at is not None and expires_at <= timezone.now():
            raise serializers.ValidationError({"expiresAt": ["Must be in the future."]})
        return attrs


class TokenFilterSerializer(serializers.Serializer):
    user = serializers.CharField(
        required=False, help_text="Only the tokens of the user with this username."
    )
