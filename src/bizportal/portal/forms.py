"""Forms of the entrepreneur's account: mandates given to other people."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bizportal.catalog.models import Service
from bizportal.identity.models import MandateAction


class MandateForm(forms.Form):
    """Who may act for the party, for which services, doing what, for how long."""

    delegate = forms.CharField(
        max_length=40,
        label=_("Delegate: citizen ID, or P:nationality:passport"),
        error_messages={"required": _("Please name the delegate")},
    )
    services = forms.ModelMultipleChoiceField(
        queryset=Service.objects.filter(is_published=True).order_by("name_th"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Services (none chosen = every service)"),
        error_messages={
            "invalid_choice": _("No such service"),
            "invalid_pk_value": _("No such service"),
        },
    )
    actions = forms.MultipleChoiceField(
        choices=MandateAction.choices,
        widget=forms.CheckboxSelectMultiple,
        label=_("What the delegate may do"),
        error_messages={
            "required": _("Choose what the delegate may do"),
            "invalid_choice": _("Choose from the list only"),
        },
    )
    valid_from = forms.DateField(
        label=_("From"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": _("Please give the start date"),
            "invalid": _("The start date is not a valid date"),
        },
    )
    valid_until = forms.DateField(
        label=_("Until"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": _("Please give the end date"),
            "invalid": _("The end date is not a valid date"),
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["valid_from"].initial = today
        self.fields["valid_until"].initial = today.replace(year=today.year + 1)
