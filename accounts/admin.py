from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts.forms import AdminLoginForm
from accounts.models import Centre, CompetenceLevel, Membership, User

# The admin's log-in locks out like the site's (same counters per e-mail and address).
admin.site.login_form = AdminLoginForm


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


class CompetenceInline(admin.TabularInline):
    model = CompetenceLevel
    extra = 0


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Identité", {"fields": ["first_name", "last_name", "terms_accepted_at"]}),
        ("Droits", {"fields": ["is_active", "is_staff", "is_superuser"]}),
    ]
    add_fieldsets = [(None, {"fields": ["email", "password1", "password2"]})]
    inlines = [MembershipInline, CompetenceInline]


@admin.register(Centre)
class CentreAdmin(admin.ModelAdmin):
    list_display = ["name", "type", "time_zone"]
    search_fields = ["name"]
    inlines = [MembershipInline]
