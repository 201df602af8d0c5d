#!/usr/bin/env python3
# A small DevTools-protocol client for headless Chromium: navigate, evaluate, wait, screenshot.
# SPDX-License-Identifier: MIT
"""Drives Debian's `chromium` over the DevTools protocol with Debian's python3-websocket.

    with Browser() as b:
        b.navigate("http://127.0.0.1:8080/home/counter")
        b.wait_for("document.getElementById('count').textContent === '3'")
        b.screenshot("page.png")
"""
import base64
import ctypes
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request

import websocket  # python3-websocket (websocket-client)


def _die_with_parent():
    """In the child before exec: its own process group (so the test can end Chromium's helpers
    with it) and SIGKILL when the test process dies."""
    os.setsid()
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class BrowserError(AssertionError):
    pass


class Browser:
    def __init__(self, binary=None, width=1200, height=900, timeout=20):
        self.binary = binary or os.environ.get("CONVERGE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
        self.profile = tempfile.mkdtemp(prefix="converge-chromium-")
        self.log = open(os.path.join(self.profile, "chromium.log"), "wb")
        # --headless=new and --no-sandbox: in a container as root there is no user namespace for
        # the sandbox; --disable-gpu: there is no GPU. Port 0: Chromium picks a free port and
        # writes it to DevToolsActivePort in the profile.
        self.proc = subprocess.Popen(
            [self.binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-sync",
             "--disable-background-networking", "--disable-component-update", "--mute-audio",
             "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
             f"--user-data-dir={self.profile}", f"--window-size={width},{height}", "about:blank"],
            stdout=self.log, stderr=self.log, preexec_fn=_die_with_parent)
        self.next_id = 0
        self.events = []
        try:
            port = self._devtools_port(timeout)
            targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5))
            page = next(t for t in targets if t.get("type") == "page")
            self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=timeout, suppress_origin=True)
            self.call("Page.enable")
            self.call("Runtime.enable")
            self.call("Emulation.setDeviceMetricsOverride",
                      {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        except Exception:
            self.close()
            raise

    def _devtools_port(self, timeout):
        path = os.path.join(self.profile, "DevToolsActivePort")
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise BrowserError(f"chromium exited with {self.proc.returncode}: {self.chromium_log()}")
            try:
                with open(path) as f:
                    first = f.readline().strip()
                if first:
                    return int(first)
            except OSError:
                pass
            time.sleep(0.05)
        raise BrowserError("chromium did not open its DevTools port: " + self.chromium_log())

    def chromium_log(self):
        self.log.flush()
        with open(os.path.join(self.profile, "chromium.log"), "rb") as f:
            return f.read().decode(errors="replace")[-3000:]

    def call(self, method, params=None):
        """One DevTools command; its result, or BrowserError with the protocol's error."""
        self.next_id += 1
        mine = self.next_id
        self.ws.send(json.dumps({"id": mine, "method": method, "params": params or {}}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == mine:
                if "error" in message:
                    raise BrowserError(f"{method}: {message['error']}")
                return message.get("result", {})
            if "method" in message:
                self.events.append(message)
                del self.events[:-500]  # only recent events are of interest

    def navigate(self, url, timeout=10):
        self.events.clear()
        result = self.call("Page.navigate", {"url": url})
        if result.get("errorText"):
            raise BrowserError(f"navigate {url}: {result['errorText']}")
        self.wait_for("document.readyState === 'complete'", timeout)

    def evaluate(self, expression):
        """The value of a JavaScript expression in the page (promises awaited)."""
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression}: {result['exceptionDetails'].get('text')} "
                               f"{result['exceptionDetails'].get('exception', {}).get('description', '')}")
        return result["result"].get("value")

    def wait_for(self, expression, timeout=10, interval=0.02):
        """Polls until `expression` is truthy; the seconds it took, or BrowserError with the last value."""
        start = time.time()
        value = None
        while time.time() - start < timeout:
            value = self.evaluate(expression)
            if value:
                return time.time() - start
            time.sleep(interval)
        try:
            seen = self.evaluate("document.body ? document.body.innerText.slice(0, 300) : ''")
        except BrowserError as e:
            seen = str(e)
        raise BrowserError(f"waited {timeout} s for {expression}; last value {value!r}; the page reads {seen!r}")

    def add_script_on_new_document(self, source):
        """Runs `source` in every page before its own scripts; returns an id for remove_script."""
        return self.call("Page.addScriptToEvaluateOnNewDocument", {"source": source})["identifier"]

    def remove_script(self, identifier):
        self.call("Page.removeScriptToEvaluateOnNewDocument", {"identifier": identifier})

    def console_errors(self):
        """Uncaught exceptions and console errors seen since the last navigation."""
        out = []
        for e in self.events:
            if e["method"] == "Runtime.exceptionThrown":
                out.append(e["params"]["exceptionDetails"].get("text", "exception"))
            elif e["method"] == "Runtime.consoleAPICalled" and e["params"].get("type") == "error":
                out.append(" ".join(str(a.get("value", a.get("description", ""))) for a in e["params"]["args"]))
        return out

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})["data"]
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
        return path

    def close(self):
        try:
            if getattr(self, "ws", None):
                self.ws.close()
        except OSError:
            pass
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)  # the group this object started
            except ProcessLookupError:
                pass
        self.proc.wait()
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
