"""Thai and English keyword search over the catalogue.

Thai is written without spaces between words, so both the indexed text and the query
are segmented into words with PyThaiNLP (``newmm``) first. A service matches when
every query word occurs in its indexed text; this is what lets "จำหน่ายอาหาร" find a
service described as "สถานที่จำหน่ายอาหาร" and "food shop" find the English name.
"""

from __future__ import annotations

import re
from functools import lru_cache

from django.db.models import Q, QuerySet

from .models import Service

_PUNCTUATION = re.compile(r"[^\w\u0E00-\u0E7F]+")
MAX_QUERY_WORDS = 12


@lru_cache(maxsize=1)
def _tokenizer():  # type: ignore[no-untyped-def]
    from pythainlp.tokenize import word_tokenize

    return word_tokenize


def segment(text: str) -> list[str]:
    """Lower-cased words of ``text``, Thai runs segmented, punctuation dropped."""
    words: list[str] = []
    for token in _tokenizer()(text or "", engine="newmm", keep_whitespace=False):
        cleaned = _PUNCTUATION.sub(" ", token).strip().lower()
        words.extend(part for part in cleaned.split() if part)
    return words


def index_text(service: Service) -> str:
    """The text a service is found by: names, summaries, agency, licence title."""
    parts = [
        service.name_th,
        service.name_en,
        service.summary_th,
        service.summary_en,
        service.licence_title_th,
        service.licence_title_en,
        service.manual_code,
        service.agency.name_th,
        service.agency.name_en,
        service.agency.short_name_th,
    ]
    return " ".join(dict.fromkeys(segment(" ".join(p for p in parts if p))))


def search(query: str, queryset: QuerySet[Service] | None = None) -> QuerySet[Service]:
    qs = queryset if queryset is not None else Service.objects.filter(is_published=True)
    words = list(dict.fromkeys(segment(query)))[:MAX_QUERY_WORDS]
    condition = Q()
    for word in words:
        condition &= Q(search_text__icontains=word)
    return qs.filter(condition).select_related("agency")
