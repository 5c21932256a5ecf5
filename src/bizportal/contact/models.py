"""Complaints and enquiries (cases), their message threads, the message thread of an
application, and the helpdesk's log of every contact.

A case belongs to one *owner* agency, the one that coordinates the answer and closes
it; other agencies the case concerns share it (:class:`CaseAgency`) and may answer in
its thread. Its due date is counted in Thai working days from the day it was opened
(``service_levels.calendar``), so every page, the sweeper and the reports agree on it.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from bizportal.core.models import PersonalDataLabel


class Kind(models.TextChoices):
    COMPLAINT = "complaint", _("Complaint")
    ENQUIRY = "enquiry", _("Enquiry")


class Category(models.TextChoices):
    """What the case is about: the agency's reports group cases by it."""

    DELAY = "delay", _("Delay")
    CONDUCT = "conduct", _("Staff conduct")
    DECISION = "decision", _("Disagreement with a decision")
    FEES = "fees", _("Fees and payments")
    SYSTEM = "system", _("Problem with the portal")
    MISCONDUCT = "misconduct", _("Corruption or misconduct")
    INFORMATION = "information", _("Information or advice")
    OTHER = "other", _("Other")


class Channel(models.TextChoices):
    """How the person reached us."""

    WEB = "web", _("Website")
    WALK_IN = "walk_in", _("Walk-in")
    HOTLINE = "hotline", _("Hotline")
    CHAT = "chat", _("Chat")
    EMAIL = "email", _("Email")


class CaseStatus(models.TextChoices):
    OPEN = "open", _("Received, awaiting an answer")
    ANSWERED = "answered", _("Answered by the agency")
    CLOSED = "closed", _("Closed")


class Case(models.Model):
    """One complaint or enquiry, from a signed-in person, from someone who gave only an
    email (followed up by an unguessable link), or logged by helpdesk staff for a
    caller."""

    PERSONAL_DATA = {
        "name": PersonalDataLabel.PERSONAL,
        "email": PersonalDataLabel.PERSONAL,
        "phone": PersonalDataLabel.PERSONAL,
        "subject": PersonalDataLabel.PERSONAL,
        "body": PersonalDataLabel.PERSONAL,
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(max_length=30, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    category = models.CharField(max_length=12, choices=Category.choices)
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.WEB)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contact_cases",
        help_text="the person's account; none for an anonymous case (email only)",
    )
    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True, help_text="where answers go")
    phone = models.CharField(max_length=20, blank=True)
    follow_salt = models.CharField(
        max_length=32, help_text="with SECRET_KEY, makes the anonymous follow-up link"
    )
    application = models.ForeignKey(
        "applications.Application",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contact_cases",
    )
    licence = models.ForeignKey(
        "licences.Licence",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contact_cases",
    )
    service = models.ForeignKey(
        "catalog.Service", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    owner_agency = models.ForeignKey(
        "catalog.Agency",
        on_delete=models.PROTECT,
        related_name="owned_cases",
        help_text="coordinates the answer and closes the case",
    )
    agencies = models.ManyToManyField(
        "catalog.Agency", through="CaseAgency", related_name="contact_cases"
    )
    status = models.CharField(max_length=10, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    sla_days = models.PositiveSmallIntegerField(help_text="working days, pinned when opened")
    due_on = models.DateField()
    opened_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True, help_text="the first answer")
    closed_at = models.DateTimeField(null=True, blank=True)
    closing_note = models.TextField(blank=True)
    escalated_at = models.DateTimeField(
        null=True, blank=True, help_text="the owner agency's supervisors were told it is overdue"
    )
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="helpdesk or counter staff who took it from the person",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [
            # The agency's open cases, earliest due first (keyset on due_on, id).
            models.Index(fields=["owner_agency", "status", "due_on", "id"], name="case_agency_idx"),
            # The helpdesk's follow-up list across agencies.
            models.Index(fields=["status", "due_on", "id"], name="case_status_due_idx"),
            # A person's own cases.
            models.Index(fields=["person", "-opened_at"], name="case_person_idx"),
            # The sweeper's scan: open, not yet escalated.
            models.Index(
                fields=["due_on"],
                condition=Q(closed_at__isnull=True, escalated_at__isnull=True),
                name="case_escalation_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(person__isnull=False) | ~Q(email=""),
                name="case_has_someone_to_answer",
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(closed_at__isnull=False),
                name="closed_case_has_closed_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.subject}"

    @property
    def is_closed(self) -> bool:
        return self.status == CaseStatus.CLOSED


class CaseAgency(models.Model):
    """An agency a case concerns: its owner, or one it is shared with."""

    class Role(models.TextChoices):
        OWNER = "owner", _("Coordinating agency")
        SHARED = "shared", _("Sharing agency")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="routing")
    agency = models.ForeignKey("catalog.Agency", on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=8, choices=Role.choices)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "agency"], name="one_routing_per_agency"),
            models.UniqueConstraint(
                fields=["case"], condition=Q(role="owner"), name="one_owner_per_case"
            ),
        ]
        indexes = [models.Index(fields=["agency", "case"], name="case_routing_agency_idx")]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.agency_id} ({self.role})"


class Side(models.TextChoices):
    PERSON = "person", _("The person")
    AGENCY = "agency", _("Agency")


class Message(models.Model):
    """One message of a thread: a case's, or an application's (questions between the
    applicant and the agency's officers). Exactly one of the two."""

    PERSONAL_DATA = {"body": PersonalDataLabel.PERSONAL}

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.CASCADE, related_name="messages"
    )
    application = models.ForeignKey(
        "applications.Application",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="messages",
    )
    side = models.CharField(max_length=8, choices=Side.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    author_label = models.CharField(max_length=200)
    agency = models.ForeignKey(
        "catalog.Agency",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="the agency that answered (agency side)",
    )
    body = models.TextField()
    attachment = models.FileField(upload_to="contact/%Y/%m/", blank=True)
    attachment_name = models.CharField(max_length=255, blank=True)
    attachment_type = models.CharField(max_length=60, blank=True)
    attachment_size = models.PositiveIntegerField(default=0)
    attachment_sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["case", "created_at"], name="message_case_idx"),
            models.Index(fields=["application", "created_at"], name="message_application_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(case__isnull=False, application__isnull=True)
                | Q(case__isnull=True, application__isnull=False),
                name="message_in_one_thread",
            )
        ]

    def __str__(self) -> str:
        return f"{self.side} {self.created_at:%Y-%m-%d %H:%M}"


class EntryType(models.TextChoices):
    COMPLAINT = "complaint", _("Complaint")
    ENQUIRY = "enquiry", _("Enquiry")
    FOLLOW_UP = "follow_up", _("Follow-up")
    HELP = "help", _("Help with the portal")


class ContactEntry(models.Model):
    """One contact with a person, on any channel: logged by helpdesk or counter staff
    (walk-in, hotline, chat), or written by the portal when a person files a case
    online. The log is what the helpdesk searches by person, application, channel,
    type and time."""

    PERSONAL_DATA = {
        "person_key": PersonalDataLabel.PERSONAL,
        "person_name": PersonalDataLabel.PERSONAL,
        "summary": PersonalDataLabel.PERSONAL,
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    at = models.DateTimeField()
    channel = models.CharField(max_length=8, choices=Channel.choices)
    type = models.CharField(max_length=10, choices=EntryType.choices)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contact_entries",
    )
    person_key = models.CharField(
        max_length=100, blank=True, help_text="citizen ID, phone or email the person gave"
    )
    person_name = models.CharField(max_length=200, blank=True)
    application = models.ForeignKey(
        "applications.Application",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="entries"
    )
    summary = models.TextField()
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["-at", "-id"], name="contact_entry_time_idx"),
            models.Index(fields=["channel", "-at", "-id"], name="contact_entry_channel_idx"),
            models.Index(fields=["type", "-at", "-id"], name="contact_entry_type_idx"),
            models.Index(fields=["person", "-at", "-id"], name="contact_entry_person_idx"),
            models.Index(fields=["person_key", "-at", "-id"], name="contact_entry_key_idx"),
            models.Index(
                fields=["application", "-at", "-id"], name="contact_entry_application_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.channel} {self.type}"


# --- live chat ----------------------------------------------------------------------


class OfficerPresence(models.Model):
    """An officer who said, in the back office, that they can take chats. Presence is a
    lease: it lapses at ``available_until`` unless the officer's page refreshes it, so a
    closed laptop never leaves people waiting for someone who is gone."""

    officer = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_presence"
    )
    agency = models.ForeignKey("catalog.Agency", on_delete=models.CASCADE, related_name="+")
    available_until = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["agency", "available_until"], name="chat_presence_idx")]

    def __str__(self) -> str:
        return f"{self.officer_id} until {self.available_until:%H:%M}"


class ChatStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting for an officer")
    ACTIVE = "active", _("In conversation")
    ENDED = "ended", _("Ended")
    MOVED = "moved", _("Moved to a message thread")


OPEN_CHAT = Q(status__in=["waiting", "active"])


class ChatSession(models.Model):
    """One live chat between a signed-in person and the officers of one agency. The
    state lives here (not in a socket), so it survives restarts and any web process can
    serve either side; WebSockets only push changes."""

    PERSONAL_DATA = {"topic": PersonalDataLabel.PERSONAL}

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="chats"
    )
    agency = models.ForeignKey("catalog.Agency", on_delete=models.PROTECT, related_name="+")
    service = models.ForeignKey(
        "catalog.Service", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    application = models.ForeignKey(
        "applications.Application",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    topic = models.CharField(max_length=200)
    language = models.CharField(
        max_length=8, default="th", help_text="the person's language: the portal's lines are in it"
    )
    status = models.CharField(max_length=8, choices=ChatStatus.choices, default=ChatStatus.WAITING)
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="the officer answering now (after a hand-over: the new one)",
    )
    created_at = models.DateTimeField()
    picked_up_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    contact_entry = models.OneToOneField(
        ContactEntry,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="chat",
        help_text="the contact-log entry holding the transcript, written when it ended",
    )
    case = models.ForeignKey(
        Case,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="the enquiry it became when nobody was online",
    )

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            # The agency's queue, first come first served.
            models.Index(
                fields=["agency", "created_at", "id"],
                condition=Q(status="waiting"),
                name="chat_queue_idx",
            ),
            models.Index(fields=["person", "-created_at"], name="chat_person_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=OPEN_CHAT, name="one_open_chat_per_person"
            ),
            models.CheckConstraint(
                condition=~Q(status="active") | Q(officer__isnull=False),
                name="active_chat_has_officer",
            ),
        ]

    def __str__(self) -> str:
        return f"chat {self.public_id} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in (ChatStatus.WAITING, ChatStatus.ACTIVE)


class ChatMessage(models.Model):
    """One line of a chat: the person's, an officer's, or the portal's own (picked up,
    handed over, ended)."""

    class Side(models.TextChoices):
        PERSON = "person", _("The person")
        AGENCY = "agency", _("Officer")
        SYSTEM = "system", _("Biz Portal")

    PERSONAL_DATA = {"body": PersonalDataLabel.PERSONAL}

    session = models.ForeignKey(ChatSession, on_delete=models.CASCADE, related_name="messages")
    side = models.CharField(max_length=8, choices=Side.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    author_label = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["session", "id"], name="chat_message_idx")]
        constraints = [models.CheckConstraint(condition=~Q(body=""), name="chat_message_not_empty")]

    def __str__(self) -> str:
        return f"{self.side} {self.created_at:%H:%M}"
