#!/usr/bin/env python3
# The viewer page and the cluster dashboard in a real browser: headless Chromium on a three-replica cluster.
# SPDX-License-Identifier: MIT
"""Usage: browser_test.py SERVER_BINARY ARTIFACT_DIR [TEST_NAME...]

Each test starts its own cluster and its own Chromium (see headless_browser.py). The dashboard
test saves ARTIFACT_DIR/dashboard.png. Exit status 0 when every selected test passed."""
import json
import os
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster_test import Cluster, heartbeat  # noqa: E402
from headless_browser import Browser  # noqa: E402
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402  (python3-prometheus-client)

COUNT = "document.getElementById('count').textContent"
STATE = "document.body.dataset.state"


def url(c, i, path):
    return f"http://127.0.0.1:{c.http[i]}{path}"


def metrics(c, i):
    """/metrics of replica i parsed by the Prometheus client: {(name, labels as a sorted tuple): value}."""
    status, text = c.request(i, "GET", "/metrics")
    assert status == 200, status
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def snapshot(c, i):
    status, data = c.request(i, "GET", "/cluster")
    assert status == 200, (status, data)
    return json.loads(data)


def test_viewer_follows_the_count(c, b, artifacts):
    """The viewer page shows the count (its own WebSocket is one of the viewers) and follows a
    change made on another replica within a second."""
    for s in range(3):
        heartbeat(c, 2, "home", f"s{s}")
    c.wait_all("home", 3)
    b.navigate(url(c, 1, "/home/counter"))
    b.wait_for(f"{STATE} === 'live' && {COUNT} === '4'", timeout=5)  # three heartbeats and this page
    c.wait_all("home", 4)
    assert b.evaluate("document.getElementById('page').textContent") == "home"
    delays = []
    for n in range(5, 8):
        start = time.time()
        assert c.request(3, "PUT", "/home/counter", {"action": "increment"})[0] == 200
        b.wait_for(f"{COUNT} === '{n}'", timeout=3)
        delays.append(time.time() - start)
    assert max(delays) < 1.0, delays
    assert not b.console_errors(), b.console_errors()
    print(f"  change on replica 3 seen by the page on replica 1 after {', '.join(f'{d:.2f}' for d in delays)} s")


def test_viewer_polls_without_websockets(c, b, artifacts):
    """With WebSockets blocked, the viewer page says so and follows the count by polling the JSON."""
    blocked = b.add_script_on_new_document(
        "window.WebSocket = function () { throw new Error('WebSockets are blocked here'); };"
        "window.WebSocket.OPEN = 1;")
    try:
        heartbeat(c, 1, "polled", "a")
        c.wait_all("polled", 1)
        b.navigate(url(c, 2, "/polled/counter"))
        b.wait_for(f"{STATE} === 'polling' && {COUNT} === '1'", timeout=8)
        start = time.time()
        assert c.request(3, "PUT", "/polled/counter", {"action": "increment"})[0] == 200
        b.wait_for(f"{COUNT} === '2'", timeout=4)
        print(f"  polling page followed a change after {time.time() - start:.2f} s")
    finally:
        b.remove_script(blocked)


def test_viewer_reconnects_after_restart(c, b, artifacts):
    """The viewer page says "disconnected" when its replica is killed and is live again after a restart."""
    heartbeat(c, 2, "back", "a")
    c.wait_all("back", 1)
    b.navigate(url(c, 1, "/back/counter"))
    b.wait_for(f"{STATE} === 'live' && {COUNT} === '2'", timeout=5)  # the heartbeat and this page
    c.procs[1].kill()
    c.procs[1].wait()
    took = b.wait_for(f"{STATE} === 'disconnected' && /disconnected/.test(document.getElementById('status').textContent)",
                      timeout=3)
    print(f"  'disconnected' shown {took:.2f} s after SIGKILL")
    time.sleep(1.5)  # a few failed reconnects: the page keeps saying so
    assert b.evaluate(STATE) == "disconnected"
    c.start(1)
    c.wait_up(1)
    restarted = time.time()
    b.wait_for(f"{STATE} === 'live'", timeout=8)
    print(f"  live again {time.time() - restarted:.2f} s after the replica answered")
    # The restarted replica retired its previous incarnation (the page's old session) at once;
    # the page's new WebSocket is a viewer there.
    c.wait_all("back", 2, timeout=5)
    b.wait_for(f"{COUNT} === '2'", timeout=3)
    heartbeat(c, 3, "back", "b")
    b.wait_for(f"{COUNT} === '3'", timeout=3)


def test_dashboard_shows_the_cluster(c, b, artifacts):
    """The dashboard renders every replica's view: its totals equal /metrics, its top pages equal
    the counters, every peer is up, and all replicas report one digest. Saves a screenshot."""
    pages = {"home": 7, "news": 4, "about": 2, "pricing": 1}
    n = 0
    for page, viewers in pages.items():
        for s in range(viewers):
            heartbeat(c, 1 + n % 3, page, f"{page}-{s}")
            n += 1
    assert c.request(2, "PUT", "/news/counter", {"action": "increment"})[0] == 200
    pages["news"] += 1
    for page, viewers in pages.items():
        c.wait_all(page, viewers)
    total = sum(pages.values())

    b.navigate(url(c, 1, "/"))
    b.wait_for(f"{STATE} === 'live' && document.body.dataset.viewers === '{total}'", timeout=8)
    time.sleep(1.1)
    # A change while the dashboard is open: it follows, and the chart has a step to show.
    for s in range(3):
        heartbeat(c, 3, "pricing", f"late-{s}")
    pages["pricing"] += 3
    total += 3
    b.wait_for(f"document.body.dataset.viewers === '{total}'", timeout=3)
    # Quiet now: every replica's counts hold still, each reports its digest, and the page says
    # that all three agree (a second of stillness, then a replication interval).
    quiet = time.time()
    b.wait_for("document.body.dataset.agree === 'true'", timeout=8)
    print(f"  agreement shown {time.time() - quiet:.2f} s after the last change")
    shown = b.evaluate("""(() => {
        const text = (id) => document.getElementById(id).textContent;
        return {
          replica: text('replica'), viewers: text('viewers'), pages: text('pages'), peersUp: text('peers-up'),
          digest: text('digest'),
          top: [...document.querySelectorAll('#top tr')].map((r) => [r.dataset.page, r.children[1].textContent]),
          peers: [...document.querySelectorAll('#peers tr')].map((r) => [r.dataset.peer, r.children[3].textContent,
                                                                        r.children[6].textContent,
                                                                        r.children[1].textContent]),
          agreement: text('agreement'),
          reports: [...document.querySelectorAll('#reports tr')].map((r) => [r.dataset.replica, r.children[1].textContent,
                                                                            r.children[2].textContent,
                                                                            r.children[6].textContent]),
          charts: document.querySelectorAll('#top svg.spark polyline').length,
        };
    })()""")
    m = metrics(c, 1)
    assert shown["replica"] == "1", shown
    assert int(shown["viewers"]) == m[("converge_viewers", ())] == total, (shown, total)
    assert int(shown["pages"]) == m[("converge_pages_with_viewers", ())] == len(pages), shown
    assert shown["peersUp"] == f"{int(m[('converge_replication_peers_up', ())])} / 2" == "2 / 2", shown
    expected_top = sorted(pages.items(), key=lambda kv: (-kv[1], kv[0]))
    assert [(p, int(v)) for p, v in shown["top"]] == expected_top, (shown["top"], expected_top)
    assert shown["charts"] == len(pages), shown
    assert sorted(p[0] for p in shown["peers"]) == ["2", "3"] and all(p[1] == "up" for p in shown["peers"]), shown
    assert all(p[2].endswith("/s") for p in shown["peers"]), shown  # a rate, from two snapshots
    views = {i: snapshot(c, i) for i in c.http}
    assert {v["digest"] for v in views.values()} == {shown["digest"]}, (views, shown["digest"])
    # The agreement table: every replica, under the incarnation it runs, reporting this digest.
    assert shown["agreement"] == "all 3 replicas up agree", shown
    assert shown["reports"] == [[str(i), views[i]["incarnation"], shown["digest"], "agrees"] for i in (1, 2, 3)], shown
    assert all(p[3] == views[int(p[0])]["incarnation"] for p in shown["peers"]), shown
    for i, v in views.items():
        assert v["agreement"]["agree"] and v["agreement"]["up"] == 3, (i, v["agreement"])
    assert not b.console_errors(), b.console_errors()
    path = b.screenshot(os.path.join(artifacts, "dashboard.png"))
    print(f"  dashboard of replica 1: {total} viewers on {len(pages)} pages, 2 peers up, digest {shown['digest']} "
          f"reported by all 3 replicas, shown as agreeing; screenshot {path}")


TESTS = {name[len("test_"):]: f for name, f in globals().items() if name.startswith("test_")}


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    binary, artifacts = sys.argv[1], sys.argv[2]
    selected = sys.argv[3:] or list(TESTS)
    failed = 0
    for name in selected:
        c = Cluster(binary, retire_after=3.0)
        start = time.time()
        try:
            with Browser() as b:
                try:
                    TESTS[name](c, b, artifacts)
                except Exception:
                    print(f"--- chromium log\n{b.chromium_log()}")
                    raise
                finally:
                    c.stop()
            print(f"PASS {name} ({time.time() - start:.1f} s)")
        except Exception as e:  # report with the replicas' logs
            failed += 1
            print(f"FAIL {name}: {e!r}")
            for i in c.http:
                print(f"--- replica {i} log\n{c.log(i)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
