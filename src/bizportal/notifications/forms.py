"""Forms of the contact-details and preferences page (Thai and English messages)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from . import catalogue
from .models import Channel, ContactVerification, Kind, Language


class ContactChangeForm(forms.Form):
    medium = forms.ChoiceField(choices=ContactVerification.Medium.choices)
    value = forms.CharField(
        max_length=254,
        error_messages={"required": _("Please enter the new value")},
    )


class CodeForm(forms.Form):
    code = forms.RegexField(
        regex=r"^\s*\d{6}\s*$",
        error_messages={
            "required": _("Please enter the 6-digit code"),
            "invalid": _("The code is 6 digits"),
        },
    )


class PreferencesForm(forms.Form):
    """One multiple-choice field per kind of message (``channels_<kind>``)."""

    language = forms.ChoiceField(choices=Language.choices)
    quiet_start = forms.TimeField(error_messages={"invalid": _("Invalid time (HH:MM)")})
    quiet_end = forms.TimeField(error_messages={"invalid": _("Invalid time (HH:MM)")})

    def __init__(self, *args: Any, kinds: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kinds = kinds
        for kind in kinds:
            self.fields[f"channels_{kind}"] = forms.MultipleChoiceField(
                choices=Channel.choices,
                required=False,
                label=Kind(kind).label,
                widget=forms.CheckboxSelectMultiple,
            )

    def channels_by_kind(self) -> dict[str, list[str]]:
        return {kind: list(self.cleaned_data[f"channels_{kind}"]) for kind in self.kinds}


def kinds_for(user: Any) -> tuple[str, ...]:
    """Officers also choose for their worklist; applicants never get worklist messages."""
    if getattr(user, "role", "") == "staff":
        return tuple(catalogue.CHOOSABLE_KINDS)
    return tuple(kind for kind in catalogue.CHOOSABLE_KINDS if kind != Kind.WORKLIST)
