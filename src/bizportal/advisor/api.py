"""``POST /api/v1/advisor/recommendations``: answers in, ordered services out."""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from . import engine, services
from .models import Question

MAX_ANSWERS = 100


class AnswersSerializer(serializers.Serializer):
    answers = serializers.DictField(
        child=serializers.JSONField(),
        help_text="question code → answer (a choice's value, true/false, a number)",
    )

    def validate_answers(self, value: dict[str, Any]) -> dict[str, Any]:
        if len(value) > MAX_ANSWERS:
            raise serializers.ValidationError(f"at most {MAX_ANSWERS} answers")
        return value


class QuestionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Question
        fields = ["code", "kind", "text_th", "text_en", "help_th", "help_en", "options",
                  "ask_when", "minimum", "maximum"]  # fmt: skip


ADVICE = inline_serializer(
    "Advice",
    {
        "services": serializers.ListField(child=serializers.DictField()),
        "totals": serializers.DictField(),
        "unanswered": QuestionSerializer(many=True),
    },
)


class RecommendationsView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    @extend_schema(request=AnswersSerializer, responses=ADVICE, tags=["advisor"])
    def post(self, request: Request) -> Response:
        """The services a business with these answers needs, in the order they must be
        obtained, with fees and working days; ``unanswered`` lists the questions that
        apply to these answers and were not answered (answer them for better advice).
        Unknown question codes and answers a question cannot take answer 400."""
        payload = AnswersSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        cleaned, errors = engine.check_answers(
            services.questions(), payload.validated_data["answers"]
        )
        if errors:
            raise serializers.ValidationError({"answers": errors})
        return Response(advice_body(services.advise(cleaned)))


class QuestionsView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    @extend_schema(responses=QuestionSerializer(many=True), tags=["advisor"])
    def get(self, request: Request) -> Response:
        """Every question, with the FEEL condition (``ask_when``) under which it is asked."""
        return Response(QuestionSerializer(services.questions(), many=True).data)


def advice_body(result: services.Result) -> dict[str, Any]:
    items = []
    for n, advice in enumerate(result.advice, 1):
        service = advice.service
        fee = result.fees[service.pk]
        items.append(
            {
                "order": n,
                "slug": service.slug,
                "name_th": service.name_th,
                "name_en": service.name_en,
                "agency": {
                    "code": service.agency.code,
                    "name_th": service.agency.name_th,
                    "name_en": service.agency.name_en,
                },
                "necessity": advice.necessity,
                "reasons": [{"th": th, "en": en} for th, en in advice.reasons],
                "after": [a.service.slug for a in result.advice if a.service.pk in advice.after],
                "apply_here": service.channel in service.PORTAL_CHANNELS,
                "channel": service.channel,
                "apply_url": service.apply_url,
                "processing_days": service.processing_days,
                "ready_by_working_day": advice.earliest_day,
                "fee_thb": str(fee.amount) if fee.amount is not None else None,
                "fee_exact": fee.exact,
            }
        )
    return {
        "services": items,
        "totals": {
            "fee_thb_at_least": str(result.fee_total),
            "fees_unknown": result.fees_unknown,
            "working_days_one_by_one": result.days_one_by_one,
            "working_days_side_by_side": result.days_side_by_side,
        },
        "unanswered": QuestionSerializer(result.unanswered, many=True).data,
    }


urlpatterns = [
    path("recommendations", RecommendationsView.as_view(), name="api-advisor-recommendations"),
    path("questions", QuestionsView.as_view(), name="api-advisor-questions"),
]
