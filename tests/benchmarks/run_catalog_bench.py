"""`make bench`: the storefront's catalog pages under load, against a bare Django ceiling.

1. Recreates ``<name>_bench`` next to the database in DATABASE_URL (PostgreSQL; a SQLite file
   in a temporary directory when PostgreSQL cannot be reached, said in the output), migrates
   it and builds a catalog of --products products (build_catalog.py).
2. Serves it with gunicorn (sync workers, default 2) on a free port of 127.0.0.1 with
   production settings (tests/benchmarks/bench_settings.py: DEBUG off, whitenoise,
   collected static files), plus /bench/bare/: a page of the same shape rendered without the
   database, the framework's ceiling.
3. Runs rounds of category, product, search, home and bare, alternating (A B C D E A ...), each
   a fixed number of seconds with --concurrency client threads in this process, and reports
   requests/s, p50/p90/p99 latency, errors and bytes per response; writes them as JSON.

Figures are for comparing runs on one machine. No test asserts on them.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import platform
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

REPO_ROOT = Path(__file__).resolve().parents[2]
BENCH_SETTINGS = "tests.benchmarks.bench_settings"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/storefront"
SCENARIOS = ("category", "product", "search", "home", "bare")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- The bench database ---------------------------------------------------------------------

@dataclass
class BenchDatabase:
    url: str
    vendor: str
    name: str
    note: str = ""
    server_version: str | None = None
    sqlite_dir: Path | None = None
    admin_url: str | None = None  # PostgreSQL maintenance database, for DROP/CREATE


def _with_path(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + quote(name), parts.query, ""))


def prepare_database(source_url: str, *, force_sqlite: bool) -> BenchDatabase:
    """Drop and create ``<name>_bench`` beside ``source_url``'s database, or use SQLite."""
    parts = urlsplit(source_url)
    reason = ""
    if force_sqlite:
        reason = "--sqlite given"
    elif parts.scheme not in {"postgres", "postgresql", "pgsql", "postgis"}:
        reason = f"DATABASE_URL is not PostgreSQL ({parts.scheme}://)"
    else:
        import psycopg2
        from psycopg2 import sql

        source_name = parts.path.lstrip("/") or "storefront"
        name = source_name if source_name.endswith("_bench") else f"{source_name}_bench"
        libpq_url = urlunsplit(("postgresql", *urlsplit(_with_path(source_url, "postgres"))[1:]))
        try:
            admin = psycopg2.connect(libpq_url, connect_timeout=5)
        except psycopg2.OperationalError as error:
            reason = f"PostgreSQL not reachable at {parts.hostname}:{parts.port or 5432} " \
                     f"({str(error).strip().splitlines()[0]})"
        else:
            admin.autocommit = True
            try:
                with admin.cursor() as cursor:
                    cursor.execute("SHOW server_version")
                    version = cursor.fetchone()[0]
                    if admin.server_version >= 130000:
                        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                            sql.Identifier(name)))
                    else:
                        cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                       "WHERE datname = %s AND pid <> pg_backend_pid()", [name])
                        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(
                            sql.Identifier(name)))
                    cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            finally:
                admin.close()
            return BenchDatabase(url=_with_path(source_url, name), vendor="postgresql", name=name,
                                 server_version=version, admin_url=libpq_url)
    directory = Path(tempfile.mkdtemp(prefix="storefront-bench-db-"))
    path = directory / "storefront_bench.sqlite3"
    note = (f"*** {reason}: benchmarking on SQLite ({path}). Figures are not comparable with "
            "PostgreSQL runs, and search uses LIKE instead of full-text search. ***")
    return BenchDatabase(url=f"sqlite:///{path}", vendor="sqlite", name=str(path), note=note,
                         sqlite_dir=directory)


def drop_database(database: BenchDatabase) -> None:
    if database.vendor == "postgresql":
        import psycopg2
        from psycopg2 import sql

        admin = psycopg2.connect(database.admin_url, connect_timeout=5)
        admin.autocommit = True
        try:
            with admin.cursor() as cursor:
                cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(database.name)))
        finally:
            admin.close()
    elif database.sqlite_dir:
        shutil.rmtree(database.sqlite_dir, ignore_errors=True)


# --- gunicorn -------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _die_with_parent() -> None:
    """Linux: gunicorn gets SIGTERM if this harness dies without cleaning up (kill -9)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Server:
    def __init__(self, *, env: dict, workers: int, port: int, log_path: Path):
        self.port, self.log_path = port, log_path
        command = [
            sys.executable, "-m", "gunicorn", "shop.wsgi:application",
            "--chdir", str(REPO_ROOT),
            "--bind", f"127.0.0.1:{port}",
            "--workers", str(workers), "--worker-class", "sync",
            "--timeout", "60", "--graceful-timeout", "5",
            "--error-logfile", "-", "--log-level", "warning",
        ]
        if Path("/dev/shm").is_dir():
            command += ["--worker-tmp-dir", "/dev/shm"]
        self.command = command
        self._log = open(log_path, "wb")  # closed in stop()
        # Its own session: Ctrl-C reaches only this harness, which then stops gunicorn itself.
        self.process = subprocess.Popen(command, env=env, cwd=REPO_ROOT, stdout=self._log,
                                        stderr=subprocess.STDOUT, start_new_session=True,
                                        preexec_fn=_die_with_parent)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n"
                                   f"{self.log_tail()}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", "/healthz")
                response = connection.getresponse()
                body = response.read()
                connection.close()
                if response.status == 200:
                    return
                last = f"/healthz answered {response.status}: {body[:200]!r}"
            except OSError as error:
                last = str(error)
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn not ready after {timeout:.0f} s ({last}):\n{self.log_tail()}")

    def worker_pids(self) -> list[int]:
        pids = []
        for entry in Path("/proc").glob("[0-9]*"):
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == self.process.pid:
                pids.append(int(entry.name))
        return pids

    def cpu_seconds(self) -> dict[int, float]:
        """user + system CPU per gunicorn worker (Linux /proc; empty elsewhere)."""
        usage = {}
        for pid in self.worker_pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            usage[pid] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
        return usage

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # gunicorn: graceful stop of master and workers
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)  # the group is this gunicorn only
        except ProcessLookupError:
            pass
        self.process.wait()
        self._log.close()


# --- The load generator ---------------------------------------------------------------------

@dataclass
class Round:
    scenario: str
    number: int
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    body_bytes: int = 0
    ok: int = 0
    first_error: str = ""
    server_cpu: float | None = None
    client_cpu: float = 0.0
    machine_busy: float | None = None  # CPU-seconds busy on the whole machine, all processes

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def errors(self) -> int:
        return self.requests - self.ok


def _client(port: int, paths: list[str], deadline: float, seed: int, out: Round,
            lock: threading.Lock, stop: threading.Event) -> None:
    rng = random.Random(seed)
    latencies, statuses, body_bytes, ok, first_error = [], {}, 0, 0, ""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while not stop.is_set() and time.perf_counter() < deadline:
        path = rng.choice(paths)
        began = time.perf_counter()
        try:
            # Keep-alive where the server offers it; gunicorn's sync workers close after each
            # response and http.client then reconnects (a loopback connect, for every scenario).
            connection.request("GET", path, headers={"Accept": "text/html"})
            response = connection.getresponse()
            body = response.read()
            status = str(response.status)
        except (OSError, http.client.HTTPException) as error:
            connection.close()
            body, status = b"", type(error).__name__
        latencies.append(time.perf_counter() - began)
        statuses[status] = statuses.get(status, 0) + 1
        if status == "200":
            ok += 1
            body_bytes += len(body)
        elif not first_error:
            first_error = f"{status} {path}: {body[:300].decode(errors='replace')!r}"
    connection.close()
    with lock:
        out.latencies.extend(latencies)
        out.body_bytes += body_bytes
        out.ok += ok
        for status, count in statuses.items():
            out.statuses[status] = out.statuses.get(status, 0) + count
        out.first_error = out.first_error or first_error


def run_round(server: Server, scenario: str, number: int, paths: list[str], *, seconds: float,
              concurrency: int, seed: int, stop: threading.Event) -> Round:
    result, lock = Round(scenario=scenario, number=number), threading.Lock()
    cpu_before, client_before, machine_before = server.cpu_seconds(), _self_cpu(), _machine_busy()
    began = time.perf_counter()
    threads = [
        threading.Thread(target=_client, daemon=True,
                         args=(server.port, paths, began + seconds, seed * 1000 + index, result,
                               lock, stop))
        for index in range(concurrency)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        while thread.is_alive():
            thread.join(timeout=0.5)  # short joins keep Ctrl-C responsive
    result.seconds = time.perf_counter() - began
    cpu_after = server.cpu_seconds()
    if cpu_before and cpu_after:
        result.server_cpu = sum(cpu_after[pid] - cpu_before[pid]
                                for pid in cpu_after if pid in cpu_before)
    result.client_cpu = _self_cpu() - client_before
    machine_after = _machine_busy()
    if machine_before is not None and machine_after is not None:
        result.machine_busy = machine_after - machine_before
    return result


def _machine_busy() -> float | None:
    """CPU-seconds all CPUs have spent busy since boot (Linux /proc/stat), else None."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(value) for value in stat.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields) - idle) / CLOCK_TICKS


def _self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def percentile(ordered: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile of an ascending list."""
    if not ordered:
        return None
    return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))]


def summarise(rounds: list[Round], paths: list[str]) -> dict:
    latencies = sorted(value for item in rounds for value in item.latencies)
    requests = len(latencies)
    seconds = sum(item.seconds for item in rounds)
    ok = sum(item.ok for item in rounds)
    statuses: dict[str, int] = {}
    for item in rounds:
        for status, count in item.statuses.items():
            statuses[status] = statuses.get(status, 0) + count
    server_cpu = [item.server_cpu for item in rounds if item.server_cpu is not None]
    machine = [item.machine_busy for item in rounds if item.machine_busy is not None]
    client_cpu = sum(item.client_cpu for item in rounds)
    other_cpu = (sum(machine) - sum(server_cpu) - client_cpu
                 if machine and server_cpu and len(machine) == len(rounds) else None)

    def ms(value: float | None) -> float | None:
        return None if value is None else round(value * 1000, 2)

    return {
        "requests": requests,
        "errors": requests - ok,
        "statuses": statuses,
        "first_error": next((item.first_error for item in rounds if item.first_error), ""),
        "seconds": round(seconds, 2),
        "requests_per_second": round(requests / seconds, 1) if seconds else None,
        "p50_ms": ms(percentile(latencies, 0.50)),
        "p90_ms": ms(percentile(latencies, 0.90)),
        "p99_ms": ms(percentile(latencies, 0.99)),
        "mean_ms": ms(sum(latencies) / requests) if requests else None,
        "max_ms": ms(latencies[-1]) if latencies else None,
        "bytes_per_response": round(sum(item.body_bytes for item in rounds) / ok) if ok else None,
        "server_cpu_ms_per_request": round(sum(server_cpu) * 1000 / requests, 2)
        if server_cpu and requests else None,
        "client_cpu_ms_per_request": round(client_cpu * 1000 / requests, 2) if requests else None,
        # Everything else busy meanwhile: PostgreSQL (when local) and any other load.
        "other_cpu_ms_per_request": round(max(other_cpu, 0) * 1000 / requests, 2)
        if other_cpu is not None and requests else None,
        "machine_cpu_busy_percent": round(100 * sum(machine) / (seconds * (os.cpu_count() or 1)))
        if machine and seconds else None,
        "rounds": [
            {"round": item.number, "requests": item.requests, "errors": item.errors,
             "requests_per_second": round(item.requests / item.seconds, 1) if item.seconds
             else None,
             "p50_ms": ms(percentile(sorted(item.latencies), 0.50)),
             "p99_ms": ms(percentile(sorted(item.latencies), 0.99))}
            for item in rounds
        ],
        "paths": paths if len(paths) <= 20 else [*paths[:5], f"... {len(paths)} paths"],
    }


def scenario_paths(manifest: dict) -> dict[str, list[str]]:
    slug = manifest["bench_category"]
    category = f"/c/{slug}/"
    listed = next(item["listed_products"] for item in manifest["categories"]
                  if item["slug"] == slug)
    pages = max(1, math.ceil(listed / manifest["django_settings"]["SHOP_PRODUCTS_PER_PAGE"]))

    def page(number: int) -> int:  # pages that exist whatever --products is
        return max(1, min(number, pages))

    return {
        # Page 1 twice as often as any other page or sort, as shoppers do.
        "category": [category, category, f"{category}?page={page(2)}",
                     f"{category}?page={page(10)}", f"{category}?page={page(40)}",
                     f"{category}?sort=price", f"{category}?sort=-price&page={page(3)}",
                     f"{category}?sort=newest", f"{category}?sort=name&page={page(5)}"],
        "product": [f"/p/{slug}/" for slug in manifest["product_slugs"]],
        "search": [f"/search/?q={quote(item['q'])}" for item in manifest["search"]],
        "home": ["/"],
        "bare": ["/bench/bare/"],
    }


def probe(port: int, paths: dict[str, list[str]]) -> dict[str, list[str]]:
    """One request to each distinct path (a few product pages): which answer non-200."""
    problems: dict[str, list[str]] = {}
    for scenario, items in paths.items():
        for path in list(dict.fromkeys(items))[:12]:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                body = response.read()
                if response.status != 200:
                    problems.setdefault(scenario, []).append(
                        f"{response.status} {path} {body[:160].decode(errors='replace')!r}")
            except (OSError, http.client.HTTPException) as error:
                problems.setdefault(scenario, []).append(f"{type(error).__name__} {path}")
            finally:
                connection.close()
    return problems


# --- Reporting ------------------------------------------------------------------------------

def _fmt(value, spec: str = ",.1f") -> str:
    return "-" if value is None else format(value, spec)


def print_table(results: dict, catalog: dict, settings: dict) -> None:
    bare = results.get("bare", {}).get("requests_per_second")
    print()
    print(f"Catalog: {catalog['counts']['products']:,} products "
          f"({catalog['listed_products']:,} listed), {catalog['counts']['variants']:,} variants,"
          f" on {catalog['database']['vendor']}")
    header = (f"{'scenario':<10}{'req/s':>9}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}"
              f"{'errors':>8}{'bytes':>9}{'app CPU':>9}{'DB+etc':>8}{'vs bare':>9}"
              f"   req/s per round")
    print(header)
    print("-" * len(header))
    for scenario, row in results.items():
        ratio = (f"{row['requests_per_second'] / bare:.0%}"
                 if bare and row["requests_per_second"] else "-")
        per_round = " ".join(_fmt(item["requests_per_second"], ".0f") for item in row["rounds"])
        print(f"{scenario:<10}{_fmt(row['requests_per_second']):>9}{_fmt(row['p50_ms']):>9}"
              f"{_fmt(row['p90_ms']):>9}{_fmt(row['p99_ms']):>9}{row['errors']:>8,}"
              f"{_fmt(row['bytes_per_response'], ',d'):>9}"
              f"{_fmt(row['server_cpu_ms_per_request'], '.2f'):>9}"
              f"{_fmt(row['other_cpu_ms_per_request'], '.2f'):>8}{ratio:>9}   {per_round}")
    print("app CPU: gunicorn workers' CPU ms per request. DB+etc: the rest of the machine's busy "
          "CPU ms per request\n(PostgreSQL when local, plus anything else running), the load "
          "generator's own CPU excluded.")
    print(f"Latencies are seen by {settings['concurrency']} closed-loop clients sharing "
          f"{settings['workers']} sync workers, so they include queueing at gunicorn.")
    print()


# --- Main -----------------------------------------------------------------------------------

def _run(command: list[str], env: dict, what: str) -> str:
    log(f"{what} ...")
    began = time.perf_counter()
    finished = subprocess.run(command, env=env, cwd=REPO_ROOT, capture_output=True, text=True)
    if finished.returncode != 0:
        raise RuntimeError(f"{what} failed ({finished.returncode}):\n"
                           f"{finished.stdout[-3000:]}\n{finished.stderr[-3000:]}")
    log(f"{what}: done in {time.perf_counter() - began:.1f} s")
    return finished.stdout


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=Path("bench-results.json"),
                        help="JSON results file (default: bench-results.json)")
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each scenario")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds per scenario")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sqlite", action="store_true", help="bench on SQLite even if "
                        "PostgreSQL is reachable")
    parser.add_argument("--drop-db", action="store_true",
                        help="drop the bench database at the end (default: keep it)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.products < 100:
        raise SystemExit("--products must be at least 100")

    def on_sigterm(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_sigterm)
    started_at = datetime.now(UTC)
    workdir = Path(tempfile.mkdtemp(prefix="storefront-bench-"))
    stop = threading.Event()
    server: Server | None = None
    database: BenchDatabase | None = None
    try:
        database = prepare_database(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
                                    force_sqlite=args.sqlite)
        if database.note:
            log(database.note)
        log(f"bench database: {database.vendor} {database.name}")
        env = {
            **os.environ,
            "DATABASE_URL": database.url,
            "DJANGO_SETTINGS_MODULE": BENCH_SETTINGS,
            "BENCH_STATIC_ROOT": str(workdir / "static"),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT),
                                                        os.environ.get("PYTHONPATH")])),
            "PYTHONUNBUFFERED": "1",
        }
        manage = [sys.executable, "manage.py"]
        _run([*manage, "migrate", "--noinput", "-v", "0"], env, "migrate")
        _run([*manage, "collectstatic", "--noinput", "-v", "0"], env, "collectstatic")
        manifest_path = workdir / "manifest.json"
        print(_run([sys.executable, str(Path(__file__).with_name("build_catalog.py")),
                    "--products", str(args.products), "--seed", str(args.seed),
                    "--manifest", str(manifest_path)], env,
                   f"build {args.products:,}-product catalog").strip())
        manifest = json.loads(manifest_path.read_text())
        paths = scenario_paths(manifest)
        for item in manifest["search"]:
            log(f"search {item['q']!r}: {item['hits']:,} hits")

        server = Server(env=env, workers=args.workers, port=free_port(),
                        log_path=workdir / "gunicorn.log")
        server.wait_ready()
        log(f"gunicorn: {args.workers} sync workers on 127.0.0.1:{server.port} "
            f"(pids {server.process.pid} + {server.worker_pids()})")
        load_at_start = [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") \
            else None
        problems = probe(server.port, paths)
        for scenario, lines in problems.items():
            log(f"WARNING: {scenario} answers non-200 (figures will count errors):")
            for line in lines[:3]:
                print(f"    {line}")

        if args.warmup > 0:
            log(f"warm-up: {args.warmup:g} s per scenario")
            for scenario in SCENARIOS:
                run_round(server, scenario, 0, paths[scenario], seconds=args.warmup,
                          concurrency=args.concurrency, seed=args.seed, stop=stop)
        rounds: dict[str, list[Round]] = {scenario: [] for scenario in SCENARIOS}
        for number in range(1, args.rounds + 1):
            for scenario in SCENARIOS:
                result = run_round(server, scenario, number, paths[scenario],
                                   seconds=args.duration, concurrency=args.concurrency,
                                   seed=args.seed + number, stop=stop)
                rounds[scenario].append(result)
                log(f"round {number}/{args.rounds} {scenario:<8} "
                    f"{result.requests / result.seconds:8.1f} req/s, "
                    f"{result.errors} errors")
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn died during the run:\n{server.log_tail()}")

        results = {scenario: summarise(rounds[scenario], paths[scenario])
                   for scenario in SCENARIOS}
        bare_rps = results["bare"]["requests_per_second"]
        for row in results.values():
            row["relative_to_bare"] = (round(row["requests_per_second"] / bare_rps, 3)
                                       if bare_rps and row["requests_per_second"] else None)
        report = {
            "timestamp": started_at.isoformat(timespec="seconds"),
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": {
                "cpu_count": os.cpu_count(),
                "cpus_usable": len(os.sched_getaffinity(0))
                if hasattr(os, "sched_getaffinity") else None,
                "load_average_at_start": load_at_start,
                "load_average_at_end": [round(x, 2) for x in os.getloadavg()]
                if hasattr(os, "getloadavg") else None,
                "platform": platform.platform(),
                "python": platform.python_version(),
                "django": metadata.version("django"),
                "gunicorn": metadata.version("gunicorn"),
                "psycopg2": metadata.version("psycopg2-binary")
                if _installed("psycopg2-binary") else None,
            },
            "database": {**manifest["database"], "fallback_note": database.note or None},
            "catalog": {key: manifest[key] for key in
                        ("counts", "seconds", "listed_products", "categories", "search",
                         "bench_category", "stock_ledger_consistent")},
            "settings": {
                "products": args.products,
                "server": "gunicorn",
                "workers": args.workers,
                "worker_class": "sync",
                "bind": "127.0.0.1",
                "client": "python http.client threads in the harness process",
                "concurrency": args.concurrency,
                "round_seconds": args.duration,
                "rounds": args.rounds,
                "warmup_seconds_per_scenario": args.warmup,
                "order": "alternating: " + " ".join(SCENARIOS) + " per round",
                "seed": args.seed,
                "django": manifest["django_settings"],
            },
            "scenarios": results,
            "non_200_at_probe": problems,
        }
        print_table(results, manifest, report["settings"])
        if database.note:
            log(database.note)
        args.output.write_text(json.dumps(report, indent=2) + "\n")
        log(f"results written to {args.output}")
        failing = [scenario for scenario, row in results.items() if row["errors"]]
        if failing:
            log(f"ERROR: non-200 responses in {', '.join(failing)}; their figures measure error "
                "pages, not the storefront. First error: "
                f"{results[failing[0]]['first_error']}")
            return 1
        return 0
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        stop.set()
        if server is not None:
            server.stop()
            log("gunicorn stopped")
        if database is not None:
            if args.drop_db:
                drop_database(database)
                log(f"dropped {database.name}")
            else:
                log(f"kept the bench database {database.name} (--drop-db to remove it)")
        shutil.rmtree(workdir, ignore_errors=True)


def _installed(distribution: str) -> bool:
    try:
        metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())
