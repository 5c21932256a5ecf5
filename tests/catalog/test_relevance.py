"""The search relevance test: queries people type and the services that should answer
them (tests/catalog/relevance.json, also scored at 90,000 services by
bench/bench_search.py). Every expected service must be in the first ten results, and
the mean reciprocal rank must stay high."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bizportal.catalog import demo
from bizportal.catalog.demo_synonyms import seed_synonyms
from bizportal.catalog.search import ranked

pytestmark = pytest.mark.django_db
CASES = json.loads((Path(__file__).parent / "relevance.json").read_text())
MIN_MRR_AT_10 = 0.95


def rank_of(query: str, expected: list[str]) -> int | None:
    found = list(ranked(query).services.values_list("slug", flat=True)[:10])
    return next((i for i, slug in enumerate(found, 1) if slug in expected), None)


def test_every_relevance_query_finds_its_service_and_the_mrr_is_high() -> None:
    demo.seed()
    seed_synonyms()
    ranks = {case["query"]: rank_of(case["query"], case["expected"]) for case in CASES}
    missing = [query for query, rank in ranks.items() if rank is None]
    assert not missing, f"not in the first ten: {missing}"
    mrr = sum(1 / rank for rank in ranks.values() if rank) / len(CASES)
    assert mrr >= MIN_MRR_AT_10, {q: r for q, r in ranks.items() if r != 1}
