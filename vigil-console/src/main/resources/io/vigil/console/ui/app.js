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

// Replaces an element's children. Arrays are flattened and null/false dropped, as h() does: the DOM's
// replaceChildren() turns an array into the text "[object HTMLDivElement],…" (the span events bug).
function fill(el, ...children) {
  el.replaceChildren(...children.flat(Infinity).filter((c) => c != null && c !== false)
    .map((c) => (c instanceof Node ? c : document.createTextNode(String(c)))));
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
  const body = await r.text().then(parseJson).catch(() => ({}));
  if (!r.ok) throw Object.assign(new Error(body.detail || body.title || ('HTTP ' + r.status)), { status: r.status });
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

// An int64 attribute past 2^53 would lose digits as a JavaScript number (2^53 + 1 shown as 2^53): an integer the
// number cannot hold is kept exact as a BigInt, read from the JSON text itself.
function parseJson(text) {
  return JSON.parse(text, (k, v, ctx) => (typeof v === 'number' && !Number.isSafeInteger(v)
    && ctx && /^-?[0-9]+$/.test(ctx.source) ? BigInt(ctx.source) : v));
}

function fmtValue(v) {
  return typeof v === 'object'
    ? JSON.stringify(v, (k, x) => (typeof x === 'bigint' ? JSON.rawJSON(String(x)) : x))
    : String(v);
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

// What the sender's span limits dropped before export: the list above it is not all the span had.
function dropped(span, what, noun) {
  const n = span.dropped ? span.dropped[what] : 0;
  return n ? h('p', { class: 'muted dropped', 'data-dropped': what }, '+' + plural(n, noun) + ' dropped by the sender\'s limits') : null;
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
  fill(view, h('p', { class: 'error' }, 'Error: ' + e.message));
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

// "1 error", "2 errors".
function plural(n, one, many = one + 's') {
  return `${n} ${n === 1 ? one : many}`;
}

const RANGES = { '5m': 5 * 60e3, '15m': 15 * 60e3, '1h': 3600e3, '6h': 6 * 3600e3, '24h': 24 * 3600e3 };

// The start/end (epoch ms) of a range choice: relative to now, or the custom inputs.
function rangeParams(f) {
  if (RANGES[f.range]) return { start: Date.now() - RANGES[f.range] };
  if (f.range === 'custom') {
    const toMs = (v) => (v ? new Date(v).getTime() : null);
    return { start: toMs(f.from), end: toMs(f.to) };
  }
  return {};
}

// Duration over time, one dot per trace (Jaeger's search view); a click opens the trace.
function scatter(traces) {
  const W = 900; const H = 160; const L = 60; const R = 10; const T = 8; const B = 22;
  const xs = traces.map((t) => t.startMs); const ys = traces.map((t) => t.durationMs);
  let x0 = Math.min(...xs); let x1 = Math.max(...xs);
  if (x1 === x0) { x0 -= 1000; x1 += 1000; }
  const y1 = Math.max(...ys) * 1.1 || 1;
  const sx = (x) => L + ((x - x0) / (x1 - x0)) * (W - L - R);
  const sy = (y) => H - B - (y / y1) * (H - T - B);
  const axes = [0, 0.5, 1].map((f) => svg('text', { x: L - 6, y: sy(f * y1) + 4, 'text-anchor': 'end' }, fmtDuration(f * y1)));
  const times = [0, 0.5, 1].map((f) => svg('text', { x: sx(x0 + f * (x1 - x0)), y: H - 6, 'text-anchor': f === 0 ? 'start' : f === 1 ? 'end' : 'middle' }, fmtTime(x0 + f * (x1 - x0))));
  const dots = traces.map((t) => svg('circle', {
    class: 'dot' + (t.errorCount ? ' error' : ''), cx: sx(t.startMs), cy: sy(t.durationMs), r: 5, 'data-trace-id': t.traceId,
  }, svg('title', {}, `${t.rootName} · ${fmtDuration(t.durationMs)} · ${fmtTime(t.startMs)}`)));
  const el = svg('svg', { class: 'scatter', id: 'trace-scatter', viewBox: `0 0 ${W} ${H}` },
    svg('line', { x1: L, x2: W - R, y1: H - B, y2: H - B, stroke: '#2a323c' }), axes, times, dots);
  el.addEventListener('click', (ev) => {
    const id = ev.target.getAttribute && ev.target.getAttribute('data-trace-id');
    if (id) location.hash = hashFor('trace/' + id);
  });
  return el;
}

function traceRow(t, maxDur) {
  return h('tr', {
    class: 'clickable trace-row', 'data-trace-id': t.traceId,
    onclick: () => { location.hash = hashFor('trace/' + t.traceId); },
  },
  h('td', { class: 'mono' }, fmtTime(t.startMs)),
  h('td', {}, h('a', { href: hashFor('trace/' + t.traceId), class: 'trace-link' }, t.rootName || '(missing root)')),
  h('td', {}, t.services.join(', ')),
  h('td', {}, plural(t.spanCount, 'span')),
  h('td', { class: t.errorCount ? 'error' : 'muted' }, t.errorCount ? plural(t.errorCount, 'error') : 'no errors'),
  h('td', {}, fmtDuration(t.durationMs)),
  h('td', { style: 'width:16%' }, h('div', { class: 'durbar', style: `width:${Math.max(1, (100 * t.durationMs) / maxDur)}%` })));
}

async function tracesView(params) {
  const f = Object.fromEntries(params);
  const range = f.range || 'all';
  const custom = h('span', { class: 'custom-range' + (range === 'custom' ? '' : ' hidden') },
    h('label', {}, 'From', h('input', { type: 'datetime-local', name: 'from', value: f.from || '', step: 1 })),
    h('label', {}, 'To', h('input', { type: 'datetime-local', name: 'to', value: f.to || '', step: 1 })));
  const rangeSelect = h('select', { name: 'range', id: 'trace-range' },
    [['5m', 'Last 5 minutes'], ['15m', 'Last 15 minutes'], ['1h', 'Last hour'], ['6h', 'Last 6 hours'], ['24h', 'Last 24 hours'], ['all', 'All stored'], ['custom', 'Custom…']]
      .map(([v, label]) => h('option', { value: v, selected: range === v }, label)));
  rangeSelect.addEventListener('change', () => custom.classList.toggle('hidden', rangeSelect.value !== 'custom'));
  const form = h('form', { class: 'filters', id: 'trace-filters' },
    h('label', {}, 'Service', h('input', { name: 'service', value: f.service || '' })),
    h('label', {}, 'Root span', h('input', { name: 'rootName', value: f.rootName || '', size: 24 })),
    h('label', {}, 'Any span named', h('input', { name: 'name', value: f.name || '', size: 24 })),
    h('label', {}, 'Status', h('select', { name: 'status' },
      ['', 'ok', 'error', 'unset'].map((s) => h('option', { value: s, selected: (f.status || '') === s }, s || 'any')))),
    h('label', {}, 'Trace ≥ ms', h('input', { name: 'minDurationMs', value: f.minDurationMs || '', size: 6 })),
    h('label', {}, 'Trace ≤ ms', h('input', { name: 'maxDurationMs', value: f.maxDurationMs || '', size: 6 })),
    h('label', {}, 'Attributes (k=v, …)', h('input', { name: 'attrs', value: f.attrs || '', size: 22 })),
    h('label', {}, 'Time range', rangeSelect), custom,
    h('label', {}, 'Sort', h('select', { name: 'sort', id: 'trace-sort' },
      [['start', 'Newest first'], ['duration', 'Longest first']].map(([v, label]) => h('option', { value: v, selected: (f.sort || 'start') === v }, label)))),
    f.limit ? h('input', { type: 'hidden', name: 'limit', value: f.limit }) : null,
    h('button', { type: 'submit' }, 'Search'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    location.hash = hashFor('traces', Object.fromEntries(new FormData(form)));
  });
  const results = h('div', {}, h('p', { class: 'muted' }, 'Searching…'));
  fill(view, form, results);
  const { attrs, range: _r, from, to, ...rest } = f;
  const query = { ...rest, ...attrParams(attrs, 'attr.'), ...rangeParams(f), limit: f.limit || 50 };
  const data = await api('traces', query);
  if (!data.traces.length) {
    const filtered = Object.keys(f).some((k) => f[k] && k !== 'sort' && k !== 'limit' && !(k === 'range' && f[k] === 'all'));
    fill(results, h('div', { class: 'empty', id: 'traces-empty' },
      filtered
        ? h('p', {}, 'No traces match these filters. Widen the time range or clear a filter.')
        : [h('p', {}, 'No traces yet.'), h('p', { class: 'muted' }, 'Point an OTLP exporter at this console: OTLP/HTTP on this port (/v1/traces) or OTLP/gRPC.')]));
    return;
  }
  const all = [...data.traces];
  let maxDur = Math.max(...all.map((t) => t.durationMs), 0.001);
  const tbody = h('tbody', {}, all.map((t) => traceRow(t, maxDur)));
  const count = h('p', { class: 'muted', id: 'trace-count' });
  const plot = h('div', {}, scatter(all));
  const more = h('button', { id: 'load-more', type: 'button' }, 'Load more');
  let cursor = data.nextCursor;
  const showCount = () => {
    count.textContent = `${plural(all.length, 'trace')} shown` + (cursor ? ', more available' : '');
    more.classList.toggle('hidden', !cursor);
  };
  more.addEventListener('click', async () => {
    let next;
    try {
      next = await api('traces', { ...query, cursor });
    } catch (e) { count.textContent = 'Could not load more traces: ' + e.message; return; }
    cursor = next.nextCursor;
    all.push(...next.traces);
    maxDur = Math.max(maxDur, ...next.traces.map((t) => t.durationMs));
    tbody.append(...next.traces.map((t) => traceRow(t, maxDur)));
    fill(plot, scatter(all));
    showCount();
  });
  showCount();
  fill(results, plot, count, h('table', { id: 'trace-list' },
    h('thead', {}, h('tr', {}, ['Start', 'Root span', 'Services', 'Spans', 'Errors', 'Duration', ''].map((c) => h('th', {}, c)))),
    tbody), more);
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

// The critical path: from the root, the child that finished last, then the one that finished before that child
// started, and so on, recursively — the spans whose time the trace's duration is made of.
function criticalPath(roots, children) {
  const on = new Set();
  // Without recursion (a deep trace overflowed the stack): which children a span puts on the path depends on it
  // alone, so the order they are visited in does not matter. Each span object is visited once.
  const visited = new Set();
  const stack = [...roots];
  while (stack.length) {
    const s = stack.pop();
    if (visited.has(s)) continue;
    visited.add(s);
    on.add(s.spanId);
    let t = s.offsetMs + s.durationMs;
    const kids = [...(children.get(s.spanId) || [])].sort((a, b) => (b.offsetMs + b.durationMs) - (a.offsetMs + a.durationMs));
    for (const c of kids) {
      if (c.offsetMs + c.durationMs <= t + 1e-6) {
        stack.push(c);
        t = c.offsetMs;
      }
    }
  }
  return on;
}

// Tick positions for a ruler over [0, total] ms.
function ticks(total, n = 5) {
  return Array.from({ length: n }, (_, i) => (total * i) / (n - 1));
}

async function traceView(traceId, params) {
  let trace;
  try {
    trace = await api('traces/' + encodeURIComponent(traceId));
  } catch (e) {
    if (e.status !== 404) throw e;
    fill(view, h('div', { class: 'empty', id: 'trace-missing' },
      h('p', {}, `Trace ${traceId.slice(0, 8)}… is not stored.`),
      h('p', { class: 'muted' }, 'It may have been evicted (the store keeps the newest data within its size bound) or not have arrived yet.'),
      h('p', {}, h('a', { href: hashFor('traces') }, 'Back to the traces'), ' · ',
        h('a', { href: hashFor('logs', { traceId }) }, 'Its logs, if any'))));
    return;
  }
  const logs = await api('logs', { traceId, limit: 1000 });
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
  // Depth first, without recursion and without each row's list of ancestors: a chain of 10,000 spans overflowed the
  // call stack (the trace did not show), and its ancestor lists grew with the square of its depth. A span object is
  // walked once, so spans repeating a span id cannot loop.
  const ordered = [];
  const walked = new Set();
  const stack = roots.map((r) => [r, 0]).reverse();
  while (stack.length) {
    const [s, depth] = stack.pop();
    if (walked.has(s)) continue;
    walked.add(s);
    ordered.push([s, depth]);
    const kids = children.get(s.spanId) || [];
    for (let i = kids.length - 1; i >= 0; i--) stack.push([kids[i], depth + 1]);
  }

  const total = Math.max(trace.durationMs, 0.001);
  const traceStart = trace.startMs;
  const pct = (ms) => `${Math.min(100, Math.max(0, (100 * ms) / total))}%`;
  const logsBySpan = new Map();
  for (const l of [...logs.logs].reverse()) {
    if (!logsBySpan.has(l.spanId)) logsBySpan.set(l.spanId, []);
    logsBySpan.get(l.spanId).push(l);
  }
  const critical = criticalPath(roots, children);
  const collapsed = new Set();

  const details = h('div', { class: 'panel', id: 'span-details' }, h('p', { class: 'muted' }, 'Select a span.'));
  const rows = [];
  const lines = [];
  for (const [s, depth] of ordered) {
    const kids = children.get(s.spanId) || [];
    const spanLogs = logsBySpan.get(s.spanId) || [];
    const toggle = kids.length
      ? h('button', {
        type: 'button', class: 'toggle', title: 'Collapse or expand this subtree',
        onclick: (ev) => { ev.stopPropagation(); collapse(s.spanId); },
      }, '▾')
      : h('span', { class: 'toggle-space' });
    const markers = [
      ...s.events.map((e) => h('div', {
        class: 'event-marker' + (e.name === 'exception' ? ' error' : ''),
        style: `left:${pct(e.offsetMs)}`, title: `${e.name} at +${fmtDuration(e.offsetMs)}`,
      })),
      ...spanLogs.map((l) => h('div', {
        class: 'log-marker level-' + l.level,
        style: `left:${pct(l.timeMs - traceStart)}`, title: `${l.level} ${l.body}`,
      })),
    ];
    const row = h('div', {
      class: 'span-row' + (critical.has(s.spanId) ? ' critical' : ''), 'data-span-id': s.spanId, 'data-span-name': s.name,
      'data-depth': depth, onclick: () => select(s.spanId),
    },
    h('div', { class: 'span-name', style: `padding-left:${depth * 14}px`, title: s.name },
      toggle, s.name, ' ', h('span', { class: 'muted' }, s.service),
      s.links.length ? h('span', { class: 'muted', title: plural(s.links.length, 'link') }, ' ⛓') : null,
      spanLogs.length ? h('span', { class: 'muted' }, ` · ${plural(spanLogs.length, 'log')}`) : null),
    h('div', { class: 'span-track' }, h('div', {
      class: 'span-bar' + (s.status === 'error' ? ' error' : ''),
      style: `left:${pct(s.offsetMs)};width:${pct(s.durationMs)}`,
    }), markers),
    h('div', { class: 'span-dur' }, fmtDuration(s.durationMs)));
    rows.push(row);
    lines.push(row);
    // The span's own log lines, right under it.
    for (const l of spanLogs) {
      lines.push(h('div', { class: 'span-log', 'data-span-id': s.spanId, 'data-depth': depth + 1 },
        h('div', { class: 'span-name mono', style: `padding-left:${depth * 14 + 26}px` },
          h('span', { class: 'level-' + l.level }, l.level), ' ', l.body),
        h('div', { class: 'muted mono' }, '+' + fmtDuration(l.timeMs - traceStart)), h('div')));
    }
  }

  function collapse(spanId) {
    if (collapsed.has(spanId)) collapsed.delete(spanId); else collapsed.add(spanId);
    // Lines are in walk order: a collapsed span's subtree (its logs included) is the run of deeper lines after it.
    let below = Infinity;
    for (const el of lines) {
      const depth = Number(el.dataset.depth);
      if (depth <= below) below = Infinity;
      const hidden = depth > below;
      el.classList.toggle('hidden', hidden);
      if (!hidden && el.classList.contains('span-row') && collapsed.has(el.dataset.spanId)) below = depth;
    }
    for (const r of rows) {
      const b = r.querySelector('button.toggle');
      if (b) b.textContent = collapsed.has(r.dataset.spanId) ? '▸' : '▾';
      r.classList.toggle('collapsed', collapsed.has(r.dataset.spanId));
    }
  }

  function select(spanId) {
    const s = byId.get(spanId);
    if (!s) return;
    for (const r of rows) r.classList.toggle('selected', r.dataset.spanId === spanId);
    fill(details, 
      h('h3', {}, s.name),
      h('dl', { class: 'kv' },
        h('dt', {}, 'service'), h('dd', {}, s.service),
        h('dt', {}, 'kind'), h('dd', {}, s.kind),
        h('dt', {}, 'status'), h('dd', { class: s.status === 'error' ? 'error' : '' }, s.status + (s.statusMessage ? ': ' + s.statusMessage : '')),
        h('dt', {}, 'start'), h('dd', {}, '+' + fmtDuration(s.offsetMs)),
        h('dt', {}, 'duration'), h('dd', {}, fmtDuration(s.durationMs)),
        h('dt', {}, 'span id'), h('dd', { class: 'mono' }, s.spanId),
        h('dt', {}, 'scope'), h('dd', {}, [s.scope, s.scopeVersion].filter(Boolean).join(' '))),
      h('p', { class: 'links' },
        h('a', { href: hashFor('logs', { traceId: s.traceId, spanId: s.spanId }), class: 'span-logs-link' }, 'Logs of this span'),
        h('a', { href: metricsLinkFor(s), class: 'span-metrics-link' }, 'Metrics of this operation')),
      h('h4', {}, 'Attributes'), kvList(s.attributes), dropped(s, 'attributes', 'attribute'),
      h('h4', {}, 'Events'),
      // One container for the list of events.
      s.events.length
        ? h('div', { id: 'span-events' }, s.events.map((e) => h('div', { class: 'span-event' },
          h('strong', {}, e.name), ' ', h('span', { class: 'muted' }, '+' + fmtDuration(e.offsetMs)),
          e.name === 'exception' ? exceptionView(e.attributes) : kvList(e.attributes))))
        : h('p', { class: 'muted' }, 'none'),
      dropped(s, 'events', 'event'),
      h('h4', {}, 'Links'),
      s.links.length
        ? h('div', { id: 'span-links' }, s.links.map((l) => h('div', { class: 'span-link' },
          h('a', { href: hashFor('trace/' + l.traceId, { span: l.spanId }), class: 'mono' },
            (l.traceId === s.traceId ? 'this trace' : 'trace ' + l.traceId.slice(0, 8) + '…') + ' · span ' + l.spanId),
          kvList(l.attributes))))
        : h('p', { class: 'muted' }, 'none'),
      dropped(s, 'links', 'link'),
      h('h4', {}, 'Resource'), kvList(s.resource));
  }

  // The ruler: offsets from the trace start above the bars; its handle resizes the name column.
  const handle = h('div', { class: 'col-handle', id: 'name-col-handle', title: 'Drag to resize the name column' });
  const ruler = h('div', { class: 'ruler', id: 'waterfall-ruler' },
    h('div', { class: 'span-name muted' }, 'Span', handle),
    h('div', { class: 'span-track' }, ticks(total).map((t, i, a) => h('span', {
      class: 'tick' + (i > 0 && i < a.length - 1 ? ' mid' : ''), style: i === a.length - 1 ? 'right:0' : `left:${pct(t)}`,
    }, t === 0 ? '0' : fmtDuration(t)))),
    h('div', { class: 'span-dur muted' }, 'Duration'));
  const waterfall = h('div', { class: 'waterfall', id: 'waterfall' }, ruler, lines);
  handle.addEventListener('pointerdown', (ev) => {
    ev.preventDefault();
    const x0 = ev.clientX;
    const w0 = ruler.firstChild.getBoundingClientRect().width;
    const move = (e) => waterfall.style.setProperty('--name-col', Math.max(120, w0 + e.clientX - x0) + 'px');
    const up = () => { window.removeEventListener('pointermove', move); window.removeEventListener('pointerup', up); };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up);
  });

  const logTable = h('table', { id: 'trace-logs' },
    h('thead', {}, h('tr', {}, ['Time', 'Level', 'Message', 'Span'].map((c) => h('th', {}, c)))),
    h('tbody', {}, logs.logs.slice().reverse().map((l) => h('tr', {},
      h('td', { class: 'mono' }, fmtTime(l.timeMs)),
      h('td', { class: 'level-' + l.level }, l.level),
      h('td', {}, l.body),
      h('td', {}, byId.has(l.spanId)
        ? h('a', { href: '#', class: 'log-span-link', onclick: (ev) => { ev.preventDefault(); select(l.spanId); } }, byId.get(l.spanId).name)
        : h('span', { class: 'muted mono' }, l.spanId || '—'))))));

  fill(view, 
    h('div', { class: 'trace-head' },
      h('h2', { id: 'trace-title' }, trace.rootName || traceId),
      h('span', { class: 'mono muted' }, traceId),
      h('span', {}, fmtDuration(trace.durationMs)),
      h('span', {}, plural(trace.spanCount, 'span')),
      trace.omittedSpans ? h('span', { class: 'muted', id: 'trace-omitted' }, `the first ${spans.length} by start shown`) : null,
      h('span', {}, plural(trace.services.length, 'service')),
      trace.errorCount ? h('span', { class: 'error' }, plural(trace.errorCount, 'error')) : null,
      h('span', { class: 'legend-critical' }, 'critical path'),
      h('a', { href: hashFor('logs', { traceId }), id: 'trace-logs-link' }, 'All logs of this trace')),
    h('div', { class: 'split' }, waterfall, details),
    h('h3', {}, plural(logs.logs.length, 'log record')),
    logs.logs.length ? logTable : h('p', { class: 'muted empty' }, 'No log records carry this trace id.'));
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
    f.limit ? h('input', { type: 'hidden', name: 'limit', value: f.limit }) : null,
    h('button', { type: 'submit' }, 'Search'),
    h('label', {}, 'Live tail', h('input', { type: 'checkbox', id: 'live-tail', checked: f.tail !== 'off' })));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    location.hash = hashFor('logs', Object.fromEntries(new FormData(form)));
  });
  const tbody = h('tbody', {});
  const table = h('table', { id: 'log-list' },
    h('thead', {}, h('tr', {}, ['Time', 'Level', 'Service', 'Message', 'Trace'].map((c) => h('th', {}, c)))), tbody);
  const status = h('p', { class: 'muted', id: 'logs-status' });
  const more = h('button', { id: 'logs-more', type: 'button', class: 'hidden' }, 'Load older');
  fill(view, form, status, table, more);

  const { attrs, tail, limit, ...rest } = f;
  const query = { ...rest, ...attrParams(attrs, 'attr.') };
  const row = (l) => h('tr', { class: 'log-row', 'data-seq': l.seq, 'data-cursor': l.cursor },
    h('td', { class: 'mono' }, fmtTime(l.timeMs)),
    h('td', { class: 'level-' + l.level }, l.level),
    h('td', {}, l.service, l.instance ? h('div', { class: 'muted mono log-instance', title: 'service.instance.id' }, l.instance) : null),
    h('td', {}, l.eventName ? h('span', { class: 'event-name mono' }, l.eventName + ' ') : null,
      /^[[{]/.test(l.body) ? h('code', { class: 'mono json-body' }, l.body) : l.body, Object.keys(l.attributes).length ? h('div', { class: 'muted mono' },
      Object.entries(l.attributes).map(([k, v]) => `${k}=${fmtValue(v)}`).join('  ')) : null),
    h('td', {}, l.traceId
      ? h('a', { href: hashFor('trace/' + l.traceId, { span: l.spanId }), class: 'log-trace-link mono' }, l.traceId.slice(0, 8) + '…')
      : h('span', { class: 'muted' }, '—')));

  const pageSize = limit || 500;
  const first = await api('logs', { ...query, limit: pageSize });
  let latest = first.latestSeq;
  // Older pages continue from the last record shown (its time and sequence number): records that arrive meanwhile
  // are the live tail's, so a page never repeats a line nor skips one.
  let cursor = first.nextCursor;
  let live = false;
  fill(tbody, ...first.logs.map(row));
  const filtered = Object.keys(f).some((k) => f[k] && k !== 'tail' && k !== 'limit');
  const showCount = () => {
    status.textContent = `${plural(tbody.children.length, 'log record')} (newest first${live ? ', live' : ''})` +
      (cursor ? ', older ones available' : '');
    more.classList.toggle('hidden', !cursor);
  };
  if (first.logs.length) showCount();
  else status.textContent = filtered ? 'No log records match these filters.' : 'No log records yet. Point an OTLP log exporter at this console (/v1/logs or OTLP/gRPC).';
  more.addEventListener('click', async () => {
    more.disabled = true;
    try {
      const next = await api('logs', { ...query, limit: pageSize, cursor });
      cursor = next.nextCursor;
      tbody.append(...next.logs.map(row));
      showCount();
    } catch (e) { status.textContent = 'Could not load older records: ' + e.message; }
    more.disabled = false;
  });

  let timer = null;
  const poll = async () => {
    if (!document.getElementById('live-tail')?.checked) return;
    try {
      const next = await api('logs', { ...query, afterSeq: latest, limit: 500 });
      latest = Math.max(latest, next.latestSeq);
      if (next.logs.length) {
        live = true;
        tbody.prepend(...next.logs.map(row));
        // Bounded; what is dropped at the bottom can be paged in again from the last record kept.
        if (tbody.children.length > 2000) {
          while (tbody.children.length > 2000) tbody.lastChild.remove();
          const last = tbody.lastChild;
          cursor = last.dataset.cursor;
        }
        showCount();
      }
    } catch (e) { status.textContent = 'Tail paused: ' + e.message; }
  };
  timer = setInterval(poll, 1000);
  stopCurrent = () => clearInterval(timer);
}

// ---- metrics ----

const COLORS = ['#4da3ff', '#4cc38a', '#f2c14e', '#ff6b6b', '#b48cff', '#5fd3d3', '#ff9f5a', '#c0c0c0'];

// A value in the metric's unit (UCUM, as OTel names them): seconds and milliseconds as durations, bytes in binary
// multiples, annotations ({request}) as words.
function fmtUnit(v, unit, perSecond) {
  const n = (x) => (Math.abs(x) >= 1e6 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(2) : +x.toPrecision(4)).toString();
  let text;
  if (unit === 's') text = fmtDuration(v * 1000);
  else if (unit === 'ms') text = fmtDuration(v);
  else if (unit === 'By') text = fmtBytes(Math.round(v));
  else if (!unit || unit === '1') text = n(v);
  else text = n(v) + ' ' + unit.replace(/^\{(.*)\}$/, '$1');
  return perSecond ? text + '/s' : text;
}

// A series' points split where it has no data: a gap longer than 2.5 of its usual intervals is not bridged.
function segments(points) {
  if (points.length < 3) return [points];
  const gaps = points.slice(1).map((p, i) => p[0] - points[i][0]).sort((a, b) => a - b);
  const limit = 2.5 * gaps[Math.floor(gaps.length / 2)];
  const out = [[points[0]]];
  for (let i = 1; i < points.length; i++) {
    if (points[i][0] - points[i - 1][0] > limit) out.push([]);
    out[out.length - 1].push(points[i]);
  }
  return out;
}

// A line chart: time axis, y axis in the unit, gaps as gaps, a crosshair with every visible value, exemplars as
// diamonds that open their trace.
function chart(series, unit, perSecond, exemplars = []) {
  const W = 800; const H = 260; const L = 70; const R = 12; const T = 10; const B = 26;
  const visible = series.filter((s) => !s.hidden);
  const pts = visible.flatMap((s) => s.points);
  if (!pts.length) {
    return h('p', { class: 'muted empty' }, !series.length ? 'No series match these filters: clear a label filter.'
      : visible.length ? 'No points in range.' : 'Every series is hidden: click a legend entry.');
  }
  const xs = pts.map((p) => p[0]); const ys = pts.map((p) => p[1]).concat(exemplars.map((e) => e.value));
  let x0 = Math.min(...xs, ...exemplars.map((e) => e.timeMs)); let x1 = Math.max(...xs, ...exemplars.map((e) => e.timeMs));
  if (x1 === x0) { x0 -= 30000; x1 += 30000; }
  let y0 = Math.min(0, ...ys); let y1 = Math.max(...ys);
  if (y1 === y0) y1 = y0 + 1;
  y1 += (y1 - y0) * 0.05;
  const sx = (x) => L + ((x - x0) / (x1 - x0)) * (W - L - R);
  const sy = (y) => H - B - ((y - y0) / (y1 - y0)) * (H - T - B);
  const grid = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const y = y0 + f * (y1 - y0);
    return [svg('line', { x1: L, x2: W - R, y1: sy(y), y2: sy(y), stroke: '#2a323c' }),
      svg('text', { x: L - 6, y: sy(y) + 4, 'text-anchor': 'end', class: 'y-label' }, fmtUnit(y, unit, perSecond))];
  });
  const timeAxis = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const x = x0 + f * (x1 - x0);
    return [svg('line', { x1: sx(x), x2: sx(x), y1: H - B, y2: H - B + 4, stroke: '#2a323c' }),
      svg('text', { x: sx(x), y: H - 8, 'text-anchor': f === 0 ? 'start' : f === 1 ? 'end' : 'middle', class: 'x-label' }, x1 - x0 < 20000 ? fmtTime(x) : fmtTime(x).slice(0, 8))];
  });
  const lines = visible.map((s) => segments(s.points).map((seg) => seg.length === 1
    ? svg('circle', { cx: sx(seg[0][0]), cy: sy(seg[0][1]), r: 2.5, fill: s.color })
    : svg('polyline', { class: 'series-line', points: seg.map((p) => `${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join(' '), fill: 'none', stroke: s.color, 'stroke-width': 2 })));
  const marks = exemplars.map((e) => {
    const x = sx(e.timeMs); const y = sy(e.value);
    return svg('path', { class: 'exemplar', d: `M${x} ${y - 6}L${x + 6} ${y}L${x} ${y + 6}L${x - 6} ${y}Z`, 'data-trace-id': e.traceId, 'data-span-id': e.spanId },
      svg('title', {}, `exemplar ${fmtUnit(e.value, unit)} at ${fmtTime(e.timeMs)}: open trace ${e.traceId.slice(0, 8)}…`));
  });
  const cross = svg('line', { class: 'crosshair hidden', y1: T, y2: H - B, stroke: '#8a96a3', 'stroke-dasharray': '3 3' });
  const el = svg('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none' },
    svg('line', { x1: L, x2: W - R, y1: H - B, y2: H - B, stroke: '#2a323c' }), grid, timeAxis, lines, cross, marks);
  const tip = h('div', { class: 'chart-tooltip hidden' });
  const wrap = h('div', { class: 'chart-wrap' }, el, tip);
  el.addEventListener('mousemove', (ev) => {
    const box = el.getBoundingClientRect();
    const x = x0 + (((ev.clientX - box.left) / box.width) * W - L) / (W - L - R) * (x1 - x0);
    // The nearest time any visible series has a point at, and each series' value there.
    let best = null;
    for (const p of pts) if (best == null || Math.abs(p[0] - x) < Math.abs(best - x)) best = p[0];
    if (best == null) return;
    cross.setAttribute('x1', sx(best)); cross.setAttribute('x2', sx(best));
    cross.classList.remove('hidden');
    const rows = visible.map((s) => {
      const p = s.points.find((q) => q[0] === best);
      return p ? h('div', {}, h('i', { style: `background:${s.color}` }), `${s.label}: `, h('strong', {}, fmtUnit(p[1], unit, perSecond))) : null;
    });
    fill(tip, h('div', { class: 'muted' }, fmtTime(best)), ...rows.filter(Boolean));
    tip.classList.remove('hidden');
    const left = ((sx(best) / W) * box.width);
    tip.style.left = (left > box.width / 2 ? left - tip.offsetWidth - 12 : left + 12) + 'px';
  });
  el.addEventListener('mouseleave', () => { cross.classList.add('hidden'); tip.classList.add('hidden'); });
  el.addEventListener('click', (ev) => {
    const id = ev.target.getAttribute && ev.target.getAttribute('data-trace-id');
    if (id) location.hash = hashFor('trace/' + id, { span: ev.target.getAttribute('data-span-id') });
  });
  return wrap;
}

// A bucket's range in the metric's unit: "≤ 10 ms", "10 ms – 25 ms", "> 250 ms".
function fmtBucket(b, unit) {
  if (b.lower == null) return '≤ ' + fmtUnit(b.upper, unit);
  if (b.upper == null) return '> ' + fmtUnit(b.lower, unit);
  if (b.lower === b.upper) return fmtUnit(b.upper, unit);
  return fmtUnit(b.lower, unit) + ' – ' + fmtUnit(b.upper, unit);
}

// Colour of a cell: from blue-green for few observations to yellow for the most (square-root scale, so single
// observations still stand out from the background).
function heatColor(count, max) {
  const f = Math.sqrt(count / Math.max(1, max));
  return `hsl(${220 - 170 * f}, ${60 + 30 * f}%, ${22 + 40 * f}%)`;
}

// A histogram's heatmap (GET /api/metrics/{name}/heatmap): time across, buckets up, each cell coloured by the
// observations in that bucket during that interval; hover for the numbers; a cell with an exemplar (a ring) opens
// the trace that produced it.
function heatmapChart(data) {
  const rows = data.buckets.length; const cols = data.columns;
  if (!cols.length || !rows) {
    return h('p', { class: 'muted empty heatmap-empty' }, cols.length
      ? 'No observations in these intervals.'
      : 'No intervals yet: a cumulative histogram has its first interval at its second export.');
  }
  const W = 800; const L = 140; const R = 12; const T = 8; const B = 26;
  const H = Math.min(300, Math.max(120, rows * 16 + T + B));
  const x0 = Math.min(...cols.map((c, i) => (i === 0 ? Math.min(c.startMs, c.timeMs) : cols[i - 1].timeMs)));
  let x1 = cols[cols.length - 1].timeMs;
  if (x1 === x0) x1 = x0 + 1000;
  const sx = (x) => L + ((x - x0) / (x1 - x0)) * (W - L - R);
  const rowH = (H - T - B) / rows;
  const sy = (r) => H - B - (r + 1) * rowH;
  const byCell = new Map();
  for (const e of data.exemplars) {
    const k = e.column + ':' + e.bucket;
    if (!byCell.has(k)) byCell.set(k, e);
  }
  const cells = [];
  const rings = [];
  cols.forEach((c, i) => {
    const from = Math.max(c.startMs, i === 0 ? x0 : cols[i - 1].timeMs);
    const left = Math.min(sx(from), sx(c.timeMs) - 2);
    const width = Math.max(2, sx(c.timeMs) - left - 1);
    c.counts.forEach((n, r) => {
      const ex = byCell.get(i + ':' + r);
      if (n === 0 && !ex) return;
      cells.push(svg('rect', {
        class: 'cell', x: left.toFixed(1), y: (sy(r) + 0.5).toFixed(1), width: width.toFixed(1), height: Math.max(1, rowH - 1).toFixed(1),
        fill: n ? heatColor(n, data.maxCount) : 'none', 'data-column': i, 'data-bucket': r, 'data-count': n,
        'data-trace-id': ex ? ex.traceId : null, 'data-span-id': ex ? ex.spanId : null,
      }));
      if (ex) {
        rings.push(svg('circle', {
          class: 'heat-exemplar', cx: (left + width / 2).toFixed(1), cy: (sy(r) + rowH / 2).toFixed(1), r: Math.max(2.5, Math.min(5, rowH / 3)),
          'data-trace-id': ex.traceId, 'data-span-id': ex.spanId, 'data-column': i, 'data-bucket': r,
        }, svg('title', {}, `exemplar ${fmtUnit(ex.value, data.unit)}: open trace ${ex.traceId.slice(0, 8)}…`)));
      }
    });
  });
  // Bucket labels: every row when they fit, else every k-th.
  const every = Math.ceil(12 / rowH);
  const yLabels = data.buckets.map((b, r) => (r % every === 0
    ? svg('text', { x: L - 6, y: sy(r) + rowH / 2 + 4, 'text-anchor': 'end', class: 'y-label' }, fmtBucket(b, data.unit)) : null));
  const xLabels = [0, 0.5, 1].map((f) => svg('text', {
    x: sx(x0 + f * (x1 - x0)), y: H - 8, 'text-anchor': f === 0 ? 'start' : f === 1 ? 'end' : 'middle', class: 'x-label',
  }, fmtTime(x0 + f * (x1 - x0)).slice(0, x1 - x0 < 20000 ? 12 : 8)));
  const el = svg('svg', { class: 'heatmap', viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none' },
    svg('line', { x1: L, x2: W - R, y1: H - B, y2: H - B, stroke: '#2a323c' }), cells, rings, yLabels, xLabels);
  const tip = h('div', { class: 'chart-tooltip hidden heatmap-tooltip' });
  el.addEventListener('mousemove', (ev) => {
    const t = ev.target;
    if (!t.dataset || t.dataset.column == null) { tip.classList.add('hidden'); return; }
    const i = +t.dataset.column; const r = +t.dataset.bucket; const c = cols[i];
    const n = c.counts[r];
    const ex = byCell.get(i + ':' + r);
    fill(tip,
      h('div', { class: 'muted' }, `${fmtTime(Math.max(c.startMs, i === 0 ? x0 : cols[i - 1].timeMs))} – ${fmtTime(c.timeMs)}`),
      h('div', {}, fmtBucket(data.buckets[r], data.unit), ': ', h('strong', {}, plural(n, 'observation')),
        h('span', { class: 'muted' }, ` of ${c.total}`)),
      ex ? h('div', {}, `exemplar ${fmtUnit(ex.value, data.unit)} · click to open its trace`) : null);
    tip.classList.remove('hidden');
    const box = el.getBoundingClientRect();
    const left = ev.clientX - box.left;
    tip.style.left = (left > box.width / 2 ? left - tip.offsetWidth - 12 : left + 12) + 'px';
  });
  el.addEventListener('mouseleave', () => tip.classList.add('hidden'));
  el.addEventListener('click', (ev) => {
    const id = ev.target.getAttribute && ev.target.getAttribute('data-trace-id');
    if (id) location.hash = hashFor('trace/' + id, { span: ev.target.getAttribute('data-span-id') });
  });
  const scale = h('div', { class: 'heat-scale muted' }, 'observations per interval: ',
    [1, 0.25, 0.5, 0.75, 1].map((f, k) => h('i', { style: `background:${heatColor(k === 0 ? 1 : f * data.maxCount, data.maxCount)}` })),
    ` 1 … ${data.maxCount}`, data.exemplars.length ? ' · ◯ exemplar (click: its trace)' : '');
  return h('div', { class: 'chart-wrap heatmap-wrap' }, el, tip, scale);
}

// Per metric: which series the user hid (by label), kept across the 5 s refresh.
const hiddenSeries = new Map();

async function metricsView(params) {
  const f = Object.fromEntries(params);
  const labelFilters = {};
  for (const [k, v] of params) if (k.startsWith('label.')) labelFilters[k] = v;
  const groupList = h('datalist', { id: 'label-keys' });
  const form = h('form', { class: 'filters', id: 'metric-filters' },
    h('label', {}, 'Metric name contains', h('input', { name: 'q', value: f.q || '' })),
    h('label', {}, 'Service', h('input', { name: 'service', value: f.service || '' })),
    h('label', {}, 'Labels (k=v, …)', h('input', { name: 'labels', value: Object.entries(labelFilters).map(([k, v]) => k.slice(6) + '=' + v).join(', '), size: 30 })),
    h('label', {}, 'Sum by labels (k, …)', h('input', { name: 'groupBy', id: 'group-by', value: f.groupBy || '', list: 'label-keys', size: 18 })),
    groupList,
    h('button', { type: 'submit' }, 'Show'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const d = Object.fromEntries(new FormData(form));
    const { labels, ...rest } = d;
    location.hash = hashFor('metrics', { ...rest, name: f.name, ...attrParams(labels, 'label.') });
  });
  const list = h('div', { class: 'metric-list', id: 'metric-list' });
  const charts = h('div', { id: 'metric-charts' });
  fill(view, form, h('div', { class: 'metrics-layout' }, list, charts));

  const { metrics } = await api('metrics', { q: f.q, service: f.service });
  if (!metrics.length) {
    const msg = f.q || f.service ? 'No metrics match. Clear the name or service filter.' : 'No metrics yet. Point an OTLP metric exporter at this console (/v1/metrics or OTLP/gRPC).';
    fill(list, h('p', { class: 'muted empty', id: 'metrics-empty' }, msg));
    return;
  }
  const missing = f.name && !metrics.some((m) => m.name === f.name);
  const selected = f.name && !missing ? [f.name] : metrics.slice(0, 4).map((m) => m.name);
  fill(list, ...metrics.map((m) => h('a', {
    href: hashFor('metrics', { ...f, name: m.name }), class: selected.includes(m.name) ? 'selected' : '',
  }, m.name, h('span', { class: 'type' }, m.type + (m.unit ? ' · ' + m.unit : '')))));

  const draw = async () => {
    const keys = new Set(['service']);
    const blocks = await Promise.all(selected.map(async (name) => {
      const query = { service: f.service, groupBy: f.groupBy, ...labelFilters };
      const data = await api('metrics/' + encodeURIComponent(name) + '/series', query);
      const histo = data.type === 'histogram';
      const exemplars = histo
        ? (await api('metrics/' + encodeURIComponent(name) + '/points', { ...query, limit: 300 })).points.flatMap((p) => p.exemplars || [])
        : [];
      const heat = histo ? await api('metrics/' + encodeURIComponent(name) + '/heatmap', { service: f.service, ...labelFilters }) : null;
      const hidden = hiddenSeries.get(name) || new Set();
      hiddenSeries.set(name, hidden);
      const series = data.series.map((s, i) => {
        Object.keys(s.labels).forEach((k) => keys.add(k));
        const label = [s.stat, s.service, ...Object.entries(s.labels).map(([k, v]) => `${k}=${v}`)].filter(Boolean).join(' ');
        return { ...s, label, color: COLORS[i % COLORS.length], hidden: hidden.has(label) };
      });
      const what = { counter: 'rate per second', histogram: 'quantiles', summary: 'quantiles' }[data.type] || 'value';
      const block = h('div', { class: 'chart-block', 'data-metric': name },
        h('h3', {}, name, ' ', h('span', { class: 'muted' }, `${data.type} · ${what}${data.unit ? ' · ' + data.unit : ''}` +
          (f.groupBy ? ` · summed by ${f.groupBy}` : '') + ` · ${plural(series.length, 'series', 'series')}`)),
        data.description ? h('p', { class: 'muted' }, data.description) : null,
        chart(series, data.unit, data.type === 'counter', exemplars),
        h('div', { class: 'legend' }, series.map((s) => h('span', {
          class: 'legend-item' + (s.hidden ? ' off' : ''), title: 'Click: show/hide · double-click: only this one',
          onclick: () => { if (hidden.has(s.label)) hidden.delete(s.label); else hidden.add(s.label); draw(); },
          ondblclick: () => { hidden.clear(); series.forEach((o) => { if (o.label !== s.label) hidden.add(o.label); }); draw(); },
        }, h('i', { style: `background:${s.color}` }), s.label))),
        heat ? [h('h4', { class: 'heatmap-title' }, 'Heatmap ', h('span', { class: 'muted' },
          `· observations per bucket and interval · ${plural(heat.columns.length, 'interval')}`)), heatmapChart(heat)] : null);
      return block;
    }));
    fill(groupList, ...[...keys].map((k) => h('option', { value: k })));
    fill(charts, missing ? h('p', { class: 'muted empty', id: 'metric-missing' },
      `No points of ${f.name} are stored (evicted, or not exported yet); showing ${plural(selected.length, 'other metric')}.`) : null, ...blocks);
  };
  await draw();
  const timer = setInterval(() => draw().catch(() => {}), 5000);
  stopCurrent = () => clearInterval(timer);
}

// ---- overview: RED per service from spans, the service graph ----

function serviceGraph(services, edges) {
  const names = [...new Set([...services.map((s) => s.service), ...edges.flatMap((e) => [e.from, e.to])])];
  if (!names.length) return null;
  // Services in columns by call depth: callers left, callees right.
  const depth = new Map(names.map((n) => [n, 0]));
  for (let i = 0; i < names.length; i++) for (const e of edges) if (e.from !== e.to) depth.set(e.to, Math.max(depth.get(e.to), depth.get(e.from) + 1));
  const cols = Math.max(...depth.values()) + 1;
  const perCol = new Map();
  const pos = new Map();
  const W = 900; const NW = 170; const NH = 34;
  for (const n of names) {
    const d = Math.min(depth.get(n), cols - 1);
    const i = perCol.get(d) || 0; perCol.set(d, i + 1);
    pos.set(n, { x: 20 + (cols === 1 ? 0 : (d * (W - NW - 40)) / (cols - 1)), y: 20 + i * (NH + 24) });
  }
  const H = Math.max(...[...pos.values()].map((p) => p.y)) + NH + 20;
  const red = new Map(services.map((s) => [s.service, s]));
  const arrows = edges.map((e) => {
    const a = pos.get(e.from); const b = pos.get(e.to);
    return svg('g', { class: 'edge' + (e.errors ? ' error' : '') },
      svg('line', { x1: a.x + NW, y1: a.y + NH / 2, x2: b.x, y2: b.y + NH / 2, 'marker-end': 'url(#arrow)' }),
      svg('text', { x: (a.x + NW + b.x) / 2, y: (a.y + b.y) / 2 + NH / 2 - 6, 'text-anchor': 'middle' },
        plural(e.calls, 'call') + (e.errors ? ` · ${plural(e.errors, 'error')}` : '')));
  });
  const nodes = names.map((n) => {
    const p = pos.get(n); const r = red.get(n);
    const a = svg('a', { href: hashFor('traces', { service: n }), class: 'node' + (r && r.errors ? ' error' : ''), 'data-service': n },
      svg('rect', { x: p.x, y: p.y, width: NW, height: NH, rx: 6 }),
      svg('text', { x: p.x + NW / 2, y: p.y + NH / 2 + 4, 'text-anchor': 'middle' }, n));
    return a;
  });
  return svg('svg', { class: 'service-graph', id: 'service-graph', viewBox: `0 0 ${W} ${H}` },
    svg('defs', {}, svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 8, markerHeight: 8, orient: 'auto-start-reverse' },
      svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', fill: '#8a96a3' }))),
    arrows, nodes);
}

async function overviewView() {
  const data = await api('services');
  if (!data.services.length) {
    fill(view, h('div', { class: 'empty', id: 'overview-empty' },
      h('p', {}, 'No services yet.'), h('p', { class: 'muted' }, 'Services appear here when their spans arrive (OTLP/HTTP /v1/traces or OTLP/gRPC).')));
    return;
  }
  const minutes = Math.round((data.endMs - data.startMs) / 60000);
  fill(view, 
    h('h2', {}, plural(data.services.length, 'service')),
    h('p', { class: 'muted' }, `Entry spans (roots, server and consumer spans, calls from another service) in the ${plural(minutes, 'minute')} up to ${fmtTime(data.endMs)}.`),
    h('table', { id: 'service-list' },
      h('thead', {}, h('tr', {}, ['Service', 'Requests', 'Rate', 'Errors', 'Error rate', 'p50', 'p95'].map((c) => h('th', {}, c)))),
      h('tbody', {}, data.services.map((s) => h('tr', { class: 'clickable service-row', 'data-service': s.service, onclick: () => { location.hash = hashFor('traces', { service: s.service }); } },
        h('td', {}, h('a', { href: hashFor('traces', { service: s.service }) }, s.service)),
        h('td', {}, plural(s.requests, 'request')),
        h('td', {}, (+s.ratePerSecond.toPrecision(3)) + '/s'),
        h('td', { class: s.errors ? 'error' : 'muted' }, s.errors ? plural(s.errors, 'error') : 'none'),
        h('td', { class: s.errors ? 'error' : 'muted' }, (100 * s.errorRatio).toFixed(1) + ' %'),
        h('td', {}, fmtDuration(s.p50Ms)),
        h('td', {}, fmtDuration(s.p95Ms)))))),
    h('h3', {}, 'Service graph'),
    data.edges.length ? serviceGraph(data.services, data.edges) : h('p', { class: 'muted empty' }, 'No calls between services in this window.'));
}

// ---- shell ----

async function refreshStats() {
  try {
    const s = await api('stats');
    document.getElementById('stats').textContent =
      `${plural(s.traces, 'trace')} · ${plural(s.spans, 'span')} · ${plural(s.logs, 'log')} · ${plural(s.points, 'point')} · ${fmtBytes(s.storedBytes)} of ${fmtBytes(s.maxBytes)}` +
      (s.droppedRequests ? ` · ${s.droppedRequests} dropped` : '') +
      (s.keptTraceFraction < 1 ? ` · keeping ${(100 * s.keptTraceFraction).toFixed(s.keptTraceFraction < 0.1 ? 1 : 0)} % of traces (more than ${s.tracesPerSecond}/s; errors and warnings always)` : '');
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
    else if (name === 'overview') await overviewView(params);
    else await tracesView(params);
  } catch (e) { showError(e); }
}

window.addEventListener('hashchange', render);
render();
refreshStats();
setInterval(refreshStats, 3000);
