"""Thai and English keyword search over the catalogue, ranked.

Thai is written without spaces between words, so both the indexed text and the query
are segmented into words with PyThaiNLP (``newmm``) first.

**Matching.** A service matches when every query word occurs in its indexed text; this
is what lets "จำหน่ายอาหาร" find a service described as "สถานที่จำหน่ายอาหาร" and "food
shop" find the English name. A word matches as a substring of the segmented text, not
as a whole token: newmm keeps compounds such as "ร้านอาหาร" as one token, so "อาหาร"
must still find them. Substring tests are served by a trigram index (``search_index``):
the text is already lower-cased, so the query uses case-sensitive ``LIKE '%word%'``,
which PostgreSQL's ``gin_trgm_ops`` index answers (``icontains`` wraps both sides in
``UPPER()`` and cannot), and on SQLite a ``LIKE`` on the FTS5 trigram table. Words
shorter than three characters give no trigram; they are tested on the column itself,
after the indexed words have narrowed the rows.

**Synonyms.** A query word or phrase that belongs to a synonym ring (``Synonym``, kept
by catalogue managers) matches any member of the ring: "ร้านเหล้า" finds services that
say "สุรา", "restaurant" finds "ร้านอาหาร".

**Typos.** When nothing matches and a word occurs nowhere in the catalogue's vocabulary
(``SearchTerm``), it is replaced by the closest vocabulary word of similar length
(RapidFuzz ratio ≥ ``TYPO_MIN_SIMILARITY``) and the search runs again; the page says
which query it searched for.

**Ranking.** BM25F with binary term frequency (service texts are short: a word rarely
occurs twice): each query word (or synonym group) adds its inverse document frequency,
``NAME_BOOST`` times over when it occurs in the service's name or licence title
(``search_name``), and a synonym of the word typed counts ``SYNONYM_WEIGHT`` of the
word itself. Ties go to the service whose name and title say least besides (the
shorter ``search_name``: a name that is about the query), then Thai alphabetical order.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache, reduce
from operator import add, and_, or_

from django.core.cache import cache
from django.db import connections
from django.db.models import Case, ExpressionWrapper, FloatField, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Length

from .models import SearchTerm, Service, Synonym
from .search_index import FTS_TABLE, TRIGRAM

_PUNCTUATION = re.compile(r"[^\w\u0E00-\u0E7F]+")
MAX_QUERY_WORDS = 12
#: How much more a word counts when it is in the name or licence title.
NAME_BOOST = 3.0
#: What a synonym of the word typed counts, against the word itself.
SYNONYM_WEIGHT = 0.7
#: RapidFuzz ratio (0–100) a vocabulary word needs to stand in for a misspelt one.
TYPO_MIN_SIMILARITY = 75
#: A vocabulary word this many characters longer or shorter is still a candidate.
TYPO_LENGTH_SPREAD = 2
SYNONYMS_CACHE_KEY = "catalog.search.synonyms"
SYNONYMS_CACHE_SECONDS = 300
CATALOGUE_SIZE_CACHE_KEY = "catalog.search.size"

#: One alternative: words that must all occur (a synonym may be several words).
Alternative = tuple[str, ...]
#: One query group: any of its alternatives.
Group = tuple[Alternative, ...]


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


def _unique_words(parts: Iterable[str]) -> str:
    return " ".join(dict.fromkeys(segment(" ".join(p for p in parts if p))))


def index_text(service: Service) -> str:
    """The text a service is found by: names, summaries, agency, licence title."""
    return _unique_words(
        [
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
    )


def name_text(service: Service) -> str:
    """The words that rank a service higher when a query names them."""
    return _unique_words(
        [service.name_th, service.name_en, service.licence_title_th, service.licence_title_en]
    )


# --- understanding the query ---------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """What a query asks for: every group must match (``groups``), as corrected."""

    groups: tuple[Group, ...]
    corrected: str = ""

    @property
    def words(self) -> set[str]:
        return {word for group in self.groups for alt in group for word in alt}


def plan(query: str) -> Plan:
    """Synonym rings first (a ring member may be a phrase), then the remaining words."""
    text = " ".join(query.lower().split())
    groups: list[Group] = []
    for ring in _synonym_rings():
        for member in sorted(ring, key=len, reverse=True):
            found = _occurrence(member).search(text)
            if found:
                text = text[: found.start()] + " " + text[found.end() :]
                # The member typed comes first: it weighs more than its synonyms.
                members = [member, *(m for m in ring if m != member)]
                groups.append(tuple(tuple(segment(m)) or (m,) for m in members))
                break
    groups.extend(((word,),) for word in dict.fromkeys(segment(text)))
    return Plan(tuple(groups[:MAX_QUERY_WORDS]))


@lru_cache(maxsize=4096)
def _occurrence(member: str) -> re.Pattern[str]:
    """Where a ring member occurs in a query: Latin words whole ("bar" is not in
    "barber"); Thai, written without spaces, anywhere."""
    return re.compile(rf"(?<![a-z0-9]){re.escape(member)}(?![a-z0-9])")


def _synonym_rings() -> list[list[str]]:
    rings = cache.get(SYNONYMS_CACHE_KEY)
    if rings is None:
        rings = [ring.members() for ring in Synonym.objects.all()]
        rings = [ring for ring in rings if len(ring) > 1]
        cache.set(SYNONYMS_CACHE_KEY, rings, SYNONYMS_CACHE_SECONDS)
    return list(rings)


def forget_synonyms() -> None:
    """Called when a ring changes, so the next search uses it."""
    cache.delete(SYNONYMS_CACHE_KEY)


# --- matching ------------------------------------------------------------------------


def _word_condition(word: str, vendor: str) -> Q:
    if vendor == "sqlite" and len(word) >= TRIGRAM and "_" not in word:
        # "_" is a LIKE wildcard; such words go through contains, which escapes it.
        # Only the placeholder is in the SQL; the word travels as a parameter.
        matching = RawSQL(  # noqa: S611
            f"SELECT rowid FROM {FTS_TABLE} WHERE search_text LIKE %s",  # noqa: S608
            [f"%{word}%"],
        )
        return Q(id__in=matching)
    return Q(search_text__contains=word)


def _group_condition(group: Group, vendor: str, *, field: str = "") -> Q:
    def alternative(words: Alternative) -> Q:
        if field:
            return reduce(and_, (Q(**{f"{field}__contains": w}) for w in words))
        # Long words first: they narrow through the index before short ones are tested.
        ordered = sorted(words, key=len, reverse=True)
        return reduce(and_, (_word_condition(w, vendor) for w in ordered))

    return reduce(or_, (alternative(alt) for alt in group))


def _matching(plan: Plan, qs: QuerySet[Service], *, every: bool = True) -> QuerySet[Service]:
    """Services with every group of ``plan`` (or, with ``every=False``, any group)."""
    vendor = connections[qs.db].vendor
    conditions = [_group_condition(group, vendor) for group in plan.groups]
    if not conditions:
        return qs
    return qs.filter(reduce(and_ if every else or_, conditions))


@dataclass(frozen=True)
class Result:
    """The services a query found, and the query it was corrected to (``""`` if none)."""

    services: QuerySet[Service]
    corrected: str = ""
    partial: bool = False


def search(
    query: str, queryset: QuerySet[Service] | None = None, *, correct: bool = True
) -> QuerySet[Service]:
    """Services matching ``query``, in the queryset's own order (the API pages by its
    cursor); a misspelt word is corrected when nothing matches (unless ``correct`` is
    False)."""
    return find(query, queryset, correct=correct).services


def find(
    query: str,
    queryset: QuerySet[Service] | None = None,
    *,
    correct: bool = True,
    partial: bool = False,
) -> Result:
    """Like :func:`search`, saying which query was searched for after correction.

    With ``partial``, when no service has every word (even after correction), services
    with some of the words are found instead, so a query with one word too many ("tour
    operator") still finds the tour licence; ranking puts those with most words first.
    """
    qs = queryset if queryset is not None else Service.objects.filter(is_published=True)
    asked = plan(query)
    found = _matching(asked, qs)
    if not correct or not asked.groups or found.exists():
        return Result(found.select_related("agency"))
    fixed = _corrected(asked, qs.db)
    if fixed is not None:
        found = _matching(fixed, qs)
        if found.exists():
            return Result(found.select_related("agency"), fixed.corrected)
    settled = fixed or asked
    if not partial or len(settled.groups) < 2:
        return Result(found.select_related("agency"), settled.corrected)
    some = _matching(settled, qs, every=False).select_related("agency")
    return Result(some, settled.corrected, partial=True)


def ranked(query: str, queryset: QuerySet[Service] | None = None) -> Result:
    """:func:`find` with partial matches, best match first (see the module's note on
    ranking)."""
    result = find(query, queryset, partial=True)
    qs = result.services
    asked = plan(result.corrected or query)
    if not asked.groups:
        return result
    frequencies = _document_frequencies(asked.words, qs.db)
    size = _catalogue_size(qs.db)
    parts = [
        _group_score(group, _idf(_group_frequency(group, frequencies), size), result.partial)
        for group in asked.groups
    ]
    score = ExpressionWrapper(reduce(add, parts), output_field=FloatField())
    ordered = qs.annotate(relevance=score).order_by(
        "-relevance", Length("search_name"), "name_th", "id"
    )
    return Result(ordered, result.corrected, result.partial)


# --- weights -------------------------------------------------------------------------


def _group_score(group: Group, weight: float, partial: bool) -> Case:
    """What one query word (or synonym group) adds to a service's score: its weight,
    ``NAME_BOOST`` times in the name, ``SYNONYM_WEIGHT`` of that when only a synonym of
    the word typed is there. In a partial match a group the service lacks adds nothing;
    otherwise every service has it somewhere."""
    typed = group[:1]
    places = [("search_name", weight * NAME_BOOST), ("search_text", weight)]
    whens = []
    for field, value in places:
        whens.append(When(_group_condition(typed, "", field=field), then=Value(value)))
        if len(group) > 1:
            whens.append(
                When(_group_condition(group, "", field=field), then=Value(value * SYNONYM_WEIGHT))
            )
        if field == "search_name" and not partial and len(group) == 1:
            break  # present everywhere: the default covers the rest
    default = 0.0 if partial else weight * (SYNONYM_WEIGHT if len(group) > 1 else 1.0)
    return Case(*whens, default=Value(default), output_field=FloatField())


def _document_frequencies(words: set[str], using: str) -> dict[str, int]:
    """How many services use each word, as a vocabulary word or inside one (the same
    substring sense matching uses). One query over the vocabulary for all words."""
    if not words:
        return {}
    condition = reduce(or_, (Q(term__contains=word) for word in words))
    counts = dict.fromkeys(words, 0)
    rows = SearchTerm.objects.using(using).filter(condition, services__gt=0)
    for term, services in rows.values_list("term", "services"):
        for word in words:
            if word in term:
                counts[word] += services
    return counts


def _group_frequency(group: Group, frequencies: dict[str, int]) -> int:
    # An alternative is as frequent as its rarest word; a group as all its alternatives.
    return sum(min(frequencies.get(word, 0) for word in alt) for alt in group)


def _idf(frequency: int, size: int) -> float:
    """BM25's inverse document frequency: always positive, larger for rarer words."""
    frequency = min(frequency, size)
    return math.log(1 + (size - frequency + 0.5) / (frequency + 0.5))


def _catalogue_size(using: str) -> int:
    key = f"{CATALOGUE_SIZE_CACHE_KEY}.{using}"
    size = cache.get(key)
    if size is None:
        size = Service.objects.using(using).filter(is_published=True).count()
        cache.set(key, size, SYNONYMS_CACHE_SECONDS)
    return max(1, int(size))


# --- typos ---------------------------------------------------------------------------


def _corrected(asked: Plan, using: str) -> Plan | None:
    """The plan with each word the catalogue does not know replaced by its nearest
    vocabulary word; None when no word could be corrected."""
    frequencies = _document_frequencies(asked.words, using)
    groups: list[Group] = []
    shown: list[str] = []
    changed = False
    for group in asked.groups:
        single = len(group) == 1 and len(group[0]) == 1
        word = group[0][0]
        replacement = (
            _nearest_word(word, using)
            if single and len(word) >= TRIGRAM and not frequencies.get(word)
            else None
        )
        if replacement:
            changed = True
            groups.append(((replacement,),))
            shown.append(replacement)
        else:
            groups.append(group)
            shown.append(" ".join(group[0]))
    if not changed:
        return None
    return Plan(tuple(groups), corrected=" ".join(shown))


def _nearest_word(word: str, using: str) -> str | None:
    from rapidfuzz import fuzz, process

    candidates = list(
        SearchTerm.objects.using(using)
        .filter(
            length__gte=len(word) - TYPO_LENGTH_SPREAD,
            length__lte=len(word) + TYPO_LENGTH_SPREAD,
            services__gt=0,
        )
        .values_list("term", flat=True)
    )
    best = process.extractOne(word, candidates, scorer=fuzz.ratio, score_cutoff=TYPO_MIN_SIMILARITY)
    return str(best[0]) if best else None
