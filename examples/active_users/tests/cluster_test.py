#!/usr/bin/env python3
# Black-box tests of converge-active-users: three replica processes on loopback, driven over HTTP.
# SPDX-License-Identifier: MIT
"""Usage: cluster_test.py SERVER_BINARY [TEST_NAME...]

Each test starts its own cluster on free ports, checks one promise of the service, and stops it.
Exit status 0 when every selected test passed."""
import http.client
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    def __init__(self, binary, n=3, expiry=30.0, retire_after=2.0):
        self.binary, self.n = binary, n
        self.expiry, self.retire_after = expiry, retire_after
        self.dir = tempfile.mkdtemp(prefix="converge-cluster-")
        self.secret = os.path.join(self.dir, "secret")
        with open(self.secret, "w") as f:
            f.write("0123456789abcdef-test-secret")
        self.http = {i: free_port() for i in range(1, n + 1)}
        self.repl = {i: free_port() for i in range(1, n + 1)}
        self.procs = {}
        for i in self.http:
            self.start(i)
        for i in self.http:
            self.wait_up(i)

    def start(self, i):
        data = os.path.join(self.dir, f"replica-{i}")
        os.makedirs(data, exist_ok=True)
        args = [self.binary, "--id", str(i), "--http", f"127.0.0.1:{self.http[i]}",
                "--listen", f"127.0.0.1:{self.repl[i]}", "--secret-file", self.secret,
                "--expiry", str(self.expiry), "--retire-after", str(self.retire_after),
                "--data-dir", data, "--threads", "2"]
        for j in self.repl:
            if j != i:
                args += ["--peer", f"{j}@127.0.0.1:{self.repl[j]}"]
        log = open(os.path.join(self.dir, f"replica-{i}.log"), "ab")
        self.procs[i] = subprocess.Popen(args, stdout=log, stderr=log)

    def wait_up(self, i, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                self.request(i, "GET", "/metrics")
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"replica {i} did not start; log:\n{self.log(i)}")

    def log(self, i):
        with open(os.path.join(self.dir, f"replica-{i}.log"), "rb") as f:
            return f.read().decode(errors="replace")

    def request(self, i, method, path, body=None, timeout=10):
        c = http.client.HTTPConnection("127.0.0.1", self.http[i], timeout=timeout)
        try:
            headers = {"Accept": "application/json"}
            c.request(method, path, body=None if body is None else json.dumps(body) if not isinstance(body, str) else body,
                      headers=headers)
            r = c.getresponse()
            data = r.read().decode()
            return r.status, data
        finally:
            c.close()

    def count(self, i, page):
        status, data = self.request(i, "GET", f"/{page}/counter")
        assert status == 200, (status, data)
        return json.loads(data)["count"]

    def wait_all(self, page, expected, timeout=20, replicas=None):
        deadline = time.time() + timeout
        seen = None
        while time.time() < deadline:
            seen = {i: self.count(i, page) for i in (replicas or self.http)}
            if all(v == expected for v in seen.values()):
                return
            time.sleep(0.1)
        raise AssertionError(f"page {page}: replicas report {seen}, expected {expected}")

    def stop(self):
        """Stops every replica with SIGTERM; a replica that then exits uncleanly, or whose log
        holds a sanitizer report, fails the test."""
        running = {i: p for i, p in self.procs.items() if p.poll() is None}
        for p in running.values():
            p.send_signal(signal.SIGCONT)
            p.terminate()
        problems = []
        for i, p in running.items():
            try:
                if p.wait(timeout=10) != 0:
                    problems.append(f"replica {i} exited with status {p.returncode}")
            except subprocess.TimeoutExpired:
                p.kill()
                problems.append(f"replica {i} did not stop on SIGTERM")
        for i in self.http:
            log = self.log(i)
            if "Sanitizer" in log or "runtime error:" in log:
                problems.append(f"replica {i} log holds a sanitizer report")
        if problems:
            raise AssertionError("; ".join(problems))


def heartbeat(c, i, page, session):
    status, data = c.request(i, "POST", f"/{page}/heartbeat", {"session": session})
    assert status == 200, (status, data)


def test_counts_converge(c):
    """Sessions and adjustments on different replicas add up to one exact count everywhere."""
    for s in range(5):
        heartbeat(c, 1, "home", f"a{s}")
    for s in range(3):
        heartbeat(c, 2, "home", f"b{s}")
    heartbeat(c, 2, "home", "b0")  # a repeated heartbeat is the same session
    for _ in range(4):
        assert c.request(3, "PUT", "/home/counter", {"action": "increment"})[0] == 200
    status, data = c.request(3, "PUT", "/home/counter", {"action": "decrement"})
    assert status == 200 and "count" in json.loads(data), data
    c.wait_all("home", 5 + 3 + 4 - 1)
    assert c.request(2, "POST", "/home/leave", {"session": "b1"})[0] == 200
    c.wait_all("home", 10)
    c.wait_all("elsewhere", 0)


def test_bad_input_changes_nothing(c):
    """Malformed requests get 4xx with a reason and leave every count as it was."""
    heartbeat(c, 1, "p", "x")
    c.wait_all("p", 1)
    bad = [
        ("PUT", "/p/counter", "not json"),
        ("PUT", "/p/counter", {"action": "explode"}),
        ("PUT", "/p/counter", {"act": "increment"}),
        ("PUT", "/p/counter", [1, 2]),
        ("POST", "/p/heartbeat", {"session": 7}),
        ("POST", "/p/heartbeat", {"session": ""}),
        ("POST", "/p/heartbeat", {"session": "s" * 200}),
        ("DELETE", "/p/counter", None),
        ("GET", "/bad%20page/counter", None),
        ("GET", "/p/nothing", None),
        ("PUT", "/p/counter", "x" * 10000),
    ]
    for method, path, body in bad:
        status, data = c.request(1, method, path, body)
        assert 400 <= status < 500, (method, path, status, data)
    time.sleep(0.5)
    c.wait_all("p", 1)


def test_session_expiry(c):
    """A heartbeat session that goes silent for the expiry time stops counting."""
    heartbeat(c, 2, "exp", "quiet")
    c.wait_all("exp", 1)
    time.sleep(c.expiry + 0.5)
    c.wait_all("exp", 0, timeout=5)


def test_dead_replica_is_retired(c):
    """Viewers of a replica that dies stop counting everywhere; its adjustments stay."""
    for s in range(4):
        heartbeat(c, 3, "dead", f"v{s}")
    heartbeat(c, 1, "dead", "w")
    assert c.request(3, "PUT", "/dead/counter", {"action": "increment"})[0] == 200
    c.wait_all("dead", 6)
    c.procs[3].kill()
    c.procs[3].wait()
    c.wait_all("dead", 2, replicas=[1, 2], timeout=c.retire_after + 10)


def test_partition_heals_exactly(c):
    """A replica cut off beyond --retire-after is retired, rejoins under a new id, and the
    count is exact again with nothing counted twice."""
    for s in range(3):
        heartbeat(c, 2, "part", f"v{s}")
    heartbeat(c, 1, "part", "w")
    c.wait_all("part", 4)
    c.procs[2].send_signal(signal.SIGSTOP)
    c.wait_all("part", 1, replicas=[1, 3], timeout=c.retire_after + 10)
    c.procs[2].send_signal(signal.SIGCONT)
    c.wait_all("part", 4, timeout=15)
    status, metrics = c.request(2, "GET", "/metrics")
    assert "converge_rejoins_total 1" in metrics, metrics


def test_restart_loses_no_acknowledged_increment(c):
    """kill -9 of a replica in the middle of PUT load: every acknowledged increment survives."""
    acked, attempted, stop = [0], [0], threading.Event()

    def load():
        while not stop.is_set():
            attempted[0] += 1
            try:
                status, _ = c.request(1, "PUT", "/restart/counter", {"action": "increment"}, timeout=5)
                if status == 200:
                    acked[0] += 1
            except OSError:
                time.sleep(0.05)

    t = threading.Thread(target=load)
    t.start()
    time.sleep(1.0)
    c.procs[1].kill()
    c.procs[1].wait()
    time.sleep(0.3)
    c.start(1)
    c.wait_up(1)
    time.sleep(1.0)
    stop.set()
    t.join()
    assert acked[0] > 10, acked
    deadline = time.time() + 20
    while True:
        counts = {i: c.count(i, "restart") for i in c.http}
        if len(set(counts.values())) == 1 and acked[0] <= counts[1] <= attempted[0]:
            break
        assert time.time() < deadline, f"counts {counts}, acknowledged {acked[0]}, attempted {attempted[0]}"
        time.sleep(0.2)


def test_outsiders_are_refused(c):
    """Replication frames without the shared secret are dropped with the link; nothing changes."""
    heartbeat(c, 1, "auth", "v")
    c.wait_all("auth", 1)
    body = bytes([1, 1]) + struct.pack(">IQ", 9, 0) + b"\xc7\x01\x07garbage"
    frame = struct.pack(">I", len(body)) + body + b"\0" * 32
    with socket.create_connection(("127.0.0.1", c.repl[1])) as s:
        s.sendall(frame)
        s.settimeout(5)
        assert s.recv(1) == b"", "the replica should close an unauthenticated link"
    status, metrics = c.request(1, "GET", "/metrics")
    assert "converge_rejected_messages_total 1" in metrics, metrics
    c.wait_all("auth", 1)


def test_html_page(c):
    """A browser asking for HTML gets a page that follows the live count over a WebSocket."""
    conn = http.client.HTTPConnection("127.0.0.1", c.http[1], timeout=5)
    conn.request("GET", "/home/counter", headers={"Accept": "text/html"})
    r = conn.getresponse()
    page = r.read().decode()
    assert r.status == 200 and "text/html" in r.getheader("Content-Type"), r.status
    assert "/home/live" in page and "WebSocket" in page, page


def test_loadgen_converges(c):
    """converge-loadgen's churn of heartbeat and WebSocket viewers ends with every replica exact."""
    loadgen = os.environ.get("CONVERGE_LOADGEN")
    assert loadgen, "set CONVERGE_LOADGEN to the converge-loadgen binary"
    args = [loadgen, "--viewers", "300", "--pages", "5", "--duration", "4", "--expiry", str(c.expiry),
            "--heartbeat-interval", "0.5", "--adjustments", "20", "--settle-timeout", "30", "--seed", "7"]
    for i in c.http:
        args += ["--replica", f"127.0.0.1:{c.http[i]}"]
    run = subprocess.run(args, capture_output=True, text=True, timeout=90)
    assert run.returncode == 0 and "converged: every replica equals the truth" in run.stdout, run.stdout + run.stderr


TESTS = {name: fn for name, fn in globals().items() if name.startswith("test_")}
OPTIONS = {"test_session_expiry": {"expiry": 1.5}, "test_loadgen_converges": {"expiry": 2.0}}


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    binary = sys.argv[1]
    selected = sys.argv[2:] or list(TESTS)
    failed = 0
    for name in selected:
        c = Cluster(binary, **OPTIONS.get(name, {}))
        start = time.time()
        try:
            try:
                TESTS[name](c)
            finally:
                c.stop()
            print(f"PASS {name} ({time.time() - start:.1f} s)")
        except Exception as e:  # report every failure, with the replicas' logs
            failed += 1
            print(f"FAIL {name}: {e!r}")
            for i in c.http:
                print(f"--- replica {i} log\n{c.log(i)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
