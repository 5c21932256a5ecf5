# ruff: noqa: S311 - random picks spread the load; nothing secret is drawn
"""Mixed load on Biz Portal: the public catalogue, licence verification and officers'
worklists, in the proportions a national portal sees (reads dominate).

Run through ``bench/bench_load.py``, which prepares a database (90,000 services,
licences, one officer session per agency), starts ``manage.py serve --workers 2`` and
runs this file headless. The prepared values come in through the environment:

* ``BENCH_LICENCES``: comma-separated licence numbers to verify;
* ``BENCH_OFFICER_SESSIONS``: comma-separated session keys of signed-in officers.

Each simulated user waits ``constant_throughput`` so the offered load is fixed
(users × 1 request/s), which is what "200 requests/s" means; latencies then show the
server, not the load generator's pace. The home page lists every service of every
agency (90,000 rows here); ``--exclude-tags home`` leaves it out.
"""

from __future__ import annotations

import os
import random

from locust import HttpUser, constant_throughput, tag, task

THAI_QUERIES = ["จำหน่ายอาหาร", "ผลิตน้ำแข็ง เชียงใหม่", "กาแฟ ภูเก็ต", "ทองคำ", "สุรา"]
ENGLISH_QUERIES = ["food shop", "import cosmetics", "Chiang Mai ice", "liquor", "gold"]
SERVICES = ["food-shop-licence", "liquor-sale-licence", "factory-licence", "bench-1234"]
LICENCES = [n for n in os.environ.get("BENCH_LICENCES", "").split(",") if n]
SESSIONS = [s for s in os.environ.get("BENCH_OFFICER_SESSIONS", "").split(",") if s]


class Citizen(HttpUser):
    """Someone looking for a service, or a bank checking a licence: no sign-in."""

    weight = 9
    wait_time = constant_throughput(1)

    @task(3)
    def search_thai(self) -> None:
        self.client.get("/services/", params={"q": random.choice(THAI_QUERIES)}, name="page search")

    @task(2)
    def search_api(self) -> None:
        query = random.choice(THAI_QUERIES + ENGLISH_QUERIES)
        self.client.get("/api/v1/catalog/services/", params={"q": query}, name="API search")

    @task(2)
    def service_page(self) -> None:
        self.client.get(f"/services/{random.choice(SERVICES)}/", name="service page")

    @task(1)
    def browse(self) -> None:
        self.client.get("/services/", name="catalogue (no query)")

    @tag("home")
    @task(1)
    def home(self) -> None:
        self.client.get("/", name="home")

    @task(3)
    def verify(self) -> None:
        if not LICENCES:
            return
        number = random.choice(LICENCES)
        if random.random() < 0.5:
            self.client.get(f"/verify/{number}/", name="verify page")
        else:
            self.client.get(f"/api/v1/licences/verify/{number}/", name="verify API")

    @task(1)
    def health(self) -> None:
        self.client.get("/healthz", name="hello (/healthz)")


class Officer(HttpUser):
    """An agency officer working through the worklist, signed in with a session."""

    weight = 1
    wait_time = constant_throughput(1)

    def on_start(self) -> None:
        if SESSIONS:
            self.client.cookies.set("sessionid", random.choice(SESSIONS))

    @task(3)
    def worklist_api(self) -> None:
        self.client.get("/api/v1/applications/worklist/", name="worklist API")

    @task(1)
    def worklist_page(self) -> None:
        self.client.get("/backoffice/worklist/", name="worklist page")
