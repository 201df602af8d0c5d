#!/usr/bin/env python3
# /metrics read by the Prometheus project's own parser: every family well formed, the histograms consistent.
# SPDX-License-Identifier: MIT
"""Usage: metrics_test.py SERVER_BINARY [GRAFANA_DASHBOARD_JSON]

Runs with Debian's python3-prometheus-client (scripts/install-deps installs it). With the Grafana
dashboard, also checks that every metric its queries name is one that /metrics exposes."""
import json
import math
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster_test import Cluster, WebSocket, heartbeat, run_on_cluster  # noqa: E402
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402


def families(c, i):
    status, text = c.request(i, "GET", "/metrics")
    assert status == 200, status
    return {f.name: f for f in text_string_to_metric_families(text)}


def check_histogram(family):
    """Per label set: buckets cumulative and ascending in le, +Inf equal to _count, _sum >= 0."""
    series = {}
    for s in family.samples:
        labels = {k: v for k, v in s.labels.items() if k != "le"}
        key = tuple(sorted(labels.items()))
        entry = series.setdefault(key, {"buckets": [], "count": None, "sum": None})
        if s.name.endswith("_bucket"):
            entry["buckets"].append((float(s.labels["le"]), s.value))
        elif s.name.endswith("_count"):
            entry["count"] = s.value
        elif s.name.endswith("_sum"):
            entry["sum"] = s.value
    for key, e in series.items():
        les = [le for le, _ in e["buckets"]]
        counts = [n for _, n in e["buckets"]]
        assert les == sorted(les) and math.isinf(les[-1]), (family.name, key, les)
        assert counts == sorted(counts), (family.name, key, counts)
        assert counts[-1] == e["count"] and e["sum"] >= 0, (family.name, key, e)
    return {dict(k).get("route", dict(k).get("feed")) + ("" if "method" not in dict(k) else " " + dict(k)["method"]): e
            for k, e in series.items()}


def test_metrics_parse_with_prometheus_client(c):
    for s in range(3):
        heartbeat(c, 1, "home", f"s{s}")
    ws = WebSocket(c.http[1], "/home/live")  # a viewer, so that pushes are delayed and measured
    assert ws.message()["page"] == "home"
    for _ in range(5):
        assert c.request(1, "GET", "/home/counter")[0] == 200
    assert c.request(1, "PUT", "/home/counter", {"action": "increment"})[0] == 200
    assert c.request(1, "GET", "/no/such/route")[0] == 404
    ws.until(4 + 1)  # three heartbeats, the WebSocket viewer, the increment
    time.sleep(0.2)

    f = families(c, 1)
    for name, kind in [("converge_http_request_duration_seconds", "histogram"),
                       ("converge_push_delay_seconds", "histogram"),
                       ("converge_websocket_connections", "gauge"),
                       ("converge_viewers", "gauge"), ("converge_pages_with_viewers", "gauge"),
                       ("converge_sessions", "gauge"), ("converge_merges", "counter"),
                       ("converge_replication_bytes_sent", "counter"), ("converge_http_requests", "counter"),
                       ("converge_channel_messages", "counter"), ("converge_replication_peers_up", "gauge")]:
        assert name in f, (name, sorted(f))
        assert f[name].type == kind, (name, f[name].type)
    latency = check_histogram(f["converge_http_request_duration_seconds"])
    assert latency["/:page/counter GET"]["count"] >= 5, latency["/:page/counter GET"]
    assert latency["/:page/counter PUT"]["count"] == 1
    assert latency["/:page/heartbeat POST"]["count"] == 3
    assert latency["unmatched any"]["count"] >= 1
    assert "/:page/live GET" not in latency  # a WebSocket lasts as long as its client: no latency
    delay = check_histogram(f["converge_push_delay_seconds"])
    assert delay["pages"]["count"] >= 1 and delay["pages"]["sum"] < 1.0 * delay["pages"]["count"], delay["pages"]
    sockets = {s.labels["feed"]: s.value for s in f["converge_websocket_connections"].samples}
    assert sockets == {"pages": 1, "users": 0, "cluster": 0}, sockets
    viewers = {s.name: s.value for s in f["converge_viewers"].samples}
    assert viewers == {"converge_viewers": 5}, viewers

    ws.s.close()
    deadline = time.time() + 5
    while time.time() < deadline:
        sockets = {s.labels["feed"]: s.value for s in families(c, 1)["converge_websocket_connections"].samples}
        if sockets["pages"] == 0:
            break
        time.sleep(0.1)
    assert sockets["pages"] == 0, sockets
    # Every replica's exposition parses, not only the one that served requests.
    for i in c.http:
        check_histogram(families(c, i)["converge_http_request_duration_seconds"])


def check_dashboard_queries(c, dashboard):
    """Every converge_* series a Grafana query names is exposed (a renamed metric fails here)."""
    with open(dashboard) as f:
        panels = json.load(f)["panels"]
    exprs = [t["expr"] for p in panels for t in p.get("targets", [])]
    assert exprs, dashboard
    exposed = set()
    for name, family in families(c, 1).items():
        exposed |= {s.name for s in family.samples} | {name}
    used = {m for e in exprs for m in re.findall(r"\bconverge_[a-z_]+", e)}
    missing = sorted(used - exposed)
    assert not missing, f"{dashboard} queries metrics /metrics lacks: {missing}"


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    def test(c):
        test_metrics_parse_with_prometheus_client(c)
        if len(sys.argv) > 2:
            check_dashboard_queries(c, sys.argv[2])
    return 0 if run_on_cluster("metrics_parse_with_prometheus_client", Cluster(sys.argv[1]), test) else 1


if __name__ == "__main__":
    sys.exit(main())
