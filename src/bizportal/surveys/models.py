"""Satisfaction surveys: a service's questionnaire in versions, the invitations sent
after a licence is issued or a complaint is closed, and the answers.

Why versions: an answer means something only against the exact questions asked, so a
published version never changes; an administrator edits a new draft, and every answer
points to the version it answered. Why the invariants sit in the database: one answer
per invitation and per application must hold under two simultaneous submissions, not
only in Python.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from bizportal.core.versioning import VersionStatus

#: The longest free-text answer a question may allow (characters).
MAX_TEXT_LIMIT = 4000
RATING_MIN, RATING_MAX = 1, 5


class Survey(models.Model):
    """The satisfaction survey of one service (its questions are in :class:`SurveyVersion`)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    service = models.OneToOneField(
        "catalog.Service", on_delete=models.PROTECT, related_name="survey"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Survey")
        verbose_name_plural = _("Surveys")

    def __str__(self) -> str:
        return f"{self.service.name_th} ({self.service.slug})"


class SurveyVersion(models.Model):
    """One version of a survey's questions: editable while a draft, immutable once live."""

    Status = VersionStatus

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    status = models.CharField(
        max_length=8, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    intro_th = models.TextField(blank=True, help_text=_("Introduction (Thai)"))
    intro_en = models.TextField(blank=True, help_text=_("Introduction (English)"))
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("Survey version")
        verbose_name_plural = _("Survey versions")
        ordering = ("survey", "-number")
        constraints = [
            models.UniqueConstraint(fields=["survey", "number"], name="survey_version_number"),
            models.UniqueConstraint(
                fields=["survey"], condition=Q(status="live"), name="survey_one_live_version"
            ),
            models.UniqueConstraint(
                fields=["survey"], condition=Q(status="draft"), name="survey_one_draft_version"
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(published_at__isnull=False),
                name="survey_version_published_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.survey.service.slug} v{self.number} ({self.status})"

    @property
    def is_draft(self) -> bool:
        return self.status == VersionStatus.DRAFT


class QuestionKind(models.TextChoices):
    RATING = "rating", _("Rating 1–5")
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")
    TEXT = "text", _("Free text")


class Question(models.Model):
    """One question of a version; ``choices`` are ``[{"code", "th", "en"}]`` for the
    choice kinds. ``code`` is stable across versions, so a report can follow a question
    from one version to the next."""

    version = models.ForeignKey(SurveyVersion, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(default=1)
    code = models.SlugField(max_length=40)
    kind = models.CharField(max_length=8, choices=QuestionKind.choices)
    text_th = models.CharField(max_length=500)
    text_en = models.CharField(max_length=500)
    required = models.BooleanField(default=True)
    choices = models.JSONField(default=list, blank=True)
    max_length = models.PositiveSmallIntegerField(
        default=1000, help_text=_("Longest free-text answer")
    )

    class Meta:
        verbose_name = _("Question")
        verbose_name_plural = _("Questions")
        ordering = ("version", "position", "id")
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="survey_question_code"),
            models.CheckConstraint(
                condition=Q(kind__in=QuestionKind.values), name="survey_question_kind"
            ),
            models.CheckConstraint(
                condition=Q(max_length__gte=1, max_length__lte=MAX_TEXT_LIMIT),
                name="survey_question_max_length",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.text_th}"

    @property
    def choice_codes(self) -> list[str]:
        return [str(choice["code"]) for choice in self.choices]


class Trigger(models.TextChoices):
    LICENCE = "licence", _("Licence issued")
    COMPLAINT = "complaint", _("Complaint closed")


class Invitation(models.Model):
    """An invitation to answer a service's survey once, for one application or one
    complaint. The link carries a signed token of ``public_id`` (no secret is stored)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="invitations")
    agency = models.ForeignKey("catalog.Agency", on_delete=models.PROTECT, related_name="+")
    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    application = models.ForeignKey(
        "applications.Application",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="survey_invitations",
    )
    complaint = models.CharField(max_length=64, blank=True, help_text="the complaint's id")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    email = models.EmailField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Survey invitation")
        verbose_name_plural = _("Survey invitations")
        constraints = [
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(application__isnull=False),
                name="survey_invitation_one_per_application",
            ),
            models.UniqueConstraint(
                fields=["complaint"],
                condition=~Q(complaint=""),
                name="survey_invitation_one_per_complaint",
            ),
            models.CheckConstraint(
                condition=(Q(trigger="licence") & Q(application__isnull=False))
                | (Q(trigger="complaint") & ~Q(complaint="")),
                name="survey_invitation_has_subject",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.trigger} {self.public_id}"


class Response(models.Model):
    """One submitted answer sheet: to one invitation, on one version."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    invitation = models.OneToOneField(Invitation, on_delete=models.PROTECT, related_name="response")
    application = models.ForeignKey(
        "applications.Application",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="survey_responses",
    )
    version = models.ForeignKey(SurveyVersion, on_delete=models.PROTECT, related_name="responses")
    agency = models.ForeignKey("catalog.Agency", on_delete=models.PROTECT, related_name="+")
    service = models.ForeignKey("catalog.Service", on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Survey response")
        verbose_name_plural = _("Survey responses")
        constraints = [
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(application__isnull=False),
                name="survey_response_one_per_application",
            ),
        ]
        indexes = [models.Index(fields=["agency", "service", "version"])]

    def __str__(self) -> str:
        return str(self.public_id)


class Answer(models.Model):
    """The answer to one question: a rating, chosen codes or a text, by the question's kind."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    choices = models.JSONField(default=list, blank=True)
    text = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="survey_answer_once"),
            models.CheckConstraint(
                condition=Q(rating__isnull=True)
                | Q(rating__gte=RATING_MIN, rating__lte=RATING_MAX),
                name="survey_answer_rating_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.response_id}: {self.question_id}"
