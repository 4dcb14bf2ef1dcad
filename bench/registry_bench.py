"""Benchmark of the registry API at district scale: household list and resident search.

    .venv/bin/python bench/registry_bench.py --prepare --residents 200000

Against a dedicated PostgreSQL database (DATABASE_URL, default portal_bench_data on
127.0.0.1), this

1. with --prepare: creates and migrates the database and fills it with
   `manage.py generate_district` up to --residents residents, then VACUUM ANALYZE;
2. makes two clients: an integration account holding the first street (one API token) and
   street cadres (one session cookie per connection, as browsers send them);
3. starts the portal under gunicorn on a free 127.0.0.1 port, with bench/bench_settings.py
   (the portal's settings plus one bare view serving captured bytes);
4. for each client and endpoint, captures the response body, then measures the bare view
   returning those bytes and the endpoint itself, back to back, each run bounded by
   --requests requests and --seconds seconds (wrk if installed, else a Python client);
5. runs EXPLAIN (ANALYZE, BUFFERS) on the exact SQL each endpoint executes and checks that
   every resident search reaches the resident table through an index condition;
6. writes the figures to docs/performance.md (--output).

Only 127.0.0.1 is ever contacted. The exit status is 1 when a search is not index-backed or
a request failed. Not part of `make test`: run it by hand.
"""

import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import warnings
from datetime import datetime
from pathlib import Path
from urllib.parse import quote, urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

from bench import common  # noqa: E402 - after the path fix
from bench.common import CITY_CODE, log  # noqa: E402

DATABASE_URL = "postgres://postgres@127.0.0.1:5432/portal_bench_data"
COMMON_SURNAME = "陈"  # the commonest surname in 温州: the widest prefix search
HOST = "127.0.0.1"
# WhiteNoise warns that STATIC_ROOT is missing when static files are served from the finders.
STATIC_WARNING = "ignore:No directory at:UserWarning"

WRK_SCRIPT = """
-- Stops after `limit` responses (wrk itself only knows a duration) and reports the time
-- actually spent: wrk's own duration is always the full -d.
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
]]
local function now()
  local ts = ffi.new("bench_timespec")
  ffi.C.clock_gettime(1, ts)  -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) / 1e9
end
limit, count, started, stopped = 0, 0, 0, 0  -- globals: done() reads them with thread:get
local threads, requests_ = {}, {}
local next_request = 0
function setup(thread) table.insert(threads, thread) end
-- args: limit, a header name, then one value per simulated user (used in turn)
function init(args)
  limit = tonumber(args[1]) or 0
  for i = 3, #args do requests_[#requests_ + 1] = wrk.format(nil, nil, {[args[2]] = args[i]}) end
  started = now()
end
function request()
  next_request = next_request % #requests_ + 1
  return requests_[next_request]
end
function response(status, headers, body)
  count = count + 1
  if limit > 0 and count >= limit and stopped == 0 then
    stopped = now()
    wrk.thread:stop()
  end
end
function done(summary, latency, requests)
  local thread = threads[1]
  local seconds = summary.duration / 1e6
  if thread:get("stopped") > 0 then seconds = thread:get("stopped") - thread:get("started") end
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %f, "p50_us": %d, "p95_us": %d, "errors": %d}\\n',
    summary.requests, seconds, latency:percentile(50), latency:percentile(95),
    errors.status + errors.connect + errors.read + errors.write + errors.timeout))
end
"""


# --- Preparing the database ----------------------------------------------------------------


def prepare(residents: int, seed: int) -> None:
    common.database_create()
    import django

    django.setup()
    common.registry_fill(residents=residents, seed=seed)
    common.vacuum_analyze()


# --- Clients and what they search for ------------------------------------------------------


def make_clients(sessions: int) -> dict:
    """The integration (token, first street) and street cadres (one session cookie each).

    Each client sends one header; its values are used in turn, one per simulated user: the
    integration is one client with one token, the cadres are `sessions` people at their desks
    (a session is re-saved at most once a minute, portal/sessions.py; one session per person
    keeps the figures those of several people).
    """
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from grids.models import Region
    from grids.writes import region_staff_grant
    from portal.models import User
    from portal.roles import Role
    from portal.writes import api_token_issue

    street = Region.objects.filter(parent__code=CITY_CODE).order_by("code").first()
    if street is None:
        raise SystemExit(f"no street under {CITY_CODE}: run with --prepare first")
    integration, _ = User.objects.get_or_create(
        username="bench_integration",
        defaults={"role": Role.INTEGRATION, "full_name": "压测接口"},
    )
    region_staff_grant(actor=None, person=integration, region=street)
    _token, raw = api_token_issue(actor=None, client=integration, name="benchmark", days=1)

    cadre, created = User.objects.get_or_create(
        username="bench_cadre", defaults={"role": Role.STREET_CADRE, "full_name": "压测街道干部"}
    )
    if created:
        cadre.set_unusable_password()
        cadre.save()
    cookies = []
    for _ in range(sessions):
        session = SessionStore()
        session[SESSION_KEY] = str(cadre.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = cadre.get_session_auth_hash()
        session.create()
        cookies.append(f"{settings.SESSION_COOKIE_NAME}={session.session_key}")
    return {
        "integration": {
            "label": f"integration, token, street {street.name} (scoped)",
            "user": integration,
            "street": street,
            "header": "Authorization",
            "values": [f"Token {raw}"],
            "django": {"HTTP_AUTHORIZATION": f"Token {raw}"},
        },
        "cadre": {
            "label": f"street cadre, session cookie, {sessions} sessions (whole district)",
            "user": cadre,
            "street": street,
            "header": "Cookie",
            "values": cookies,
            "django": {"HTTP_COOKIE": cookies[0]},
        },
    }


def search_terms(integration) -> dict:
    """A two-character name prefix, an ID number and a phone of residents the integration sees
    (its street), read as the API reads them: through grids' selector."""
    from grids.selectors import resident_list

    in_street = resident_list(actor=integration).order_by("pk")
    count = in_street.count()
    someone = in_street[count // 2]
    with_phone = in_street.exclude(phone="")[count // 3]
    return {
        "surname": COMMON_SURNAME,
        "prefix": someone.name[:2],
        "id_number": someone.id_number,
        "phone": with_phone.phone,
    }


def endpoints(terms: dict) -> list[tuple[str, str, str]]:
    """(key, title, path) of every measured endpoint."""
    residents = "/api/v1/residents/?search="
    return [
        ("households", "household list", "/api/v1/households/"),
        ("surname", f"search by surname {terms['surname']}", residents + quote(terms["surname"])),
        ("prefix", f"search by name prefix {terms['prefix']}", residents + quote(terms["prefix"])),
        ("id_number", "search by exact ID number", residents + terms["id_number"]),
        ("phone", "search by exact phone", residents + terms["phone"]),
    ]


# --- The server ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def start_gunicorn(port: int, workers: int, bytes_dir: str, log_file) -> subprocess.Popen:
    env = os.environ.copy()
    env.update(
        DJANGO_SETTINGS_MODULE="bench.bench_settings",
        BENCH_BYTES_DIR=bytes_dir,
        PYTHONWARNINGS=STATIC_WARNING,
    )
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "portal.wsgi:application",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        "--chdir",
        str(BASE_DIR),
        "--log-level",
        "warning",
    ]
    server = subprocess.Popen(command, env=env, stdout=log_file, stderr=log_file)  # noqa: S603
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("gunicorn exited; see its log above")
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/healthz", timeout=2) as response:
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.3)
    server.terminate()
    raise SystemExit("gunicorn did not answer /healthz within 60 s")


def fetch(url: str, headers: dict) -> bytes:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - loopback only
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback only
        if response.status != 200:
            raise SystemExit(f"{url}: HTTP {response.status}")
        return response.read()


# --- Load ----------------------------------------------------------------------------------


def load_python(url: str, credentials, *, requests: int, seconds: float, concurrency: int):
    """Threads with one connection each; stops at `requests` requests or `seconds` seconds.

    `credentials` is (header name, values): thread i sends value i (modulo their number).
    """
    name, values = credentials
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    lock = threading.Lock()
    latencies: list[float] = []
    state = {"issued": 0, "errors": 0}
    deadline = time.monotonic() + seconds

    def worker(index: int):
        headers = {name: values[index % len(values)]}
        connection = None
        while True:
            with lock:
                if state["issued"] >= requests or time.monotonic() >= deadline:
                    break
                state["issued"] += 1
            started = time.perf_counter()
            try:
                connection = connection or http.client.HTTPConnection(
                    parts.hostname, parts.port, timeout=60
                )
                connection.request("GET", target, headers=headers)
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
                if response.will_close:
                    connection.close()
                    connection = None
            except (OSError, http.client.HTTPException):
                ok, connection = False, None
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                state["errors"] += not ok

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    duration = time.perf_counter() - started
    latencies.sort()

    def percentile(p):
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000

    return {
        "requests": len(latencies),
        "seconds": duration,
        "rps": len(latencies) / duration,
        "p50_ms": percentile(50) if latencies else 0.0,
        "p95_ms": percentile(95) if latencies else 0.0,
        "errors": state["errors"],
    }


def load_wrk(url: str, credentials, *, requests: int, seconds: float, concurrency: int, script):
    name, values = credentials
    command = ["wrk", "-t1", f"-c{concurrency}", f"-d{int(seconds)}s", "--timeout", "60s"]
    command += ["-s", script, url, "--", str(requests), name, *values]
    output = subprocess.run(  # noqa: S603 - wrk, found on PATH, against 127.0.0.1
        command, check=True, capture_output=True, text=True
    ).stdout
    line = next(line for line in output.splitlines() if line.startswith('{"requests"'))
    data = json.loads(line)
    return {
        "requests": data["requests"],
        "seconds": data["seconds"],
        "rps": data["requests"] / data["seconds"],
        "p50_ms": data["p50_us"] / 1000,
        "p95_ms": data["p95_us"] / 1000,
        "errors": data["errors"],
    }


# --- Query plans ---------------------------------------------------------------------------


def _scan_of(node: dict) -> dict:
    """One scan node: kind, table, index(es), and whether an index condition narrows it."""
    kind = node["Node Type"]
    if kind == "Bitmap Heap Scan":
        indexes = common.scan_indexes(node)
        return {"kind": kind, "table": node["Relation Name"], "indexes": indexes, "cond": True}
    return {
        "kind": kind,
        "table": node["Relation Name"],
        "indexes": common.scan_indexes(node),
        "cond": "Index Cond" in node,
        "removed": node.get("Rows Removed by Filter", 0),
    }


def request_plans(client: dict, path: str) -> list[dict]:
    """EXPLAIN (ANALYZE, BUFFERS) of the registry queries one request to `path` runs."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    django_client = Client(HTTP_HOST=HOST, **client["django"])
    with CaptureQueriesContext(connection) as captured:
        response = django_client.get(path)
    if response.status_code != 200:
        raise SystemExit(f"{path}: HTTP {response.status_code} in-process")
    plans = []
    for query in captured.captured_queries:
        sql = query["sql"]
        table = re.match(r'\s*SELECT .*? FROM "(grids_resident|grids_household)"', sql, re.S)
        if not table:
            continue
        plan = common.explain(sql)
        scans = [
            _scan_of(node)
            for node in common.plan_nodes(plan["Plan"])
            if node.get("Relation Name") in ("grids_resident", "grids_household")
        ]
        plans.append(
            {
                "query": "count" if sql.lstrip().startswith("SELECT COUNT(") else "page",
                "table": table.group(1),
                "ms": plan["Execution Time"],
                "scans": scans,
            }
        )
    return plans


def index_verdict(plans: list[dict]) -> tuple[bool, list[str]]:
    """Every scan of grids_resident must be narrowed by an index condition."""
    problems = []
    for plan in plans:
        for scan in plan["scans"]:
            if scan["table"] != "grids_resident":
                continue
            if scan["kind"] == "Seq Scan":
                problems.append(f"{plan['query']}: sequential scan of grids_resident")
            elif not scan["cond"]:
                problems.append(
                    f"{plan['query']}: {scan['kind']} on {', '.join(scan['indexes'])} without an "
                    f"index condition (the index only gives the order; the search is a filter "
                    f"that removed {scan.get('removed', 0):,} rows)"
                )
    return not problems, problems


def plan_summary(plans: list[dict]) -> str:
    parts = []
    for plan in plans:
        scans = []
        for scan in plan["scans"]:
            how = scan["kind"]
            if scan["indexes"]:
                how += f" {'+'.join(scan['indexes'])}"
            if scan["kind"] in ("Index Scan", "Index Only Scan") and not scan["cond"]:
                how += " (walked in order, no index condition)"
            if scan.get("removed", 0) >= 1000:
                how += f", {scan['removed']:,} rows filtered out"
            scans.append(f"{scan['table'].removeprefix('grids_')}: {how}")
        parts.append(f"{plan['query']} {plan['ms']:.1f} ms — {'; '.join(scans)}")
    return "<br>".join(parts)


# --- Facts about the run -------------------------------------------------------------------


def dataset(integration, street) -> dict:
    """The whole district, and what the integration sees of it (its street) through grids'
    selectors."""
    from grids.models import ResidentTag, Visit
    from grids.selectors import household_list, resident_list

    return {
        **common.registry_counts(),
        "tags": ResidentTag.objects.count(),
        "visits": Visit.objects.count(),
        "street": street.name,
        "street_households": household_list(actor=integration).count(),
        "street_residents": resident_list(actor=integration).count(),
    }


# --- The report ----------------------------------------------------------------------------


def write_report(path: Path, *, run: dict) -> None:
    m, d = run["machine"], run["dataset"]
    lines = [
        "# Performance: the registry API at district scale",
        "",
        f"Generated by `bench/registry_bench.py` on {run['date']}; re-run it to refresh this page "
        "(the figures are not edited by hand).",
        "",
        "## How to reproduce",
        "",
        "```sh",
        "apt-get install -y wrk    # optional: without it a Python client with threads is used",
        f".venv/bin/python bench/registry_bench.py --prepare --residents {run['target']}",
        "```",
        "",
        "`--prepare` creates and migrates the PostgreSQL database `portal_bench_data` (or "
        "`DATABASE_URL`), fills it with `manage.py generate_district` and runs `VACUUM ANALYZE`; "
        "the script then starts gunicorn on a free 127.0.0.1 port with `DEBUG=0` and the "
        "Makefile's test secrets, and measures. See bench/README.md.",
        "",
        "## Method",
        "",
        f"- Server: gunicorn, {run['workers']} sync workers, settings `bench.bench_settings` "
        "(the portal's, plus one bare view).",
        f"- Load: {run['client']}, {run['concurrency']} concurrent connections; every "
        f"measurement is bounded by {run['requests']:,} requests and {run['seconds']} s, after "
        "a short warm-up.",
        "- **Bare**: a plain Django view returning the very bytes the endpoint returned, "
        "measured right before the endpoint with the same credentials. *Ratio* = endpoint req/s ÷ "
        "bare req/s: the share of the stack's ceiling the endpoint reaches at this response size.",
        "- Credentials: the integration sends its one token on every connection; the cadres "
        "are one session per connection (a session is re-saved at most once a minute for the "
        "idle timeout: portal/sessions.py). The bare view receives the same "
        "credentials, so it pays the session's load too, but not a token check (only "
        "DRF views authenticate tokens).",
        "- Latency percentiles are per request, as the client saw them.",
        "- Query plans: `EXPLAIN (ANALYZE, BUFFERS)` of the exact SQL each request runs "
        "(captured in-process); *index-backed* means every scan of `grids_resident` is "
        "narrowed by an index condition.",
        "",
        "## Machine",
        "",
        *common.machine_lines(
            m,
            loads=(run["load_before"], run["load_after"]),
            during="the run",
            note=" Other work on the machine slows endpoint and bare view alike; the ratio is "
            "steadier than either.",
        ),
        "",
        "## Dataset",
        "",
        f"{d['residents']:,} residents in {d['households']:,} households, {d['grids']} grids, "
        f"{d['communities']} communities, {d['streets']} streets; {d['tags']:,} tags, "
        f"{d['visits']:,} visits (`generate_district`). The integration's street, "
        f"{d['street']}, holds {d['street_households']:,} households and "
        f"{d['street_residents']:,} residents.",
        "",
        "## Results",
        "",
    ]
    for client_key, client in run["results"].items():
        lines += [
            f"### {run['clients'][client_key]}",
            "",
            "| endpoint | matches | bytes | req/s | bare req/s | ratio | p50 ms | p95 ms "
            "| bare p95 ms | index-backed |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
        for row in client:
            e, b = row["endpoint"], row["bare"]
            lines.append(
                f"| {row['title']} | {row['count']:,} | {row['bytes']:,} | {e['rps']:.0f} | "
                f"{b['rps']:.0f} | {e['rps'] / b['rps']:.2f} | {e['p50_ms']:.1f} | "
                f"{e['p95_ms']:.1f} | {b['p95_ms']:.1f} | {row['indexed']} |"
            )
        lines += ["", "Query plans (registry queries of one request):", ""]
        for row in client:
            lines.append(f"- **{row['title']}** (`{row['path']}`): {row['plan']}")
            for problem in row["problems"]:
                lines.append(f"  - not index-backed: {problem}")
        lines.append("")
    lines += [
        "## Reading the figures",
        "",
        "- Every list answer is a page of 20 plus a count of the matches (page-number "
        "pagination) that stops at 10,000 (`LIST_COUNT_CAP`, `portal/paginator.py`): exact "
        "below, `count_capped` above. A list found above the cap is not counted again for a "
        "minute in that process (by its exact SQL, scope and filters included): counting to "
        "the cap was 1.4 ms of the database and about 0.75 ms of the request in-process. "
        "The household lists here are above the cap.",
        "- Search by exact ID number or phone goes through the keyed hash (`id_number_hash`, "
        "`phone_hash`, B-tree) — the name-prefix branch of the same `OR` uses the "
        "`varchar_pattern_ops` index: a `BitmapOr` of index scans.",
        "- A name prefix is `name LIKE 'x%'`. On a database whose collation is not exactly `C` "
        "(`C.UTF-8`, `en_US.UTF-8`, `zh_CN.UTF-8`), only the `varchar_pattern_ops` index turns "
        "it into an index range, and that index cannot deliver `ORDER BY name`. For a common "
        "prefix PostgreSQL then prefers to walk the plain B-tree on `name` in order until it "
        "has 20 rows — from the first name in the table, filtering row by row. "
        "`grids.selectors.resident_search_q` therefore also says `name >= prefix` (implied by "
        "the prefix in any collation where a string sorts after its own prefixes), so that "
        "walk starts at the prefix. When it was added, on this dataset, the page query of a search "
        "for 陈 went from 200 ms (157,738 index entries read and filtered out) to 0.3 ms.",
        "- Scope for everyone but street roles is resolved once per request into id lists "
        "(`grids/querysets.py`, `registry_scope`: one statement over the grant tables, memoised "
        "on the user by `portal/scope_cache.py`) and kept by the process across requests while "
        "the committed scope generation (one row that every grant, assignment, region, grid or "
        "ungridded-household change adds one to in its own transaction) has not moved: a "
        "request then reads one row instead of planning the grant join (1.6 ms in-process of "
        "the integration's household list). The lists filter with "
        "`grid_id = ANY(grids in scope)` on the indexed column, plus `id = ANY(…)` for the "
        "households of the user's communities not yet in any grid (found through the partial "
        "index `household_ungridded`). PostgreSQL estimates these from the column statistics; "
        "the nested grant subqueries they replaced it could not (the street's household count "
        "was a sequential scan filtering 61,000 rows), and building them cost about 6 ms of "
        "Python per queryset.",
        "",
    ]
    scoped, whole = run["results"].get("integration"), run["results"].get("cadre")
    if scoped and whole:
        slower = [
            w["endpoint"]["rps"] / one["endpoint"]["rps"]
            for one, w in zip(scoped, whole, strict=True)
        ]
        lines.pop()  # the blank line closing the list above
        lines += [
            f"- In this run the integration, who sees one street of {d['streets']}, got "
            f"{min(slower):.1f}–{max(slower):.1f}× fewer requests per second than the street "
            "cadre, who sees the whole district and whose scope adds no condition at all.",
            "",
        ]
    # bench/import_bench.py keeps its own section in the same page: carry it over.
    kept = ""
    if path.exists():
        old = path.read_text(encoding="utf-8")
        start, end = old.find("<!-- import_bench"), old.find("<!-- /import_bench -->")
        if start != -1 and end != -1:
            kept = "\n" + old[start : end + len("<!-- /import_bench -->")] + "\n"
    path.write_text("\n".join(lines) + kept, encoding="utf-8")


# --- Main ----------------------------------------------------------------------------------


def main(argv=None) -> int:
    parser = common.arguments(__doc__.split("\n\n")[0], residents=200_000, output="performance.md")
    parser.add_argument("--requests", type=int, default=3000, help="cap per measurement")
    parser.add_argument("--seconds", type=int, default=10, help="cap per measurement")
    parser.add_argument("--concurrency", type=int, default=0, help="default: gunicorn workers")
    parser.add_argument("--workers", type=int, default=0, help="default: 2 x cores")
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    args = parser.parse_args(argv)

    common.environment_set(DATABASE_URL)
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.bench_settings"
    host = urlsplit(os.environ["DATABASE_URL"]).hostname
    if args.prepare:
        started = time.monotonic()
        prepare(args.residents, args.seed)
        log(f"Prepared in {time.monotonic() - started:.0f}s")
    import django

    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    django.setup()
    if args.max_load:
        common.wait_for_quiet(args.max_load)
    workers = args.workers or 2 * (os.cpu_count() or 1)
    concurrency = args.concurrency or workers
    use_wrk = args.client == "wrk" or (args.client == "auto" and shutil.which("wrk"))
    if args.client == "wrk" and not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install -y wrk)")

    clients = make_clients(concurrency)
    street = clients["integration"]["street"]
    terms = search_terms(clients["integration"]["user"])
    run = {
        "date": datetime.now().astimezone().strftime("%Y-%m-%d %H:%M (UTC%z)"),
        "target": args.residents,
        "workers": workers,
        "concurrency": concurrency,
        "requests": args.requests,
        "seconds": args.seconds,
        "client": "wrk 1 thread" if use_wrk else "Python client (threads)",
        "machine": common.machine(),
        "load_before": os.getloadavg(),
        "dataset": dataset(clients["integration"]["user"], street),
        "clients": {key: client["label"] for key, client in clients.items()},
        "results": {},
    }
    log(f"Dataset: {run['dataset']}; database host {host}")
    failed = False
    with tempfile.TemporaryDirectory(prefix="registry-bench-") as tmp:
        script = Path(tmp) / "report.lua"
        script.write_text(WRK_SCRIPT)
        bytes_dir = Path(tmp) / "bytes"
        bytes_dir.mkdir()
        port = free_port()
        server_log = (Path(tmp) / "gunicorn.log").open("w")
        server = start_gunicorn(port, workers, str(bytes_dir), server_log)
        base = f"http://{HOST}:{port}"
        log(f"gunicorn: {workers} workers on {base}; load: {run['client']}, c={concurrency}")

        def measure(url, credentials):
            load_python(
                url, credentials, requests=4 * concurrency, seconds=5, concurrency=concurrency
            )
            if use_wrk:
                return load_wrk(
                    url,
                    credentials,
                    requests=args.requests,
                    seconds=args.seconds,
                    concurrency=concurrency,
                    script=str(script),
                )
            return load_python(
                url,
                credentials,
                requests=args.requests,
                seconds=args.seconds,
                concurrency=concurrency,
            )

        try:
            for client_key, client in clients.items():
                rows = run["results"][client_key] = []
                for key, title, path in endpoints(terms):
                    name = f"{client_key}-{key}"
                    credentials = (client["header"], client["values"])
                    body = fetch(base + path, {client["header"]: client["values"][0]})
                    (bytes_dir / f"{name}.json").write_bytes(body)
                    count = json.loads(body).get("count", 0)
                    bare = measure(f"{base}/bench/bare/{name}/", credentials)
                    endpoint = measure(base + path, credentials)
                    plans = request_plans(client, path)
                    indexed, problems = index_verdict(plans)
                    is_search = key != "households"
                    failed |= bool(bare["errors"] or endpoint["errors"])
                    failed |= is_search and not indexed
                    rows.append(
                        {
                            "title": title,
                            "path": path,
                            "count": count,
                            "bytes": len(body),
                            "bare": bare,
                            "endpoint": endpoint,
                            "plan": plan_summary(plans),
                            "problems": problems if is_search else [],
                            "indexed": ("yes" if indexed else "**no**") if is_search else "—",
                        }
                    )
                    log(
                        f"  {client_key:<11} {title:<32} {endpoint['rps']:7.0f} req/s "
                        f"(bare {bare['rps']:5.0f}, ratio {endpoint['rps'] / bare['rps']:.2f}) "
                        f"p50 {endpoint['p50_ms']:6.1f} ms p95 {endpoint['p95_ms']:6.1f} ms "
                        f"· {count:,} matches · errors {endpoint['errors']}"
                        + (
                            ""
                            if not is_search
                            else f" · index-backed: {'yes' if indexed else 'NO'}"
                        )
                    )
                    for problem in problems if is_search else []:
                        log(f"      NOT INDEX-BACKED: {problem}")
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
            server_log.close()
            errors = (Path(tmp) / "gunicorn.log").read_text().strip()
            if errors:
                log(f"gunicorn log:\n{errors[-4000:]}")

    run["load_after"] = os.getloadavg()
    searches = [row for rows in run["results"].values() for row in rows[1:]]
    log(
        "Index check: "
        + (
            "every resident search is index-backed"
            if all(row["indexed"] == "yes" for row in searches)
            else "SOME SEARCHES ARE NOT INDEX-BACKED (see above)"
        )
    )
    if not args.no_report:
        write_report(Path(args.output), run=run)
        log(f"Wrote {args.output}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
