// Vigil console UI: a hash-routed single page over the JSON query API (/api/...).
// No framework and no build step: DOM is built with h(), never from HTML strings, so stored
// telemetry can never inject markup.

const view = document.getElementById('view');
let stopCurrent = () => {};

// ---- helpers ----

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'style') el.style.cssText = v; // CSSOM, allowed by the page's CSP (a style attribute is not)
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat(Infinity)) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const c of children.flat(Infinity)) {
    if (c == null) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

async function api(path, params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v != null && v !== '') q.set(k, v);
  const url = '/api/' + path + (q.toString() ? '?' + q : '');
  const r = await fetch(url, { credentials: 'same-origin' });
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(body.detail || body.title || ('HTTP ' + r.status));
  return body;
}

function fmtDuration(ms) {
  if (ms < 1) return (ms * 1000).toFixed(0) + ' µs';
  if (ms < 1000) return ms.toFixed(ms < 10 ? 2 : 1) + ' ms';
  return (ms / 1000).toFixed(2) + ' s';
}

function fmtTime(ms) {
  const d = new Date(ms);
  return d.toLocaleTimeString([], { hour12: false }) + '.' + String(d.getMilliseconds()).padStart(3, '0');
}

function fmtBytes(n) {
  if (n < 1024) return n + ' B';
  if (n < 1 << 20) return (n / 1024).toFixed(1) + ' KiB';
  return (n / (1 << 20)).toFixed(1) + ' MiB';
}

function fmtValue(v) {
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function route() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, query] = raw.split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { parts, params: new URLSearchParams(query || '') };
}

function hashFor(path, params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v != null && v !== '') q.set(k, v);
  return '#/' + path + (q.toString() ? '?' + q : '');
}

function kvList(obj) {
  const keys = Object.keys(obj || {}).sort();
  if (!keys.length) return h('p', { class: 'muted' }, 'none');
  return h('dl', { class: 'kv' }, keys.map((k) => [h('dt', {}, k), h('dd', { class: 'mono' }, fmtValue(obj[k]))]));
}

// An exception event: type and message first, the stack trace as preformatted text, other attributes below.
function exceptionView(attrs) {
  const { 'exception.type': type, 'exception.message': message, 'exception.stacktrace': stack, ...rest } = attrs || {};
  return h('div', { class: 'exception' },
    h('div', { class: 'error' }, [type, message].filter((x) => x != null).join(': ')),
    stack ? h('pre', { class: 'stack mono' }, stack) : null,
    Object.keys(rest).length ? kvList(rest) : null);
}

function showError(e) {
  view.replaceChildren(h('p', { class: 'error' }, 'Error: ' + e.message));
}

// Parses "k=v, k2=v2" into { 'attr.k': 'v', ... }.
function attrParams(text, prefix) {
  const out = {};
  for (const part of (text || '').split(',')) {
    const i = part.indexOf('=');
    if (i > 0) out[prefix + part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return out;
}

// ---- traces ----

async function tracesView(params) {
  const f = Object.fromEntries(params);
  const form = h('form', { class: 'filters', id: 'trace-filters' },
    h('label', {}, 'Service', h('input', { name: 'service', value: f.service || '' })),
    h('label', {}, 'Span name', h('input', { name: 'name', value: f.name || '', size: 28 })),
    h('label', {}, 'Min ms', h('input', { name: 'minDurationMs', value: f.minDurationMs || '', size: 6 })),
    h('label', {}, 'Max ms', h('input', { name: 'maxDurationMs', value: f.maxDurationMs || '', size: 6 })),
    h('label', {}, 'Status', h('select', { name: 'status' },
      ['', 'ok', 'error', 'unset'].map((s) => h('option', { value: s, selected: (f.status || '') === s }, s || 'any')))),
    h('label', {}, 'Attributes (k=v, …)', h('input', { name: 'attrs', value: f.attrs || '', size: 28 })),
    h('button', { type: 'submit' }, 'Search'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    location.hash = hashFor('traces', Object.fromEntries(new FormData(form)));
  });
  const results = h('div', {}, h('p', { class: 'muted' }, 'Searching…'));
  view.replaceChildren(form, results);
  const { attrs, ...rest } = f;
  const data = await api('traces', { ...rest, ...attrParams(attrs, 'attr.'), limit: 100 });
  if (!data.traces.length) {
    results.replaceChildren(h('p', { class: 'muted' }, 'No traces match. Point an OTLP exporter at this console (OTLP/HTTP on this port, /v1/traces).'));
    return;
  }
  const maxDur = Math.max(...data.traces.map((t) => t.durationMs), 0.001);
  results.replaceChildren(h('table', { id: 'trace-list' },
    h('thead', {}, h('tr', {}, ['Start', 'Root span', 'Services', 'Spans', 'Errors', 'Duration', ''].map((c) => h('th', {}, c)))),
    h('tbody', {}, data.traces.map((t) => h('tr', {
      class: 'clickable trace-row', 'data-trace-id': t.traceId,
      onclick: () => { location.hash = hashFor('trace/' + t.traceId); },
    },
    h('td', { class: 'mono' }, fmtTime(t.startMs)),
    h('td', {}, h('a', { href: hashFor('trace/' + t.traceId), class: 'trace-link' }, t.rootName || '(missing root)')),
    h('td', {}, t.services.join(', ')),
    h('td', {}, t.spanCount),
    h('td', { class: t.errorCount ? 'error' : 'muted' }, t.errorCount),
    h('td', {}, fmtDuration(t.durationMs)),
    h('td', { style: 'width:20%' }, h('div', { class: 'durbar', style: `width:${(100 * t.durationMs) / maxDur}%` })))))));
}

// ---- one trace: waterfall, span details, its logs ----

// The metrics of a span's operation, by the contract's naming: auth.* spans feed authentication_*,
// token.* token_operation*, HTTP server spans http_request*, database spans database_operation*.
function metricsLinkFor(span) {
  const a = span.attributes || {};
  const head = span.name.split('.')[0];
  const byPrefix = {
    auth: ['authentication', { auth_type: a['auth.type'] }],
    user: ['user_operation', { operation_type: a['user.operation.type'] }],
    token: ['token_operation', { operation_type: a['token.operation.type'], token_type: a['token.type'] }],
    password: ['password_operation', { operation_type: a['password.operation.type'] }],
    authz: ['authorization_checks', { resource: a['authz.resource'], action: a['authz.action'] }],
    security: ['security_events', { event_type: a['security.event.type'] }],
  };
  let q; let labels = {};
  if (byPrefix[head]) [q, labels] = byPrefix[head];
  else if (span.kind === 'server' && (a['http.request.method'] || a['http.method'])) {
    q = 'http_request';
    labels = { method: a['http.request.method'] || a['http.method'], endpoint: a['http.route'] };
  } else if (a['db.system'] || a['db.system.name']) q = 'database_operation';
  else q = head.split(' ')[0];
  const params = { q, service: span.service };
  for (const [k, v] of Object.entries(labels)) if (v != null) params['label.' + k] = v;
  return hashFor('metrics', params);
}

async function traceView(traceId, params) {
  const [trace, logs] = await Promise.all([
    api('traces/' + encodeURIComponent(traceId)),
    api('logs', { traceId, limit: 500 }),
  ]);
  const spans = trace.spans;
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const children = new Map();
  const roots = [];
  for (const s of spans) {
    if (s.parentSpanId && byId.has(s.parentSpanId)) {
      if (!children.has(s.parentSpanId)) children.set(s.parentSpanId, []);
      children.get(s.parentSpanId).push(s);
    } else roots.push(s);
  }
  const ordered = [];
  const walk = (s, depth) => {
    ordered.push([s, depth]);
    for (const c of children.get(s.spanId) || []) walk(c, depth + 1);
  };
  roots.forEach((r) => walk(r, 0));

  const total = Math.max(trace.durationMs, 0.001);
  const logsBySpan = new Map();
  for (const l of logs.logs) logsBySpan.set(l.spanId, (logsBySpan.get(l.spanId) || 0) + 1);

  const details = h('div', { class: 'panel', id: 'span-details' }, h('p', { class: 'muted' }, 'Select a span.'));
  const rows = ordered.map(([s, depth]) => h('div', {
    class: 'span-row', 'data-span-id': s.spanId, 'data-span-name': s.name,
    onclick: () => select(s.spanId),
  },
  h('div', { class: 'span-name', style: `padding-left:${depth * 14}px`, title: s.name },
    s.name, ' ', h('span', { class: 'muted' }, s.service), logsBySpan.get(s.spanId) ? h('span', { class: 'muted' }, ` · ${logsBySpan.get(s.spanId)} log`) : null),
  h('div', { class: 'span-track' }, h('div', {
    class: 'span-bar' + (s.status === 'error' ? ' error' : ''),
    style: `left:${(100 * s.offsetMs) / total}%;width:${(100 * s.durationMs) / total}%`,
  })),
  h('div', { class: 'span-dur' }, fmtDuration(s.durationMs))));

  function select(spanId) {
    const s = byId.get(spanId);
    if (!s) return;
    for (const r of rows) r.classList.toggle('selected', r.dataset.spanId === spanId);
    details.replaceChildren(
      h('h3', {}, s.name),
      h('dl', { class: 'kv' },
        h('dt', {}, 'service'), h('dd', {}, s.service),
        h('dt', {}, 'kind'), h('dd', {}, s.kind),
        h('dt', {}, 'status'), h('dd', { class: s.status === 'error' ? 'error' : '' }, s.status + (s.statusMessage ? ': ' + s.statusMessage : '')),
        h('dt', {}, 'duration'), h('dd', {}, fmtDuration(s.durationMs)),
        h('dt', {}, 'span id'), h('dd', { class: 'mono' }, s.spanId),
        h('dt', {}, 'scope'), h('dd', {}, s.scope || '')),
      h('p', { class: 'links' },
        h('a', { href: hashFor('logs', { traceId: s.traceId, spanId: s.spanId }), class: 'span-logs-link' }, 'Logs of this span'),
        h('a', { href: metricsLinkFor(s), class: 'span-metrics-link' }, 'Metrics of this operation')),
      h('h4', {}, 'Attributes'), kvList(s.attributes),
      h('h4', {}, 'Events'),
      // One container: replaceChildren() does not flatten arrays (an array became "[object HTMLDivElement]").
      s.events.length
        ? h('div', { id: 'span-events' }, s.events.map((e) => h('div', { class: 'span-event' },
          h('strong', {}, e.name), ' ', h('span', { class: 'muted' }, '+' + fmtDuration(e.offsetMs)),
          e.name === 'exception' ? exceptionView(e.attributes) : kvList(e.attributes))))
        : h('p', { class: 'muted' }, 'none'),
      h('h4', {}, 'Links'),
      s.links.length
        ? h('div', { id: 'span-links' }, s.links.map((l) => h('div', { class: 'span-link' },
          h('a', { href: hashFor('trace/' + l.traceId, { span: l.spanId }), class: 'mono' },
            (l.traceId === s.traceId ? 'this trace' : 'trace ' + l.traceId.slice(0, 8) + '…') + ' · span ' + l.spanId),
          kvList(l.attributes))))
        : h('p', { class: 'muted' }, 'none'),
      h('h4', {}, 'Resource'), kvList(s.resource));
  }

  const logTable = h('table', { id: 'trace-logs' },
    h('thead', {}, h('tr', {}, ['Time', 'Level', 'Message', 'Span'].map((c) => h('th', {}, c)))),
    h('tbody', {}, logs.logs.slice().reverse().map((l) => h('tr', {},
      h('td', { class: 'mono' }, fmtTime(l.timeMs)),
      h('td', { class: 'level-' + l.level }, l.level),
      h('td', {}, l.body),
      h('td', {}, byId.has(l.spanId)
        ? h('a', { href: '#', class: 'log-span-link', onclick: (ev) => { ev.preventDefault(); select(l.spanId); } }, byId.get(l.spanId).name)
        : h('span', { class: 'muted mono' }, l.spanId))))));

  view.replaceChildren(
    h('div', { class: 'trace-head' },
      h('h2', { id: 'trace-title' }, trace.rootName || traceId),
      h('span', { class: 'mono muted' }, traceId),
      h('span', {}, fmtDuration(trace.durationMs)),
      h('span', {}, trace.spanCount + ' spans'),
      trace.errorCount ? h('span', { class: 'error' }, trace.errorCount + ' errors') : null,
      h('a', { href: hashFor('logs', { traceId }), id: 'trace-logs-link' }, 'All logs of this trace')),
    h('div', { class: 'split' },
      h('div', { class: 'waterfall', id: 'waterfall' }, rows),
      details),
    h('h3', {}, `Logs (${logs.logs.length})`),
    logs.logs.length ? logTable : h('p', { class: 'muted' }, 'No log records carry this trace id.'));
  const wanted = params.get('span');
  if (wanted && byId.has(wanted)) {
    select(wanted);
    rows.find((r) => r.dataset.spanId === wanted)?.classList.add('highlight');
  } else if (roots.length) select(roots[0].spanId);
}

// ---- logs with live tail ----

async function logsView(params) {
  const f = Object.fromEntries(params);
  const form = h('form', { class: 'filters', id: 'log-filters' },
    h('label', {}, 'Service', h('input', { name: 'service', value: f.service || '' })),
    h('label', {}, 'Level', h('select', { name: 'level' },
      ['', 'trace', 'debug', 'info', 'warn', 'error', 'fatal'].map((s) => h('option', { value: s, selected: (f.level || '') === s }, s || 'any')))),
    h('label', {}, 'Text', h('input', { name: 'q', value: f.q || '', size: 24 })),
    h('label', {}, 'Attributes (k=v, …)', h('input', { name: 'attrs', value: f.attrs || '', size: 24 })),
    h('label', {}, 'Trace id', h('input', { name: 'traceId', value: f.traceId || '', size: 34, class: 'mono' })),
    f.spanId ? h('input', { type: 'hidden', name: 'spanId', value: f.spanId }) : null,
    h('button', { type: 'submit' }, 'Search'),
    h('label', {}, 'Live tail', h('input', { type: 'checkbox', id: 'live-tail', checked: f.tail !== 'off' })));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    location.hash = hashFor('logs', Object.fromEntries(new FormData(form)));
  });
  const tbody = h('tbody', {});
  const table = h('table', { id: 'log-list' },
    h('thead', {}, h('tr', {}, ['Time', 'Level', 'Service', 'Message', 'Trace'].map((c) => h('th', {}, c)))), tbody);
  const status = h('p', { class: 'muted' });
  view.replaceChildren(form, status, table);

  const { attrs, tail, ...rest } = f;
  const query = { ...rest, ...attrParams(attrs, 'attr.') };
  const row = (l) => h('tr', { class: 'log-row', 'data-seq': l.seq },
    h('td', { class: 'mono' }, fmtTime(l.timeMs)),
    h('td', { class: 'level-' + l.level }, l.level),
    h('td', {}, l.service),
    h('td', {}, l.body, Object.keys(l.attributes).length ? h('div', { class: 'muted mono' },
      Object.entries(l.attributes).map(([k, v]) => `${k}=${fmtValue(v)}`).join('  ')) : null),
    h('td', {}, l.traceId
      ? h('a', { href: hashFor('trace/' + l.traceId, { span: l.spanId }), class: 'log-trace-link mono' }, l.traceId.slice(0, 8) + '…')
      : h('span', { class: 'muted' }, '—')));

  const first = await api('logs', { ...query, limit: 500 });
  let latest = first.latestSeq;
  tbody.replaceChildren(...first.logs.map(row));
  status.textContent = first.logs.length ? `${first.logs.length} log records (newest first)` : 'No log records match.';

  let timer = null;
  const poll = async () => {
    if (!document.getElementById('live-tail')?.checked) return;
    try {
      const next = await api('logs', { ...query, afterSeq: latest, limit: 500 });
      latest = Math.max(latest, next.latestSeq);
      if (next.logs.length) {
        tbody.prepend(...next.logs.map(row));
        while (tbody.children.length > 2000) tbody.lastChild.remove();
        status.textContent = `${tbody.children.length} log records (newest first, live)`;
      }
    } catch (e) { status.textContent = 'Tail paused: ' + e.message; }
  };
  timer = setInterval(poll, 1000);
  stopCurrent = () => clearInterval(timer);
}

// ---- metrics ----

const COLORS = ['#4da3ff', '#4cc38a', '#f2c14e', '#ff6b6b', '#b48cff', '#5fd3d3', '#ff9f5a', '#c0c0c0'];

function chart(series, unit) {
  const W = 800; const H = 260; const L = 60; const R = 10; const T = 10; const B = 24;
  const pts = series.flatMap((s) => s.points);
  if (!pts.length) return h('p', { class: 'muted' }, 'No points in range.');
  const xs = pts.map((p) => p[0]); const ys = pts.map((p) => p[1]);
  let x0 = Math.min(...xs); let x1 = Math.max(...xs);
  if (x1 === x0) { x0 -= 30000; x1 += 30000; }
  let y0 = Math.min(0, ...ys); let y1 = Math.max(...ys);
  if (y1 === y0) y1 = y0 + 1;
  const sx = (x) => L + ((x - x0) / (x1 - x0)) * (W - L - R);
  const sy = (y) => H - B - ((y - y0) / (y1 - y0)) * (H - T - B);
  const grid = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const y = y0 + f * (y1 - y0);
    return [svg('line', { x1: L, x2: W - R, y1: sy(y), y2: sy(y), stroke: '#2a323c' }),
      svg('text', { x: L - 6, y: sy(y) + 4, 'text-anchor': 'end' }, +y.toPrecision(3) + (unit ? '' : ''))];
  });
  const lines = series.map((s, i) => {
    const color = COLORS[i % COLORS.length];
    const d = s.points.map((p) => `${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join(' ');
    return [svg('polyline', { points: d, fill: 'none', stroke: color, 'stroke-width': 2 }),
      s.points.map((p) => svg('circle', { cx: sx(p[0]), cy: sy(p[1]), r: 2.5, fill: color },
        svg('title', {}, `${fmtTime(p[0])}  ${+p[1].toPrecision(4)}`)))];
  });
  return svg('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none' }, grid, lines,
    svg('text', { x: L, y: H - 6 }, fmtTime(x0)), svg('text', { x: W - R, y: H - 6, 'text-anchor': 'end' }, fmtTime(x1)));
}

async function metricsView(params) {
  const f = Object.fromEntries(params);
  const labelFilters = {};
  for (const [k, v] of params) if (k.startsWith('label.')) labelFilters[k] = v;
  const form = h('form', { class: 'filters', id: 'metric-filters' },
    h('label', {}, 'Metric name contains', h('input', { name: 'q', value: f.q || '' })),
    h('label', {}, 'Service', h('input', { name: 'service', value: f.service || '' })),
    h('label', {}, 'Labels (k=v, …)', h('input', { name: 'labels', value: Object.entries(labelFilters).map(([k, v]) => k.slice(6) + '=' + v).join(', '), size: 30 })),
    h('button', { type: 'submit' }, 'Show'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const d = Object.fromEntries(new FormData(form));
    const { labels, ...rest } = d;
    location.hash = hashFor('metrics', { ...rest, name: f.name, ...attrParams(labels, 'label.') });
  });
  const list = h('div', { class: 'metric-list', id: 'metric-list' });
  const charts = h('div', { id: 'metric-charts' });
  view.replaceChildren(form, h('div', { class: 'metrics-layout' }, list, charts));

  const { metrics } = await api('metrics', { q: f.q, service: f.service });
  if (!metrics.length) {
    list.replaceChildren(h('p', { class: 'muted' }, 'No metrics match.'));
    return;
  }
  const selected = f.name && metrics.some((m) => m.name === f.name) ? [f.name] : metrics.slice(0, 4).map((m) => m.name);
  list.replaceChildren(...metrics.map((m) => h('a', {
    href: hashFor('metrics', { ...f, name: m.name }), class: selected.includes(m.name) ? 'selected' : '',
  }, m.name, h('span', { class: 'type' }, m.type + (m.unit ? ' · ' + m.unit : '')))));

  const draw = async () => {
    const blocks = await Promise.all(selected.map(async (name) => {
      const data = await api('metrics/' + encodeURIComponent(name) + '/series', { service: f.service, ...labelFilters });
      const what = { counter: 'rate per second', histogram: 'quantiles', summary: 'quantiles' }[data.type] || 'value';
      return h('div', { class: 'chart-block', 'data-metric': name },
        h('h3', {}, name, ' ', h('span', { class: 'muted' }, `${data.type} · ${what}${data.unit ? ' · ' + data.unit : ''}`)),
        data.description ? h('p', { class: 'muted' }, data.description) : null,
        chart(data.series, data.unit),
        h('div', { class: 'legend' }, data.series.map((s, i) => h('span', {},
          h('i', { style: `background:${COLORS[i % COLORS.length]}` }),
          [s.stat, s.service, ...Object.entries(s.labels).map(([k, v]) => `${k}=${v}`)].join(' ')))));
    }));
    charts.replaceChildren(...blocks);
  };
  await draw();
  const timer = setInterval(() => draw().catch(() => {}), 5000);
  stopCurrent = () => clearInterval(timer);
}

// ---- shell ----

async function refreshStats() {
  try {
    const s = await api('stats');
    document.getElementById('stats').textContent =
      `${s.traces} traces · ${s.spans} spans · ${s.logs} logs · ${s.points} points · ${fmtBytes(s.storedBytes)} of ${fmtBytes(s.maxBytes)}` +
      (s.droppedRequests ? ` · ${s.droppedRequests} dropped` : '');
  } catch (e) { /* the next tick retries */ }
}

async function render() {
  stopCurrent();
  stopCurrent = () => {};
  const { parts, params } = route();
  const name = parts[0] || 'traces';
  for (const a of document.querySelectorAll('nav a')) {
    a.classList.toggle('active', a.dataset.view === (name === 'trace' ? 'traces' : name));
  }
  try {
    if (name === 'trace' && parts[1]) await traceView(parts[1], params);
    else if (name === 'logs') await logsView(params);
    else if (name === 'metrics') await metricsView(params);
    else await tracesView(params);
  } catch (e) { showError(e); }
}

window.addEventListener('hashchange', render);
render();
refreshStats();
setInterval(refreshStats, 3000);
