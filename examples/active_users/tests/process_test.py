#!/usr/bin/env python3
# Black-box tests of one converge-active-users process: how it refuses to start, and how it survives
# running out of file descriptors.
# SPDX-License-Identifier: MIT
"""Usage: process_test.py SERVER_BINARY [TEST_NAME...]

Each test starts its own process on free ports. Exit status 0 when every selected test passed."""
import http.client
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster_test import die_with_parent, free_port  # noqa: E402


class Replica:
    def __init__(self, binary, *extra, nofile=None):
        self.dir = tempfile.mkdtemp(prefix="converge-process-")
        secret = os.path.join(self.dir, "secret")
        with open(secret, "w") as f:
            f.write("0123456789abcdef-test-secret")
        self.http, self.repl = free_port(), free_port()
        self.args = [binary, "--id", "1", "--http", f"127.0.0.1:{self.http}", "--listen", f"127.0.0.1:{self.repl}",
                     "--secret-file", secret, "--threads", "2", *extra]
        def prepare():
            die_with_parent()
            if nofile:
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

        self.proc = subprocess.Popen(self.args, stderr=subprocess.PIPE, text=True, preexec_fn=prepare)

    def exit(self, timeout=10):
        """The exit status and stderr of a process expected to stop by itself."""
        _, err = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, err

    def get(self, path, timeout=5):
        conn = http.client.HTTPConnection("127.0.0.1", self.http, timeout=timeout)
        try:
            conn.request("GET", path)
            r = conn.getresponse()
            return r.status, r.read().decode()
        finally:
            conn.close()

    def wait_up(self, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                return self.get("/metrics")
            except OSError:
                time.sleep(0.05)
        raise AssertionError("the replica did not start")

    def stop(self):
        """Kills the process; its stderr."""
        if self.proc.poll() is None:
            self.proc.kill()
        return self.proc.communicate()[1]


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def metric(replica, name):
    _, text = replica.get("/metrics")
    values = [line.split()[1] for line in text.splitlines() if line.startswith(name + " ")]
    assert len(values) == 1, (name, text)
    return float(values[0])


def test_unauthenticated_connections_cost_little_and_time_out(binary):
    """60 connections that announce 16 MiB frames grow the replica by less than 16 MiB (before
    links authenticated first: about 900 MiB) and are refused at their first bytes; of 100 silent
    ones at most 64 wait at once, the rest are closed at once, and each waits 5 s at most."""
    r = Replica(binary)
    try:
        r.wait_up()
        before = rss_bytes(r.proc.pid)
        announcers = []
        for _ in range(60):
            s = socket.create_connection(("127.0.0.1", r.repl), timeout=10)
            s.sendall(b"\xff\xff\xff\xff" + b"\0" * 4096)
            announcers.append(s)
        time.sleep(1.0)
        grown = rss_bytes(r.proc.pid) - before
        assert grown < 16 << 20, f"RSS grew by {grown / 2**20:.1f} MiB"
        assert metric(r, "converge_replication_handshakes_refused_total") == 60
        silent = [socket.create_connection(("127.0.0.1", r.repl), timeout=10) for _ in range(100)]
        time.sleep(0.5)
        assert metric(r, "converge_replication_handshaking") == 64
        assert metric(r, "converge_replication_handshakes_refused_total") == 60 + 36
        time.sleep(6.0)
        assert metric(r, "converge_replication_handshaking") == 0
        assert metric(r, "converge_replication_handshakes_refused_total") == 60 + 100
        print(f"  RSS growth with 60 unauthenticated connections: {grown / 2**20:.2f} MiB")
        for s in announcers + silent:
            s.close()
    finally:
        r.stop()


def holding_port():
    """A socket listening on a free port, as another program would hold it."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    return s


def test_taken_http_port_exits_with_the_reason(binary):
    with holding_port() as taken:
        port = taken.getsockname()[1]
        r = Replica(binary, "--http", f"127.0.0.1:{port}")
        status, err = r.exit()
    assert status == 1, (status, err)
    assert f"HTTP port 127.0.0.1:{port}" in err and "in use" in err, err


def test_taken_replication_port_exits_with_the_reason(binary):
    with holding_port() as taken:
        port = taken.getsockname()[1]
        r = Replica(binary, "--listen", f"127.0.0.1:{port}")
        status, err = r.exit()
    assert status == 1, (status, err)
    assert f"replication port 127.0.0.1:{port}" in err and "in use" in err, err


def test_damaged_snapshot_refuses_to_start(binary):
    data = tempfile.mkdtemp(prefix="converge-process-data-")
    with open(os.path.join(data, "adjustments.snapshot"), "wb") as f:
        f.write(b"CVCH\x01\x02 not a g_map")
    r = Replica(binary, "--data-dir", data)
    status, err = r.exit()
    assert status == 1, (status, err)
    assert "adjustments.snapshot" in err, err


def test_bad_flag_exits_2_with_usage(binary):
    r = Replica(binary, "--interval", "0")
    status, err = r.exit()
    assert status == 2, (status, err)
    assert "--interval 0: expected milliseconds" in err and "usage:" in err, err


def test_running_out_of_descriptors_pauses_accepting(binary):
    """With a descriptor limit of 64, 150 idle clients exhaust it: the accept loop logs, pauses and
    keeps going, and once the clients leave the replica answers again."""
    r = Replica(binary, nofile=64)
    try:
        r.wait_up()
        clients = []
        for _ in range(150):
            try:
                clients.append(socket.create_connection(("127.0.0.1", r.http), timeout=2))
            except OSError:
                break
        time.sleep(1.0)
        assert r.proc.poll() is None, "the replica died"
        for c in clients:
            c.close()
        status, _ = r.wait_up(timeout=15)
        assert status == 200
    finally:
        err = r.stop()
    assert "http: accept failed: Too many open files; pausing 100 ms" in err, err


TESTS = {name: fn for name, fn in globals().items() if name.startswith("test_")}


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    failed = 0
    for name in sys.argv[2:] or list(TESTS):
        start = time.time()
        try:
            TESTS[name](sys.argv[1])
            print(f"PASS {name} ({time.time() - start:.1f} s)")
        except Exception as e:  # report every failure
            failed += 1
            print(f"FAIL {name}: {e!r}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
