"""Forms of the contact pages. They only shape the input (types, choices, sizes the
browser enforces too); every rule is the service's, whose translated errors the views
put back on these fields."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from bizportal.catalog.models import Agency, Service

from .models import Category, Channel, EntryType, Kind

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

REQUIRED = {"required": _("This field is required")}
BAD_CHOICE = {"invalid_choice": _("Please choose one of the options")}


def _text(
    limit: int, *, label: StrOrPromise, required: bool = False, rows: int = 0
) -> forms.CharField:
    widget: Any = forms.Textarea(attrs={"rows": rows}) if rows else forms.TextInput()
    return forms.CharField(
        label=label,
        required=required,
        max_length=limit,
        widget=widget,
        error_messages={
            **REQUIRED,
            "max_length": format_lazy(_("Longer than {limit} characters"), limit=f"{limit:,}"),
        },
    )


class CaseForm(forms.Form):
    """A complaint or enquiry. ``application`` and ``licence`` are public ids the
    service checks are the person's own (so a guessed id is refused in the same words
    as one that does not exist)."""

    kind = forms.ChoiceField(label=_("Type"), choices=Kind.choices, error_messages=BAD_CHOICE)
    category = forms.ChoiceField(
        label=_("Category"), choices=Category.choices, error_messages=BAD_CHOICE
    )
    service = forms.ModelChoiceField(
        label=_("Service it is about"),
        queryset=Service.objects.filter(is_published=True).order_by("name_th"),
        required=False,
        to_field_name="slug",
        error_messages=BAD_CHOICE,
    )
    application = forms.UUIDField(
        label=_("Your application it is about (if any)"),
        required=False,
        widget=forms.Select(),
        error_messages={"invalid": _("Please choose one of the options")},
    )
    also = forms.ModelMultipleChoiceField(
        label=_("Other agencies concerned (if any)"),
        queryset=Agency.objects.order_by("name_th"),
        required=False,
        to_field_name="code",
        error_messages={**BAD_CHOICE, "invalid_pk_value": BAD_CHOICE["invalid_choice"]},
    )
    subject = _text(200, label=_("Subject"), required=True)
    body = _text(settings.CONTACT_MAX_MESSAGE, label=_("Details"), required=True, rows=6)
    name = _text(200, label=_("Name (optional)"))
    email = forms.CharField(
        label=_("Email for the answer"),
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = _text(20, label=_("Phone (optional)"))
    attachment = forms.FileField(
        label=_("Supporting file: PDF, JPEG or PNG (optional)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )

    def __init__(self, *args: Any, applications: list[Any] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        choices: list[tuple[str, StrOrPromise]] = [("", _("— None —"))]
        choices += [
            (str(a.public_id), f"{a.reference} · {a.service.name_th}") for a in applications or []
        ]
        self.fields["application"].widget.choices = choices


class MessageForm(forms.Form):
    body = _text(settings.CONTACT_MAX_MESSAGE, label=_("Message"), required=True, rows=4)
    attachment = forms.FileField(
        label=_("Attach a PDF, JPEG or PNG (optional)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )


class CloseForm(forms.Form):
    note = _text(
        settings.CONTACT_MAX_MESSAGE,
        label=_("What was done"),
        required=True,
        rows=3,
    )


class ShareForm(forms.Form):
    agency = forms.ModelChoiceField(
        label=_("Share with agency"),
        queryset=Agency.objects.order_by("name_th"),
        to_field_name="code",
        error_messages={**REQUIRED, **BAD_CHOICE},
    )


class ContactForm(forms.Form):
    """A contact the helpdesk takes (walk-in, hotline, chat)."""

    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[c for c in Channel.choices if c[0] != Channel.WEB],
        error_messages=BAD_CHOICE,
    )
    type = forms.ChoiceField(label=_("Type"), choices=EntryType.choices, error_messages=BAD_CHOICE)
    person_key = _text(100, label=_("Citizen ID, phone or email"))
    person_name = _text(200, label=_("Name"))
    application_reference = _text(30, label=_("Application reference (if any)"))
    summary = _text(settings.CONTACT_MAX_MESSAGE, label=_("Summary"), required=True, rows=3)


class LogSearchForm(forms.Form):
    person = forms.CharField(
        label=_("Person (ID, phone, email)"),
        required=False,
        max_length=100,
    )
    application = forms.CharField(label=_("Application reference"), required=False, max_length=30)
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[("", _("— All —")), *Channel.choices],
        required=False,
        error_messages=BAD_CHOICE,
    )
    type = forms.ChoiceField(
        label=_("Type"),
        choices=[("", _("— All —")), *EntryType.choices],
        required=False,
        error_messages=BAD_CHOICE,
    )
    since = forms.DateField(
        label=_("From (YYYY-MM-DD)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("Not a valid date")},
    )
    until = forms.DateField(
        label=_("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("Not a valid date")},
    )


class HelpdeskCaseForm(CaseForm):
    """A case the helpdesk takes for a caller: the channel, who they are (a citizen ID
    ties it to their account), and the application by its reference."""

    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[c for c in Channel.choices if c[0] != Channel.WEB],
        error_messages=BAD_CHOICE,
    )
    person_key = _text(100, label=_("Caller's citizen ID (if given)"))
    application_reference = _text(30, label=_("Application reference (if any)"))

    field_order = ["channel", "person_key", "name", "email", "phone", "kind", "category"]

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        del self.fields["application"]
