// The cluster dashboard: the snapshot of GET /cluster, pushed every second over the WebSocket at
// /cluster (polled while WebSockets cannot be opened), with rates and charts kept in the browser.
// SPDX-License-Identifier: MIT
'use strict';

(() => {
  const base = location.pathname.replace(/[^/]*$/, '');  // the dashboard is at <base>, the snapshot at <base>cluster
  const snapshotUrl = base + 'cluster';
  const liveUrl = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + snapshotUrl;

  const WINDOW_SECONDS = 300;  // the charts' span
  const MIN_DELAY = 250, MAX_DELAY = 4000, POLL_AFTER = 3, POLL_EVERY = 1000;

  const $ = (id) => document.getElementById(id);
  const history = new Map();   // page -> [[time ms, count], ...] within the window
  let previous = null;         // the last snapshot, for rates
  let previousAt = 0;

  function setState(state, text) {
    document.body.dataset.state = state;
    $('status').textContent = text;
  }

  function bytes(n) {
    if (n < 1024) return n.toFixed(0) + ' B';
    if (n < 1024 * 1024) return (n / 1024).toFixed(1) + ' KiB';
    return (n / 1024 / 1024).toFixed(1) + ' MiB';
  }

  function duration(s) {
    if (s < 1) return (s * 1000).toFixed(0) + ' ms';
    if (s < 120) return s.toFixed(1) + ' s';
    if (s < 7200) return (s / 60).toFixed(0) + ' min';
    return (s / 3600).toFixed(1) + ' h';
  }

  function cell(row, text, cls) {
    const td = document.createElement('td');
    td.textContent = text;
    if (cls) td.className = cls;
    row.appendChild(td);
    return td;
  }

  // Replaces the rows of table body `id`: one per item, filled by fill(row, item); with no items,
  // one row saying `empty` across every column of the table's head.
  function fillTable(id, items, empty, fill) {
    const body = $(id);
    body.replaceChildren();
    for (const item of items) {
      const row = document.createElement('tr');
      fill(row, item);
      body.appendChild(row);
    }
    if (!items.length) {
      cell(body.appendChild(document.createElement('tr')), empty, 'note').colSpan =
        body.parentElement.querySelector('thead tr').children.length;
    }
  }

  // A sparkline of one page's count: an inline SVG polyline, no library. Its x axis spans the
  // history seen so far (10 s at least, the window at most), so a new chart is not a dot.
  function sparkline(points, now, span) {
    const ns = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('class', 'spark');
    svg.setAttribute('viewBox', '0 0 200 24');
    svg.setAttribute('preserveAspectRatio', 'none');
    const max = Math.max(1, ...points.map((p) => p[1]));
    const line = document.createElementNS(ns, 'polyline');
    line.setAttribute('points', points.map(([t, n]) => {
      const x = 200 - ((now - t) / 1000 / span) * 200;
      const y = 22 - (Math.max(0, n) / max) * 20;
      return x.toFixed(1) + ',' + y.toFixed(1);
    }).join(' '));
    svg.appendChild(line);
    return svg;
  }

  function remember(top, now) {
    const seen = new Set();
    for (const { page, count } of top) {
      seen.add(page);
      if (!history.has(page)) history.set(page, []);
      history.get(page).push([now, count]);
    }
    // Pages that left the top list drop to 0 on their chart; points older than the window go.
    for (const [page, points] of history) {
      if (!seen.has(page)) points.push([now, 0]);
      while (points.length && now - points[0][0] > WINDOW_SECONDS * 1000) points.shift();
      if (!points.length || points.every((p) => p[1] === 0)) history.delete(page);
    }
  }

  // Whether every replica up reports this one's digest, and each replica's last report.
  function renderAgreement(a) {
    const line = $('agreement');
    if (!a.comparable) {
      line.textContent = 'replicas hold the presence shards their viewers follow (NATS interest), so their digests ' +
                         'differ by design; run them with --nats-follow all to compare whole replicas';
      line.className = 'note';
    } else if (!a.settled) {
      line.textContent = 'counts are changing here: waiting for them to hold still';
      line.className = 'note';
    } else if (a.agree) {
      line.textContent = a.up === 1 ? 'no peer is up: this replica agrees with itself'
                                    : 'all ' + a.up + ' replicas up agree';
      line.className = 'agree';
    } else {
      line.textContent = a.differing + ' of ' + (a.up - 1) + ' peers up report other counts (or none yet)';
      line.className = 'disagree';
    }
    document.body.dataset.agree = String(a.agree);
    fillTable('reports', a.replicas, 'no replica has reported yet', (row, r) => {
      row.dataset.replica = String(r.id);
      cell(row, String(r.id));
      cell(row, r.incarnation, 'mono');
      cell(row, r.digest, 'mono');
      cell(row, String(r.viewers), 'num');
      cell(row, String(r.pages), 'num');
      cell(row, duration(r.seconds_since_report) + ' ago', 'num');
      if (!r.up) cell(row, 'down', 'down');
      else cell(row, r.agrees ? 'agrees' : 'differs', r.agrees ? 'agree' : 'disagree');
    });
  }

  function renderTimeline(events) {
    fillTable('timeline', events, 'none since this replica started', (row, e) => {
      cell(row, e.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z'));
      cell(row, e.event);
      cell(row, e.replica === null ? 'unknown' : String(e.replica));
      cell(row, e.previous === null ? e.incarnation : e.previous + ' → ' + e.incarnation, 'mono');
    });
  }

  function render(s) {
    const now = Date.now();
    remember(s.top, now);
    const seconds = previous ? (now - previousAt) / 1000 : 0;
    const rate = (key, get) => {
      if (!previous || seconds <= 0) return null;
      const before = get(previous, key);
      return before === null ? null : Math.max(0, get(s, key) - before) / seconds;
    };

    $('replica').textContent = String(s.replica);
    $('incarnation').textContent = s.incarnation;
    $('uptime').textContent = duration(s.uptime_seconds);
    $('viewers').textContent = String(s.viewers);
    $('pages').textContent = String(s.pages);
    $('local').textContent = String(s.local_sessions);
    $('peers-up').textContent = s.peers_up + ' / ' + s.peers.length;
    const sent = rate(null, (x) => x.bytes_sent);
    $('sent-rate').textContent = sent === null ? '…' : bytes(sent) + '/s';
    $('retirements').textContent = s.retired + ' · ' + s.rejoins;
    $('digest').textContent = s.digest;
    $('window').textContent = String(WINDOW_SECONDS / 60);

    let oldest = now;
    for (const points of history.values()) if (points.length) oldest = Math.min(oldest, points[0][0]);
    const span = Math.min(WINDOW_SECONDS, Math.max(10, (now - oldest) / 1000));
    fillTable('top', s.top, 'no page has viewers', (row, { page, count }) => {
      row.dataset.page = page;
      cell(row, page);
      cell(row, String(count), 'num');
      cell(row, '').appendChild(sparkline(history.get(page) || [], now, span));
    });

    renderAgreement(s.agreement);
    renderTimeline(s.timeline);

    fillTable('peers', s.peers, 'no peers configured', (row, p) => {
      row.dataset.peer = String(p.id);
      cell(row, String(p.id));
      cell(row, p.incarnation === null ? '–' : p.incarnation, 'mono');
      cell(row, p.address);
      cell(row, p.up ? 'up' : 'down', p.up ? 'up' : 'down');
      cell(row, p.last_heard_seconds === null ? 'never' : duration(p.last_heard_seconds) + ' ago', 'num');
      cell(row, p.lag_seconds === null ? '–' : duration(p.lag_seconds), 'num');
      const received = rate(p.id, (x, id) => {
        const q = x.peers.find((y) => y.id === id);
        return q ? q.bytes_received : null;
      });
      cell(row, received === null ? '…' : bytes(received) + '/s', 'num');
    });

    previous = s;
    previousAt = now;
    document.body.dataset.replica = String(s.replica);
    document.body.dataset.viewers = String(s.viewers);
  }

  // The connection: the WebSocket with backoff, and polling while it cannot be opened.
  let delay = MIN_DELAY, failedOpens = 0, socket = null, pollTimer = null;

  function accept(text) {
    try { render(JSON.parse(text)); } catch (_) { /* not a snapshot: ignored */ }
  }

  function connect() {
    let opened = false;
    try {
      socket = new WebSocket(liveUrl);
    } catch (_) {
      socket = null;
      failedOpens += 1;
      retry();
      return;
    }
    socket.onopen = () => {
      opened = true;
      delay = MIN_DELAY;
      failedOpens = 0;
      if (pollTimer) { clearInterval(pollTimer); pollTimer = null; }
      setState('live', 'live');
    };
    socket.onmessage = (e) => accept(e.data);
    socket.onclose = () => {
      socket = null;
      if (!opened) failedOpens += 1;
      retry();
    };
  }

  function retry() {
    if (failedOpens >= POLL_AFTER && !pollTimer) {
      poll();
      pollTimer = setInterval(poll, POLL_EVERY);
    }
    if (document.body.dataset.state !== 'polling') setState('disconnected', 'disconnected, reconnecting');
    setTimeout(connect, delay / 2 + Math.random() * delay / 2);
    delay = Math.min(delay * 2, MAX_DELAY);
  }

  async function poll() {
    const live = () => socket && socket.readyState === WebSocket.OPEN;
    try {
      const r = await fetch(snapshotUrl, { headers: { Accept: 'application/json' }, cache: 'no-store' });
      if (!r.ok) throw new Error('HTTP ' + r.status);
      accept(await r.text());
      if (!live()) setState('polling', 'polling (no WebSocket)');
    } catch (_) {
      if (!live()) setState('disconnected', 'disconnected, reconnecting');
    }
  }

  connect();
})();
