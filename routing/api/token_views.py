"""API tokens through the API, for admins: list, issue (the token is shown once), revoke.

The same tokens as `manage.py create_token` and the admin make (routing.models.ApiToken). Only
admins may even read them: a list of who holds which token is itself worth protecting. A token
acts as its user, so whose tokens an admin may touch is limited (routing.roles.manages_tokens_of):
superusers any; global admins those of everyone but superusers; admins of some clusters only
their own. Tokens one may not touch do not show: they are 404, like tokens that do not exist.
"""

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from routing.api.schema import errors
from routing.api.token_serializers import (
    IssuedTokenSerializer,
    TokenFilterSerializer,
    TokenInputSerializer,
    TokenSerializer,
)
from routing.models import ApiToken
from routing.roles import ADMIN, manageable_tokens_q, manages_tokens_of

TOKEN_ID = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The token's id."
)


@extend_schema(tags=["tokens"])
@extend_schema_view(
    list=extend_schema(
        summary="List API tokens, newest first (admin)",
        parameters=[TokenFilterSerializer],
        responses={200: TokenSerializer, **errors(400, 404)},
    ),
    create=extend_schema(
        summary="Issue an API token (admin)",
        description="The answer holds the token itself, in `token`: it is shown this once and "
        "stored only as a SHA-256 hash.",
        request=TokenInputSerializer,
        responses={201: IssuedTokenSerializer, **errors(400)},
    ),
    retrieve=extend_schema(
        summary="One API token (admin)",
        parameters=[TOKEN_ID],
        responses={200: TokenSerializer, **errors(404)},
    ),
    destroy=extend_schema(
        summary="Revoke an API token (admin)",
        description="Requests with the token get 401 from then on.",
        parameters=[TOKEN_ID],
        responses={204: None, **errors(404)},
    ),
)
class TokenViewSet(viewsets.GenericViewSet):
    """API tokens: admins list, issue and revoke them; nobody else sees them."""

    read_role = ADMIN
    write_role = ADMIN
    role_anywhere = True  # an admin of some clusters manages their own tokens
    lookup_url_kwarg = "id"
    lookup_value_regex = "[0-9]+"
    serializer_class = TokenSerializer

    def get_queryset(self):
        return (
            ApiToken.objects.select_related("user")
            .filter(manageable_tokens_q(self.request.user))
            .order_by("-created_at", "-pk")
        )

    def get_object(self) -> ApiToken:
        token = self.get_queryset().filter(pk=int(self.kwargs["id"])).first()
        if token is None:
            raise NotFound(f"There is no token with id {self.kwargs['id']}.")
        return token

    def list(self, request):
        query = TokenFilterSerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        found = self.get_queryset()
        if "user" in query.validated_data:
            found = found.filter(user__username=query.validated_data["user"])
        page = self.paginate_queryset(found)
        return self.get_paginated_response(TokenSerializer(page, many=True).data)

    def retrieve(self, request, id: str):
        return Response(TokenSerializer(self.get_object()).data)

    def create(self, request):
        data = TokenInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        owner = data.validated_data.get("user", request.user)
        if not manages_tokens_of(request.user, owner):
            raise PermissionDenied(_refusal(request.user, owner))
        token, raw = ApiToken.objects.issue(
            owner,
            data.validated_data["name"],
            expires_at=data.validated_data.get("expiresAt"),
        )
        token.raw = raw  # for this one answer; never stored
        url = reverse("api:token-detail", kwargs={"id": token.pk})
        return Response(
            IssuedTokenSerializer(token).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": request.build_absolute_uri(url)},
        )

    def destroy(self, request, id: str):
        self.get_object().delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


def _refusal(actor, owner) -> str:
    if owner.is_superuser and not actor.is_superuser:
        return "Only a superuser may issue a token for a superuser."
    return "Without the admin role on every cluster you may issue tokens only for yourself."
