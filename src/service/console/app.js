// Traverse console: plain JavaScript, no framework, no build step, nothing fetched from another
// origin. It uses only the service's public API (docs/service.md) with the bearer token the user
// typed (kept in sessionStorage: gone when the tab closes). Pages are hash routes:
//   #/capabilities[/<id>]  #/workflows[/<id>]  #/run[/<id>]  #/traces?filters  #/trace/<id>
//   #/timeline/<trace or run id>  #/events  #/metrics
'use strict';

const TOKEN_KEY = 'traverse.console.token';
const MAX_EVENT_ROWS = 500; // rows kept in the live tail (oldest dropped first)
const MAX_HELD_EVENTS = 2000; // events held while paused (oldest dropped first, counted)

// ---- small DOM helpers (text is always set as text: nothing from the API becomes markup) ----

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function link(href, text, attrs) {
  return el('a', Object.assign({ href }, attrs || {}), text);
}

function badge(outcome) {
  const text = String(outcome || '—');
  const low = text.toLowerCase();
  const kind = low === 'success' || low === 'completed' ? 'ok'
    : (low === 'failure' || low === 'rejected' || low === 'failed' || low === 'error') ? 'bad' : 'other';
  return el('span', { class: 'badge ' + kind }, text);
}

function pretty(value) {
  return JSON.stringify(value, null, 2);
}

function jsonBlock(value, label) {
  return el('pre', { tabindex: '0', 'aria-label': label || 'JSON' }, pretty(value));
}

function kv(pairs) {
  const dl = el('dl', { class: 'kv' });
  for (const [key, value] of pairs) {
    if (value === undefined || value === null || value === '') continue;
    dl.append(el('dt', {}, key), el('dd', {}, value instanceof Node ? value : String(value)));
  }
  return dl;
}

function main() {
  return document.getElementById('main');
}

function setPage(title, ...content) {
  const root = main();
  root.replaceChildren(el('h1', {}, title), ...content);
  document.title = title + ' — Traverse console';
}

function showBanner(text) {
  const banner = document.getElementById('banner');
  banner.textContent = text || '';
  banner.hidden = !text;
}

function formatTime(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toISOString().replace('T', ' ').replace('Z', ' UTC');
}

// ---- the API ----

function token() {
  return sessionStorage.getItem(TOKEN_KEY) || '';
}

function authHeaders(extra) {
  const headers = Object.assign({}, extra || {});
  if (token()) headers.Authorization = 'Bearer ' + token();
  return headers;
}

class ApiError extends Error {
  constructor(status, body) {
    const error = body && body.error;
    super(error ? `${status} ${error.code}: ${error.message}` : `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

// GET/POST a JSON route; resolves with the document (also for an execution that failed: the
// runtime result is the body), rejects with ApiError for error documents.
async function api(path, options) {
  const opts = options || {};
  const response = await fetch(path, {
    method: opts.method || 'GET',
    headers: authHeaders(opts.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
    body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
    cache: 'no-store',
  });
  const text = await response.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch (_) { body = { raw: text }; }
  if (response.status === 401) {
    showBanner('This server needs a bearer token: type it in the token field above and press Use.');
  }
  if (!response.ok && !(opts.acceptResult && body && body.kind === 'runtime_result')) {
    throw new ApiError(response.status, body);
  }
  return { status: response.status, body };
}

async function apiText(path) {
  const response = await fetch(path, { headers: authHeaders(), cache: 'no-store' });
  const text = await response.text();
  if (response.status === 401) {
    showBanner('This server needs a bearer token: type it in the token field above and press Use.');
  }
  if (!response.ok) {
    let body = null;
    try { body = JSON.parse(text); } catch (_) { /* not JSON */ }
    throw new ApiError(response.status, body);
  }
  return text;
}

function errorPanel(error) {
  const body = error.body && error.body.error;
  const items = [];
  if (body && body.details && Array.isArray(body.details.violations)) {
    for (const v of body.details.violations) items.push(el('li', {}, `${v.path}: ${v.message}`));
  }
  return el('div', { class: 'panel', role: 'alert' },
    el('p', { class: 'bad-text' }, el('strong', {}, 'Error: '), error.message),
    items.length ? el('ul', { class: 'violations' }, items) : null);
}

// ---- JSON Schema (the subset contracts use) ----
// type (one or a list; integer and number), required, properties, additionalProperties (false or
// a schema), enum, const, minimum/maximum/exclusiveMinimum/exclusiveMaximum, minLength/maxLength,
// pattern, items, minItems/maxItems, uniqueItems. Returns [{path, message}] with JSON paths
// like the service's ("$.team[0].name").

function typeOf(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value; // string, boolean, object
}

function typeMatches(value, type) {
  const actual = typeOf(value);
  return actual === type || (type === 'number' && actual === 'integer');
}

function childPath(path, key) {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function validateSchema(schema, value, path, out) {
  path = path || '$';
  out = out || [];
  if (schema === true || schema === undefined || schema === null) return out;
  if (schema === false) { out.push({ path, message: 'no value is allowed here' }); return out; }
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!types.some((t) => typeMatches(value, t))) {
      out.push({ path, message: `expected ${types.join(' or ')}, got ${typeOf(value)}` });
      return out;
    }
  }
  if (schema.enum !== undefined && !schema.enum.some((v) => JSON.stringify(v) === JSON.stringify(value))) {
    out.push({ path, message: 'expected one of ' + schema.enum.map((v) => JSON.stringify(v)).join(', ') });
  }
  if (schema.const !== undefined && JSON.stringify(schema.const) !== JSON.stringify(value)) {
    out.push({ path, message: 'expected ' + JSON.stringify(schema.const) });
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) out.push({ path, message: `must be >= ${schema.minimum}` });
    if (schema.maximum !== undefined && value > schema.maximum) out.push({ path, message: `must be <= ${schema.maximum}` });
    if (typeof schema.exclusiveMinimum === 'number' && value <= schema.exclusiveMinimum) out.push({ path, message: `must be > ${schema.exclusiveMinimum}` });
    if (typeof schema.exclusiveMaximum === 'number' && value >= schema.exclusiveMaximum) out.push({ path, message: `must be < ${schema.exclusiveMaximum}` });
  }
  if (typeof value === 'string') {
    const length = [...value].length;
    if (schema.minLength !== undefined && length < schema.minLength) out.push({ path, message: `must have at least ${schema.minLength} characters` });
    if (schema.maxLength !== undefined && length > schema.maxLength) out.push({ path, message: `must have at most ${schema.maxLength} characters` });
    if (schema.pattern !== undefined) {
      let re = null;
      try { re = new RegExp(schema.pattern, 'u'); } catch (_) { re = null; }
      if (re && !re.test(value)) out.push({ path, message: `must match ${schema.pattern}` });
    }
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) out.push({ path, message: `must have at least ${schema.minItems} items` });
    if (schema.maxItems !== undefined && value.length > schema.maxItems) out.push({ path, message: `must have at most ${schema.maxItems} items` });
    if (schema.uniqueItems === true) {
      const seen = new Set(value.map((v) => JSON.stringify(v)));
      if (seen.size !== value.length) out.push({ path, message: 'items must be unique' });
    }
    if (schema.items !== undefined && !Array.isArray(schema.items)) {
      value.forEach((item, i) => validateSchema(schema.items, item, `${path}[${i}]`, out));
    }
  }
  if (typeOf(value) === 'object') {
    const properties = schema.properties || {};
    for (const key of schema.required || []) {
      if (!Object.prototype.hasOwnProperty.call(value, key)) out.push({ path: childPath(path, key), message: 'is required' });
    }
    for (const [key, item] of Object.entries(value)) {
      if (Object.prototype.hasOwnProperty.call(properties, key)) {
        validateSchema(properties[key], item, childPath(path, key), out);
      } else if (schema.additionalProperties === false) {
        out.push({ path: childPath(path, key), message: 'is not allowed (additionalProperties is false)' });
      } else if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
        validateSchema(schema.additionalProperties, item, childPath(path, key), out);
      }
    }
  }
  return out;
}

// A value that fits the schema's shape (required properties only), to start editing from.
function skeleton(schema) {
  if (!schema || typeof schema !== 'object') return null;
  if (schema.const !== undefined) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length) return schema.enum[0];
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'object': {
      const out = {};
      for (const key of schema.required || []) out[key] = skeleton((schema.properties || {})[key]);
      return out;
    }
    case 'array': return schema.minItems ? [skeleton(schema.items)] : [];
    case 'string': return schema.format === 'date' ? new Date().toISOString().slice(0, 10) : '';
    case 'integer': case 'number': return schema.minimum !== undefined ? schema.minimum : 0;
    case 'boolean': return false;
    default: return null;
  }
}

// A schema as a readable nested list: property, type, required, constraints, description.
function renderSchema(schema) {
  const constraintText = (s) => {
    const parts = [];
    for (const key of ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'minLength',
      'maxLength', 'minItems', 'maxItems', 'pattern', 'format']) {
      if (s[key] !== undefined) parts.push(`${key} ${s[key]}`);
    }
    if (Array.isArray(s.enum)) parts.push('one of ' + s.enum.map((v) => JSON.stringify(v)).join(' | '));
    if (s.additionalProperties === false) parts.push('no other properties');
    return parts.join(', ');
  };
  const typeText = (s) => (Array.isArray(s.type) ? s.type.join(' | ') : (s.type || 'any'));
  const node = (name, s, required) => {
    const li = el('li', {},
      name !== null ? el('span', { class: 'prop' }, name) : null, name !== null ? ' ' : null,
      el('span', { class: 'type' }, typeText(s)),
      required ? el('span', { class: 'req' }, ' required') : null,
      constraintText(s) ? el('span', { class: 'constraint' }, ' — ' + constraintText(s)) : null,
      s.description ? el('div', { class: 'muted' }, s.description) : null);
    const children = childrenOf(s);
    if (children) li.append(children);
    return li;
  };
  const childrenOf = (s) => {
    if (!s || typeof s !== 'object') return null;
    if (s.properties) {
      const required = new Set(s.required || []);
      return el('ul', {}, Object.entries(s.properties).map(([k, v]) => node(k, v, required.has(k))));
    }
    if (s.items && typeof s.items === 'object' && !Array.isArray(s.items)) {
      return el('ul', {}, node('[items]', s.items, false));
    }
    return null;
  };
  if (!schema) return el('p', { class: 'muted' }, 'No schema.');
  return el('div', { class: 'schema' }, el('ul', {}, node(null, schema, false)));
}

// ---- pages ----

async function pageCapabilities() {
  setPage('Capabilities', el('p', { class: 'muted' }, 'Loading…'));
  const { body } = await api('/v1/capabilities');
  const rows = body.capabilities.map((c) => el('tr', {},
    el('td', {}, link('#/capabilities/' + encodeURIComponent(c.id), c.id)),
    el('td', { class: 'mono' }, c.version),
    el('td', {}, c.lifecycle), el('td', {}, c.scope),
    // The artifact without its folder (the full path is in the tooltip).
    el('td', { title: c.artifact || '' }, c.workflow_backed ? 'workflow' : (c.artifact || '').replace(/(\/[^\s/]+)+\//g, '')),
    el('td', {}, link('#/run/' + encodeURIComponent(c.id + '@' + c.version), 'Run', { 'aria-label': 'Run ' + c.id }))));
  setPage('Capabilities',
    el('p', { class: 'muted' }, `${body.count} registered. Select one for its contract and schemas.`),
    el('table', {}, el('caption', { class: 'muted', text: 'Registered capabilities' }),
      el('thead', {}, el('tr', {}, ['Id', 'Version', 'Lifecycle', 'Scope', 'Runs as', ''].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', { id: 'capability-rows' }, rows)));
}

async function pageCapability(id) {
  setPage(id, el('p', { class: 'muted' }, 'Loading…'));
  const { body } = await api('/v1/capabilities/' + encodeURIComponent(id));
  const sections = body.versions.map((v) => {
    const c = v.contract || {};
    return el('section', { class: 'panel', 'aria-label': `${v.id} ${v.version}` },
      el('h2', {}, `Version ${v.version} `, badge(v.lifecycle)),
      c.summary ? el('p', {}, c.summary) : null,
      c.description ? el('p', { class: 'muted' }, c.description) : null,
      kv([['id', v.id], ['version', v.version], ['scope', v.scope], ['artifact', v.artifact],
        ['fingerprint', v.fingerprint], ['owner', c.owner ? `${c.owner.team} <${c.owner.contact}>` : ''],
        ['workflow', c.composability && c.composability.workflow_ref
          ? link('#/workflows/' + encodeURIComponent(c.composability.workflow_ref.workflow_id),
            `${c.composability.workflow_ref.workflow_id}@${c.composability.workflow_ref.workflow_version}`) : ''],
        ['emits', (c.emits || []).map((e) => e.event_id || e.id || JSON.stringify(e)).join(', ')],
        ['targets', (c.permitted_targets || []).join(', ')]]),
      el('p', {}, link('#/run/' + encodeURIComponent(v.id + '@' + v.version), 'Run this version')),
      el('div', { class: 'grid2' },
        el('div', {}, el('h3', {}, 'Input schema'), renderSchema(c.inputs && c.inputs.schema)),
        el('div', {}, el('h3', {}, 'Output schema'), renderSchema(c.outputs && c.outputs.schema))),
      el('details', {}, el('summary', {}, 'Contract document'), jsonBlock(c, 'Contract document')));
  });
  setPage(id, el('p', {}, link('#/capabilities', '← All capabilities')), ...sections);
}

async function pageWorkflows() {
  setPage('Workflows', el('p', { class: 'muted' }, 'Loading…'));
  const { body } = await api('/v1/workflows');
  const rows = body.workflows.map((w) => el('tr', {},
    el('td', {}, link('#/workflows/' + encodeURIComponent(w.id), w.id)),
    el('td', { class: 'mono' }, w.version), el('td', {}, w.scope),
    el('td', {}, (w.participating_capabilities || []).length + ' capabilities'),
    el('td', {}, (w.events_used || []).join(', '))));
  setPage('Workflows', el('p', { class: 'muted' }, `${body.count} registered.`),
    el('table', {},
      el('thead', {}, el('tr', {}, ['Id', 'Version', 'Scope', 'Steps use', 'Events'].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, rows)));
}

async function pageWorkflow(id) {
  setPage(id, el('p', { class: 'muted' }, 'Loading…'));
  const { body } = await api('/v1/workflows/' + encodeURIComponent(id));
  const sections = body.versions.map((v) => {
    const d = v.definition || {};
    return el('section', { class: 'panel' },
      el('h2', {}, `Version ${v.version}`),
      d.summary ? el('p', {}, d.summary) : null,
      kv([['id', v.id], ['name', d.name], ['scope', v.scope], ['fingerprint', v.fingerprint],
        ['start node', d.start_node], ['terminal nodes', (d.terminal_nodes || []).join(', ')]]),
      el('h3', {}, 'Nodes'),
      el('table', {}, el('thead', {}, el('tr', {}, ['Node', 'Capability', 'Reads', 'Writes'].map((h) => el('th', { scope: 'col' }, h)))),
        el('tbody', {}, (d.nodes || []).map((n) => el('tr', {},
          el('td', { class: 'mono' }, n.node_id),
          el('td', {}, link('#/capabilities/' + encodeURIComponent(n.capability_id), `${n.capability_id}@${n.capability_version}`)),
          el('td', { class: 'mono wrap-any' }, n.input ? JSON.stringify(n.input) : ''),
          el('td', { class: 'mono wrap-any' }, n.output ? JSON.stringify(n.output) : ''))))),
      el('h3', {}, 'Edges'),
      el('table', {}, el('thead', {}, el('tr', {}, ['Edge', 'From', 'To', 'Trigger'].map((h) => el('th', { scope: 'col' }, h)))),
        el('tbody', {}, (d.edges || []).map((e) => el('tr', {},
          el('td', { class: 'mono' }, e.edge_id), el('td', { class: 'mono' }, e.from),
          el('td', { class: 'mono' }, e.to), el('td', {}, e.trigger || ''))))),
      el('div', { class: 'grid2' },
        el('div', {}, el('h3', {}, 'Input schema'), renderSchema(d.inputs && d.inputs.schema)),
        el('div', {}, el('h3', {}, 'Output schema'), renderSchema(d.outputs && d.outputs.schema))),
      el('details', {}, el('summary', {}, 'Definition document'), jsonBlock(d, 'Workflow definition')));
  });
  setPage(id, el('p', {}, link('#/workflows', '← All workflows')), ...sections);
}

async function pageRun(selected) {
  setPage('Run a capability', el('p', { class: 'muted' }, 'Loading…'));
  const { body } = await api('/v1/capabilities');
  const select = el('select', { id: 'run-capability', name: 'capability' },
    body.capabilities.map((c) => el('option', { value: `${c.id}@${c.version}` }, `${c.id} @ ${c.version}`)));
  if (selected) {
    // "id@version", or "id" for its first listed version.
    const option = [...select.options].find((o) => o.value === selected || o.value.startsWith(selected + '@'));
    if (option) select.value = option.value;
  }
  const editor = el('textarea', { id: 'run-input', name: 'input', spellcheck: 'false', 'aria-describedby': 'run-help' });
  const check = el('div', { id: 'run-check', role: 'status', 'aria-live': 'polite' });
  const result = el('section', { id: 'run-result', 'aria-live': 'polite' });
  const schemaView = el('div', { id: 'run-schema' });
  let schema = null;

  const loadSchema = async () => {
    const [id, version] = select.value.split('@');
    schema = null;
    schemaView.replaceChildren(el('p', { class: 'muted' }, 'Loading the contract…'));
    try {
      const detail = await api('/v1/capabilities/' + encodeURIComponent(`${id}@${version}`));
      const contract = detail.body.versions[0].contract || {};
      schema = contract.inputs && contract.inputs.schema;
      schemaView.replaceChildren(el('h2', {}, 'Input schema'), renderSchema(schema));
      if (!editor.value.trim()) editor.value = pretty(skeleton(schema));
    } catch (error) {
      schemaView.replaceChildren(errorPanel(error));
    }
  };

  const validate = () => {
    let input;
    try { input = JSON.parse(editor.value); } catch (error) {
      check.replaceChildren(el('p', { class: 'bad-text' }, 'Not JSON: ' + error.message));
      editor.setAttribute('aria-invalid', 'true');
      return null;
    }
    const violations = schema ? validateSchema(schema, input) : [];
    if (violations.length) {
      editor.setAttribute('aria-invalid', 'true');
      check.replaceChildren(el('p', {}, `${violations.length} violation(s) of the input schema:`),
        el('ul', { class: 'violations', id: 'run-violations' }, violations.map((v) => el('li', {}, `${v.path}: ${v.message}`))));
      return null;
    }
    editor.removeAttribute('aria-invalid');
    check.replaceChildren(el('p', { class: 'ok-text' }, 'The input satisfies the input schema.'));
    return input;
  };

  const run = async (event) => {
    event.preventDefault();
    const input = validate();
    if (input === null) return;
    const [id, version] = select.value.split('@');
    const request = {
      kind: 'runtime_request', schema_version: '1.0.0',
      request_id: 'console-' + Date.now().toString(36) + '-' + Math.random().toString(36).slice(2, 8),
      intent: { capability_id: id, capability_version: version }, input,
      lookup: { scope: 'prefer_private', allow_ambiguity: false },
      context: { requested_target: 'local', caller: 'traverse-console' },
      governing_spec: '006-runtime-request-execution',
    };
    submit.disabled = true;
    result.replaceChildren(el('p', { class: 'muted' }, 'Running…'));
    try {
      const { status, body: outcome } = await api('/v1/capabilities/execute', { method: 'POST', body: request, acceptResult: true });
      result.replaceChildren(renderResult(status, outcome));
      // Focus moves to the result (screen readers announce it; the page scrolls to it).
      const heading = result.querySelector('h2');
      heading.setAttribute('tabindex', '-1');
      heading.focus();
    } catch (error) {
      result.replaceChildren(errorPanel(error));
    } finally {
      submit.disabled = false;
    }
  };

  const submit = el('button', { type: 'submit', id: 'run-submit' }, 'Run');
  const form = el('form', { id: 'run-form', onsubmit: run, novalidate: true },
    el('div', { class: 'filters' }, el('label', { for: 'run-capability' }, 'Capability', select)),
    el('label', { for: 'run-input' }, 'Input (JSON)'),
    el('p', { id: 'run-help', class: 'muted' }, 'Checked against the capability\'s input schema before it is sent; the service checks it again.'),
    editor, check,
    el('div', { class: 'toolbar' }, submit,
      el('button', { type: 'button', class: 'secondary', id: 'run-validate', onclick: validate }, 'Validate'),
      el('button', { type: 'button', class: 'secondary', onclick: () => { editor.value = pretty(skeleton(schema)); validate(); } }, 'Fill from schema')));
  select.addEventListener('change', () => { editor.value = ''; loadSchema(); });
  setPage('Run a capability', el('div', { class: 'grid2' }, el('div', { class: 'panel' }, form), el('div', { class: 'panel' }, schemaView)), result);
  await loadSchema();
}

function renderResult(status, outcome) {
  const traceRef = outcome.trace_ref;
  const links = [];
  if (traceRef) links.push(link('#/trace/' + encodeURIComponent(traceRef), 'Open the trace', { id: 'result-trace-link' }));
  if (traceRef && outcome.workflow_run_id) {
    links.push(' · ', link('#/timeline/' + encodeURIComponent(traceRef), 'Open the run timeline', { id: 'result-timeline-link' }));
  }
  return el('div', { class: 'panel', id: 'result' },
    el('h2', {}, 'Result ', badge(outcome.status), el('span', { class: 'muted' }, ` HTTP ${status}`)),
    kv([['execution', outcome.execution_id], ['trace', traceRef], ['workflow run', outcome.workflow_run_id],
      ['steps', outcome.steps ? String(outcome.steps.length) : '']]),
    el('p', {}, links),
    outcome.error ? el('div', {}, el('h3', {}, 'Error'), jsonBlock(outcome.error, 'Error')) : null,
    outcome.output !== undefined ? el('div', {}, el('h3', {}, 'Output'), jsonBlock(outcome.output, 'Output')) : null,
    (outcome.warnings || []).length ? el('div', {}, el('h3', {}, 'Warnings'), jsonBlock(outcome.warnings, 'Warnings')) : null);
}

// ---- traces ----

function parseHashQuery(query) {
  const params = new URLSearchParams(query || '');
  return Object.fromEntries(params.entries());
}

const SINCE = { all: 0, '15m': 15 * 60e3, '1h': 3600e3, '24h': 24 * 3600e3, '7d': 7 * 24 * 3600e3 };

async function pageTraces(query) {
  const q = Object.assign({ outcome: '', capability: '', run: '', since: 'all', failures_first: '', limit: '100' }, parseHashQuery(query));
  const form = el('form', { class: 'filters', id: 'trace-filters', role: 'search' },
    el('label', {}, 'Outcome', el('select', { name: 'outcome' },
      [['', 'any'], ['failure', 'failure'], ['success', 'success']].map(([v, t]) => el('option', { value: v, selected: q.outcome === v }, t)))),
    el('label', {}, 'Capability', el('input', { name: 'capability', value: q.capability, size: '34', placeholder: 'capability id' })),
    el('label', {}, 'Run', el('input', { name: 'run', value: q.run, size: '28', placeholder: 'workflow run id' })),
    el('label', {}, 'Time', el('select', { name: 'since' },
      [['all', 'any time'], ['15m', 'last 15 minutes'], ['1h', 'last hour'], ['24h', 'last 24 hours'], ['7d', 'last 7 days']]
        .map(([v, t]) => el('option', { value: v, selected: q.since === v }, t)))),
    el('label', {}, 'Show', el('select', { name: 'limit' },
      ['20', '100', '500'].map((v) => el('option', { value: v, selected: q.limit === v }, v + ' most recent')))),
    el('label', { class: 'check' }, el('span', {}, 'Failures first'),
      el('input', { type: 'checkbox', name: 'failures_first', value: '1', checked: q.failures_first === '1' })),
    el('button', { type: 'submit' }, 'Apply'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new URLSearchParams();
    for (const [k, v] of new FormData(form).entries()) if (v) data.set(k, v);
    location.hash = '#/traces?' + data.toString();
  });
  const listing = el('div', { id: 'trace-list' }, el('p', { class: 'muted' }, 'Loading…'));
  setPage('Traces', form, listing);

  const params = new URLSearchParams();
  for (const key of ['outcome', 'capability', 'run', 'limit']) if (q[key]) params.set(key, q[key]);
  const entries = [];
  let total = 0;
  let cursor = null;
  const loadPage = async () => {
    const p = new URLSearchParams(params);
    if (cursor !== null) p.set('cursor', cursor);
    const { body } = await api('/v1/traces?' + p.toString());
    total = body.total;
    cursor = body.next_cursor !== undefined ? body.next_cursor : null;
    entries.push(...body.entries.slice().reverse()); // newest first
    render();
  };
  const render = () => {
    const since = SINCE[q.since] || 0;
    let shown = since ? entries.filter((e) => Date.now() - Date.parse(e.time) <= since) : entries.slice();
    if (q.failures_first === '1') {
      const failed = (e) => (e.outcome === 'Success' ? 1 : 0);
      shown = shown.map((e, i) => [e, i]).sort((a, b) => failed(a[0]) - failed(b[0]) || a[1] - b[1]).map(([e]) => e);
    }
    const rows = shown.map((e) => el('tr', { class: e.outcome === 'Success' ? '' : 'failed-row' },
      el('td', { class: 'mono nowrap' }, formatTime(e.time).replace(' UTC', '')),
      el('td', {}, badge(e.outcome)),
      el('td', {}, e.capability_id, el('span', { class: 'muted' }, '@' + e.capability_version)),
      el('td', { class: 'mono' }, e.duration_ms + ' ms'),
      el('td', {}, e.workflow_run_id ? link('#/traces?run=' + encodeURIComponent(e.workflow_run_id), e.step_index !== undefined ? `step ${e.step_index}` : 'run', { title: 'Traces of run ' + e.workflow_run_id }) : ''),
      el('td', { class: 'wrap-any' }, e.error_class ? `${e.error_class}: ${e.error_message || ''}` : ''),
      el('td', {}, link('#/trace/' + encodeURIComponent(e.id), 'trace', { 'aria-label': 'Trace ' + e.id }),
        e.workflow_run_id && e.step_index === undefined ? [' · ', link('#/timeline/' + encodeURIComponent(e.id), 'timeline')] : null)));
    listing.replaceChildren(
      el('p', { class: 'muted', role: 'status' }, `${shown.length} shown of ${total} matching (newest first${q.failures_first === '1' ? ', failures first' : ''}).`),
      el('table', {}, el('thead', {}, el('tr', {}, ['Time (UTC)', 'Outcome', 'Capability', 'Duration', 'Run', 'Error', ''].map((h) => el('th', { scope: 'col' }, h)))),
        el('tbody', { id: 'trace-rows' }, rows)),
      cursor !== null ? el('p', {}, el('button', { type: 'button', class: 'secondary', onclick: () => loadPage().catch(showError) }, 'Load older')) : null);
  };
  await loadPage();
}

async function pageTrace(id) {
  setPage('Trace', el('p', { class: 'muted' }, 'Loading…'));
  const { body } = await api('/v1/traces/' + encodeURIComponent(id));
  const pub = body.public || {};
  const priv = body.private || {};
  const parts = [];
  parts.push(el('section', { class: 'panel', 'aria-label': 'Public entry' },
    el('h2', {}, 'Public entry ', badge(pub.outcome)),
    kv([['trace id', pub.id], ['execution', pub.execution_id], ['capability', pub.capability_id ? link('#/capabilities/' + encodeURIComponent(pub.capability_id), `${pub.capability_id}@${pub.capability_version}`) : ''],
      ['time', formatTime(pub.time)], ['duration', pub.duration_ms !== undefined ? pub.duration_ms + ' ms' : ''],
      ['placement', pub.placement_target], ['workflow run', pub.workflow_run_id ? link('#/traces?run=' + encodeURIComponent(pub.workflow_run_id), pub.workflow_run_id) : ''],
      ['step', pub.step_index], ['source', pub.source]])));
  if (pub.error_class || pub.error_message) {
    parts.push(el('section', { class: 'panel', role: 'alert', 'aria-label': 'Error' }, el('h2', {}, 'Error'),
      kv([['class', pub.error_class], ['message', pub.error_message]])));
  }
  if ((pub.publish_errors || []).length) {
    parts.push(el('section', { class: 'panel' }, el('h2', {}, 'Events that could not be published'), jsonBlock(pub.publish_errors)));
  }
  parts.push(el('section', { class: 'panel', 'aria-label': 'Hashes' }, el('h2', {}, 'Hashes and usage'),
    kv([['inputs sha-256', priv.inputs_hash], ['outputs sha-256', priv.outputs_hash || '(none: no output)'],
      ['resource usage', priv.resource_usage_ms !== undefined ? priv.resource_usage_ms + ' ms' : '']]),
    priv.input !== undefined ? el('div', {}, el('h3', {}, 'Input'), jsonBlock(priv.input, 'Input')) : null,
    priv.output !== undefined ? el('div', {}, el('h3', {}, 'Output'), jsonBlock(priv.output, 'Output')) : null));
  const events = priv.published_events || [];
  parts.push(el('section', { class: 'panel', 'aria-label': 'Events' }, el('h2', {}, `Published events (${events.length})`),
    events.length ? el('ul', { class: 'list-plain', id: 'trace-events' }, events.map((e) => el('li', {},
      el('details', {}, el('summary', {}, el('span', { class: 'mono' }, e.event_type || e.type || 'event'), ' ', el('span', { class: 'muted' }, e.id || '')),
        jsonBlock(e, 'Event ' + (e.id || ''))))))
      : el('p', { class: 'muted' }, 'No events (for a workflow run, each step\'s trace lists the events it published).')));
  if (Array.isArray(body.steps) && body.steps.length) {
    parts.push(el('section', { class: 'panel', 'aria-label': 'Steps' },
      el('h2', {}, `Steps (${body.steps.length}) `, link('#/timeline/' + encodeURIComponent(id), 'timeline')),
      el('table', {}, el('thead', {}, el('tr', {}, ['#', 'Capability', 'Outcome', 'Started (UTC)', 'Duration', ''].map((h) => el('th', { scope: 'col' }, h)))),
        el('tbody', {}, body.steps.map((s) => el('tr', {}, el('td', {}, s.step_index), el('td', {}, s.capability_id),
          el('td', {}, badge(s.outcome)), el('td', { class: 'mono' }, formatTime(s.time)), el('td', { class: 'mono' }, s.duration_ms + ' ms'),
          el('td', {}, link('#/trace/' + encodeURIComponent(s.id), 'trace'))))))));
  }
  if (body.workflow_run) {
    parts.push(el('details', { class: 'panel' }, el('summary', {}, 'Workflow run record and evidence'), jsonBlock(body.workflow_run, 'Workflow run')));
  }
  setPage('Trace ' + (pub.id || id), ...parts);
}

// ---- the run timeline ----
// Each step's bar spans [time, time + duration_ms] (its trace entry: `time` is when the step was
// received, `duration_ms` how long it ran). Steps that overlap in time (parallel branches) go
// to separate rows; a step goes to the first row free at its start.

function layoutLanes(steps) {
  const lanes = [];
  for (const step of steps.slice().sort((a, b) => a.start - b.start || a.index - b.index)) {
    let lane = lanes.findIndex((end) => end <= step.start);
    if (lane < 0) { lane = lanes.length; lanes.push(0); }
    lanes[lane] = Math.max(step.end, step.start + 1);
    step.lane = lane;
  }
  return lanes.length;
}

function niceStep(span) {
  const rough = span / 8;
  const power = Math.pow(10, Math.floor(Math.log10(Math.max(rough, 1))));
  for (const m of [1, 2, 5, 10]) if (m * power >= rough) return m * power;
  return 10 * power;
}

async function pageTimeline(id) {
  setPage('Run timeline', el('p', { class: 'muted' }, 'Loading…'));
  const { body } = await api('/v1/traces/' + encodeURIComponent(id));
  setPage('Run timeline', ...timelineView(id, body));
}

// The timeline of `body` (a GET /v1/traces/{id} document of a workflow run) as page content.
function timelineView(id, body) {
  const pub = body.public || {};
  const evidence = (body.workflow_run && body.workflow_run.evidence) || {};
  const nodeOf = new Map((evidence.visited_nodes || []).map((n) => [n.trace_id, n.node_id]));
  const steps = (body.steps || []).map((s) => {
    const start = Date.parse(s.time);
    return { id: s.id, index: s.step_index, node: nodeOf.get(s.id) || `step ${s.step_index}`, capability: s.capability_id,
      outcome: s.outcome, start, end: start + (s.duration_ms || 0), duration: s.duration_ms || 0, time: s.time };
  });
  if (!steps.length) {
    return [el('p', {}, 'This trace has no workflow steps. ', link('#/trace/' + encodeURIComponent(id), 'Open the trace'))];
  }
  const lanes = layoutLanes(steps);
  const runStart = Math.min(Date.parse(pub.time) || Infinity, ...steps.map((s) => s.start));
  const runEnd = Math.max((Date.parse(pub.time) || 0) + (pub.duration_ms || 0), ...steps.map((s) => s.end));
  const span = Math.max(runEnd - runStart, 1);
  const pct = (t) => ((t - runStart) / span) * 100;

  const axis = el('div', { class: 'axis', 'aria-hidden': 'true' });
  const step = niceStep(span);
  for (let t = 0; t <= span; t += step) {
    const tick = el('span', { class: 'tick' }, `${t} ms`);
    tick.style.left = `${(t / span) * 100}%`;
    axis.append(tick);
  }
  const laneNodes = [];
  for (let lane = 0; lane < lanes; lane++) {
    laneNodes.push(el('div', { class: 'lane', role: 'list', 'aria-label': `Row ${lane + 1}` },
      el('span', { class: 'lane-label' }, lanes > 1 ? `branch row ${lane + 1}` : 'steps')));
  }
  for (const s of steps) {
    const failed = s.outcome !== 'Success';
    const bar = el('button', {
      type: 'button', class: 'bar' + (failed ? ' failed' : ''), 'data-step': s.index, 'data-outcome': s.outcome,
      title: `${s.node} (${s.capability}) — ${s.outcome}, started +${s.start - runStart} ms, ${s.duration} ms`,
      'aria-label': `Step ${s.index} ${s.node}: ${s.outcome}, starts at ${s.start - runStart} ms, lasts ${s.duration} ms. Open its trace.`,
      onclick: () => { location.hash = '#/trace/' + encodeURIComponent(s.id); },
    }, `${s.node} · ${s.duration} ms`);
    bar.style.left = `${pct(s.start)}%`;
    bar.style.width = `${Math.max(((s.end - s.start) / span) * 100, 0.4)}%`;
    const item = el('div', { role: 'listitem' }, bar);
    laneNodes[s.lane].append(item);
  }
  const failedCount = steps.filter((s) => s.outcome !== 'Success').length;
  return [
    kv([['run', pub.workflow_run_id], ['capability', pub.capability_id ? `${pub.capability_id}@${pub.capability_version}` : ''],
      ['outcome', badge(pub.outcome)], ['started', formatTime(pub.time)], ['total', (pub.duration_ms || 0) + ' ms'],
      ['steps', `${steps.length} (${failedCount} failed) on ${lanes} row(s)`], ['trace', link('#/trace/' + encodeURIComponent(id), pub.id || id)]]),
    el('div', { class: 'legend' }, el('span', {}, el('span', { class: 'swatch ok' }), 'succeeded'),
      el('span', {}, el('span', { class: 'swatch bad' }), 'failed'),
      el('span', {}, 'Time axis from the run\'s start; parallel branches on separate rows. Select a bar for its trace.')),
    el('div', { class: 'timeline', id: 'timeline', 'data-steps': steps.length, 'data-rows': lanes }, axis, laneNodes),
    // The same steps as a table: exact numbers, and readable without the drawing.
    el('h2', {}, 'Steps'),
    el('table', { id: 'timeline-steps' },
      el('thead', {}, el('tr', {}, ['#', 'Node', 'Capability', 'Outcome', 'Starts at', 'Duration', 'Row', ''].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, steps.slice().sort((a, b) => a.index - b.index).map((s) => el('tr', { class: s.outcome === 'Success' ? '' : 'failed-row' },
        el('td', {}, s.index), el('td', { class: 'mono' }, s.node), el('td', {}, s.capability), el('td', {}, badge(s.outcome)),
        el('td', { class: 'mono' }, `+${s.start - runStart} ms`), el('td', { class: 'mono' }, `${s.duration} ms`),
        el('td', {}, s.lane + 1), el('td', {}, link('#/trace/' + encodeURIComponent(s.id), 'trace'))))))];
}

// ---- the live event tail (Server-Sent Events read through fetch, so the token can be sent) ----

let activeTail = null;

function stopTail() {
  if (activeTail) {
    activeTail.stop();
    activeTail = null;
  }
}

function pageEvents() {
  let paused = false;
  let held = [];
  let heldDropped = 0;
  let lastSequence = 0;
  let shown = 0;
  let received = 0;
  let stopped = false;
  let controller = null;
  let retry = 500;

  const state = el('span', { id: 'tail-state', class: 'state', role: 'status' }, 'connecting…');
  const counter = el('span', { id: 'tail-count', class: 'state' }, '0 events');
  const filter = el('input', { id: 'tail-filter', type: 'search', placeholder: 'event type contains…', size: '30' });
  const from = el('select', { id: 'tail-from' }, el('option', { value: 'retained' }, 'every retained event'), el('option', { value: 'now' }, 'new events only'));
  const pause = el('button', { type: 'button', id: 'tail-pause', 'aria-pressed': 'false' }, 'Pause');
  const clear = el('button', { type: 'button', class: 'secondary' }, 'Clear');
  const body = el('tbody', { id: 'event-rows' });

  const matches = (row) => !filter.value || row.dataset.type.includes(filter.value);
  const refreshCount = () => {
    const visible = [...body.children].filter((r) => !r.hidden).length;
    counter.textContent = `${visible} event${visible === 1 ? '' : 's'} shown` + (paused ? ` · ${held.length} held while paused` : '') +
      (heldDropped ? ` · ${heldDropped} dropped while paused` : '');
    shown = visible;
  };
  const addRow = (message) => {
    let row;
    if (message.kind === 'dropped') {
      row = el('tr', { class: 'event-row', 'data-type': 'dropped' }, el('td', {}, '—'), el('td', {}, ''),
        el('td', { colspan: '2' }, el('strong', {}, `${message.dropped} events were dropped`), ' (this client fell behind the retained buffer).'));
    } else {
      const e = message.event || {};
      row = el('tr', { class: 'event-row', 'data-type': message.type || '', 'data-sequence': message.sequence },
        el('td', { class: 'mono' }, message.sequence), el('td', { class: 'mono nowrap' }, formatTime(e.time).replace(' UTC', '')),
        el('td', { class: 'mono' }, message.type),
        el('td', {}, el('details', {}, el('summary', {}, e.source || e.id || 'payload'), jsonBlock(e.data !== undefined ? e.data : e, 'Event payload'))));
    }
    row.hidden = !matches(row);
    body.prepend(row);
    while (body.children.length > MAX_EVENT_ROWS) body.lastChild.remove();
  };
  const deliver = (message) => {
    received++;
    if (message.sequence) lastSequence = Math.max(lastSequence, message.sequence);
    if (paused) {
      held.push(message);
      if (held.length > MAX_HELD_EVENTS) { held.shift(); heldDropped++; }
    } else {
      addRow(message);
    }
    refreshCount();
  };

  const connect = async () => {
    if (stopped) return;
    controller = new AbortController();
    const params = new URLSearchParams();
    if (lastSequence) params.set('cursor', String(lastSequence));
    else if (from.value === 'now') params.set('cursor', String(await newestSequence()));
    try {
      const response = await fetch('/v1/events?' + params.toString(), {
        headers: authHeaders({ Accept: 'text/event-stream' }), signal: controller.signal, cache: 'no-store',
      });
      if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
      state.textContent = 'live';
      state.dataset.state = 'live';
      retry = 500;
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('\n');
          if (data) {
            try { deliver(JSON.parse(data)); } catch (_) { /* not JSON: ignored */ }
          }
        }
      }
      if (!stopped) state.textContent = 'disconnected; reconnecting…';
    } catch (error) {
      if (stopped) return;
      state.textContent = (error instanceof ApiError ? error.message : 'disconnected') + '; retrying…';
      state.dataset.state = 'error';
      if (error instanceof ApiError && error.status === 401) return; // wait for a token
    }
    if (!stopped) {
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 10000);
    }
  };

  pause.addEventListener('click', () => {
    paused = !paused;
    pause.textContent = paused ? 'Resume' : 'Pause';
    pause.setAttribute('aria-pressed', String(paused));
    if (!paused) {
      for (const message of held) addRow(message);
      held = [];
      heldDropped = 0;
    }
    refreshCount();
  });
  clear.addEventListener('click', () => { body.replaceChildren(); refreshCount(); });
  filter.addEventListener('input', () => { for (const row of body.children) row.hidden = !matches(row); refreshCount(); });
  from.addEventListener('change', () => {
    if (controller) controller.abort();
    body.replaceChildren(); lastSequence = 0; held = []; refreshCount();
  });

  setPage('Live events',
    el('p', { class: 'muted' }, 'Every event the runtime publishes, newest first (GET /v1/events as Server-Sent Events).'),
    el('div', { class: 'toolbar' },
      el('label', { for: 'tail-filter' }, 'Filter '), filter,
      el('label', { for: 'tail-from' }, 'Start with '), from,
      pause, clear, state, counter),
    el('div', { class: 'events panel' }, el('table', {},
      el('thead', {}, el('tr', {}, ['Seq', 'Time (UTC)', 'Type', 'Payload'].map((h) => el('th', { scope: 'col' }, h)))), body)));
  activeTail = {
    stop() { stopped = true; if (controller) controller.abort(); },
    get shown() { return shown; },
    get received() { return received; },
  };
  connect();
}

async function newestSequence() {
  try {
    const text = await apiText('/metrics');
    const metric = parseMetrics(text).find((m) => m.name === 'traverse_events_last_sequence');
    return metric ? metric.value : 0;
  } catch (_) {
    return 0;
  }
}

// ---- metrics ----

function parseMetrics(text) {
  const help = new Map();
  const samples = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('# HELP ')) {
      const rest = line.slice(7);
      const space = rest.indexOf(' ');
      help.set(rest.slice(0, space), rest.slice(space + 1));
      continue;
    }
    if (!line || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels = {};
    if (match[3]) {
      for (const part of match[3].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[part[1]] = part[2];
    }
    samples.push({ name: match[1], labels, value: Number(match[4]), help: help.get(match[1]) || '' });
  }
  for (const s of samples) if (!s.help) s.help = help.get(s.name) || '';
  return samples;
}

let metricsTimer = null;

async function pageMetrics() {
  const groups = [
    ['Native pool', (n) => n.startsWith('traverse_pool_')],
    ['WebAssembly workers', (n) => n.startsWith('traverse_wasm_')],
    ['Service', (n) => n.startsWith('traverse_service_') || n.startsWith('traverse_http_connections') || n === 'traverse_http_requests_in_flight'],
    ['Events and traces', (n) => n.startsWith('traverse_event') || n === 'traverse_trace_write_failures_total'],
  ];
  const container = el('div', { id: 'metrics' }, el('p', { class: 'muted' }, 'Loading…'));
  const auto = el('input', { type: 'checkbox', id: 'metrics-auto', checked: true });
  const updated = el('span', { class: 'muted', role: 'status' });
  setPage('Pool and worker gauges',
    el('div', { class: 'toolbar' }, el('label', { for: 'metrics-auto' }, auto, ' refresh every 2 s'), updated,
      el('a', { href: '/metrics' }, 'raw /metrics')),
    container);
  const render = async () => {
    const samples = parseMetrics(await apiText('/metrics'));
    const value = (name) => { const s = samples.find((x) => x.name === name && !Object.keys(x.labels).length); return s ? s.value : undefined; };
    const meterOf = { traverse_pool_workers_busy: 'traverse_pool_workers', traverse_wasm_workers_alive: 'traverse_wasm_workers_configured' };
    const sections = groups.map(([title, test]) => {
      const gauges = samples.filter((s) => test(s.name) && !Object.keys(s.labels).length);
      return el('section', { 'aria-label': title }, el('h2', {}, title),
        gauges.length ? el('div', { class: 'gauges' }, gauges.map((g) => {
          const card = el('div', { class: 'gauge', 'data-metric': g.name },
            el('div', { class: 'name' }, g.name), el('div', { class: 'value' }, String(g.value)), el('div', { class: 'help' }, g.help));
          const of = meterOf[g.name] && value(meterOf[g.name]);
          if (of) {
            const fill = el('div');
            fill.style.width = `${Math.min(100, (g.value / of) * 100)}%`;
            card.append(el('div', { class: 'meter', role: 'img', 'aria-label': `${g.value} of ${of}` }, fill));
          }
          return card;
        })) : el('p', { class: 'muted' }, 'Not reported by this server.'));
    });
    const executions = samples.filter((s) => s.name === 'traverse_executions_total');
    sections.push(el('section', { 'aria-label': 'Executions' }, el('h2', {}, 'Executions by capability and outcome'),
      executions.length ? el('table', {}, el('thead', {}, el('tr', {}, ['Capability', 'Outcome', 'Count'].map((h) => el('th', { scope: 'col' }, h)))),
        el('tbody', {}, executions.map((s) => el('tr', {}, el('td', {}, s.labels.capability), el('td', {}, badge(s.labels.outcome)), el('td', { class: 'mono' }, s.value)))))
        : el('p', { class: 'muted' }, 'No executions yet.')));
    container.replaceChildren(...sections);
    updated.textContent = 'updated ' + new Date().toLocaleTimeString();
  };
  await render();
  const tick = () => {
    metricsTimer = setTimeout(async () => {
      if (!document.getElementById('metrics')) return;
      if (auto.checked) await render().catch(showError);
      tick();
    }, 2000);
  };
  tick();
}

// ---- routing ----

function showError(error) {
  main().append(errorPanel(error));
}

// Routes run one at a time, in order: a page that is still loading when the address changes again
// would otherwise finish last and draw itself over the newer page. `main` carries
// data-ready="false" from the moment the address changes until the last queued route has drawn,
// and data-rendered names the address drawn (what tests and scripts wait for).
let routeChain = Promise.resolve();
let queuedRoutes = 0;

function route() {
  queuedRoutes++;
  main().dataset.ready = 'false';
  // The catch keeps the chain fulfilled: a rejected link would skip every later route.
  routeChain = routeChain.then(renderRoute).catch((error) => setPage('Error', errorPanel(error))).finally(() => {
    if (--queuedRoutes === 0) main().dataset.ready = 'true';
  });
  return routeChain;
}

async function renderRoute() {
  // A later route is queued: it draws the current address, so this one has nothing to add.
  if (queuedRoutes > 1) return;
  const address = location.hash;
  stopTail();
  if (metricsTimer) { clearTimeout(metricsTimer); metricsTimer = null; }
  showBanner('');
  const hash = address.replace(/^#\/?/, '') || 'capabilities';
  const [pathPart, query] = hash.split('?');
  const [page, ...rest] = pathPart.split('/');
  const arg = rest.length ? decodeURIComponent(rest.join('/')) : '';
  const navPage = { capability: 'capabilities', workflow: 'workflows', trace: 'traces', timeline: 'traces' }[page] || page;
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.dataset.page === navPage) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  main().dataset.page = page;
  try {
    switch (page) {
      case 'capabilities': await (arg ? pageCapability(arg) : pageCapabilities()); break;
      case 'workflows': await (arg ? pageWorkflow(arg) : pageWorkflows()); break;
      case 'run': await pageRun(arg); break;
      case 'traces': await pageTraces(query); break;
      case 'trace': await pageTrace(arg); break;
      case 'timeline': await pageTimeline(arg); break;
      case 'events': pageEvents(); break;
      case 'metrics': await pageMetrics(); break;
      default: setPage('Not found', el('p', {}, 'No page ' + page + '. ', link('#/capabilities', 'Capabilities')));
    }
  } catch (error) {
    setPage('Error', errorPanel(error));
  }
  main().dataset.rendered = address;
}

function initToken() {
  const form = document.getElementById('token-form');
  const input = document.getElementById('token');
  const stateText = document.getElementById('token-state');
  const describe = () => { stateText.textContent = token() ? 'token set for this tab' : 'no token'; };
  input.value = token();
  describe();
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (input.value.trim()) sessionStorage.setItem(TOKEN_KEY, input.value.trim());
    else sessionStorage.removeItem(TOKEN_KEY);
    describe();
    route();
  });
}

window.addEventListener('hashchange', route);
document.addEventListener('DOMContentLoaded', () => {
  initToken();
  route();
});
// For tests and debugging: the live tail's counters, the schema check, the timeline drawing.
window.traverseConsole = { tail: () => activeTail, validateSchema, timelineView };
