"""The provider's sign-in form."""

from __future__ import annotations

from django import forms

from bizportal.core.thai import validate_citizen_id


class SignInForm(forms.Form):
    citizen_id = forms.CharField(
        max_length=17,
        error_messages={"required": "กรุณากรอกเลขประจำตัวประชาชน / Please enter your citizen ID"},
    )
    password = forms.CharField(
        max_length=128,
        strip=False,
        error_messages={"required": "กรุณากรอกรหัสผ่าน / Please enter your password"},
    )

    def clean_citizen_id(self) -> str:
        return validate_citizen_id(self.cleaned_data["citizen_id"])
