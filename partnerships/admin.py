"""Django admin for reference data: authorities, target groups, users' profiles.

MoU states are not editable here: they change only through lifecycle services.
"""

from django.contrib import admin

from partnerships.models import (
    AuditEvent,
    Authority,
    Contact,
    Partner,
    TargetGroup,
    UserProfile,
)


@admin.register(Authority)
class AuthorityAdmin(admin.ModelAdmin):
    list_display = ("name", "level", "code", "parent", "successor", "is_dissolved")
    list_filter = ("level", "is_dissolved")
    search_fields = ("name", "code")
    autocomplete_fields = ("parent", "successor")


@admin.register(TargetGroup)
class TargetGroupAdmin(admin.ModelAdmin):
    list_display = ("code", "name_vi", "name_en", "is_active", "sort_order")
    list_editable = ("is_active", "sort_order")


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ("name", "tax_code", "status", "registered_by")
    search_fields = ("name", "tax_code")
    list_filter = ("status",)
    inlines = [ContactInline]


@admin.register(UserProfile)
class UserProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "authority", "partner")
    autocomplete_fields = ("authority",)
    raw_id_fields = ("partner",)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "action", "actor", "mou", "from_state", "to_state")
    list_filter = ("action",)
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
