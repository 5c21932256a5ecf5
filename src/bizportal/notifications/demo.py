"""Demo notifications: the demo applicant has verified a mobile number and chosen SMS,
and the messages of the demo journeys are delivered, so her inbox holds them and the
sandbox SMS page (``/sandbox/sms/``) lists what was texted right after ``make demo``.

Why a loader of its own: the journeys' events are relayed to the notification
subscribers by a worker, which does not run while ``load_demo`` does; this loader does
what the worker and the sweeper would, through the real sandbox over HTTP.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings

from bizportal.core import demo
from bizportal.core.outbox import deliver_pending
from bizportal.identity.models import User
from bizportal.sandbox_idp.demo import DEMO_IDENTITIES

from . import services
from .models import ContactPreference, Delivery

#: Somsri's demo mobile (a number of the 08x range kept for fiction).
DEMO_MOBILE = "0812345678"
#: The settings pointing at this portal's own sandboxes, redirected to the server
#: ``demo.serving`` starts (as the registries are for the journeys).
PROVIDER_URL_SETTINGS = ("SMS_GATEWAY_URL", "LINE_API_URL")


@demo.loader("notifications", order=96, atomic=False)
def load_demo() -> list[demo.DemoLogin]:
    """Not atomic: the sandbox gateway, served on another thread, records each SMS in
    the same database while this loader waits for its answer."""
    somsri = User.objects.filter(citizen_id=DEMO_IDENTITIES[0].citizen_id).first()
    if somsri is None or ContactPreference.objects.filter(user=somsri).exclude(mobile="").exists():
        return []
    with demo.serving() as url:
        saved = {name: str(getattr(settings, name)) for name in PROVIDER_URL_SETTINGS}
        for name, configured in saved.items():
            if configured.startswith(settings.BASE_URL):
                setattr(settings, name, url + configured.removeprefix(settings.BASE_URL))
        try:
            _verify_mobile(somsri)
            deliver_pending()  # the journeys' events, to the notification subscribers
            services.send_due()
        finally:
            for name, configured in saved.items():
                setattr(settings, name, configured)
    return []


def _verify_mobile(user: Any) -> None:
    """The person's own path: ask for a code, receive it by SMS, enter it; then choose
    SMS for application updates and payments, with no quiet hours in the demo."""
    verification = services.start_verification(user, "mobile", DEMO_MOBILE)
    services.send_due()
    sent = Delivery.objects.get(notification__event_id=verification.public_id)
    code = re.search(r"\b(\d{6})\b", sent.body)
    if code is None:  # the code template was edited to drop it: nothing to enter
        return
    services.confirm_code(user, verification.public_id, code.group(1))
    services.save_preferences(
        user,
        channels_by_kind={
            "status": ["email", "inbox", "sms"],
            "payments": ["inbox", "sms"],
            "licence": ["email", "inbox"],
            "reminders": ["inbox", "sms"],
        },
        quiet_start=services.dt.time(0, 0),
        quiet_end=services.dt.time(0, 0),
        language="th",
    )
