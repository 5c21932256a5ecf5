"""The One Stop Service counter: an officer proves a walk-in person's identity, files
and pays for them, and hands over a printout.

The person's account is keyed by their citizen ID, so the applications filed here are
theirs from the start: when they later sign in with Digital ID they find them in their
own account (that is the claim). Both the person and the filer appear in the history
and the audit trail: the application names the person as applicant and the officer as
``filed_by``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bizportal.applications import selectors, services
from bizportal.applications.models import Application
from bizportal.catalog.models import Service
from bizportal.core import audit
from bizportal.core.thai import validate_citizen_id
from bizportal.exchange import gateway
from bizportal.exchange.persons import COUNTER_PROOFING, NOT_CONFIGURED, fetch_person_record
from bizportal.identity import card_readers
from bizportal.identity import services as identity
from bizportal.identity.acting import account_of
from bizportal.identity.models import CounterProofing, User
from bizportal.payments.services import invoice_for
from bizportal.registries.client import PersonRecord

from .views import staff_only

counter_only = staff_only("backoffice.counter")


class ProofingForm(forms.Form):
    citizen_id = forms.CharField(
        max_length=17,
        label=gettext_lazy("Citizen ID"),
        error_messages={"required": gettext_lazy("Please give the citizen ID")},
    )
    method = forms.ChoiceField(
        choices=CounterProofing.Method.choices,
        widget=forms.RadioSelect,
        label=gettext_lazy("How the identity was proved"),
        error_messages={
            "required": gettext_lazy("Please choose how"),
            "invalid_choice": gettext_lazy("Choose a proofing method from the list"),
        },
    )
    document_no = forms.CharField(
        max_length=40, required=False, label=gettext_lazy("Card or document number")
    )
    card = forms.ChoiceField(
        required=False,
        label=gettext_lazy("Card in the reader"),
        help_text=gettext_lazy("For the chip methods: the card the reader holds"),
        error_messages={"invalid_choice": gettext_lazy("There is no such card in the reader")},
    )
    face_confirmed = forms.BooleanField(
        required=False,
        label=gettext_lazy("I looked at the person and the card photo, and they are the same"),
    )

    def __init__(self, *args: Any, cards: list[card_readers.Card], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["card"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "—"), *((c.id, c.label) for c in cards)]

    def clean_citizen_id(self) -> str:
        return validate_citizen_id(self.cleaned_data["citizen_id"])

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        method = data.get("method", "")
        if method in CounterProofing.CHIP_METHODS and not data.get("card"):
            self.add_error("card", _("Insert the ID card and choose it to read the chip"))
        if method == CounterProofing.Method.ID_CARD_CHIP_FACE and not data.get("face_confirmed"):
            self.add_error(
                "face_confirmed", _("Confirm that you compared the face with the card photo")
            )
        return data


@counter_only
@audit.audited_read("applications.listed")
def proof(request: HttpRequest) -> HttpResponse:
    """``/backoffice/counter/``: prove who the walk-in person is (the registry is read)."""
    form = ProofingForm(request.POST or None, cards=card_readers.reader().cards())
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                chip = _chip(form.cleaned_data)
                person = _registry_record(account_of(request), form.cleaned_data["citizen_id"])
                user = identity.proof_at_counter(
                    account_of(request),
                    person,
                    method=form.cleaned_data["method"],
                    document_no=form.cleaned_data["document_no"],
                    chip=chip,
                )
            except gateway.Refused as refused:
                _refusal_on(form, refused)
            except card_readers.CardReadError as error:
                identity.refuse_counter_proofing(
                    account_of(request), method=form.cleaned_data["method"], reason=error.code
                )
                form.add_error("card" if error.code == "no_card" else None, str(error))
            except (identity.PartyError, NoCounterAgency) as error:
                form.add_error(None, str(error))
            except ValidationError as error:
                form.add_error(None, " ".join(error.messages))
            else:
                return redirect("backoffice:counter-person", public_id=user.public_id)
        status = 400
    recent = (
        Application.objects.filter(filed_by=account_of(request))
        .select_related("service", "applicant")
        .order_by("-created_at")[:20]
    )
    audit.saw(request, recent)
    return render(
        request, "backoffice/counter.html", {"form": form, "recent": list(recent)}, status=status
    )


def _chip(data: dict[str, Any]) -> card_readers.ChipRead | None:
    """The chip read through the counter's reader plugin, for the chip methods; checked
    against the typed citizen ID here, before the civil registry is asked."""
    method = data["method"]
    if method not in CounterProofing.CHIP_METHODS:
        return None
    face = method == CounterProofing.Method.ID_CARD_CHIP_FACE
    chip = card_readers.reader().read(data["card"], compare_face=face)
    card_readers.check_chip(chip, data["citizen_id"], face=face, today=timezone.localdate())
    return chip


#: The counter's system as the message log names it.
COUNTER_SYSTEM = "backoffice-counter"


def _registry_record(officer: User, citizen_id: str) -> PersonRecord:
    """The walk-in person's civil-registry record, asked through the exchange gateway by
    the officer's agency on its mission for identity proofing: the read is a message-log
    entry naming the officer, which the person sees in their data tracker. An officer
    with no agency has no mission to ask on; nothing is read."""
    if officer.agency is None:
        raise NoCounterAgency()
    return fetch_person_record(
        gateway.Consumer(officer.agency.code, COUNTER_SYSTEM, officer),
        citizen_id,
        gateway.Purpose(step=COUNTER_PROOFING),
    )


class NoCounterAgency(Exception):
    """The officer's account belongs to no agency: no agency asks, nothing is read."""

    def __init__(self) -> None:
        super().__init__(
            _(
                "This counter officer's account belongs to no agency, so it cannot ask "
                "the civil registry"
            )
        )


def _refusal_on(form: ProofingForm, refused: gateway.Refused) -> None:
    """Put a gateway refusal on the form where the officer looks for it: a person the
    registry does not hold (or a number it rejects) on the citizen-ID field, the rest
    (no mission, registry down, data service missing) above the form."""
    if refused.reason == gateway.Reason.NOT_FOUND:
        form.add_error("citizen_id", _("This person is not in the civil registry"))
    elif refused.reason == gateway.Reason.INVALID_SUBJECT:
        form.add_error("citizen_id", str(refused))
    elif refused.reason in NOT_CONFIGURED:
        form.add_error(
            None,
            _(
                "The portal is not connected to the civil registry's data service, so "
                "identities cannot be checked against the registry now"
            ),
        )
    elif refused.reason == gateway.Reason.PROVIDER_UNAVAILABLE:
        form.add_error(
            None,
            _("The civil registry is not available, please try again later"),
        )
    else:
        form.add_error(None, str(refused))


def _walk_in(request: HttpRequest, public_id: Any) -> User:
    """A person this officer proofed: nobody else's account opens here."""
    person = (
        User.objects.filter(
            public_id=public_id, role=User.Role.APPLICANT, proofings__officer=account_of(request)
        )
        .select_related("party")
        .first()
    )
    if person is None:
        raise Http404("no such walk-in person")
    return person


@counter_only
@audit.audited_read("identity.viewed_at_counter")
def person(request: HttpRequest, public_id: Any) -> HttpResponse:
    """The walk-in person: what this officer filed for them, and a service to file."""
    walk_in = _walk_in(request, public_id)
    if request.method == "POST":
        service = Service.objects.filter(
            slug=request.POST.get("service", ""), is_published=True
        ).first()
        if service is None:
            messages.error(request, _("Please choose a service"))
            return redirect("backoffice:counter-person", public_id=public_id)
        try:
            application = services.start_application(
                service, walk_in, party=walk_in.party, filed_by=account_of(request)
            )
        except services.refusals() as error:
            messages.error(request, str(error))
            return redirect("backoffice:counter-person", public_id=public_id)
        return redirect("portal:application-edit", public_id=application.public_id)
    audit.saw(request, [walk_in])
    filed = (
        Application.objects.filter(filed_by=account_of(request), applicant=walk_in)
        .select_related("service")
        .order_by("-created_at")
    )
    return render(
        request,
        "backoffice/counter_person.html",
        {
            "walk_in": walk_in,
            "proofing": walk_in.proofings.filter(officer=account_of(request)).first(),
            "filed": list(filed),
            "services": list(Service.objects.filter(is_published=True).order_by("name_th")),
        },
    )


@counter_only
@audit.audited_read("application.printed_at_counter")
def printout(request: HttpRequest, public_id: Any) -> HttpResponse:
    """A page to print and hand over: reference, answers, fee, and how to follow it."""
    application = selectors.for_applicant(account_of(request), public_id)
    if application.filed_by_id != account_of(request).pk:
        raise Http404("not filed here")
    audit.saw(request, [application])
    return render(
        request,
        "backoffice/counter_printout.html",
        {
            "application": application,
            "answers": selectors.answer_rows(application, "th"),
            "invoice": invoice_for(application),
        },
    )
