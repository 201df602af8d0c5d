#!/usr/bin/env python3
# converge-fanout (loadgen/fanout/, bench/service's fan-out client) against one replica: its figures are sound.
# SPDX-License-Identifier: MIT
"""Usage: fanout_client_test.py SERVER_BINARY FANOUT_BINARY [TEST_NAME...]

A correctness check, not a benchmark: 200 viewers of one page for 2 s on an idle replica must
all see every change, so a client that loses or misparses frames fails here before it skews
bench/service. Exit status 0 when every selected test passed."""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from process_test import Replica  # noqa: E402


def test_every_viewer_sees_every_change(server, client):
    r = Replica(server)
    try:
        r.wait_up()
        run = subprocess.run([client, "--port", str(r.http), "--viewers", "200", "--duration", "2"],
                             capture_output=True, text=True, timeout=60)
        assert run.returncode == 0, f"converge-fanout exited with {run.returncode}: {run.stderr}"
        lines = run.stdout.strip().splitlines()
        assert len(lines) == 1, f"expected one JSON line, got {run.stdout!r}"
        result = json.loads(lines[0])
        assert result["viewers"] == 200, result
        # 2 s of PUTs every 100 ms: about 20 changes; 10 leaves room for a loaded machine.
        assert result["changes"] >= 10, f"only {result['changes']} changes were made: {result}"
        assert result["missed"] == 0, f"{result['missed']} changes never reached every viewer: {result}"
        assert result["p99_ms"] is not None, f"no change reached every viewer: {result}"
        assert result["p50_ms"] <= result["p99_ms"], result
        assert result["pushes_per_s"] > 0, result
    finally:
        r.stop()


def test_bad_flags_exit_2(server, client):
    for args in (["--viewers", "10"], ["--port", "0"], ["--port", "80", "--viewers", "x"],
                 ["--port", "80", "--page", "a/b"], ["--port", "80", "--duration", "-1"], ["--port", "80", "--what"]):
        run = subprocess.run([client, *args], capture_output=True, text=True, timeout=10)
        assert run.returncode == 2, f"{args}: exit {run.returncode}, {run.stderr}"
        assert "converge-fanout:" in run.stderr, f"{args}: no message: {run.stderr!r}"


def test_a_closed_server_is_an_error(server, client):
    r = Replica(server)
    try:
        r.wait_up()
        run = subprocess.Popen([client, "--port", str(r.http), "--viewers", "20", "--duration", "10"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.5)
        r.proc.kill()  # no close frame: the viewers see their connections end
        r.proc.wait()
        out, err = run.communicate(timeout=20)
        assert run.returncode == 1, f"exit {run.returncode}: {out} {err}"
        assert "closed" in err or "refused" in err, err
    finally:
        r.stop()


TESTS = {name: fn for name, fn in globals().items() if name.startswith("test_")}


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    failed = 0
    for name in sys.argv[3:] or list(TESTS):
        start = time.time()
        try:
            TESTS[name](sys.argv[1], sys.argv[2])
            print(f"PASS {name} ({time.time() - start:.1f} s)")
        except Exception as e:  # report every failure
            failed += 1
            print(f"FAIL {name}: {e!r}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
