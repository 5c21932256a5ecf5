"""The provider's sign-in forms: who you are (password), then at AAL2 a TOTP code."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from bizportal.core.thai import validate_citizen_id

from .models import PASSPORT_PATTERN


class SignInForm(forms.Form):
    """Citizen ID or passport number, and password.

    The field keeps the name ``citizen_id`` (relying-party test suites and demo scripts
    fill it by that name) but also takes a foreign national's passport number.
    """

    citizen_id = forms.CharField(
        max_length=24,
        error_messages={"required": (_("Please enter your citizen ID or passport number"))},
    )
    password = forms.CharField(
        max_length=128,
        strip=False,
        error_messages={"required": _("Please enter your password")},
    )

    def clean_citizen_id(self) -> str:
        """A 13-digit ID checked like any citizen ID, or a passport number in capitals.

        Ten or more digits are read as a (mistyped) citizen ID, so the person is told
        what is wrong with it: ICAO 9303 passport numbers have at most nine characters,
        so no passport is lost that way.
        """
        compact = re.sub(r"[\s-]", "", self.cleaned_data["citizen_id"]).upper()
        if compact.isdigit() and len(compact) >= 10:
            return validate_citizen_id(compact)
        if re.fullmatch(PASSPORT_PATTERN, compact):
            return compact
        raise ValidationError(
            _("Enter a 13-digit citizen ID or a passport number"),
            code="login",
        )


class TotpForm(forms.Form):
    totp_code = forms.CharField(
        max_length=12,
        error_messages={"required": _("Please enter the 6-digit code from your app")},
    )

    def clean_totp_code(self) -> str:
        code = re.sub(r"\s", "", self.cleaned_data["totp_code"])
        if not re.fullmatch(r"[0-9]{6}", code):
            raise ValidationError(_("The code is 6 digits"), code="totp_format")
        return code
