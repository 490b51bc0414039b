from __future__ import annotations

from django.contrib import admin

from handlers_app.models import Connection, Membership, Team


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]
    inlines = [MembershipInline]


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    """Operators see connections, never their keys: the key column is not editable or shown."""

    list_display = ["name", "team", "base_url", "masked_key", "last_check_ok", "created_at"]
    list_filter = ["team", "last_check_ok"]
    search_fields = ["name", "base_url"]
    fields = [
        "team",
        "name",
        "base_url",
        "masked_key",
        "created_by",
        "last_checked_at",
        "last_check_ok",
        "last_check_message",
    ]
    readonly_fields = [
        "masked_key",
        "created_by",
        "last_checked_at",
        "last_check_ok",
        "last_check_message",
    ]

    def has_add_permission(self, request: object) -> bool:
        return False
