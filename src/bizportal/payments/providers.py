"""The payment provider extension point.

A provider turns an invoice into something a payer can act on (a Thai QR code and
where to pay it) and authenticates the provider's confirmation callback. The
sandbox bank in ``contrib/sandbox`` implements it over the same HTTP and signature
scheme a production bank connector would. ``settings.PAYMENT_PROVIDERS`` enables
channels (``settings.PAYMENT_PROVIDER`` is the default one) and each service may accept
fewer (:class:`~.models.ServicePaymentOptions`); the payer chooses among them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from django.conf import settings
from django.http import HttpRequest

from bizportal.core.registry import Registry

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from .models import Invoice


class CallbackError(Exception):
    """A callback we refuse before looking at any invoice (message translated by gettext)."""

    status = 400
    outcome = "malformed"


class SignatureError(CallbackError):
    """Missing, wrong or expired signature: we cannot tell who sent it."""

    status = 403
    outcome = "forged"


class BodyTooLarge(CallbackError):
    """Over ``PAYMENT_CALLBACK_MAX_BYTES``: refused unread, so never stored."""

    status = 413
    outcome = "malformed"


class PaymentNotCompleted(CallbackError):
    """An authentic notice that the payer's attempt failed or was abandoned (a declined
    card, a wrong OTP, a cancelled hosted page): logged, answered 200 so the provider
    stops resending, and nothing changes; the invoice stays payable."""

    status = 200
    outcome = "declined"


@dataclass(frozen=True)
class PaymentInstruction:
    """What the invoice page shows so the payer can pay."""

    qr_payload: str
    qr_svg: str
    pay_url: str = ""
    #: The pay button's text, in the reader's language (built per request via gettext).
    pay_label: str = ""
    #: What the pay page says, step by step, for this channel (empty: the Thai QR text).
    heading: str = ""
    steps: tuple[str, ...] = ()
    #: A document to print and take along (the counter's pay-in slip), if any.
    slip_url: str = ""


@dataclass(frozen=True)
class CallbackData:
    """An authenticated payment confirmation, in the provider-neutral shape."""

    txn_id: str
    biller_id: str
    ref1: str
    ref2: str
    amount: Decimal
    currency: str
    paid_at: dt.datetime
    raw: dict[str, Any] = field(default_factory=dict)


class PaymentProvider(Protocol):
    """What each provider plugin implements. ``label`` names the channel to payers
    (a lazy gettext message, in the reader's language), as the pay page's choice shows it."""

    @property
    def label(self) -> StrOrPromise: ...

    def instruction(self, invoice: Invoice, *, return_url: str = "") -> PaymentInstruction:
        """How to pay this invoice; ``return_url`` is where the payer comes back to."""
        ...

    def verify_callback(self, request: HttpRequest) -> CallbackData:
        """Authenticate and decode a callback, or raise SignatureError / CallbackError."""
        ...


providers: Registry[PaymentProvider] = Registry("payment provider")


def active_provider() -> tuple[str, PaymentProvider]:
    """The configured provider and its identifier (LookupError if not installed)."""
    identifier = settings.PAYMENT_PROVIDER
    return identifier, providers[identifier]


def enabled_providers() -> list[tuple[str, PaymentProvider]]:
    """The channels ``settings.PAYMENT_PROVIDERS`` enables, in its order; a name with no
    installed plugin is skipped (the system check reports it)."""
    return [(name, providers[name]) for name in settings.PAYMENT_PROVIDERS if name in providers]


def is_enabled(identifier: str) -> bool:
    """Whether callbacks and payments of ``identifier`` are taken."""
    return identifier in providers and identifier in settings.PAYMENT_PROVIDERS


# --- refunds (an optional capability) ------------------------------------------------


@dataclass(frozen=True)
class RefundResult:
    """What the provider answered to a refund order.

    ``status``: ``completed`` (money returned), ``pending`` (accepted, confirmed later),
    or ``rejected`` (refused; ``detail`` says why). ``reference`` is the provider's own
    identifier of the refund, which its statement will carry.
    """

    status: str
    reference: str = ""
    detail: str = ""
    refunded_at: dt.datetime | None = None


class RefundError(Exception):
    """The refund could not be sent or its answer not trusted (network, signature):
    unlike a rejection, trying again later may work. The message is translated (gettext)."""


@runtime_checkable
class RefundingProvider(Protocol):
    """A provider that can give money back on a payment it took (not all can: a
    counter's cash is refunded at the counter). Kept apart from
    :class:`PaymentProvider` so a channel declares the capability by having it."""

    def refund(self, invoice: Invoice, amount: Decimal, reference: str) -> RefundResult:
        """Order a refund of ``amount`` on the invoice's payment. ``reference`` is ours
        and the same on every retry, so the provider refunds once (idempotency)."""
        ...


def refunding_provider(identifier: str) -> RefundingProvider | None:
    """The provider ``identifier`` if it is installed and can refund, else None."""
    if identifier not in providers:
        return None
    provider = providers[identifier]
    return provider if isinstance(provider, RefundingProvider) else None


# --- daily files (an optional capability) -----------------------------------------------


@runtime_checkable
class DailyFileProvider(Protocol):
    """A channel whose payments are reported in a daily file rather than by callback
    (counter bill payment); the file is read by :mod:`~.billpay`."""

    def fetch_daily_file(self, day: dt.date) -> bytes:
        """Download and authenticate the bank's file of ``day``, or raise
        ``billpay.PaymentFileError``."""
        ...
