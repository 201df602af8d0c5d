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


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Replica:
    def __init__(self, binary, *extra, nofile=None):
        self.dir = tempfile.mkdtemp(prefix="converge-process-")
        secret = os.path.join(self.dir, "secret")
        with open(secret, "w") as f:
            f.write("0123456789abcdef-test-secret")
        self.http, self.repl = free_port(), free_port()
        self.args = [binary, "--id", "1", "--http", f"127.0.0.1:{self.http}", "--listen", f"127.0.0.1:{self.repl}",
                     "--secret-file", secret, "--threads", "2", *extra]
        limit = (lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))) if nofile else None
        self.proc = subprocess.Popen(self.args, stderr=subprocess.PIPE, text=True, preexec_fn=limit)

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
