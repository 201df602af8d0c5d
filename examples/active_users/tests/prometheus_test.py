#!/usr/bin/env python3
# The shipped Prometheus configuration and Grafana dashboard, run for real: Debian's prometheus scrapes a cluster.
# SPDX-License-Identifier: MIT
"""Usage: prometheus_test.py SERVER_BINARY DEPLOY_DIR PROMETHEUS PROMTOOL

Checks deploy/prometheus/prometheus.yml with promtool, lints /metrics with promtool, starts a
real Prometheus (Debian's prometheus package) scraping a three-replica cluster with that
configuration (targets and interval changed for loopback), and runs every query of
deploy/grafana/converge.json through Prometheus's query API: each must be valid PromQL and
return series, and the viewer and agreement queries must give the true values. Grafana itself is
not packaged by Debian; its dashboard's structure is checked here instead. Exit status 0 when
everything passed."""
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster_test import Cluster, die_with_parent, free_port, heartbeat, run_on_cluster  # noqa: E402

SCRAPE_SECONDS = 1
RATE_INTERVAL = "5s"  # what Grafana's $__rate_interval is with a 1 s scrape: 4 scrapes and a margin


def promtool(tool, *args, stdin=None):
    r = subprocess.run([tool, *args], input=stdin, capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout + r.stderr


def loopback_config(shipped, c):
    """The shipped configuration with this cluster's replicas as targets and a 1 s scrape."""
    text = open(shipped).read()
    targets = ", ".join(f'"127.0.0.1:{c.http[i]}"' for i in sorted(c.http))
    text, n = re.subn(r"targets: \[[^\]]*\]", f"targets: [{targets}]", text)
    assert n == 1, "prometheus.yml: expected one targets list"
    text = re.sub(r"scrape_interval: \d+s", f"scrape_interval: {SCRAPE_SECONDS}s", text)
    text = re.sub(r"scrape_timeout: \d+s", "scrape_timeout: 1s", text)
    return text


def job_of(config_text):
    m = re.search(r"job_name: (\S+)", config_text)
    assert m, "prometheus.yml names no job"
    return m.group(1)


class Prometheus:
    def __init__(self, binary, config_text, workdir):
        self.port = free_port()
        config = os.path.join(workdir, "prometheus.yml")
        with open(config, "w") as f:
            f.write(config_text)
        self.log_path = os.path.join(workdir, "prometheus.log")
        log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [binary, f"--config.file={config}", f"--storage.tsdb.path={os.path.join(workdir, 'tsdb')}",
             f"--web.listen-address=127.0.0.1:{self.port}", "--log.level=warn"],
            stdout=log, stderr=log, preexec_fn=die_with_parent, start_new_session=True)
        deadline = time.time() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/-/ready", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            if self.proc.poll() is not None or time.time() > deadline:
                raise AssertionError(f"prometheus did not start; log:\n{self.log()}")
            time.sleep(0.2)

    def query(self, expr):
        url = f"http://127.0.0.1:{self.port}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                body = json.load(r)
        except urllib.error.HTTPError as e:  # 400 for a query that does not parse
            body = json.load(e)
        assert body.get("status") == "success", (expr, body)
        return body["data"]["result"]

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def grafana_queries(dashboard_path, job):
    """Every target's PromQL, with the dashboard's variables as Grafana would fill them."""
    with open(dashboard_path) as f:
        d = json.load(f)
    out = []
    for p in d["panels"]:
        for t in p.get("targets", []):
            expr = t["expr"].replace("$job", job).replace("$__rate_interval", RATE_INTERVAL)
            assert "$" not in expr, (p["title"], expr)
            out.append((p["title"], expr))
    return out


def check_dashboard_structure(dashboard_path):
    """What Grafana would refuse or render wrongly: repeated ids or refIds, overlapping panels,
    panels bound to another data source than the dashboard's variable."""
    with open(dashboard_path) as f:
        d = json.load(f)
    panels = d["panels"]
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids)), f"repeated panel ids: {ids}"
    variables = {v["name"] for v in d["templating"]["list"]}
    assert {"datasource", "job"} <= variables, variables
    cells = {}
    for p in panels:
        g = p["gridPos"]
        assert 0 <= g["x"] and g["x"] + g["w"] <= 24, (p["title"], g)  # Grafana's grid is 24 wide
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                assert (x, y) not in cells, f"panels {cells[(x, y)]!r} and {p['title']!r} overlap"
                cells[(x, y)] = p["title"]
        refs = [t["refId"] for t in p.get("targets", [])]
        assert refs and len(refs) == len(set(refs)), (p["title"], refs)
        assert p["datasource"]["uid"] == "${datasource}", (p["title"], p["datasource"])
    return len(panels)


def test_prometheus_runs_the_dashboard(c, prometheus_bin, promtool_bin, deploy):
    shipped = os.path.join(deploy, "prometheus", "prometheus.yml")
    dashboard = os.path.join(deploy, "grafana", "converge.json")
    rc, out = promtool(promtool_bin, "check", "config", shipped)
    assert rc == 0, f"promtool check config {shipped}:\n{out}"
    panels = check_dashboard_structure(dashboard)

    # Traffic on every replica, a WebSocket viewer (push delay), a 404 (the unmatched route).
    pages = {"home": 4, "news": 2}
    n = 0
    for page, viewers in pages.items():
        for s in range(viewers):
            heartbeat(c, 1 + n % 3, page, f"{page}-{s}")
            n += 1
    for i in c.http:
        assert c.request(i, "GET", "/home/counter")[0] == 200
        assert c.request(i, "GET", "/no/such/route")[0] == 404
    for page, viewers in pages.items():
        c.wait_all(page, viewers)
    status, text = c.request(1, "GET", "/metrics")
    assert status == 200
    rc, out = promtool(promtool_bin, "check", "metrics", stdin=text)
    assert rc == 0, f"promtool check metrics found problems in /metrics:\n{out}"

    config = loopback_config(shipped, c)
    job = job_of(config)
    prom = Prometheus(prometheus_bin, config, c.dir)
    try:
        # Every replica scraped several times, so that rate() has points over RATE_INTERVAL.
        deadline = time.time() + 30
        while True:
            up = prom.query(f'up{{job="{job}"}}')
            scrapes = prom.query(f'count_over_time(up{{job="{job}"}}[{RATE_INTERVAL}])')
            if len(up) == 3 and all(r["value"][1] == "1" for r in up) and \
                    len(scrapes) == 3 and all(int(r["value"][1]) >= 4 for r in scrapes):
                break
            assert time.time() < deadline, f"targets not scraped: up={up} scrapes={scrapes}\n{prom.log()}"
            time.sleep(0.5)
        empty = []
        for title, expr in grafana_queries(dashboard, job):
            if not prom.query(expr):
                empty.append((title, expr))
        assert not empty, f"Grafana queries that return no series: {empty}"

        # The numbers, not just their presence: each replica's view is the true total, and the
        # replicas agree once the counts have held still.
        total = sum(pages.values())
        per_replica = prom.query(f'converge_viewers{{job="{job}"}}')
        assert len(per_replica) == 3 and all(float(r["value"][1]) == total for r in per_replica), per_replica
        deadline = time.time() + 15
        while True:
            agree = prom.query(f'min(converge_replicas_agree{{job="{job}"}})')
            if agree and agree[0]["value"][1] == "1":
                break
            assert time.time() < deadline, f"replicas never agreed in Prometheus: {agree}"
            time.sleep(0.5)
        spread = prom.query(f'max(converge_viewers{{job="{job}"}}) - min(converge_viewers{{job="{job}"}})')
        assert spread[0]["value"][1] == "0", spread
        print(f"  prometheus scraped 3 replicas; {len(grafana_queries(dashboard, job))} queries of {panels} panels "
              f"answered; every replica reports {total} viewers; all agree")
    finally:
        prom.stop()


def main():
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    binary, deploy, prometheus_bin, promtool_bin = sys.argv[1:]
    passed = run_on_cluster("prometheus_runs_the_dashboard", Cluster(binary),
                            lambda c: test_prometheus_runs_the_dashboard(c, prometheus_bin, promtool_bin, deploy))
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
