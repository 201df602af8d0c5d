#!/usr/bin/env python3
# Black-box tests of converge-active-users: three replica processes on loopback, driven over HTTP.
# SPDX-License-Identifier: MIT
"""Usage: cluster_test.py SERVER_BINARY [TEST_NAME...]

Each test starts its own cluster on free ports, checks one promise of the service, and stops it.
Exit status 0 when every selected test passed."""
import base64
import copy
import ctypes
import http.client
import json
import os
import random
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time


def die_with_parent():
    """In a child before exec: SIGKILL when the test process dies, so no server outlives its test."""
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


_ports_given = set()


def free_port():
    """A port that binds now, drawn at random below the kernel's ephemeral range (32768 and up).
    A port from bind(0) is an ephemeral one: between this check and the replica's own bind,
    any process's outbound connection (another test's replica dialling its peers, under
    ctest -j2) could take it, and then this test talks to someone else's listener."""
    while True:
        port = random.randrange(20000, 32000)
        if port in _ports_given:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _ports_given.add(port)
        return port


AUTH_SIZE = 57  # the dialer's handshake message, before its frames
FRAME_TAG_SIZE = 16  # each frame ends with a 16-byte tag (replication/frame.hpp)


class Link:
    """A TCP forwarder for one direction of replication (replica i dials j through it), which the
    test can cut and heal: a partition in which both sides keep serving requests, unlike SIGSTOP."""

    def __init__(self, target_port):
        self.target = target_port
        self.recorded = []  # per connection, the bytes the dialer sent
        self.duplicate = False  # send every frame after the handshake twice (an on-path attacker)
        self.cut = threading.Event()
        self.lock = threading.Lock()
        self.conns = []
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self.accept_loop, daemon=True).start()

    def accept_loop(self):
        while True:
            try:
                down, _ = self.listener.accept()
            except OSError:
                return
            if self.cut.is_set():
                down.close()
                continue
            try:
                up = socket.create_connection(("127.0.0.1", self.target))
            except OSError:
                down.close()
                continue
            with self.lock:
                self.conns += [down, up]
            for a, b, dialer in ((down, up, True), (up, down, False)):
                threading.Thread(target=self.pipe, args=(a, b, dialer), daemon=True).start()

    def pipe(self, a, b, dialer):
        record = bytearray()
        if dialer:
            self.recorded.append(record)
        pending = bytearray()  # with duplicate: what is not yet a whole frame
        try:
            while True:
                data = a.recv(65536)
                # Bytes read after the cut are dropped: they were written after it.
                if not data or self.cut.is_set():
                    break
                if dialer:
                    record += data
                if not (dialer and self.duplicate):
                    b.sendall(data)
                    continue
                pending += data
                while True:
                    done = len(record) - len(pending)  # bytes of this connection already forwarded
                    if done < AUTH_SIZE:
                        if not pending:
                            break
                        take = min(AUTH_SIZE - done, len(pending))
                        b.sendall(bytes(pending[:take]))
                        del pending[:take]
                        continue
                    if len(pending) < 4:
                        break
                    size = 4 + struct.unpack(">I", pending[:4])[0] + FRAME_TAG_SIZE
                    if len(pending) < size:
                        break
                    whole = bytes(pending[:size])
                    del pending[:size]
                    b.sendall(whole + whole)
        except OSError:
            pass
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def set_cut(self, cut):
        if not cut:
            self.cut.clear()
            return
        self.cut.set()
        with self.lock:
            for s in self.conns:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            self.conns = []


class Cluster:
    def __init__(self, binary, n=3, expiry=30.0, retire_after=2.0, proxied=False):
        self.binary, self.n = binary, n
        self.expiry, self.retire_after = expiry, retire_after
        self.dir = tempfile.mkdtemp(prefix="converge-cluster-")
        self.secret = os.path.join(self.dir, "secret")
        with open(self.secret, "w") as f:
            f.write("0123456789abcdef-test-secret")
        # Writes need this token (--api-token-file); request() sends it with every non-GET.
        self.token = "write-token-" + base64.b32encode(os.urandom(10)).decode()
        self.token_file = os.path.join(self.dir, "api-token")
        with open(self.token_file, "w") as f:
            f.write(self.token + "\n")
        self.http = {i: free_port() for i in range(1, n + 1)}
        self.repl = {i: free_port() for i in range(1, n + 1)}
        # With proxied, replica i reaches j through links[(i, j)], so links can be cut.
        self.links = {(i, j): Link(self.repl[j]) for i in self.repl for j in self.repl if i != j} if proxied else {}
        self.procs = {}
        try:
            for i in self.http:
                self.start(i)
            for i in self.http:
                self.wait_up(i)
        except Exception:
            for p in self.procs.values():
                p.kill()
            raise

    def start(self, i):
        data = os.path.join(self.dir, f"replica-{i}")
        os.makedirs(data, exist_ok=True)
        args = [self.binary, "--id", str(i), "--http", f"127.0.0.1:{self.http[i]}",
                "--listen", f"127.0.0.1:{self.repl[i]}", "--secret-file", self.secret,
                "--expiry", str(self.expiry), "--retire-after", str(self.retire_after),
                "--data-dir", data, "--threads", "2", "--api-token-file", self.token_file]
        for j in self.repl:
            if j != i:
                port = self.links[(i, j)].port if self.links else self.repl[j]
                args += ["--peer", f"{j}@127.0.0.1:{port}"]
        log = open(os.path.join(self.dir, f"replica-{i}.log"), "ab")
        self.procs[i] = subprocess.Popen(args, stdout=log, stderr=log, preexec_fn=die_with_parent)

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

    def request(self, i, method, path, body=None, timeout=10, token=True):
        """`token` True sends the cluster's write token with a non-GET, a string sends that one."""
        c = http.client.HTTPConnection("127.0.0.1", self.http[i], timeout=timeout)
        try:
            headers = {"Accept": "application/json"}
            if token is True and method != "GET":
                token = self.token
            if isinstance(token, str):
                headers["Authorization"] = "Bearer " + token
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

    def partition(self, side_a, side_b):
        """Cuts every replication link between the two sides, both ways (needs proxied=True)."""
        for (i, j), link in self.links.items():
            if (i in side_a and j in side_b) or (i in side_b and j in side_a):
                link.set_cut(True)

    def heal(self):
        for link in self.links.values():
            link.set_cut(False)

    def unread(self, i, user):
        status, data = self.request(i, "GET", f"/users/{user}/unread")
        assert status == 200, (status, data)
        return json.loads(data)["count"]

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


def cluster_snapshot(c, i):
    status, body = c.request(i, "GET", "/cluster")
    assert status == 200, (i, status, body)
    return json.loads(body)


def wait_for_snapshot(c, i, ok, what, timeout):
    """Polls replica i's /cluster until ok(snapshot); fails naming `what` and the last one."""
    deadline = time.time() + timeout
    while True:
        v = cluster_snapshot(c, i)
        if ok(v):
            return v
        if time.time() > deadline:
            raise AssertionError(f"replica {i}: {what} not seen in {timeout} s; last /cluster: {v}")
        time.sleep(0.1)


def test_dashboard_records_retirement_and_restart(c):
    """The dashboard's agreement and timeline follow a replica's death and restart: its peers
    retire its incarnation and say so, agree without it, and see it come back under a new one."""
    for i in c.http:
        heartbeat(c, i, "timeline", f"v{i}")
    c.wait_all("timeline", 3)
    for i in c.http:
        wait_for_snapshot(c, i, lambda v: v["agreement"]["agree"] and v["agreement"]["up"] == 3, "agreement of 3", 10)
    old = cluster_snapshot(c, 3)["incarnation"]
    c.procs[3].kill()
    c.procs[3].wait()

    def names_retirement(v):
        return any(e["incarnation"] == old and e["replica"] == 3 and e["event"] in ("retired", "retirement heard")
                   for e in v["timeline"])
    for i in (1, 2):
        v = wait_for_snapshot(c, i, lambda v: names_retirement(v) and v["viewers"] == 2 and v["agreement"]["agree"]
                              and v["agreement"]["up"] == 2, "replica 3's retirement, 2 viewers and agreement of 2",
                              c.retire_after + 10)
        # The dead replica's last report is still listed, as down.
        assert [r["up"] for r in v["agreement"]["replicas"] if r["id"] == 3] == [False], v["agreement"]

    c.start(3)
    c.wait_up(3)
    heartbeat(c, 3, "timeline", "back")
    c.wait_all("timeline", 3)
    new = cluster_snapshot(c, 3)["incarnation"]
    assert new != old
    for i in (1, 2):
        v = wait_for_snapshot(c, i, lambda v: any(e["event"] == "new incarnation" and e["replica"] == 3
                                                 and e["previous"] == old and e["incarnation"] == new
                                                 for e in v["timeline"]) and v["agreement"]["agree"]
                              and v["agreement"]["up"] == 3, "replica 3's new incarnation and agreement of 3", 15)
        assert [p["incarnation"] for p in v["peers"] if p["id"] == 3] == [new], v["peers"]
        assert [e["event"] for e in v["timeline"]][0] == "new incarnation", v["timeline"]  # newest first


def test_presence_shrinks_to_what_is_live(c):
    """Presence holds what is live: a page's gauges go when it empties, and a dead replica's
    retirement marker is collected everywhere after the horizon (4 x --retire-after)."""
    pages = [f"shrink{p}" for p in range(50)]
    for page in pages:
        heartbeat(c, 1, page, "a")
        heartbeat(c, 3, page, "b")
    for page in (pages[0], pages[-1]):
        c.wait_all(page, 2)
    assert [metric(c, i, "converge_presence_entries") for i in (1, 2)] == [100, 100]
    live = metric(c, 2, "converge_presence_state_bytes")
    c.procs[3].kill()
    c.procs[3].wait()
    c.wait_all(pages[-1], 1, replicas=[1, 2], timeout=c.retire_after + 10)
    assert metric(c, 2, "converge_retired_incarnations") >= 1
    for page in pages:
        assert c.request(1, "POST", f"/{page}/leave", {"session": "a"})[0] == 200
    deadline = time.time() + 4 * c.retire_after + 10
    while True:
        seen = {i: [metric(c, i, m) for m in ("converge_presence_entries", "converge_retired_incarnations")]
                for i in (1, 2)}
        if all(v == [0, 0] for v in seen.values()):
            break
        assert time.time() < deadline, f"entries, markers per replica: {seen}"
        time.sleep(0.2)
    empty = metric(c, 2, "converge_presence_state_bytes")
    print(f"presence state on replica 2: {live:.0f} bytes with 100 gauges, {empty:.0f} after every page emptied"
          f" and the marker was collected")
    assert empty < 64 and empty * 20 < live, (live, empty)
    c.wait_all(pages[0], 0, replicas=[1, 2])


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
    """A connection that cannot prove the shared secret is dropped after the hello; nothing changes."""
    heartbeat(c, 1, "auth", "v")
    c.wait_all("auth", 1)
    body = bytes([3, 1]) + struct.pack(">QQ", 0, 1) + b"\xc7\x01\x07garbage"
    frame = struct.pack(">I", len(body)) + body + b"\0" * FRAME_TAG_SIZE
    with socket.create_connection(("127.0.0.1", c.repl[1])) as s:
        s.settimeout(5)
        hello = b""
        while len(hello) < 25:
            hello += s.recv(25 - len(hello))
        assert hello[:5] == b"CVRH\x02" and struct.unpack(">I", hello[5:9])[0] == 1, hello
        s.sendall(frame)
        try:
            rest = s.recv(1)
        except ConnectionResetError:  # closed with our bytes unread
            rest = b""
        assert rest == b"", "the replica should close an unauthenticated link"
    assert metric(c, 1, "converge_replication_handshakes_refused_total") == 1
    assert metric(c, 1, "converge_rejected_messages_total") == 0
    c.wait_all("auth", 1)


def test_replayed_link_bytes_are_refused(c):
    """Bytes recorded off the link of a replica that then dies, replayed to a live replica, fail
    its handshake (a fresh nonce each connection): the dead replica's viewers are retired on time."""
    for s in range(3):
        heartbeat(c, 3, "replay", f"v{s}")
    heartbeat(c, 1, "replay", "w")
    c.wait_all("replay", 4)
    time.sleep(0.5)
    recorded = bytes(c.links[(3, 1)].recorded[-1])
    assert len(recorded) > 57, len(recorded)
    c.procs[3].kill()
    c.procs[3].wait()
    stop = threading.Event()

    def replay():
        while not stop.is_set():
            try:
                with socket.create_connection(("127.0.0.1", c.repl[1]), timeout=1) as s:
                    s.sendall(recorded)
                    while s.recv(65536):
                        pass
            except OSError:
                pass
            time.sleep(0.05)

    threading.Thread(target=replay, daemon=True).start()
    try:
        c.wait_all("replay", 1, replicas=[1, 2], timeout=c.retire_after + 5)
    finally:
        stop.set()
    assert metric(c, 1, "converge_replication_handshakes_refused_total") >= 1


def test_duplicated_frames_are_refused_as_replays(c):
    """An on-path attacker who repeats frames inside a live connection gets the link dropped and
    the repeat counted; nothing is merged twice and the counts stay exact (news goes around)."""
    link = c.links[(2, 1)]
    link.duplicate = True
    link.set_cut(True)  # a fresh connection, parsed from its first byte
    link.set_cut(False)
    heartbeat(c, 2, "dup", "a")
    heartbeat(c, 3, "dup", "b")
    c.wait_all("dup", 2)
    deadline = time.time() + 10
    while metric(c, 1, "converge_replication_replays_total") < 1:
        assert time.time() < deadline, "no replay was counted"
        time.sleep(0.1)
    c.wait_all("dup", 2)


def test_graceful_stop_hands_off_at_once(c):
    """SIGTERM: the replica retires itself and tells its peers, which drop its viewers in under a
    second (not --retire-after, 10 s here); its WebSockets close with 1001; it exits 0."""
    for s in range(3):
        heartbeat(c, 3, "bye", f"v{s}")
    heartbeat(c, 1, "bye", "w")
    ws = WebSocket(c.http[3], "/bye/live")
    try:
        c.wait_all("bye", 5)
        start = time.time()
        c.procs[3].send_signal(signal.SIGTERM)
        c.wait_all("bye", 1, replicas=[1, 2], timeout=5)
        handed_off = time.time() - start
        close = ws.close_code()
    finally:
        ws.s.close()
    assert c.procs[3].wait(timeout=10) == 0, c.log(3)
    assert handed_off < 1.0, f"peers dropped the stopped replica's viewers after {handed_off:.2f} s"
    assert close == 1001, close
    print(f"  viewers of the stopped replica dropped by its peers after {handed_off:.2f} s")


def test_writes_need_the_token(c):
    """With --api-token-file every write needs `Authorization: Bearer <token>`: without it, or with
    another, 401 and nothing changes; reads and live WebSockets stay public."""
    heartbeat(c, 1, "tok", "v")
    c.wait_all("tok", 1)
    writes = [("PUT", "/tok/counter", {"action": "increment"}), ("POST", "/tok/heartbeat", {"session": "x"}),
              ("POST", "/tok/leave", {"session": "v"}), ("POST", "/tok/modified", None),
              ("PUT", "/users/ann/subscriptions/tok", None), ("DELETE", "/users/ann/subscriptions/tok", None),
              ("POST", "/users/ann/read", None), ("POST", "/users/ann/read/tok", None)]
    before = metric(c, 1, "converge_notification_writes_total")
    for method, path, body in writes:
        for token in (False, "wrong-" + c.token, c.token[:-1], c.token + "x", ""):
            status, data = c.request(1, method, path, body, token=token)
            assert status == 401 and "error" in json.loads(data), (method, path, token, status, data)
    time.sleep(0.3)
    c.wait_all("tok", 1)
    assert metric(c, 1, "converge_notification_writes_total") == before
    assert c.request(1, "GET", "/users/ann/unread", token=False)[0] == 200
    ws = WebSocket(c.http[1], "/tok/live")  # public: no token
    ws.s.close()
    assert c.request(1, "PUT", "/tok/counter", {"action": "increment"})[0] == 200
    c.wait_all("tok", 2)


def test_answers_read_their_own_writes(c):
    """A heartbeat that creates a session answers a count that includes it (and a leave one that
    does not); a page never changed answers when this replica first saw it, not 1970; the path
    steps "." and ".." are not names."""
    for n in range(1, 4):
        status, data = c.request(1, "POST", "/own/heartbeat", {"session": f"s{n}"})
        assert status == 200 and json.loads(data)["count"] == n, (n, data)
    status, data = c.request(1, "POST", "/own/heartbeat", {"session": "s1"})  # a renewal
    assert json.loads(data)["count"] == 3, data
    status, data = c.request(1, "POST", "/own/leave", {"session": "s2"})
    assert status == 200 and json.loads(data)["count"] == 2, data
    before = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 1))
    first = json.loads(c.request(2, "GET", "/never-changed/counter")[1])
    assert first["count"] == 0 and first["updated_at"] >= before, first
    time.sleep(1.1)
    again = json.loads(c.request(2, "GET", "/never-changed/counter")[1])
    assert again == first, (first, again)  # remembered, not "now" each time
    unread = json.loads(c.request(2, "GET", "/users/nobody/unread")[1])
    assert unread["updated_at"] >= before, unread
    for path in ["/./counter", "/../counter", "/users/../unread", "/users/./subscriptions/home"]:
        status, data = c.request(1, "GET" if "counter" in path or "unread" in path else "PUT", path)
        assert status == 400 and "names are" in json.loads(data)["error"], (path, status, data)


def raw_get(c, i, path, headers=None, method="GET"):
    """One request with no Accept header of ours: status, headers, body."""
    conn = http.client.HTTPConnection("127.0.0.1", c.http[i], timeout=5)
    try:
        conn.request(method, path, headers=headers or {})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read().decode(errors="replace")
    finally:
        conn.close()


def test_html_page(c):
    """A browser asking for HTML gets the viewer page; its script and style come from the embedded
    assets, with a Content-Security-Policy that allows nothing from elsewhere."""
    status, headers, page = raw_get(c, 1, "/home/counter", {"Accept": "text/html"})
    assert status == 200 and "text/html" in headers["content-type"], status
    assert "../assets/viewer.js" in page and "../assets/style.css" in page, page
    assert "default-src 'none'" in headers["content-security-policy"], headers
    status, headers, script = raw_get(c, 1, "/assets/viewer.js")
    assert status == 200 and headers["content-type"].startswith("text/javascript"), (status, headers)
    assert "WebSocket" in script and "replace(/counter$/, 'live')" in script, script[:200]
    assert headers["x-content-type-options"] == "nosniff", headers
    status, headers, css = raw_get(c, 1, "/assets/style.css")
    assert status == 200 and headers["content-type"].startswith("text/css"), (status, headers)
    # A page called "assets" keeps its counter: the asset rows are literal file names.
    assert c.count(1, "assets") == 0


def test_dashboard_endpoints_refuse_bad_input(c):
    """GET / (the dashboard), GET /cluster and the /cluster WebSocket are public reads like the
    counters; other methods, long or odd paths and names that are not files change nothing."""
    heartbeat(c, 1, "home", "a")
    c.wait_all("home", 1)
    status, headers, page = raw_get(c, 1, "/")
    assert status == 200 and "text/html" in headers["content-type"] and "assets/dashboard.js" in page, status
    assert raw_get(c, 1, "/?x=" + "y" * 1000)[0] == 200  # query strings are ignored
    deadline = time.time() + 2  # the board follows the change feed, at the next push (100 ms)
    while True:
        status, headers, body = raw_get(c, 2, "/cluster?evil=<script>")
        assert status == 200 and headers["content-type"] == "application/json", (status, headers)
        snap = json.loads(body)
        if snap["viewers"] == 1 or time.time() > deadline:
            break
        time.sleep(0.05)
    assert snap["replica"] == 2 and snap["viewers"] == 1 and snap["top"] == [{"page": "home", "count": 1}], snap
    assert sorted(p["id"] for p in snap["peers"]) == [1, 3], snap
    for method, path in [("POST", "/"), ("PUT", "/"), ("DELETE", "/cluster"), ("POST", "/cluster"),
                         ("PUT", "/assets/viewer.js"), ("HEAD", "/cluster")]:
        status, _ = c.request(1, method, path, "{}")
        assert status == 405, (method, path, status)
        status, _ = c.request(1, method, path, "{}", token=False)
        assert status == 405, (method, path, status)  # no route: refused before any token check
    for path in ["/assets/", "/assets/../server.cpp", "/assets/%2e%2e/server.cpp", "/assets/viewer.js/x",
                 "/assets/nothing.js", "/assets//viewer.js", "//", "/cluster/x/y", "/" + "a" * 4000,
                 "/assets/" + "a" * 4000, "/cluster/" + "%00" * 100]:
        status, _ = c.request(1, "GET", path)
        assert 400 <= status < 500, (path, status)
    status, _ = c.request(1, "GET", "/" + "a" * 9000)  # over the 8 KiB header limit
    assert status == 400, status
    ws = WebSocket(c.http[3], "/cluster?x=1")  # the live snapshot, pushed every second
    first = ws.message()
    assert first["replica"] == 3 and first["viewers"] == 1, first
    assert ws.message()["replica"] == 3
    ws.s.close()
    status, _ = c.request(1, "GET", "/metrics")
    assert status == 200
    c.wait_all("home", 1)


def test_loadgen_converges(c):
    """converge-loadgen's churn of heartbeat and WebSocket viewers ends with every replica exact."""
    loadgen = os.environ.get("CONVERGE_LOADGEN")
    assert loadgen, "set CONVERGE_LOADGEN to the converge-loadgen binary"
    args = [loadgen, "--viewers", "300", "--pages", "5", "--duration", "4", "--expiry", str(c.expiry),
            "--heartbeat-interval", "0.5", "--adjustments", "20", "--settle-timeout", "30", "--seed", "7",
            "--api-token-file", c.token_file]
    for i in c.http:
        args += ["--replica", f"127.0.0.1:{c.http[i]}"]
    run = subprocess.run(args, capture_output=True, text=True, timeout=90)
    assert run.returncode == 0 and "converged: every replica equals the truth" in run.stdout, run.stdout + run.stderr


class UnreadModel:
    """What the service promises for unread counts, computed in one process: the state one side
    of a partition knows. Modifications are a G-Counter (per replica), subscriptions an add-wins
    observed-remove set (dots), read marks maxima; merge() joins two sides as the CRDTs do."""
    next_dot = 0

    def __init__(self):
        self.mods = {}      # page -> {replica: modifications made there}
        self.dots = {}      # (user, page) -> add dots seen
        self.removed = {}   # (user, page) -> dots seen removed
        self.marks = {}     # (user, page) -> read up to this count

    def count(self, page):
        return sum(self.mods.get(page, {}).values())

    def subscribed(self, user, page):
        return bool(self.dots.get((user, page), set()) - self.removed.get((user, page), set()))

    def pages(self, user):
        return sorted(p for (u, p) in self.dots if u == user and self.subscribed(u, p))

    def raise_mark(self, user, page):
        self.marks[(user, page)] = max(self.marks.get((user, page), 0), self.count(page))

    def modify(self, replica, page):
        per = self.mods.setdefault(page, {})
        per[replica] = per.get(replica, 0) + 1

    def subscribe(self, user, page):
        if not self.subscribed(user, page):
            self.raise_mark(user, page)
        UnreadModel.next_dot += 1
        self.dots.setdefault((user, page), set()).add(UnreadModel.next_dot)

    def unsubscribe(self, user, page):
        self.removed.setdefault((user, page), set()).update(self.dots.get((user, page), set()))

    def read(self, user, page=None):
        for p in [page] if page else self.pages(user):
            self.raise_mark(user, p)

    def unread(self, user):
        return sum(max(0, self.count(p) - self.marks.get((user, p), 0)) for p in self.pages(user))

    def merge(self, other):
        out = copy.deepcopy(self)
        for page, per in other.mods.items():
            mine = out.mods.setdefault(page, {})
            for r, n in per.items():
                mine[r] = max(mine.get(r, 0), n)
        for key, dots in other.dots.items():
            out.dots.setdefault(key, set()).update(dots)
        for key, dots in other.removed.items():
            out.removed.setdefault(key, set()).update(dots)
        for key, mark in other.marks.items():
            out.marks[key] = max(out.marks.get(key, 0), mark)
        return out


def unread_op(c, model, i, op, *args):
    """Applies one operation on replica i and to the model; the service must accept it."""
    method, path = {
        "subscribe": lambda u, p: ("PUT", f"/users/{u}/subscriptions/{p}"),
        "unsubscribe": lambda u, p: ("DELETE", f"/users/{u}/subscriptions/{p}"),
        "read": lambda u, p=None: ("POST", f"/users/{u}/read" + (f"/{p}" if p else "")),
        "modify": lambda p: ("POST", f"/{p}/modified"),
    }[op](*args)
    status, data = c.request(i, method, path)
    assert status == 200, (i, method, path, status, data)
    if op == "modify":
        model.modify(i, *args)
    else:
        getattr(model, op)(*args)
    return json.loads(data)


def wait_unread(c, model, users, replicas=None, timeout=10):
    deadline = time.time() + timeout
    while True:
        seen = {(i, u): c.unread(i, u) for i in (replicas or c.http) for u in users}
        want = {(i, u): model.unread(u) for i in (replicas or c.http) for u in users}
        if seen == want:
            return
        assert time.time() < deadline, f"unread {seen}, the model says {want}"
        time.sleep(0.05)


def test_unread_survives_partition(c):
    """Subscribe on 1, modify on 2, read on 3; then a partition {1, 3} | {2} during which both
    sides modify, read, subscribe and unsubscribe; after the heal every replica reports, for each
    user, the unread count of a single-process model of the same history."""
    users = ["ann", "bob", "cat"]
    m = UnreadModel()
    for user, page in [("ann", "home"), ("ann", "news"), ("bob", "home")]:
        unread_op(c, m, 1, "subscribe", user, page)
    wait_unread(c, m, users)
    for page in ["home", "home", "home", "news"]:
        unread_op(c, m, 2, "modify", page)
    wait_unread(c, m, users)
    unread_op(c, m, 3, "read", "ann", "home")
    wait_unread(c, m, users)
    assert [m.unread(u) for u in users] == [1, 3, 0]  # the model agrees with the obvious

    c.partition({1, 3}, {2})
    a, b = m, copy.deepcopy(m)
    for op in [("modify", "home"), ("modify", "home"), ("read", "ann"), ("unsubscribe", "bob", "home"),
               ("subscribe", "cat", "news")]:
        unread_op(c, a, 1, *op)
    for op in [("modify", "home"), ("modify", "news"), ("modify", "news"), ("subscribe", "bob", "home"),
               ("read", "ann", "news"), ("subscribe", "cat", "news")]:
        unread_op(c, b, 2, *op)
    wait_unread(c, a, users, replicas=[1, 3])
    time.sleep(0.3)  # replication keeps trying; nothing may cross the cut
    wait_unread(c, b, users, replicas=[2], timeout=0)
    c.heal()

    m = a.merge(b)
    # Add wins for bob; ann's mark on home is side a's, so side b's edit of home stays unread.
    assert m.subscribed("bob", "home") and m.unread("ann") == 1, [m.unread(u) for u in users]
    wait_unread(c, m, users, timeout=15)
    unread_op(c, m, 3, "read", "bob")
    unread_op(c, m, 3, "unsubscribe", "ann", "news")
    unread_op(c, m, 2, "modify", "news")
    wait_unread(c, m, users)


def test_unread_bad_input_changes_nothing(c):
    """Malformed user or page names, wrong methods and reads of pages not subscribed to get a
    4xx with a reason and change no state anywhere."""
    m = UnreadModel()
    unread_op(c, m, 1, "subscribe", "ann", "home")
    unread_op(c, m, 2, "modify", "home")
    wait_unread(c, m, ["ann"])
    _, before = c.request(1, "GET", "/metrics")
    bad = [
        ("PUT", "/users/bad%20user/subscriptions/home"),
        ("PUT", "/users/ann/subscriptions/bad%20page"),
        ("PUT", "/users/" + "u" * 129 + "/subscriptions/home"),
        ("PUT", "/users//subscriptions/home"),
        ("POST", "/users/ann/subscriptions/home"),
        ("PUT", "/users/ann/subscriptions/home/x"),
        ("GET", "/users/ann/read"),
        ("POST", "/users/ann/read/other"),
        ("DELETE", "/users/ann/unread"),
        ("GET", "/users/ann/live"),
        ("GET", "/users/ann/nothing"),
        ("GET", "/home/modified"),
        ("POST", "/bad%20page/modified"),
    ]
    for method, path in bad:
        status, data = c.request(1, method, path)
        assert 400 <= status < 500 and "error" in json.loads(data), (method, path, status, data)
    _, after = c.request(1, "GET", "/metrics")
    writes = [line for line in before.splitlines() if line.startswith("converge_notification_writes_total")]
    assert writes and writes[0] in after.splitlines(), (writes, after)
    time.sleep(0.3)
    wait_unread(c, m, ["ann"], timeout=0)
    # Replica 1 knows both edits (ann's count there says so): no bad request modified the page.
    assert unread_op(c, m, 1, "modify", "home")["modifications"] == m.count("home") == 2


def metric(c, i, name):
    _, text = c.request(i, "GET", "/metrics")
    values = [line.split()[1] for line in text.splitlines() if line.startswith(name + " ")]
    assert len(values) == 1, (name, text)
    return float(values[0])


def test_idle_links_send_only_heartbeats(c):
    """Once replicas agree, each link carries the presence heartbeat alone (not all six channels),
    every 4th interval, and the next write still reaches everyone."""
    m = UnreadModel()
    heartbeat(c, 1, "home", "v")
    unread_op(c, m, 1, "subscribe", "ann", "home")
    unread_op(c, m, 2, "modify", "home")
    c.wait_all("home", 1)
    wait_unread(c, m, ["ann"])
    time.sleep(1.5)  # the last acks go round (a message that only acknowledges waits up to 1 s)
    window = 2.0
    before = {i: metric(c, i, "converge_frames_received_total") for i in c.http}
    time.sleep(window)
    after = {i: metric(c, i, "converge_frames_received_total") for i in c.http}
    # Two peers, one heartbeat frame every 4 intervals of 100 ms each, with slack for timer
    # jitter; a frame every interval would be ~40, six channels every interval ~240.
    ceiling = 2 * (window / 0.4 + 2) * 1.25
    for i in c.http:
        received = after[i] - before[i]
        assert 0 < received <= ceiling, (i, received, ceiling)
    unread_op(c, m, 3, "modify", "home")
    wait_unread(c, m, ["ann"])


def test_unread_survives_restart_of_every_replica(c):
    """With --data-dir, notification writes are acknowledged once on disk: after kill -9 of every
    replica right after the last acknowledged write, and a restart, every write is there."""
    m = UnreadModel()
    # Subscriptions first, so every mark is 0 whatever each replica had heard: the model is exact
    # however far replication got before the kill.
    unread_op(c, m, 1, "subscribe", "ann", "home")
    unread_op(c, m, 3, "subscribe", "bob", "home")
    unread_op(c, m, 2, "subscribe", "ann", "news")
    for i, page in [(1, "home"), (2, "home"), (3, "home"), (2, "home"), (2, "news")]:
        unread_op(c, m, i, "modify", page)
    for p in c.procs.values():
        p.kill()
    for p in c.procs.values():
        p.wait()
    for i in c.http:
        c.start(i)
    for i in c.http:
        c.wait_up(i)
    assert [m.unread(u) for u in ("ann", "bob")] == [5, 4]
    wait_unread(c, m, ["ann", "bob"])


class WebSocket:
    """Just enough of a WebSocket client to read the server's pushes (unmasked text frames)."""

    def __init__(self, port, path, rcvbuf=None, timeout=5):
        self.s = socket.socket()
        if rcvbuf:  # before connecting, so that the window the server sees is small
            self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.s.settimeout(timeout)
        self.s.connect(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        self.s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                       f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            self.fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 101"), head

    def fill(self):
        chunk = self.s.recv(65536)
        if not chunk:
            raise EOFError("the server closed the WebSocket")
        self.buf += chunk

    def take(self, n):
        while len(self.buf) < n:
            self.fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def frame(self):
        """The next frame from the server: (opcode, payload); server frames must be unmasked and final."""
        b0, b1 = self.take(2)
        assert b1 & 0x80 == 0, "a server frame was masked"
        assert b0 & 0x80, "a server frame was fragmented"
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack(">H", self.take(2))[0]
        elif n == 127:
            n = struct.unpack(">Q", self.take(8))[0]
        return b0 & 0x0F, self.take(n)

    def message(self):
        while True:
            opcode, payload = self.frame()
            if opcode == 1:
                return json.loads(payload)

    def close_code(self):
        """Reads until the server's close frame; its status code."""
        while True:
            opcode, payload = self.frame()
            if opcode == 8:
                return struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else None

    def until(self, count):
        """Reads pushes until one carries `count`; fails on a timeout."""
        seen = []
        while True:
            msg = self.message()
            seen.append(msg["count"])
            if msg["count"] == count:
                return msg
            assert len(seen) < 50, seen


def test_unread_is_pushed_live(c):
    """A WebSocket at /users/:user/live receives the user's unread count when it changes,
    whichever replica the change came from."""
    m = UnreadModel()
    unread_op(c, m, 1, "subscribe", "dan", "home")
    ws = WebSocket(c.http[3], "/users/dan/live")
    try:
        first = ws.message()
        assert first["user"] == "dan" and first["count"] == 0 and "updated_at" in first, first
        for _ in range(2):
            unread_op(c, m, 2, "modify", "home")
        ws.until(2)
        wait_unread(c, m, ["dan"])  # replica 1 must know both edits before the read there
        unread_op(c, m, 1, "read", "dan")
        pushed = ws.until(0)
        assert pushed["updated_at"] >= first["updated_at"], pushed
    finally:
        ws.s.close()


TESTS = {name: fn for name, fn in globals().items() if name.startswith("test_")}
OPTIONS = {"test_session_expiry": {"expiry": 1.5}, "test_loadgen_converges": {"expiry": 2.0},
           "test_unread_survives_partition": {"proxied": True},
           "test_replayed_link_bytes_are_refused": {"proxied": True},
           "test_duplicated_frames_are_refused_as_replays": {"proxied": True, "retire_after": 30.0},
           "test_graceful_stop_hands_off_at_once": {"retire_after": 10.0}}


def run_on_cluster(name, c, test):
    """Runs test(c), stops the cluster, prints PASS or FAIL (with the replicas' logs); True when
    it passed. Shared by the other test scripts that run on a Cluster."""
    start = time.time()
    try:
        try:
            test(c)
        finally:
            c.stop()
        print(f"PASS {name} ({time.time() - start:.1f} s)")
        return True
    except Exception as e:  # report every failure, with the replicas' logs
        print(f"FAIL {name}: {e!r}")
        for i in c.http:
            print(f"--- replica {i} log\n{c.log(i)}")
        return False


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    binary = sys.argv[1]
    selected = sys.argv[2:] or list(TESTS)
    failed = sum(not run_on_cluster(name, Cluster(binary, **OPTIONS.get(name, {})), TESTS[name]) for name in selected)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
