"""`python -m bench [--scale S]` (what `make bench` runs): recreate the benchmark database, load
it, measure, write the report. See README, "Benchmark"."""

import argparse
import os
import platform
import secrets
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
SIZES = {"smoke": 0.003, "small": 0.02, "medium": 0.1, "large": 0.3, "full": 1.0}
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/lapor_bench"
DEFAULT_REDIS = "redis://127.0.0.1:6379/7"


def parse_scale(value):
    value = (value or "full").strip().lower()
    if value in SIZES:
        return SIZES[value]
    try:
        scale = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"SCALE is a number (1 = a million reports) or one of {', '.join(SIZES)}")
    if not 0 < scale <= 5:
        raise argparse.ArgumentTypeError("SCALE must be in (0, 5]")
    return scale


def recreate_database(url):
    import psycopg2

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(f"refusing to drop {name!r}: the benchmark database's name must contain 'bench'")
    conn = psycopg2.connect(
        host=parts.hostname, port=parts.port or 5432, user=parts.username, password=parts.password, dbname="postgres"
    )
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()


COLD_IDLE_SECONDS = 2


def redis_url():
    url = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS)
    if url in ("", "none"):
        return None
    try:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=1)
        client.ping()
    except Exception:  # noqa: BLE001 - no Redis: the embedded file cache and broker
        return None
    return url


def environment(db_url, data_dir, redis):
    env = dict(os.environ)
    secret = data_dir / "secret_key"
    if not secret.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        secret.write_text(secrets.token_urlsafe(50))
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DATABASE_URL=db_url,
        DATA_DIR=str(data_dir),
        STATIC_ROOT=str(data_dir / "static"),
        MEDIA_ROOT=str(data_dir / "media"),
        SECRET_KEY=secret.read_text().strip(),
        DEBUG="false",
        SECURE_HTTPS="false",
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        # The load tool is one client address: the API's per-address throttle would answer 429.
        API_THROTTLE_ANON="100000000/min",
        API_THROTTLE_USER="100000000/min",
        LOG_LEVEL="WARNING",
        EMAIL_URL="dummy://",
        SMS_BACKEND="console",
        PYTHONPATH=str(ROOT),
    )
    env.pop("REDIS_URL", None)
    if redis:
        env["REDIS_URL"] = redis
    return env


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--scale", type=parse_scale, default=os.environ.get("SCALE") or "full")
    parser.add_argument("--duration", type=int, default=int(os.environ.get("BENCH_DURATION") or 10),
                        help="seconds of load per page (after a warm-up of a fifth of it)")  # fmt: skip
    parser.add_argument("--connections", type=int, default=int(os.environ.get("BENCH_CONNECTIONS") or 4))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("BENCH_WORKERS") or 2))
    parser.add_argument("--out", default=os.environ.get("BENCH_OUT") or str(ROOT / "docs" / "benchmarks.md"))
    parser.add_argument("--skip-load", action="store_true", help="measure the database loaded by the last run")
    parser.add_argument("--load-only", action="store_true", help="load (and check) the data set, measure nothing")
    args = parser.parse_args(argv)
    if isinstance(args.scale, str):
        args.scale = parse_scale(args.scale)

    db_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB)
    data_dir = Path(os.environ.get("BENCH_DATA_DIR") or ROOT / "data" / "bench")
    redis = redis_url()
    env = environment(db_url, data_dir, redis)
    os.environ.update(env)
    if not redis:
        os.environ.pop("REDIS_URL", None)
    log = Log()

    def flush_cache():
        from django.core.cache import cache

        cache.clear()  # the benchmark's own Redis database (or its own file cache)

    started = time.monotonic()
    if not args.skip_load:
        recreate_database(db_url)
        log(f"database {urlparse(db_url).path.lstrip('/')} recreated")
    if redis:
        import redis as redis_lib

        redis_lib.Redis.from_url(redis).flushdb()  # the benchmark's own Redis database only

    import django

    django.setup()
    from django.core.management import call_command

    from . import load as loader
    from . import measure, report

    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)
    summary = None
    if not args.skip_load:
        log(f"loading scale {args.scale:g} ({int(round(loader.FULL_REPORTS * args.scale)):,} reports)")
        summary = loader.load(args.scale, log=log)
        log(f"loaded in {summary['seconds']} s")
        _save_summary(data_dir, {**summary, "scale": args.scale})
    loader.check(log=log)
    if args.load_only:
        _save_summary(data_dir, {**summary, "scale": args.scale})
        return 0
    if summary is None:
        summary = _saved_summary(data_dir)
        if summary and "scale" in summary:
            args.scale = summary["scale"]

    # Rollups built by an older version of the loader, or dirtied by the last run's sweep.
    from complaints.dashboards import rollups

    t = time.perf_counter()
    refreshed = rollups.refresh()
    log(f"dashboard rollups refreshed: {refreshed['months']} months in {time.perf_counter() - t:.1f} s")

    creds = measure.credentials()
    targets, deep = measure.pages(creds)
    log("query counts (test client)")
    counts = measure.query_counts(targets, creds)
    from django.db import connection

    connection.close()

    results, notes, failures = {}, [], []
    load_before = measure.loadavg()
    with measure.Server(env, workers=args.workers) as server:
        log(f"gunicorn on 127.0.0.1:{server.port} ({args.workers} workers)")
        for name, url, persona, _alt in targets:
            headers = measure.headers_for(persona, creds)
            # Cold: the first request after the shared cache was emptied (totals, aggregates and
            # the calendar computed again), as after a deploy or when a total's cache expires, on an
            # idle server: the requests the previous page's load left queued in the workers are
            # done first, or the cold request would wait behind them.
            time.sleep(COLD_IDLE_SECONDS)
            flush_cache()
            t = time.perf_counter()
            status = server.status(url, headers)
            cold = (time.perf_counter() - t) * 1000
            if status == 404 and name in measure.OPTIONAL:
                notes.append(f"{name} ({url}) answered 404: not built yet, skipped")
                log(f"  {name}: 404, skipped")
                continue
            if status != 200:
                said = f"HTTP {status}" if isinstance(status, int) else status
                failures.append(f"{name} ({url}): {said}")
                log(f"  {name}: {said}")
                continue
            r = measure.load_test(server, url, headers, args.duration, args.connections)
            r["cold"] = cold
            results[name] = r
            log(f"  {name}: p50 {r['p50']:.1f} ms, p95 {r['p95']:.1f} ms, p99 {r['p99']:.1f} ms, {r['rps']:.0f} req/s")
            if r["tool"] not in ("wrk", "python"):
                notes.append(f"{name}: {r['tool']}")
            if r["errors"]:
                failures.append(f"{name} ({url}): {r['errors']} failed requests under load")
    load_after = measure.loadavg()
    log("sla_sweep and tpp_sanctions")
    sweep = measure.sweeps(env)
    log(f"  sweep: {sweep['first']['seconds']} s then {sweep['second']['seconds']} s over "
        f"{sweep['open_clocks']:,} open clocks; tpp {sweep['tpp']['seconds']} s")  # fmt: skip
    for name, (status, n1, n2) in counts.items():
        if status == 200 and n1 is not None and n2 is not None and n1 != n2:
            notes.append(f"{name}: {n1} queries on one page, {n2} on the other")

    django.db.connections.close_all()
    info = measure.machine()
    info["loadavg_before"], info["loadavg_after"] = load_before, load_after
    info["platform"] = platform.platform()
    report.write(
        Path(args.out),
        args=args,
        summary=summary,
        results=results,
        counts=counts,
        sweep=sweep,
        info=info,
        notes=notes,
        failures=failures,
        deep=deep,
        redis=bool(redis),
        log_lines=log.lines,
        total_seconds=time.monotonic() - started,
    )
    log(f"wrote {args.out}")
    if failures:
        for f in failures:
            print(f"FAILED: {f}", file=sys.stderr)
        return 1
    return 0


def _save_summary(data_dir, summary):
    import json

    (data_dir / "last_load.json").write_text(json.dumps(summary))


def _saved_summary(data_dir):
    """The figures of the load that filled the reused database (`--load-only`, then `--skip-load`)."""
    import json

    path = data_dir / "last_load.json"
    return json.loads(path.read_text()) if path.exists() else None


class Log:
    def __init__(self):
        self.t0 = time.monotonic()
        self.lines = []

    def __call__(self, message):
        line = f"[{time.monotonic() - self.t0:7.1f} s] {message}"
        self.lines.append(line)
        print(line, flush=True)


if __name__ == "__main__":
    sys.exit(main())
