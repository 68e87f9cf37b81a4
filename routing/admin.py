"""Admin: clusters (with their grants) and API tokens are edited here; snapshots, versions,
summaries and job statistics are read-only."""

import orjson
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.html import format_html

from routing.models import (
    ApiToken,
    Cluster,
    ClusterGrant,
    JobStats,
    ObjectVersion,
    ServiceSummary,
    Snapshot,
)
from routing.snapshots import decode


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by routing.snapshots: viewable, never added or edited by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # deleting intervals by hand would corrupt other snapshots; use prune()


class ClusterGrantInline(admin.TabularInline):
    """Who holds which role on this cluster, besides the global groups viewer, editor, admin."""

    model = ClusterGrant
    extra = 1
    autocomplete_fields = ["user", "group"]


@admin.register(ClusterGrant)
class ClusterGrantAdmin(admin.ModelAdmin):
    list_display = ["cluster", "user", "group", "role"]
    list_filter = ["role", "cluster"]
    list_select_related = ["cluster", "user", "group"]
    search_fields = ["cluster__name", "user__username", "group__name"]
    autocomplete_fields = ["cluster", "user", "group"]


@admin.register(Cluster)
class ClusterAdmin(admin.ModelAdmin):
    list_display = ["name", "display_name", "source", "provider", "status", "last_contact_at"]
    list_filter = ["source", "status", "provider"]
    search_fields = ["name", "display_name", "kube_context"]
    readonly_fields = [
        "status",
        "status_message",
        "last_contact_at",
        "created_at",
        "watch_reconnects",
        "last_reconnect_at",
    ]
    prepopulated_fields = {"name": ["display_name"]}
    inlines = [ClusterGrantInline]


@admin.register(Snapshot)
class SnapshotAdmin(ReadOnlyAdmin):
    list_display = [
        "cluster",
        "seq",
        "taken_at",
        "source",
        "services",
        "endpoints",
        "changed_objects",
        "cross_zone_fraction",
        "cost_per_gb_mean",
        "services_with_diagnostics",
    ]
    list_filter = ["cluster", "source"]
    list_select_related = ["cluster"]
    date_hierarchy = "taken_at"
    ordering = ["-taken_at"]


@admin.register(ObjectVersion)
class ObjectVersionAdmin(ReadOnlyAdmin):
    list_display = ["kind", "namespace", "name", "cluster", "first_seq", "last_seq"]
    list_filter = ["kind", "cluster"]
    list_select_related = ["cluster"]
    search_fields = ["name", "namespace"]
    exclude = ["data"]
    readonly_fields = ["content"]

    def get_queryset(self, request):
        # Lists never show the stored object; the detail page loads it on first use.
        return super().get_queryset(request).defer("data")

    @admin.display(description="object")
    def content(self, obj):
        text = orjson.dumps(decode(obj.data), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
        return format_html("<pre>{}</pre>", text.decode())


@admin.register(ServiceSummary)
class ServiceSummaryAdmin(ReadOnlyAdmin):
    list_display = [
        "namespace",
        "name",
        "cluster",
        "first_seq",
        "last_seq",
        "policy",
        "cross_zone_fraction",
        "cost_per_gb",
        "max_overload",
    ]
    list_filter = ["cluster", "mechanism", "policy"]
    list_select_related = ["cluster"]
    search_fields = ["name", "namespace"]


@admin.register(JobStats)
class JobStatsAdmin(ReadOnlyAdmin):
    """Written by the jobs themselves (routing.jobs.jobstats); /metrics reports the same figures."""

    list_display = [
        "job",
        "cluster",
        "successes",
        "failures",
        "last_ok",
        "last_finished_at",
        "last_duration_seconds",
        "last_success_at",
        "last_failure_at",
    ]
    list_filter = ["job", "cluster", "last_ok"]
    list_select_related = ["cluster"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are created here (the token is shown once, in a message) and revoked by deletion.

    A token acts as its user: staff who are not superusers neither see nor issue superusers'
    tokens (as in the API, routing.roles.manages_tokens_of).
    """

    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "expires_at"]
    list_filter = ["user"]
    list_select_related = ["user"]
    search_fields = ["name", "prefix", "user__username"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]
    autocomplete_fields = ["user"]

    def get_queryset(self, request):
        tokens = super().get_queryset(request)
        if request.user.is_superuser:
            return tokens
        return tokens.filter(Q(user__is_superuser=False) | Q(user=request.user))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user" and not request.user.is_superuser:
            users = get_user_model().objects.filter(Q(is_superuser=False) | Q(pk=request.user.pk))
            kwargs["queryset"] = users
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["user", "name", "expires_at"]
        return ["user", "name", "prefix", "created_at", "last_used_at", "expires_at"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "user"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        raw = None if change else obj.set_new_key()
        super().save_model(request, obj, form, change)
        if raw is not None:
            messages.warning(
                request,
                f"The token for {obj.name!r} is {raw} - copy it now: it is stored only as a hash "
                "and will not be shown again.",
            )
