"""`bench/sales.py --profile`: where a sale's time goes, without gunicorn or the network.

Runs prepare + consume through Django's test client in-process (the same middleware, API
auth and services as over HTTP) under cProfile, then prints the top functions by own time
and by cumulative time, and how many SQL queries one sale runs."""

import cProfile
import pstats
import time

from bench.sales_world import SalesWorld

PROFILED_SALES = 200


def profile_consume(world: SalesWorld, count: int = PROFILED_SALES) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.sales_http import Cashier, ShopperPool

    pool = ShopperPool(world.shoppers)
    till = world.tills[0]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {till.token}", HTTP_ACCEPT_LANGUAGE="en")
    base = f"/api/v1/commerce/communities/{world.slug}/sales"
    bodies = Cashier(port=0, slug=world.slug, till=till, index=0, run_id="profile")

    def one_sale(n: int) -> None:
        taken = pool.take()
        if taken is None:
            raise RuntimeError("profile: not enough members for this step; pass --members")
        shopper, step = taken
        from linli.commerce.cards import CODE_PREFIX, one_time_code

        body = bodies._mix(
            shopper, CODE_PREFIX + shopper.code_id + one_time_code(shopper.secret, step)
        )
        prepared = client.post(base + "/prepare", body, content_type="application/json")
        consumed = client.post(
            base, {**body, "request_no": f"profile-{n}"}, content_type="application/json"
        )
        pool.give_back(shopper)
        if prepared.status_code != 200 or consumed.status_code != 201:
            raise RuntimeError(f"profile: {prepared.content!r} {consumed.content!r}")

    one_sale(-1)  # warm: imports, first connection, caches
    with CaptureQueriesContext(connection) as queries:
        one_sale(-2)
    print(f"# one sale (prepare + consume) ran {len(queries)} SQL queries:", flush=True)
    for sql in queries.captured_queries:
        print(f"#   {' '.join(sql['sql'].split())[:150]}", flush=True)
    profiler = cProfile.Profile()
    began = time.perf_counter()
    profiler.enable()
    for n in range(count):
        one_sale(n)
    profiler.disable()
    elapsed = time.perf_counter() - began
    print(
        f"# profile: {count} sales in {elapsed:.2f} s under cProfile "
        f"({elapsed / count * 1000:.1f} ms a sale)",
        flush=True,
    )
    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(80)
