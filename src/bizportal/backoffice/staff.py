"""An agency administrator manages the staff of their own agency: create accounts,
set their roles (officer, supervisor, administrator), suspend and restore them.

Changes go through :mod:`bizportal.identity.services`, which checks again that the
account belongs to the administrator's agency; a member of another agency is "not
found" here.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bizportal.core import audit, authz
from bizportal.identity import services as identity
from bizportal.identity.acting import account_of
from bizportal.identity.models import AGENCY_ROLES, StaffRole, User

from .views import staff_only

admin_only = staff_only("backoffice.staff")
ROLE_CHOICES = [(role.value, role.label) for role in StaffRole if role in AGENCY_ROLES]


class RolesForm(forms.Form):
    roles = forms.MultipleChoiceField(
        choices=ROLE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("Roles"),
        error_messages={
            "required": gettext_lazy("Choose at least one agency role"),
            "invalid_choice": gettext_lazy("Choose roles from the list only"),
        },
    )


class NewStaffForm(RolesForm):
    username = forms.RegexField(
        regex=r"^[a-z0-9._-]{3,60}$",
        max_length=60,
        label=gettext_lazy("Username"),
        error_messages={
            "required": gettext_lazy("Please give a username"),
            "invalid": gettext_lazy("A username has 3–60 of a-z, 0-9, '.', '_', '-'"),
        },
    )
    full_name_th = forms.CharField(
        max_length=200,
        label=gettext_lazy("Full name (Thai)"),
        error_messages={"required": gettext_lazy("Please give the name")},
    )
    full_name_en = forms.CharField(
        max_length=200, required=False, label=gettext_lazy("Full name (English)")
    )
    email = forms.EmailField(
        label=gettext_lazy("Email"),
        error_messages={
            "required": gettext_lazy("Please give the email"),
            "invalid": gettext_lazy("The email is not valid"),
        },
    )
    password = forms.CharField(
        widget=forms.PasswordInput,
        label=gettext_lazy("Initial password (at least 12 characters)"),
        min_length=12,
        error_messages={
            "required": gettext_lazy("Please set a password"),
            "min_length": gettext_lazy("The password needs at least 12 characters"),
        },
    )

    field_order = ["username", "full_name_th", "full_name_en", "email", "password", "roles"]

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        validate_password(password)
        return password


@admin_only
@audit.audited_read("staff.listed")
def staff_list(request: HttpRequest) -> HttpResponse:
    """``/backoffice/staff/``: the agency's staff with their roles."""
    staff = (
        User.objects.filter(role=User.Role.STAFF, agency=account_of(request).agency)
        .prefetch_related("groups")
        .order_by("username")
    )
    staff_members = list(staff)
    audit.saw(request, staff_members)
    return render(request, "backoffice/staff_list.html", {"staff": staff_members})


@admin_only
def staff_new(request: HttpRequest) -> HttpResponse:
    form = NewStaffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = identity.create_staff(request.user, **form.cleaned_data)  # type: ignore[arg-type]
        except ValidationError as error:
            form.add_error(None, " ".join(error.messages))
        except identity.PartyError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, _("Account %(username)s created") % {"username": user.username}
            )
            return redirect("backoffice:staff")
    status = 400 if request.method == "POST" else 200
    return render(request, "backoffice/staff_form.html", {"form": form}, status=status)


@admin_only
@audit.audited_read("staff.viewed", "identity.user")
def staff_edit(request: HttpRequest, public_id: Any) -> HttpResponse:
    account = User.objects.filter(public_id=public_id).first()
    if account is None or not authz.allowed(request.user, "identity.manage_staff", account):
        raise Http404("no such member of staff")
    form = RolesForm(request.POST or None, initial={"roles": sorted(account.staff_roles)})
    if request.method == "POST":
        try:
            if "active" in request.POST:
                identity.set_staff_active(
                    account_of(request),
                    account,
                    active=request.POST["active"] == "1",
                )
                messages.success(request, _("Saved"))
                return redirect("backoffice:staff-edit", public_id=public_id)
            if form.is_valid():
                identity.set_staff_roles(request.user, account, form.cleaned_data["roles"])  # type: ignore[arg-type]
                messages.success(request, _("Roles saved"))
                return redirect("backoffice:staff-edit", public_id=public_id)
        except (identity.PartyError, ValidationError) as error:
            form.add_error(None, " ".join(getattr(error, "messages", [str(error)])))
    status = 400 if request.method == "POST" else 200
    return render(
        request, "backoffice/staff_form.html", {"form": form, "account": account}, status=status
    )
