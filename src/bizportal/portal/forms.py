"""Forms of the entrepreneur's account: mandates given to other people."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from bizportal.catalog.models import Service
from bizportal.identity.models import MandateAction


class MandateForm(forms.Form):
    """Who may act for the party, for which services, doing what, for how long."""

    delegate = forms.CharField(
        max_length=40,
        label="ผู้รับมอบอำนาจ: เลขประจำตัวประชาชน หรือ P:สัญชาติ:เลขหนังสือเดินทาง / "
        "Delegate: citizen ID, or P:nationality:passport",
        error_messages={"required": "กรุณาระบุผู้รับมอบอำนาจ / Please name the delegate"},
    )
    services = forms.ModelMultipleChoiceField(
        queryset=Service.objects.filter(is_published=True).order_by("name_th"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="บริการ (ไม่เลือก = ทุกบริการ) / Services (none chosen = every service)",
        error_messages={
            "invalid_choice": "ไม่มีบริการที่เลือก / No such service",
            "invalid_pk_value": "ไม่มีบริการที่เลือก / No such service",
        },
    )
    actions = forms.MultipleChoiceField(
        choices=MandateAction.choices,
        widget=forms.CheckboxSelectMultiple,
        label="สิ่งที่ผู้รับมอบอำนาจทำได้ / What the delegate may do",
        error_messages={
            "required": "เลือกอย่างน้อยหนึ่งสิ่งที่ผู้รับมอบอำนาจทำได้ / Choose what the delegate may do",
            "invalid_choice": "เลือกจากรายการเท่านั้น / Choose from the list only",
        },
    )
    valid_from = forms.DateField(
        label="ตั้งแต่วันที่ / From",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": "กรุณาระบุวันเริ่ม / Please give the start date",
            "invalid": "วันเริ่มไม่ถูกต้อง (ปี-เดือน-วัน) / The start date is not a valid date",
        },
    )
    valid_until = forms.DateField(
        label="ถึงวันที่ / Until",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": "กรุณาระบุวันสิ้นสุด / Please give the end date",
            "invalid": "วันสิ้นสุดไม่ถูกต้อง (ปี-เดือน-วัน) / The end date is not a valid date",
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["valid_from"].initial = today
        self.fields["valid_until"].initial = today.replace(year=today.year + 1)
