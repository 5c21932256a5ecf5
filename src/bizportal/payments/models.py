"""Invoices for licence fees, every provider callback we received, and receipts.

The database itself guarantees the money rules that matter most: an application
has at most one unpaid invoice, an amount is positive, a provider transaction
can pay only one invoice (so a replayed callback cannot pay twice), an invoice is
replaced at most once, and money that arrived for an invoice that could no longer
take it is flagged once per provider transaction (:class:`PaymentIssue`).
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Invoice(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting payment")
        PAID = "paid", _("Paid")
        CANCELLED = "cancelled", _("Cancelled")
        EXPIRED = "expired", _("Expired")

    #: Statuses in which an invoice can take no more money (a re-issue may replace it).
    CLOSED = ("cancelled", "expired")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField(
        max_length=20, unique=True, help_text="INV-2569-000001, per Buddhist-era year"
    )
    application = models.ForeignKey(
        "applications.Application", on_delete=models.PROTECT, related_name="invoices"
    )
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    lines = models.JSONField(
        default=list, blank=True, help_text='what the amount is for: [{"item", "amount"}]'
    )
    currency = models.CharField(max_length=3, default="THB")
    ref1 = models.CharField(
        max_length=20, help_text="bill payment Ref1: the application reference, A-Z0-9"
    )
    ref2 = models.CharField(
        max_length=20, unique=True, help_text="bill payment Ref2: the invoice number, A-Z0-9"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    provider = models.CharField(
        max_length=40, blank=True, help_text="payment provider plugin that confirmed it"
    )
    provider_txn_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    stage = models.CharField(
        max_length=40,
        blank=True,
        help_text="the fee stage the process step invoiced (biz:feeStage); blank: the whole fee",
    )
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="after this moment it can no longer be paid; null: never"
    )
    closed_at = models.DateTimeField(
        null=True, blank=True, help_text="when it was cancelled or marked expired"
    )
    close_reason = models.CharField(max_length=500, blank=True)
    replaces = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaced_by",
        help_text="the expired or cancelled invoice this one re-issues",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "expires_at"]),
            # The reports recount a day of payments by range.
            models.Index(
                fields=["paid_at"], condition=Q(paid_at__isnull=False), name="invoice_paid_idx"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(status="pending"),
                name="one_unpaid_invoice_per_application",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="invoice_amount_positive"),
            models.CheckConstraint(
                condition=~Q(status="paid")
                | Q(paid_at__isnull=False, provider_txn_id__isnull=False),
                name="paid_invoice_has_transaction",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_paid(self) -> bool:
        return self.status == self.Status.PAID

    @property
    def replacement(self) -> Invoice | None:
        """The invoice that re-issued this one, if any."""
        try:
            return self.replaced_by  # type: ignore[no-any-return]
        except Invoice.DoesNotExist:
            return None

    @property
    def shown_state(self) -> str:
        """What people see: the status, or ``superseded`` once a re-issue replaced it."""
        if self.status in self.CLOSED and self.replacement is not None:
            return "superseded"
        return str(self.status)

    @property
    def shown_state_label(self) -> str:
        """:attr:`shown_state` as people read it, in the reader's language."""
        return str(INVOICE_STATES_SHOWN[self.shown_state])


INVOICE_STATES_SHOWN = {
    "pending": _("Awaiting payment"),
    "paid": _("Paid"),
    "cancelled": pgettext_lazy("invoice state", "Cancelled"),
    "expired": _("Expired: a new invoice can be issued"),
    "superseded": _("Replaced by a new invoice"),
}


class PaymentTerms(models.Model):
    """How long an invoice of one service stays payable (configured per service by an
    admin); services without a row use ``settings.PAYMENT_INVOICE_DAYS``."""

    service = models.OneToOneField(
        "catalog.Service", on_delete=models.CASCADE, related_name="payment_terms"
    )
    invoice_days = models.PositiveSmallIntegerField(
        help_text="calendar days an invoice stays payable; it expires at the end of the last "
        "day, Bangkok time (1-365)"
    )

    class Meta:
        verbose_name_plural = "payment terms"
        constraints = [
            models.CheckConstraint(
                condition=Q(invoice_days__gte=1, invoice_days__lte=365),
                name="payment_terms_days_in_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.service}: {self.invoice_days} days"


class PaymentEvent(models.Model):
    """One callback as it arrived, whatever became of it: the exchange log.

    Kept even when the signature is forged, so an operator can see who knocked.
    """

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", "accepted: invoice paid"
        DUPLICATE = "duplicate", "duplicate: already processed"
        FORGED = "forged", "refused: signature missing, wrong or expired"
        MALFORMED = "malformed", "refused: body not understood"
        UNKNOWN_INVOICE = "unknown_invoice", "refused: no such invoice"
        WRONG_AMOUNT = "wrong_amount", "refused: amount or currency differs; flagged"
        NOT_PAYABLE = "not_payable", "refused: invoice cancelled"
        LATE = "late", "recorded: invoice expired, cancelled or replaced; flagged for refund"
        PAID_TWICE = "paid_twice", "recorded: invoice already paid; flagged for refund"
        DECLINED = "declined", "noted: the payer's attempt failed or was cancelled"
        ERROR = "error", "failed while processing"

    at = models.DateTimeField(auto_now_add=True)
    provider = models.CharField(max_length=40)
    signature_valid = models.BooleanField()
    body = models.TextField()
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    detail = models.TextField(blank=True)
    provider_txn_id = models.CharField(max_length=64, blank=True)
    invoice = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["provider", "provider_txn_id"])]

    def __str__(self) -> str:
        return f"{self.provider} {self.outcome} {self.at:%Y-%m-%d %H:%M:%S}"


class PaymentIssue(models.Model):
    """Money a provider says it took that could not pay its invoice: flagged for a
    finance officer of the invoice's agency, never dropped.

    A notice for an invoice that expired, was cancelled or was replaced (``late``), a
    second payment of an invoice already paid (``paid_twice``), or one whose amount or
    currency differs (``wrong_amount``). At most one flag per provider transaction, so
    a repeated notice flags once. The finance officer starts a refund from it (the
    refunds flow, maker–checker) or closes it with a note.
    """

    class Kind(models.TextChoices):
        LATE = "late", _("Paid after the invoice closed")
        PAID_TWICE = "paid_twice", _("Paid twice")
        WRONG_AMOUNT = "wrong_amount", _("Amount or currency differs")

    class State(models.TextChoices):
        OPEN = "open", _("To handle")
        REFUNDING = "refunding", _("Refund requested")
        CLOSED = "closed", _("Closed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="issues")
    agency = models.ForeignKey(
        "catalog.Agency",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="the invoice's agency, kept here so lists filter on an index",
    )
    provider = models.CharField(max_length=40)
    provider_txn_id = models.CharField(max_length=64)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    paid_at = models.DateTimeField()
    detail = models.TextField()
    event = models.ForeignKey(
        PaymentEvent, on_delete=models.PROTECT, related_name="+", help_text="the notice"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed_by = models.ForeignKey(
        "identity.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    close_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["agency", "state", "-created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_txn_id"], name="one_issue_per_provider_transaction"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_issue_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.provider} {self.provider_txn_id}"


class Receipt(models.Model):
    """The e-receipt of a paid invoice. The row exists from the moment of payment; the
    PDF is rendered just after, in the background, and fingerprinted."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField(
        max_length=20, unique=True, help_text="RC-2569-000001, per Buddhist-era year"
    )
    invoice = models.OneToOneField(Invoice, on_delete=models.PROTECT, related_name="receipt")
    pdf = models.FileField(upload_to="receipts/%Y/", blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    issued_at = models.DateTimeField()

    class Meta:
        ordering = ["-issued_at", "-id"]

    def __str__(self) -> str:
        return self.number


# --- refunds ------------------------------------------------------------------------


class RefundReason(models.TextChoices):
    OVERPAID = "overpaid", _("Paid more than due")
    DUPLICATE = "duplicate", _("Paid twice")
    NOT_PROVIDED = "not_provided", _("Service not provided")
    WITHDRAWN = "withdrawn", _("Application withdrawn")
    FEE_CORRECTED = "fee_corrected", _("Fee corrected")
    OTHER = "other", _("Other")


class Refund(models.Model):
    """Money given back on a paid invoice, full or partial, under maker–checker.

    One finance officer of the invoice's agency asks (``requested_by``), another
    approves (``decided_by``); the database refuses the same person in both. Only then
    is it sent to the provider that took the payment; the refund receipt gets its own
    gap-free number (RF-…) when the provider confirms.
    """

    class State(models.TextChoices):
        REQUESTED = "requested", _("Awaiting approval")
        APPROVED = "approved", _("Approved, being sent")
        DECLINED = "declined", _("Declined")
        SENT = "sent", _("Sent to the provider")
        FAILED = "failed", _("Failed")
        COMPLETED = "completed", _("Refunded")

    #: States whose amount is no longer available for another refund.
    HOLDING = ("requested", "approved", "sent", "failed", "completed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="refunds")
    agency = models.ForeignKey(
        "catalog.Agency",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="the invoice's agency, kept here so lists filter on an index",
    )
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    reason_code = models.CharField(max_length=20, choices=RefundReason.choices)
    note = models.TextField()
    origin = models.CharField(
        max_length=200, blank=True, help_text="what prompted it, e.g. a payment issue flag"
    )
    issue = models.ForeignKey(
        PaymentIssue,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="refunds",
        help_text="the flagged payment this refund gives back (not the invoice's own payment)",
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.REQUESTED)
    requested_by = models.ForeignKey("identity.User", on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        "identity.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    provider = models.CharField(max_length=40, blank=True)
    provider_reference = models.CharField(max_length=64, blank=True)
    provider_detail = models.TextField(blank=True, help_text="the provider's last answer")
    attempts = models.PositiveSmallIntegerField(default=0)
    completed_at = models.DateTimeField(null=True, blank=True)
    number = models.CharField(
        max_length=20,
        unique=True,
        null=True,
        blank=True,
        help_text="refund receipt RF-2569-000001, given when the provider confirms",
    )
    pdf = models.FileField(upload_to="refunds/%Y/", blank=True)
    sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [
            models.Index(fields=["agency", "-requested_at", "-id"]),
            models.Index(fields=["state", "-requested_at"]),
            models.Index(fields=["provider", "provider_reference"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=models.F("requested_by")),
                name="refund_maker_is_not_checker",
            ),
            models.CheckConstraint(
                condition=~Q(state="completed") | Q(number__isnull=False),
                name="completed_refund_has_number",
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"refund {self.public_id}"


# --- reconciliation -----------------------------------------------------------------


class StatementImport(models.Model):
    """One bank statement or settlement file as imported: the same file twice is
    refused by its SHA-256."""

    class Format(models.TextChoices):
        CAMT053 = "camt053", "ISO 20022 camt.053 (XML)"
        CSV = "csv", "CSV"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sha256 = models.CharField(max_length=64, unique=True)
    filename = models.CharField(max_length=200)
    format = models.CharField(max_length=10, choices=Format.choices)
    provider = models.CharField(max_length=40, help_text="the channel the statement covers")
    statement_id = models.CharField(max_length=64, blank=True)
    account = models.CharField(max_length=64, blank=True)
    from_date = models.DateField()
    to_date = models.DateField()
    imported_by = models.ForeignKey(
        "identity.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-imported_at", "-id"]
        indexes = [models.Index(fields=["provider", "from_date", "to_date"])]

    def __str__(self) -> str:
        return f"{self.filename} ({self.from_date}–{self.to_date})"


class StatementLine(models.Model):
    """One entry of an imported statement and what matching made of it."""

    class Status(models.TextChoices):
        MATCHED = "matched", _("Matched")
        UNMATCHED = "unmatched", _("Not in our records")
        MISMATCHED = "mismatched", _("Amount differs")
        RESOLVED = "resolved", _("Resolved")

    class Direction(models.TextChoices):
        CREDIT = "C", _("Credit")
        DEBIT = "D", _("Debit")

    statement = models.ForeignKey(StatementImport, on_delete=models.CASCADE, related_name="lines")
    line_no = models.PositiveIntegerField()
    booked_on = models.DateField()
    value_date = models.DateField(null=True, blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3)
    direction = models.CharField(max_length=1, choices=Direction.choices)
    bank_reference = models.CharField(max_length=64, blank=True)
    ref1 = models.CharField(max_length=35, blank=True)
    ref2 = models.CharField(max_length=35, blank=True)
    description = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices)
    matched_by = models.CharField(max_length=20, blank=True, help_text="which rule matched it")
    detail = models.CharField(max_length=500, blank=True)
    invoice = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="statement_lines"
    )
    refund = models.ForeignKey(
        Refund, null=True, blank=True, on_delete=models.PROTECT, related_name="statement_lines"
    )
    was = models.CharField(
        max_length=10, blank=True, help_text="the status before a finance officer resolved it"
    )
    resolution_note = models.TextField(blank=True)
    resolved_by = models.ForeignKey(
        "identity.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["statement", "line_no"]
        constraints = [
            models.UniqueConstraint(fields=["statement", "line_no"], name="one_line_number"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="statement_line_positive"),
        ]
        indexes = [
            models.Index(fields=["status", "booked_on"]),
            models.Index(fields=["bank_reference"]),
        ]

    def __str__(self) -> str:
        return f"{self.statement_id}#{self.line_no}"


# --- payment channels ---------------------------------------------------------------


class ServicePaymentOptions(models.Model):
    """Which payment channels a service's fees may be paid through.

    No row, or an empty list, means every channel ``PAYMENT_PROVIDERS`` enables: a new
    service is payable at once. A service whose fees go to the treasury directly lists
    the CGD e-Payment channel alone. Names not enabled in the settings are ignored, so
    switching a channel off in the settings switches it off everywhere.
    """

    service = models.OneToOneField(
        "catalog.Service", on_delete=models.CASCADE, related_name="payment_options"
    )
    channels = models.JSONField(
        default=list,
        blank=True,
        help_text="payment provider identifiers accepted, in the order offered; empty: all",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "service payment options"
        verbose_name_plural = "service payment options"

    def __str__(self) -> str:
        return f"{self.service}: {', '.join(self.channels) or 'all channels'}"


class PaymentFileImport(models.Model):
    """One bank's daily bill-payment file as imported, and what became of each row.

    Not unique by content: importing the same file again is allowed and settles
    nothing twice (each row's transaction pays at most one invoice), which this row
    then shows as duplicates.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sha256 = models.CharField(max_length=64, db_index=True)
    filename = models.CharField(max_length=200)
    provider = models.CharField(max_length=40, help_text="the channel the file settles")
    bank_code = models.CharField(max_length=3)
    file_date = models.DateField()
    rows = models.PositiveIntegerField()
    total = models.DecimalField(max_digits=14, decimal_places=2)
    counts = models.JSONField(default=dict, help_text="rows per outcome")
    results = models.JSONField(default=list, help_text="each row: references, amount, outcome")
    imported_by = models.ForeignKey(
        "identity.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-imported_at", "-id"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.file_date})"
