"""Thai and English keyword search over the catalogue, ranked.

Thai is written without spaces between words, so both the indexed text and the query
are segmented into words with PyThaiNLP (``newmm``) first.

**Matching.** A service matches when every query word occurs in its indexed text; this
is what lets "จำหน่ายอาหาร" find a service described as "สถานที่จำหน่ายอาหาร" and "food
shop" find the English name. A Thai word matches as a substring of the segmented text,
not as a whole token: newmm keeps compounds such as "ร้านอาหาร" as one token, so "อาหาร"
must still find them. A Latin word or number matches the beginning of a word ("ice" is
not in "licence"; "cosmetic" finds "cosmetics"), see :func:`at_word_start`. Substring
tests are served by a trigram index (``search_index``): the text is already lower-cased,
so the query uses case-sensitive ``LIKE '%word%'`` (``LIKE '% word%'`` at a word's start:
the text begins with a space), which PostgreSQL's ``gin_trgm_ops`` index answers (``icontains``
wraps both sides in ``UPPER()`` and cannot), and on SQLite a ``LIKE`` on the FTS5
trigram table. Words shorter than three characters give no trigram; they are tested on
the column itself, after the indexed words have narrowed the rows.

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

**The first page, fast.** Scoring every match of a common word ("โรงงาน" is in 18,000
of 90,000 services) costs more than a page may. No service can outscore one whose name
or licence title holds every word typed (each word then adds its most), so
:func:`first` asks for those first, in the tie order, which an index on that order
answers without scoring or sorting the rest; only when they do not fill the page does
it score every match.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import re
from collections.abc import Callable, Iterable, Sequence
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
#: Words shorter than this are not corrected, nor suggested: a three-letter word is one
#: letter from dozens of others ("ice" became "ce" once Latin words stopped matching
#: inside "licence"), so a guess would be wrong more often than right.
TYPO_MIN_LENGTH = 4
SYNONYMS_CACHE_KEY = "catalog.search.synonyms"
SYNONYMS_CACHE_SECONDS = 300
CATALOGUE_SIZE_CACHE_KEY = "catalog.search.size"
FREQUENCY_CACHE_KEY = "catalog.search.df"

#: One alternative: words that must all occur (a synonym may be several words).
Alternative = tuple[str, ...]
#: One query group: any of its alternatives.
Group = tuple[Alternative, ...]


@lru_cache(maxsize=1)
def _tokenizer():  # type: ignore[no-untyped-def]
    from pythainlp.tokenize import word_tokenize

    return word_tokenize


def warm_up() -> None:
    """Load the word dictionary now (a server process calls this before its first
    request) rather than during someone's first search (about a second)."""
    segment("ใบอนุญาตจำหน่ายอาหาร")


def segment(text: str) -> list[str]:
    """Lower-cased words of ``text``, Thai runs segmented, punctuation dropped."""
    words: list[str] = []
    for token in _tokenizer()(text or "", engine="newmm", keep_whitespace=False):
        cleaned = _PUNCTUATION.sub(" ", token).strip().lower()
        words.extend(part for part in cleaned.split() if part)
    return words


def _unique_words(parts: Iterable[str]) -> str:
    """The words once each, space-separated, after a leading space: every word then
    starts after a space, so a word's beginning is one pattern (``LIKE '% word%'``)."""
    words = " ".join(dict.fromkeys(segment(" ".join(p for p in parts if p))))
    return f" {words}" if words else ""


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


def at_word_start(word: str) -> bool:
    """Whether ``word`` must begin a word of the text rather than occur anywhere in one.

    Latin words and numbers are written with spaces, so "ice" means ice, not the inside
    of "licence", "service" or "office" (it found every service); they match a word's
    beginning ("cosmetic" still finds "cosmetics"). Thai has no spaces, and newmm keeps
    compounds whole ("ร้านอาหาร"), so a Thai word matches anywhere."""
    return word.isascii()


def occurs(word: str, text: str) -> bool:
    """:func:`_occurs_in_field` in Python, for indexed text already read (names)."""
    return f" {word}" in text if at_word_start(word) else word in text


def _occurs_in_field(field: str, word: str) -> Q:
    """``word`` in an indexed text field (words after a space each), in the sense of
    :func:`at_word_start`."""
    return Q(**{f"{field}__contains": f" {word}" if at_word_start(word) else word})


def _in_term(word: str) -> Q:
    """``word`` in a vocabulary word, in the sense of :func:`at_word_start`."""
    return Q(term__startswith=word) if at_word_start(word) else Q(term__contains=word)


def _word_condition(word: str, vendor: str) -> Q:
    if vendor == "sqlite" and len(word) >= TRIGRAM and "_" not in word:
        # "_" is a LIKE wildcard; such words go through contains, which escapes it.
        # Only the placeholder is in the SQL; the word travels as a parameter.
        pattern = f"% {word}%" if at_word_start(word) else f"%{word}%"
        matching = RawSQL(  # noqa: S611
            f"SELECT rowid FROM {FTS_TABLE} WHERE search_text LIKE %s",  # noqa: S608
            [pattern],
        )
        return Q(id__in=matching)
    return _occurs_in_field("search_text", word)


def _group_condition(group: Group, vendor: str, *, field: str = "") -> Q:
    def alternative(words: Alternative) -> Q:
        if field:
            return reduce(and_, (_occurs_in_field(field, w) for w in words))
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
    # Set by :func:`ranked`, for :func:`first`: what was searched for, in which
    # services (``base``), the matches before ranking, and how common each word is.
    plan: Plan | None = None
    base: QuerySet[Service] | None = None
    matched: QuerySet[Service] | None = None
    frequencies: dict[str, int] = dataclasses.field(default_factory=dict)


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
    asked = _without_unused_synonyms(plan(query), qs.db)
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


def _without_unused_synonyms(asked: Plan, using: str) -> Plan:
    """``asked`` without the synonyms no service uses (the word typed always stays): a
    ring of a dozen members made a dozen ``LIKE`` tests per row, most of them for words
    the catalogue never says."""
    rings = [group for group in asked.groups if len(group) > 1]
    if not rings:
        return asked
    words = {word for group in rings for alt in group[1:] for word in alt}
    frequencies = _document_frequencies(words, using)

    def used(alt: Alternative) -> bool:
        return all(frequencies.get(word, 0) > 0 for word in alt)

    groups = tuple(
        (group[0], *(alt for alt in group[1:] if used(alt))) if len(group) > 1 else group
        for group in asked.groups
    )
    return dataclasses.replace(asked, groups=groups)


def ranked(query: str, queryset: QuerySet[Service] | None = None) -> Result:
    """:func:`find` with partial matches, best match first (see the module's note on
    ranking)."""
    base = queryset if queryset is not None else Service.objects.filter(is_published=True)
    result = find(query, base, partial=True)
    qs = result.services
    asked = _without_unused_synonyms(plan(result.corrected or query), qs.db)
    if not asked.groups:
        return result
    frequencies = _document_frequencies(asked.words, qs.db)
    size = _catalogue_size(qs.db)
    parts = [
        _group_score(group, _idf(_group_frequency(group, frequencies), size), result.partial)
        for group in asked.groups
    ]
    score = ExpressionWrapper(reduce(add, parts), output_field=FloatField())
    ordered = qs.annotate(relevance=score).order_by("-relevance", *TIE_ORDER)
    return Result(ordered, result.corrected, result.partial, asked, base, qs, frequencies)


#: The order of services that score the same (see the module's note on ranking).
TIE_ORDER = (Length("search_name"), "name_th", "id")


#: How many services, in tie order, :func:`first` reads looking for the best ones.
PROBE = 2000
#: Below this many expected matches, scoring them all costs less than the probe (about
#: 6 ms at 90,000 services: 300 matches scored in 2 to 3 ms).
PROBE_WORTH = 1000


def first(result: Result, count: int, fields: Sequence[str] = ()) -> list[Service]:
    """The first ``count`` services of a :func:`ranked` result (with only ``fields``
    loaded, if given).

    No service can outscore one whose name or licence title holds every word typed
    (or, for a word the catalogue never uses, one of its synonyms): each word then adds
    its most. Those that score that most tie, and ties go in tie order; so when the
    first ``PROBE`` services in tie order hold ``count`` of them, they are the page,
    read by walking an index instead of scoring and sorting every match. Otherwise
    every match is scored."""

    if result.base is None:
        return list(result.services.only(*fields)[:count] if fields else result.services[:count])
    # Each is a match: a service's indexed text holds its name's words.
    best = _best_by_name(result, count)
    if best is None:
        # Ids first: sorting thousands of matches with a card's columns (and its agency)
        # in every row cost more than the scoring.
        best = list(result.services.values_list("id", flat=True)[:count])
    cards = result.base.filter(id__in=best)
    if fields:
        related = {name.split("__")[0] for name in fields if "__" in name}
        cards = cards.select_related(*related).only(*fields)
    else:
        cards = cards.select_related("agency")
    rows = cards.in_bulk()
    return [rows[pk] for pk in best if pk in rows]


def _best_by_name(result: Result, count: int) -> list[int] | None:
    """Ids of the first ``count`` services, in tie order, whose names score the most
    a service can; None when the first ``PROBE`` services do not hold that many."""
    if result.partial or result.plan is None or result.base is None:
        return None
    groups = result.plan.groups
    expected = _expected_matches(groups, result.frequencies, result.base.db) if groups else 0
    if expected < max(count, PROBE_WORTH):
        return None
    tests = [_best_name_test(group, result.frequencies) for group in groups]
    names = result.base.order_by(*TIE_ORDER).values_list("id", "search_name")[:PROBE]
    found: list[int] = []
    for pk, name in names:  # one fetch of short rows, no server-side cursor
        if all(test(name) for test in tests):
            found.append(pk)
            if len(found) == count:
                return found
    return None


def _expected_matches(groups: tuple[Group, ...], frequencies: dict[str, int], using: str) -> float:
    """How many services would hold every group if words fell independently; when
    few, scoring every match is cheaper than probing ("Chiang Mai ice": 18 expected, 81
    found). Words that go together are underestimated ("จำหน่าย อาหาร": 1,500 expected,
    15,440 found), which only ever costs time, never the order."""
    size = _catalogue_size(using)
    expected = float(size)
    for group in groups:
        expected *= min(1.0, _group_frequency(group, frequencies) / size)
    return expected


def _best_name_test(group: Group, frequencies: dict[str, int]) -> Callable[[str], bool]:
    """Whether a name gives ``group`` its most: the word typed in it, or, when the
    catalogue never uses that word, any of its synonyms (as :func:`_group_score`)."""
    typed = group[0]
    if min(frequencies.get(word, 0) for word in typed) > 0:
        return lambda name: all(occurs(word, name) for word in typed)
    return lambda name: any(all(occurs(word, name) for word in alt) for alt in group)


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
    substring sense matching uses). One query over the vocabulary for the words not
    counted in the last ``SYNONYMS_CACHE_SECONDS``: a count is only a weight, and a
    common word's took 13 to 25 ms at 90,000 services, as much as the search itself."""
    if not words:
        return {}
    keys = {word: _frequency_key(word, using) for word in words}
    cached = cache.get_many(list(keys.values()))
    counts = {word: cached[key] for word, key in keys.items() if key in cached}
    missing = words - counts.keys()
    if missing:
        counted = _count_documents(missing, using)
        cache.set_many({keys[w]: n for w, n in counted.items()}, SYNONYMS_CACHE_SECONDS)
        counts.update(counted)
    return counts


def _frequency_key(word: str, using: str) -> str:
    # Hashed: cache backends such as memcached take only short ASCII keys.
    digest = hashlib.blake2b(word.encode(), digest_size=12).hexdigest()
    return f"{FREQUENCY_CACHE_KEY}.{using}.{digest}"


def _count_documents(words: set[str], using: str) -> dict[str, int]:
    condition = reduce(or_, (_in_term(word) for word in words))
    counts = dict.fromkeys(words, 0)
    rows = SearchTerm.objects.using(using).filter(condition, services__gt=0)
    for term, services in rows.values_list("term", "services"):
        for word in words:
            if term.startswith(word) if at_word_start(word) else word in term:
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
            if single and len(word) >= TYPO_MIN_LENGTH and not frequencies.get(word)
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

    script = _script_pattern(word)
    if script is None:
        return None
    candidates = list(
        SearchTerm.objects.using(using)
        .filter(
            length__gte=max(TYPO_MIN_LENGTH, len(word) - TYPO_LENGTH_SPREAD),
            length__lte=len(word) + TYPO_LENGTH_SPREAD,
            term__regex=script,
            services__gt=0,
        )
        .values_list("term", flat=True)
    )
    best = process.extractOne(word, candidates, scorer=fuzz.ratio, score_cutoff=TYPO_MIN_SIMILARITY)
    return str(best[0]) if best else None


#: The scripts a misspelt word is corrected within: a Thai word to a Thai word, a Latin
#: one to a Latin word. Numbers (every licence number is a vocabulary word) are neither,
#: so they are never corrected, and the candidates stay few in a national catalogue.
_SCRIPTS = (re.compile("[a-z]"), re.compile("[\u0e01-\u0e7f]"))


def _script_pattern(word: str) -> str | None:
    """A regular expression for vocabulary words in the script ``word`` begins with."""
    for script in _SCRIPTS:
        if script.match(word):
            return "^" + script.pattern
    return None
