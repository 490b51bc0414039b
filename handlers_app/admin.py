from __future__ import annotations

from django.contrib import admin

from handlers_app.models import Connection, Invitation, JournalEntry, Membership, Team


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
    """Operators see connections, never their keys, and change nothing here.

    A connection changes only on its edit page in the dashboard, where a new address needs the
    key typed again (the stored key goes nowhere else) and every change is journalled.
    """

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
    readonly_fields = fields

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Operators see who was invited where; the token exists only in the link an owner sent."""

    list_display = ["team", "role", "created_by", "created_at", "expires_at", "accepted_by"]
    list_filter = ["team", "role"]
    fields = [
        "team",
        "role",
        "created_by",
        "created_at",
        "expires_at",
        "accepted_by",
        "accepted_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(JournalEntry)
class JournalEntryAdmin(admin.ModelAdmin):
    """The journal, read-only; the encrypted snapshot is never shown."""

    list_display = ["created_at", "team", "connection_name", "user_name", "action", "handler_id"]
    list_filter = ["action", "team"]
    search_fields = ["user_name", "handler_name", "connection_name", "subject"]
    date_hierarchy = "created_at"
    fields = [
        "created_at",
        "team",
        "connection",
        "connection_name",
        "user",
        "user_name",
        "action",
        "handler_id",
        "handler_name",
        "handler_type",
        "previous_handler_id",
        "restored_from",
        "subject",
        "changes",
    ]
    readonly_fields = fields

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
