"""Benchmark: catalogue search at 90,000 published services on PostgreSQL.

Run:  DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
          .venv/bin/python bench/bench_search.py [--services 90000]

Makes (and drops) its own database ``bizportal_bench_search``, migrates it (pg_trgm and
the GIN trigram index on ``search_text`` come with migration ``catalog.0004``), seeds the
demo catalogue and adds ``--services`` published services with one ``INSERT … SELECT
generate_series``. Their names combine real Thai and English licensing words (an
activity, a trade and a province, each with its English counterpart); each vocabulary
entry is segmented once with PyThaiNLP, exactly as ``catalog.search.index_text`` would,
so the generated ``search_text`` is what the portal itself would store.

Then, through Django's full request stack in this process beside a hello-world view
(``/healthz``), it times the search API (``/api/v1/catalog/services/?q=``, first page
of 50) and the search page (``/services/?q=``, every match) for a set of Thai and English
queries, records each query's plan (``EXPLAIN``) and match count, prints p50/p95/p99 and
writes ``bench/results/bench_search-<time>.json``. Target: p95 ≤ 30 ms for the API and
the page on every query.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_lists import ROOT, _ok, _p, _samples, in_own_database

sys.path.insert(0, str(ROOT / "src"))
DATABASE = "bizportal_bench_search"
TARGET_P95_MS = 30.0

#: (Thai, English) pairs; the Thai is written without spaces, as people type it.
ACTIVITIES = [
    ("จำหน่าย", "sale of"),
    ("ผลิต", "manufacture of"),
    ("นำเข้า", "import of"),
    ("ส่งออก", "export of"),
    ("เก็บรักษา", "storage of"),
    ("ขนส่ง", "transport of"),
    ("ซ่อมแซม", "repair of"),
    ("ติดตั้ง", "installation of"),
    ("โฆษณา", "advertising of"),
    ("ให้เช่า", "rental of"),
    ("แปรรูป", "processing of"),
    ("ประกอบกิจการ", "business in"),
]
TRADES = [
    ("อาหาร", "food"),
    ("สุรา", "liquor"),
    ("ยาสูบ", "tobacco"),
    ("น้ำมันเชื้อเพลิง", "fuel oil"),
    ("วัตถุอันตราย", "hazardous substances"),
    ("เครื่องสำอาง", "cosmetics"),
    ("ยาแผนโบราณ", "traditional medicine"),
    ("ปุ๋ยเคมี", "chemical fertiliser"),
    ("ไม้แปรรูป", "sawn timber"),
    ("ทองคำ", "gold"),
    ("อัญมณี", "gems"),
    ("เครื่องดื่ม", "beverages"),
    ("สัตว์น้ำ", "aquatic animals"),
    ("ผักและผลไม้", "fruit and vegetables"),
    ("ข้าวสาร", "milled rice"),
    ("น้ำแข็ง", "ice"),
    ("ก๊าซหุงต้ม", "cooking gas"),
    ("เนื้อสัตว์", "meat"),
    ("เครื่องมือแพทย์", "medical devices"),
    ("วัสดุก่อสร้าง", "building materials"),
    ("ผ้าไหม", "silk"),
    ("กาแฟ", "coffee"),
    ("ขนมปัง", "bread"),
    ("ของเล่น", "toys"),
    ("เฟอร์นิเจอร์", "furniture"),
]
PLACES = [
    ("ในสถานที่จำหน่ายอาหาร", "in a food shop"),
    ("ในตลาดสด", "in a fresh market"),
    ("ในโรงงาน", "in a factory"),
    ("ในคลังสินค้า", "in a warehouse"),
    ("ในร้านค้า", "in a shop"),
    ("ทางอินเทอร์เน็ต", "online"),
]
PROVINCES = [
    ("กรุงเทพมหานคร", "Bangkok"),
    ("เชียงใหม่", "Chiang Mai"),
    ("เชียงราย", "Chiang Rai"),
    ("ขอนแก่น", "Khon Kaen"),
    ("นครราชสีมา", "Nakhon Ratchasima"),
    ("อุดรธานี", "Udon Thani"),
    ("ภูเก็ต", "Phuket"),
    ("สงขลา", "Songkhla"),
    ("สุราษฎร์ธานี", "Surat Thani"),
    ("ชลบุรี", "Chon Buri"),
    ("ระยอง", "Rayong"),
    ("พระนครศรีอยุธยา", "Phra Nakhon Si Ayutthaya"),
    ("นนทบุรี", "Nonthaburi"),
    ("ปทุมธานี", "Pathum Thani"),
    ("นครปฐม", "Nakhon Pathom"),
    ("กาญจนบุรี", "Kanchanaburi"),
    ("พิษณุโลก", "Phitsanulok"),
    ("อุบลราชธานี", "Ubon Ratchathani"),
    ("ลำปาง", "Lampang"),
    ("ตรัง", "Trang"),
]

QUERIES = [
    "จำหน่ายอาหาร",
    "ใบอนุญาตนำเข้าเครื่องสำอาง",
    "ผลิตน้ำแข็ง เชียงใหม่",
    "กาแฟ ภูเก็ต",
    "ทองคำ",
    "โรงงาน",
    "สุรา",
    "ยานอวกาศ",
    "food shop",
    "import cosmetics",
    "Chiang Mai ice",
    "coffee phuket",
    "liquor",
    # Corrected (a typo) and expanded (a synonym ring) before matching.
    "liqour",
    "ร้านเหล้า",
]
#: Queries and the services that should answer them, kept with the tests.
RELEVANCE = ROOT / "tests" / "catalog" / "relevance.json"

COPIED = None  # columns copied from the template service, filled in by _columns()


def _seg(text: str) -> str:
    from bizportal.catalog.search import segment

    return " ".join(segment(text))


def _columns() -> list[str]:
    from bizportal.catalog.models import Service

    generated = {
        "id", "public_id", "slug", "name_th", "name_en", "summary_th", "summary_en",
        "search_text", "search_name", "agency_id", "manual_code", "licence_title_th",
        "licence_title_en", "is_published",
    }  # fmt: skip
    return [f.column for f in Service._meta.concrete_fields if f.column not in generated]


LOAD_SQL = """
INSERT INTO catalog_service (public_id, slug, name_th, name_en, summary_th, summary_en,
    search_text, search_name, agency_id, manual_code, licence_title_th, licence_title_en,
    is_published, {copied})
SELECT gen_random_uuid(), 'bench-' || i,
    'ใบอนุญาต' || a.th || t.th || ' ' || p.th || ' ' || v.th || ' ที่ ' || i,
    'Licence for ' || a.en || ' ' || t.en || ' ' || p.en || ', ' || v.en || ' no. ' || i,
    'สำหรับผู้ประกอบการที่' || a.th || t.th || p.th,
    'For businesses in ' || a.en || ' ' || t.en || ' ' || p.en,
    concat_ws(' ', '', 'ใบอนุญาต', a.seg, t.seg, p.seg, v.seg, 'ที่', i::text, 'licence', 'for',
        lower(a.en), lower(t.en), lower(p.en), lower(v.en), 'no', i::text, 'สำหรับ',
        'ผู้ประกอบการ', 'ที่', ag.seg),
    concat_ws(' ', '', 'ใบอนุญาต', a.seg, t.seg, p.seg, v.seg, 'ที่', i::text, 'licence', 'for',
        lower(a.en), lower(t.en), lower(p.en), lower(v.en), 'no', i::text),
    ag.id, 'BENCH-' || i, 'ใบอนุญาต' || a.th || t.th, 'Licence for ' || a.en || ' ' || t.en,
    true, {copied_t}
FROM generate_series(1, %(count)s) AS i
JOIN unnest(%(a_th)s::text[], %(a_en)s::text[], %(a_seg)s::text[])
    WITH ORDINALITY AS a(th, en, seg, n) ON a.n = 1 + i %% %(na)s
JOIN unnest(%(t_th)s::text[], %(t_en)s::text[], %(t_seg)s::text[])
    WITH ORDINALITY AS t(th, en, seg, n) ON t.n = 1 + (i / %(na)s) %% %(nt)s
JOIN unnest(%(v_th)s::text[], %(v_en)s::text[], %(v_seg)s::text[])
    WITH ORDINALITY AS p(th, en, seg, n) ON p.n = 1 + (i / 7) %% %(nv)s
JOIN unnest(%(p_th)s::text[], %(p_en)s::text[], %(p_seg)s::text[])
    WITH ORDINALITY AS v(th, en, seg, n) ON v.n = 1 + (i / 11) %% %(np)s
JOIN (SELECT id, row_number() OVER (ORDER BY id) AS n, seg FROM catalog_agency,
      LATERAL (SELECT %(agency_seg)s::jsonb ->> code AS seg) AS s) AS ag
    ON ag.n = 1 + i %% (SELECT count(*) FROM catalog_agency)
CROSS JOIN (SELECT * FROM catalog_service WHERE slug = 'food-shop-licence') AS tpl
"""


def load_services(connection: Any, count: int) -> float:
    """Add ``count`` published services (one statement); returns the seconds it took."""
    from bizportal.catalog.models import Agency

    started = time.perf_counter()
    copied = _columns()
    values: dict[str, Any] = {"count": count}
    for key, vocabulary in (
        ("a", ACTIVITIES),
        ("t", TRADES),
        ("v", PLACES),
        ("p", PROVINCES),
    ):
        values[f"{key}_th"] = [th for th, _ in vocabulary]
        values[f"{key}_en"] = [en for _, en in vocabulary]
        values[f"{key}_seg"] = [_seg(th) for th, _ in vocabulary]
        values[f"n{key}"] = len(vocabulary)
    values["agency_seg"] = json.dumps(
        {
            a.code: _seg(" ".join([a.name_th, a.name_en, a.short_name_th]))
            for a in Agency.objects.all()
        }
    )
    sql = LOAD_SQL.format(copied=", ".join(copied), copied_t=", ".join(f"tpl.{c}" for c in copied))
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        cursor.execute("VACUUM ANALYZE catalog_service")
    return time.perf_counter() - started


def _plan(connection: Any, query: str) -> str:
    from bizportal.catalog.search import ranked

    sql, params = ranked(query).services[:51].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", type=int, default=90_000)
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    args = parser.parse_args()
    return in_own_database(DATABASE, lambda: _run(args), keep=args.keep)


def _run(args: argparse.Namespace) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from bizportal.catalog import demo as catalog
    from bizportal.catalog import services
    from bizportal.catalog.demo_synonyms import seed_synonyms
    from bizportal.catalog.models import Service
    from bizportal.catalog.search import search
    from bizportal.gunicorn_conf import prepare_worker

    call_command("migrate", verbosity=0)
    catalog.seed()
    loaded = load_services(connection, args.services)
    seed_synonyms()  # and the vocabulary of every service, in bulk
    words = services.rebuild_search_vocabulary()
    published = Service.objects.filter(is_published=True).count()
    print(f"{published:,} published services (loaded in {loaded:.1f} s), {words:,} words")
    mrr = mean_reciprocal_rank(json.loads(RELEVANCE.read_text()))
    print(f"  relevance: MRR@10 {mrr['mrr_at_10']:.3f} over {mrr['queries']} queries")
    for miss in mrr["misses"]:
        print(f"    not in the first 10: {miss}")
    load = os.getloadavg()
    client = Client()
    _ok(client, "/services/?q=" + QUERIES[0])  # templates and the word dictionary loaded
    prepare_worker()  # as gunicorn does in every worker before its first request
    results: dict[str, Any] = {}
    hello = _samples(functools.partial(_ok, client, "/healthz"), args.repeat)
    results["hello (/healthz)"] = _figures(hello)
    print(f"  {'hello (/healthz)':<44} {_line(results['hello (/healthz)'])}")
    missed = []
    for query in QUERIES:
        matches = search(query).count()
        plan = _plan(connection, query)
        for label, path in (
            ("API", "/api/v1/catalog/services/"),
            ("page", "/services/"),
        ):

            def call(path: str = path, query: str = query) -> Any:
                return client.get(path, {"q": query})

            figures = _figures(_samples(call, args.repeat))
            figures["matches"] = matches
            results[f"{label}: {query}"] = {**figures, "plan": plan if label == "API" else ""}
            print(
                f"  {label + ': ' + query:<44} {_line(figures)}  ({matches:,} matches)", flush=True
            )
            if figures["p95_ms"] > TARGET_P95_MS:
                missed.append(f"{label} '{query}': p95 {figures['p95_ms']} ms")
    # Not searches, and slow at this size: timed once each, no warm-up, no target.
    for label, path in (("catalogue, no query", "/services/"), ("home page", "/")):
        once = time.perf_counter()
        _ok(client, path)
        results[label] = {"once_ms": round((time.perf_counter() - once) * 1000, 1)}
        print(f"  {label:<44} once {results[label]['once_ms']:9.1f} ms", flush=True)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (out / f"bench_search-{stamp}.json").write_text(
        json.dumps(
            {
                "services": published,
                "load_average_at_start": load,
                "load_average_at_end": os.getloadavg(),
                "results": results,
                "relevance": mrr,
                "missed": missed,
            },
            ensure_ascii=False,
            indent=2,
        )
    )
    print(f"load average {load[0]:.2f} at start, {os.getloadavg()[0]:.2f} at end")
    print("targets met" if not missed else "TARGETS MISSED:\n  " + "\n  ".join(missed))
    return 0 if not missed else 1


def mean_reciprocal_rank(cases: list[dict[str, Any]]) -> dict[str, Any]:
    """MRR@10 of the ranked search over the relevance set: for each query, 1/rank of the
    first expected service in the first ten results (0 when none is there)."""
    from bizportal.catalog.search import ranked

    total = 0.0
    misses = []
    for case in cases:
        found = list(ranked(case["query"]).services.values_list("slug", flat=True)[:10])
        rank = next((i for i, slug in enumerate(found, 1) if slug in case["expected"]), None)
        total += 1 / rank if rank else 0.0
        if rank is None:
            misses.append(f"{case['query']} → {found[:3]}")
    return {
        "queries": len(cases),
        "mrr_at_10": round(total / max(1, len(cases)), 4),
        "misses": misses,
    }


def _figures(samples: list[float]) -> dict[str, Any]:
    return {
        "p50_ms": round(statistics.median(samples), 2),
        "p95_ms": round(_p(samples, 0.95), 2),
        "p99_ms": round(_p(samples, 0.99), 2),
    }


def _line(figures: dict[str, Any]) -> str:
    p50, p95, p99 = figures["p50_ms"], figures["p95_ms"], figures["p99_ms"]
    return f"p50 {p50:7.2f}  p95 {p95:7.2f}  p99 {p99:7.2f} ms"


if __name__ == "__main__":
    raise SystemExit(main())
