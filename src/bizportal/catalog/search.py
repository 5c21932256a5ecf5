"""Thai and English keyword search over the catalogue.

Thai is written without spaces between words, so both the indexed text and the query
are segmented into words with PyThaiNLP (``newmm``) first. A service matches when
every query word occurs in its indexed text; this is what lets "จำหน่ายอาหาร" find a
service described as "สถานที่จำหน่ายอาหาร" and "food shop" find the English name.

A word matches as a substring of the segmented text, not as a whole token: newmm keeps
compounds such as "ร้านอาหาร" as one token, so "อาหาร" must still find them. Substring
tests are served by a trigram index (``search_index``): the text is already lower-cased,
so the query uses case-sensitive ``LIKE '%word%'``, which PostgreSQL's ``gin_trgm_ops``
index answers (``icontains`` wraps both sides in ``UPPER()`` and cannot), and on SQLite a
``LIKE`` on the FTS5 trigram table. Words shorter than three characters give no trigram;
they are tested on the column itself, after the indexed words have narrowed the rows.
"""

from __future__ import annotations

import re
from functools import lru_cache

from django.db import connections
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from .models import Service
from .search_index import FTS_TABLE, TRIGRAM

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
    """Services whose indexed text contains every word of ``query``, in the queryset's
    own order (the page sorts by Thai name, the API by its cursor)."""
    qs = queryset if queryset is not None else Service.objects.filter(is_published=True)
    words = list(dict.fromkeys(segment(query)))[:MAX_QUERY_WORDS]
    condition = Q()
    if connections[qs.db].vendor == "sqlite":
        # "_" is a LIKE wildcard; such words go through contains, which escapes it.
        indexed = [w for w in words if len(w) >= TRIGRAM and "_" not in w]
        if indexed:
            where = " AND ".join(["search_text LIKE %s"] * len(indexed))
            # Only placeholders are joined in; the words travel as parameters.
            matching = RawSQL(  # noqa: S611
                f"SELECT rowid FROM {FTS_TABLE} WHERE {where}",  # noqa: S608
                [f"%{word}%" for word in indexed],
            )
            condition &= Q(id__in=matching)
        words = [w for w in words if w not in indexed]
    for word in words:
        condition &= Q(search_text__contains=word)
    return qs.filter(condition).select_related("agency")
