// The viewer page: follows one page's count over its WebSocket, reconnecting with backoff, and
// polls the JSON counter while WebSockets cannot be opened.
// SPDX-License-Identifier: MIT
'use strict';

(() => {
  // Served at /<page>/counter: the live socket is /<page>/live beside it.
  const path = location.pathname;
  const page = decodeURIComponent(path.split('/').slice(-2)[0] || '');
  const live = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + path.replace(/counter$/, 'live');

  const countEl = document.getElementById('count');
  const statusEl = document.getElementById('status');
  document.getElementById('page').textContent = page;
  document.title = page + ' viewers';

  const MIN_DELAY = 250;     // ms before the first reconnect
  const MAX_DELAY = 4000;    // backoff ceiling
  const POLL_AFTER = 3;      // failed opens in a row before polling the JSON counter
  const POLL_EVERY = 1000;   // ms between polls

  let delay = MIN_DELAY;
  let failedOpens = 0;
  let socket = null;
  let pollTimer = null;

  // The state the page shows: live (WebSocket), polling (JSON), or disconnected (neither).
  function setState(state, text) {
    document.body.dataset.state = state;
    statusEl.textContent = text;
  }

  function show(message) {
    if (message && typeof message.count === 'number') countEl.textContent = String(message.count);
  }

  function connect() {
    let opened = false;
    try {
      socket = new WebSocket(live);
    } catch (e) {
      socket = null;
      failedOpens += 1;
      retry();
      return;
    }
    socket.onopen = () => {
      opened = true;
      delay = MIN_DELAY;
      failedOpens = 0;
      stopPolling();
      setState('live', 'live');
    };
    socket.onmessage = (e) => {
      try { show(JSON.parse(e.data)); } catch (_) { /* not a count: ignored */ }
    };
    socket.onclose = () => {
      socket = null;
      if (!opened) failedOpens += 1;
      retry();
    };
  }

  function retry() {
    if (failedOpens >= POLL_AFTER) startPolling();
    if (document.body.dataset.state !== 'polling') setState('disconnected', 'disconnected, reconnecting');
    // Full jitter on top of the exponential delay, so a restarted replica is not hit by every
    // browser in the same instant.
    setTimeout(connect, delay / 2 + Math.random() * delay / 2);
    delay = Math.min(delay * 2, MAX_DELAY);
  }

  async function poll() {
    try {
      const r = await fetch(path, { headers: { Accept: 'application/json' }, cache: 'no-store' });
      if (!r.ok) throw new Error('HTTP ' + r.status);
      show(await r.json());
      if (!socket || socket.readyState !== WebSocket.OPEN) setState('polling', 'polling (no WebSocket)');
    } catch (_) {
      if (!socket || socket.readyState !== WebSocket.OPEN) setState('disconnected', 'disconnected, reconnecting');
    }
  }

  function startPolling() {
    if (pollTimer) return;
    poll();
    pollTimer = setInterval(poll, POLL_EVERY);
  }

  function stopPolling() {
    if (!pollTimer) return;
    clearInterval(pollTimer);
    pollTimer = null;
  }

  connect();
})();
