#!/usr/bin/env python3
"""The Prometheus files of deploy/ against the real things (ctest prometheus-config):
promtool checks the scrape config and the alert rules and runs their unit tests;
every metric name that the rules or the Grafana dashboard use must be in a real
scrape of a coordinator and a worker started here (tokens on, as in production)
and in docs/metrics.md; then Debian's Prometheus runs the shipped config against
them: both targets up, every rule evaluates without error, every dashboard query
is valid PromQL and finds data.
    prometheus_test.py BIN_DIR SOURCE_DIR
Only the standard library (Debian's or pyenv's Python both work)."""
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

BIN, SOURCE = sys.argv[1], sys.argv[2]
PROM = os.path.join(SOURCE, "deploy", "prometheus")
DASHBOARD = os.path.join(SOURCE, "deploy", "grafana", "tminus.json")
# A name as PromQL and the exposition write it; descriptions are scanned too, so
# that the words telling an operator what to look at are real metrics as well.
NAME = re.compile(r"\b(?:tminus|process)_[a-z0-9_]*[a-z0-9]\b")
DEADLINE_S = 30  # for each wait below; the whole test has ctest's TIMEOUT too


def fail(message):
    raise AssertionError(message)


def wait_for(what, probe):
    """probe() until it returns something true; fails after DEADLINE_S."""
    end = time.monotonic() + DEADLINE_S
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > end:
            fail(f"timed out waiting for {what}")
        time.sleep(0.2)


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def port_file(path):
    return lambda: os.path.exists(path) and read(path).strip()


def http_get(url, token=None):
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=5) as reply:
        return reply.read().decode()


def promtool(*args, cwd=None):
    run = subprocess.run(["promtool", *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    print(f"promtool {' '.join(args)}: exit {run.returncode}")
    if run.returncode != 0:
        fail(f"promtool {' '.join(args)} failed:\n{run.stdout}{run.stderr}")


def sample_names(exposition):
    """Names of the samples of a scrape (histograms as _bucket/_sum/_count)."""
    return {re.split(r"[{ ]", line, maxsplit=1)[0]
            for line in exposition.splitlines() if line and not line.startswith("#")}


def check_dashboard(dashboard):
    """The parts of Grafana's JSON model that an import needs."""
    if not isinstance(dashboard.get("schemaVersion"), int):
        fail("dashboard: schemaVersion missing")
    variables = dashboard.get("templating", {}).get("list", [])
    if not any(v.get("type") == "datasource" and v.get("query") == "prometheus" for v in variables):
        fail("dashboard: no Prometheus datasource template variable")
    ids, exprs, cells = set(), [], set()
    for panel in dashboard["panels"]:
        if panel.get("id") in ids:
            fail(f"dashboard: panel id {panel.get('id')} twice")
        ids.add(panel.get("id"))
        grid = panel.get("gridPos", {})
        if not all(isinstance(grid.get(k), int) for k in "xywh") or grid["x"] + grid["w"] > 24:
            fail(f"dashboard: panel {panel.get('title')!r} has no valid gridPos")
        for x in range(grid["x"], grid["x"] + grid["w"]):
            for y in range(grid["y"], grid["y"] + grid["h"]):
                if (x, y) in cells:
                    fail(f"dashboard: panel {panel['title']!r} overlaps another")
                cells.add((x, y))
        if panel.get("datasource", {}).get("uid") != "${datasource}" or not panel.get("targets"):
            fail(f"dashboard: panel {panel.get('title')!r} lacks the datasource variable or targets")
        for target in panel["targets"]:
            if not target.get("expr") or not target.get("refId"):
                fail(f"dashboard: panel {panel['title']!r} has a target without expr or refId")
            exprs.append(target["expr"])
    return exprs


def free_port():
    # Prometheus cannot report a port it picked: take a free one from the kernel.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    # 1. Files alone: promtool's checks and rule unit tests.
    promtool("check", "rules", os.path.join(PROM, "tminus-alerts.yml"))
    promtool("test", "rules", "tminus-alerts.test.yml", cwd=PROM)
    dashboard_text = read(DASHBOARD)
    exprs = check_dashboard(json.loads(dashboard_text))
    used = set(NAME.findall(read(os.path.join(PROM, "tminus-alerts.yml")))) | set(
        NAME.findall(dashboard_text))
    if len(used) < 10:
        fail(f"only {sorted(used)} found in the rules and dashboard: the name pattern is broken")

    started = []
    with tempfile.TemporaryDirectory(prefix="tminus-prom-") as d:
        def start(name, argv):
            log = open(os.path.join(d, name + ".log"), "w")
            started.append(subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT))

        try:
            # 2. A real coordinator and worker on 127.0.0.1, with tokens.
            token = secrets.token_hex(16)
            for name, value in (("client", token), ("worker", secrets.token_hex(16))):
                with open(os.path.join(d, name + ".tokens"), "w") as f:
                    f.write(value + "\n")
            start("coordinator", [
                os.path.join(BIN, "tminus-coordinator"), "--listen", "127.0.0.1:0",
                "--port-file", f"{d}/port", "--http-listen", "127.0.0.1:0",
                "--http-port-file", f"{d}/http-port", "--state-dir", f"{d}/state",
                "--client-token-file", f"{d}/client.tokens",
                "--worker-token-file", f"{d}/worker.tokens"])
            grpc_port = wait_for("the coordinator's port", port_file(f"{d}/port"))
            coordinator = "127.0.0.1:" + wait_for("its HTTP port", port_file(f"{d}/http-port"))
            start("worker", [
                os.path.join(BIN, "tminus-worker"), "--coordinator", f"127.0.0.1:{grpc_port}",
                "--name", "prom-test-worker", "--slots", "1", "--calibrate-every", "-1",
                "--token-file", f"{d}/worker.tokens", "--http-listen", "127.0.0.1:0",
                "--http-port-file", f"{d}/worker-http-port",
                "--metrics-token-file", f"{d}/client.tokens"])
            worker = "127.0.0.1:" + wait_for("the worker's HTTP port",
                                             port_file(f"{d}/worker-http-port"))
            wait_for("the worker's session", lambda: "tminus_worker_connected 1" in
                     http_get(f"http://{worker}/metrics", token))

            # 3. Every name used is scraped for real, and documented.
            scraped = sample_names(http_get(f"http://{coordinator}/metrics", token)) | \
                sample_names(http_get(f"http://{worker}/metrics", token))
            missing = sorted(used - scraped)
            if missing:
                fail(f"names used in the rules or dashboard but in no real scrape: {missing}")
            docs = read(os.path.join(SOURCE, "docs", "metrics.md"))
            undocumented = sorted(n for n in used if f"`{re.sub(r'_(bucket|sum|count)$', '', n)}`"
                                  not in docs and f"`{n}`" not in docs)
            if undocumented:
                fail(f"names used but not in docs/metrics.md: {undocumented}")
            print(f"{len(used)} metric names used, all in a real scrape and documented")

            # 4. The shipped config, as shipped but for the targets, the token
            # file and 1 s intervals (so that this takes seconds, not minutes).
            config = read(os.path.join(PROM, "prometheus.yml"))
            for old, new in (("127.0.0.1:7071", coordinator), ("127.0.0.1:7072", worker),
                             ("/etc/prometheus/tminus-client-token", f"{d}/client.tokens"),
                             ("scrape_interval: 15s", "scrape_interval: 1s"),
                             ("evaluation_interval: 15s", "evaluation_interval: 1s")):
                if old not in config:
                    fail(f"prometheus.yml no longer has {old!r}: update this test")
                config = config.replace(old, new)
            with open(f"{d}/prometheus.yml", "w") as f:
                f.write(config)
            shutil.copy(os.path.join(PROM, "tminus-alerts.yml"), d)
            promtool("check", "config", f"{d}/prometheus.yml")

            # 5. A real Prometheus with it.
            port = free_port()
            start("prometheus", ["prometheus", f"--config.file={d}/prometheus.yml",
                                 f"--storage.tsdb.path={d}/data",
                                 f"--web.listen-address=127.0.0.1:{port}"])
            api = f"http://127.0.0.1:{port}/api/v1"

            def api_get(path, **params):
                try:
                    return json.loads(http_get(f"{api}/{path}?{urllib.parse.urlencode(params)}"))
                except urllib.error.HTTPError as error:  # a bad query: 400 with the reason
                    return json.loads(error.read().decode())
                except (OSError, ValueError):
                    return None  # not up yet

            def targets_up():
                reply = api_get("targets")
                active = reply and reply["data"]["activeTargets"]
                health = {t["labels"]["job"]: t["health"] for t in active or []}
                return health == {"coordinator": "up", "worker": "up"} and health
            print("targets:", wait_for("both targets up", targets_up))

            def rules_ok():
                reply = api_get("rules")
                rules = [r for g in (reply or {"data": {"groups": []}})["data"]["groups"]
                         for r in g["rules"]]
                errors = [(r["name"], r.get("lastError")) for r in rules if r["health"] == "err"]
                if errors:
                    fail(f"rules that fail to evaluate: {errors}")
                # "unknown" until the group's first evaluation.
                return len(rules) >= 8 and all(r["health"] == "ok" for r in rules) and len(rules)
            print("rules evaluated without error:", wait_for("the rules' evaluation", rules_ok))

            for expr in exprs:
                query = expr.replace("$__rate_interval", "1m")
                def answered():
                    reply = api_get("query", query=query)
                    if reply and reply.get("status") != "success":
                        fail(f"dashboard query {expr!r}: {reply}")
                    return reply and reply["data"]["result"]
                wait_for(f"data for the dashboard query {expr!r}", answered)
            print(f"{len(exprs)} dashboard queries valid and answered with data")
        except Exception:
            for name in ("coordinator", "worker", "prometheus"):
                path = os.path.join(d, name + ".log")
                if os.path.exists(path):
                    print(f"--- {name}.log (end)\n{read(path)[-3000:]}")
            raise
        finally:
            for process in started:
                process.terminate()
            for process in started:
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
    print("prometheus-config: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
