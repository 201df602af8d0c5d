#!/usr/bin/env python3
# Three replicas behind the shipped nginx front end: sticky heartbeats count each session once,
# and when a replica dies its sessions move and the counts are exact again.
# SPDX-License-Identifier: MIT
"""Usage: frontend_test.py SERVER_BINARY DEPLOY_NGINX_CONF [NGINX_BINARY]"""
import http.client
import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster_test import Cluster, WebSocket, die_with_parent, free_port  # noqa: E402


def start_nginx(nginx, c, deploy_conf):
    """nginx with the deploy file's server and upstreams, pointed at this cluster's ports."""
    with open(deploy_conf) as f:
        snippet = f.read()
    ports = {f"127.0.0.1:{8180 + i}": f"127.0.0.1:{c.http[i]}" for i in c.http}
    snippet = re.sub(r"127\.0\.0\.1:818[1-3]", lambda m: ports[m.group(0)], snippet)
    port = free_port()
    snippet = snippet.replace("listen 127.0.0.1:8080;", f"listen 127.0.0.1:{port};")
    d = os.path.join(c.dir, "nginx")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "front.conf"), "w") as f:
        f.write(snippet)
    temps = "".join(f"{kind}_temp_path {d}/{kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    with open(os.path.join(d, "nginx.conf"), "w") as f:
        f.write(f"pid {d}/nginx.pid;\nerror_log {d}/error.log;\nevents {{}}\n"
                f"http {{\naccess_log off;\n{temps}include {d}/front.conf;\n}}\n")
    proc = subprocess.Popen([nginx, "-p", d, "-c", os.path.join(d, "nginx.conf"), "-g", "daemon off; master_process off;"],
                            preexec_fn=die_with_parent)
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            front(port, "GET", "/metrics")
            return proc, port
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise AssertionError("nginx did not start")


def front(port, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, None if body is None else json.dumps(body), headers=headers or {})
        r = conn.getresponse()
        return r.status, r.read().decode()
    finally:
        conn.close()


def main():
    binary, deploy_conf = sys.argv[1], sys.argv[2]
    nginx = sys.argv[3] if len(sys.argv) > 3 else "/usr/sbin/nginx"
    c = Cluster(binary, retire_after=2.0)
    proc = None
    try:
        proc, port = start_nginx(nginx, c, deploy_conf)
        auth = {"Authorization": "Bearer " + c.token}

        def beat(session):
            status, data = front(port, "POST", "/front/heartbeat", {"session": session},
                                 dict(auth, **{"X-Session-Id": session}))
            assert status == 200, (session, status, data)

        sessions = [f"viewer-{n}" for n in range(30)]
        for _ in range(3):  # repeated heartbeats land on the same replica: counted once
            for s in sessions:
                beat(s)
        c.wait_all("front", 30)
        held = {i: int(c.request(i, "GET", "/metrics")[1].split('converge_sessions{kind="heartbeat"} ')[1].split()[0])
                for i in c.http}
        assert sum(held.values()) == 30 and max(held.values()) < 30, held  # spread, each once
        status, _ = front(port, "POST", "/front/heartbeat", {"session": "x"}, auth)
        assert status == 400, status  # no X-Session-Id: refused at the front

        ws = WebSocket(port, "/front/live")  # upgraded through the front end
        ws.s.close()

        c.procs[2].kill()
        c.procs[2].wait()
        start = time.time()
        while time.time() - start < c.retire_after + 3:
            for s in sessions:
                beat(s)  # the dead replica's sessions move to the others
            time.sleep(0.3)
        c.wait_all("front", 30, replicas=[1, 3], timeout=10)
        print(f"PASS frontend: 30 sessions over {len([h for h in held.values() if h])} replicas, exact after one died")
        return 0
    except Exception as e:  # report with the logs
        print(f"FAIL frontend: {e!r}")
        for i in c.http:
            print(f"--- replica {i} log\n{c.log(i)}")
        return 1
    finally:
        if proc:
            proc.kill()
            proc.wait()
        c.procs.pop(2, None)
        try:
            c.stop()
        except AssertionError as e:
            print(f"stop: {e}")


if __name__ == "__main__":
    sys.exit(main())
