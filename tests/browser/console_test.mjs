// Governing spec: 055-console
// The web console in a real browser: starts `traverse serve` (expedition bundle and packages) on
// 127.0.0.1 with a free port, drives Debian's chromium headless through puppeteer-core, loads
// every page, runs the expedition capability from the form, checks the run's timeline (5 steps)
// and the live event tail (5 events, pause, filter), the traces filters, the gauges, the token
// field against a server that needs a token, and that no page overflows 1280x800. Saves the
// screenshots docs/console.md shows (docs/images/console-*.png).
//
// Usage: node console_test.mjs <traverse binary> <source dir> [screenshot dir]
// Exit: 0 passed, 1 failed, 77 skipped (no chromium, or `npm ci` not run in tests/browser; 1
// instead when TRAVERSE_TESTS_REQUIRE_TOOLS is set).
// Every wait is bounded (selectors and conditions with timeouts); nothing sleeps to synchronise.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';

// CI sets TRAVERSE_TESTS_REQUIRE_TOOLS: there a missing browser or module fails (exit 1) instead
// of skipping, so a CI run can never pass without driving the browser.
const SKIP = process.env.TRAVERSE_TESTS_REQUIRE_TOOLS ? 1 : 77;
const [cli, sourceDir, screenshotArg] = process.argv.slice(2);
if (!cli || !sourceDir) {
  console.error('usage: node console_test.mjs <traverse binary> <source dir> [screenshot dir]');
  process.exit(2);
}
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
if (!existsSync(chromiumPath)) {
  console.log(`SKIP: no browser at ${chromiumPath} (Debian package chromium; scripts/setup.sh installs it)`);
  process.exit(SKIP);
}
const require = createRequire(import.meta.url);
let puppeteer;
try {
  puppeteer = require('puppeteer-core');
} catch (_) {
  console.log('SKIP: puppeteer-core is not installed: run `npm ci` in tests/browser (scripts/browser_setup.sh)');
  process.exit(SKIP);
}

const screenshotDir = screenshotArg || path.join(sourceDir, 'docs', 'images');
const example = (name) => path.join(sourceDir, 'examples', 'expedition', name);
const WAIT = 30000; // ms: the bound of every wait on the page
const work = mkdtempSync(path.join(tmpdir(), 'traverse-console-'));
const servers = [];
let browser = null;
let failures = 0;
let passed = 0;

function check(condition, what) {
  if (condition) {
    passed++;
    console.log(`ok - ${what}`);
  } else {
    failures++;
    console.log(`not ok - ${what}`);
  }
}

// `traverse serve` on 127.0.0.1 port 0; resolves with its URL (the line it prints), bounded.
function startServer(name, extra = []) {
  const packages = readdirSync(example('capabilities'), { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(example(`capabilities/${d.name}/package.json`)))
    .flatMap((d) => ['--package', example(`capabilities/${d.name}/package.json`)]);
  const args = ['serve', '--bundle', example('bundle.json'), '--listen', '127.0.0.1:0',
    '--trace-db', path.join(work, `${name}.db`), ...packages, ...extra];
  const child = spawn(cli, args, { stdio: ['ignore', 'pipe', 'pipe'], env: Object.assign({}, process.env, { NO_COLOR: '1' }) });
  servers.push(child);
  let log = '';
  child.stderr.on('data', (chunk) => { log = (log + chunk).slice(-20000); });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${name}: serve printed no URL within 60 s; stderr:\n${log}`)), 60000);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const line = out.split('\n').find((l) => l.startsWith('http'));
      if (line && out.includes('\n')) {
        clearTimeout(timer);
        resolve(line.trim());
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name}: serve exited with ${code}; stderr:\n${log}`));
    });
  });
}

function stopServers() {
  return Promise.all(servers.map((child) => new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => { child.kill('SIGKILL'); resolve(); }, 30000);
    child.once('exit', () => { clearTimeout(timer); resolve(); });
    child.kill('SIGTERM');
  })));
}

async function newPage(errors) {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 800 });
  page.setDefaultTimeout(WAIT);
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    // 401 answers are expected on the token test page; anything else (a CSP violation, a script
    // error, a failed asset) is a failure.
    if (message.type() === 'error' && !/status of 401/.test(message.text())) errors.push(`console: ${message.text()}`);
  });
  return page;
}

// Navigates to a console route and waits until the page says it has rendered.
async function open(page, base, hash) {
  // The tab in front: a background tab's renderer may be frozen by the browser.
  await page.bringToFront();
  const url = `${base}/${hash}`;
  if (page.url().startsWith(base + '/')) {
    await page.evaluate((h) => { location.hash = h; }, hash);
  } else {
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: WAIT });
  }
  try {
    // data-rendered, not location.hash: the address changes before the console's hashchange
    // handler runs, so the previous page can still be the one shown (and ready).
    await page.waitForFunction((h) => {
      const m = document.getElementById('main');
      return m.dataset.rendered === h && m.dataset.ready === 'true';
    }, { timeout: WAIT, polling: 50 }, hash);
  } catch (error) {
    const state = await page.evaluate(() => `${location.hash} rendered=${document.getElementById('main').dataset.rendered} ready=${document.getElementById('main').dataset.ready}: ${document.getElementById('main').innerText.slice(0, 300)}`).catch((e) => String(e));
    throw new Error(`${hash} did not render within ${WAIT} ms (page: ${state}): ${error.message}`);
  }
}

async function noHorizontalOverflow(page, what) {
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  check(width <= 1280, `${what}: no horizontal overflow at 1280x800 (scrollWidth ${width})`);
}

async function shot(page, name) {
  await page.bringToFront();
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: path.join(screenshotDir, `console-${name}.png`) });
}

async function rowCount(page, selector) {
  return page.$$eval(selector, (rows) => rows.filter((r) => !r.hidden).length);
}

async function main() {
  const url = await startServer('open');
  browser = await puppeteer.launch({
    executablePath: chromiumPath,
    headless: true,
    userDataDir: path.join(work, 'profile'),
    protocolTimeout: 2 * WAIT,
    // Two tabs work at once (the tail and the form): neither may be throttled in the background.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-background-timer-throttling', '--disable-renderer-backgrounding',
      '--disable-backgrounding-occluded-windows'],
  });
  const errors = [];
  const page = await newPage(errors);
  const executes = [];
  page.on('request', (request) => { if (request.url().endsWith('/v1/capabilities/execute')) executes.push(request.url()); });

  // Capabilities.
  await open(page, url, '#/capabilities');
  const capabilities = await rowCount(page, '#capability-rows tr');
  check(capabilities >= 6, `capabilities page lists the expedition's capabilities (${capabilities})`);
  await noHorizontalOverflow(page, 'capabilities');
  await shot(page, 'capabilities');

  // One capability: contract and schemas rendered.
  await open(page, url, '#/capabilities/expedition.planning.plan-expedition');
  const schemaText = await page.$eval('main', (m) => m.innerText);
  check(schemaText.includes('duration_days') && schemaText.includes('minimum 1') && schemaText.includes('required'),
    'capability page renders the input schema (properties, constraints, required)');
  check(schemaText.includes('plan-expedition@1.0.0'), 'capability page links its workflow');
  await noHorizontalOverflow(page, 'capability');
  await shot(page, 'capability');

  // Workflows.
  await open(page, url, '#/workflows/plan-expedition');
  const workflowText = await page.$eval('main', (m) => m.innerText);
  check(workflowText.includes('capture_objective') && workflowText.includes('validate_readiness_to_assemble_plan'),
    'workflow page lists the nodes and edges');
  await noHorizontalOverflow(page, 'workflow');
  await shot(page, 'workflow');

  // The live tail, opened before the run in its own tab.
  const tail = await newPage(errors);
  await open(tail, url, '#/events');
  await tail.waitForFunction(() => document.getElementById('tail-state').dataset.state === 'live', { timeout: WAIT, polling: 50 });
  check(await rowCount(tail, '#event-rows tr') === 0, 'the event tail starts empty on a fresh server');

  // Run: the form validates against the input schema before sending anything.
  await open(page, url, '#/run/expedition.planning.plan-expedition');
  await page.waitForFunction(() => document.getElementById('run-input').value.trim().startsWith('{'), { timeout: WAIT, polling: 50 });
  const bad = { objective: '', region: 'Alps', start_date: '2027-07-14', duration_days: 0, team: [{ name: 'Ana', experience: 'guru', certifications: [] }], extra: 1 };
  await page.$eval('#run-input', (area, text) => { area.value = text; }, JSON.stringify(bad, null, 2));
  await page.click('#run-submit');
  await page.waitForSelector('#run-violations li', { timeout: WAIT });
  const violations = await page.$$eval('#run-violations li', (items) => items.map((i) => i.textContent));
  check(violations.some((v) => v.startsWith('$.duration_days')) && violations.some((v) => v.startsWith('$.team[0].experience')) &&
    violations.some((v) => v.startsWith('$.extra')) && violations.some((v) => v.startsWith('$.objective')),
  `invalid input is refused in the browser with JSON paths (${violations.join(' | ')})`);
  check(executes.length === 0, 'nothing was sent for the invalid input');
  await shot(page, 'run-invalid');

  const request = JSON.parse(readFileSync(example('requests/plan-expedition.json'), 'utf8'));
  await page.$eval('#run-input', (area, text) => { area.value = text; }, JSON.stringify(request.input, null, 2));
  await page.click('#run-submit');
  await page.waitForSelector('#result', { timeout: WAIT });
  const resultText = await page.$eval('#result', (r) => r.innerText);
  check(resultText.includes('completed') && resultText.includes('HTTP 200'), 'the expedition run from the form completed');
  check(executes.length === 1, 'the valid input was sent once');
  await noHorizontalOverflow(page, 'run');
  await shot(page, 'run');

  // The run's timeline: 5 steps, one bar each, none failed, on one row (the workflow is a chain).
  await page.click('#result-timeline-link');
  await page.waitForSelector('#timeline .bar', { timeout: WAIT });
  const bars = await page.$$eval('#timeline .bar', (items) => items.map((b) => ({
    step: b.dataset.step, failed: b.classList.contains('failed'), left: parseFloat(b.style.left), lane: b.closest('.lane') ? [...b.closest('.timeline').querySelectorAll('.lane')].indexOf(b.closest('.lane')) : -1,
  })));
  check(bars.length === 5, `the run's timeline shows 5 steps (${bars.length})`);
  check(bars.every((b) => !b.failed), 'no step is marked failed');
  check(bars.every((b, i) => i === 0 || b.left >= bars[i - 1].left), 'the bars follow the steps in time');
  await noHorizontalOverflow(page, 'timeline');
  await shot(page, 'timeline');

  // Parallel branches and a failed step (the expedition is a chain that succeeds): the same
  // drawing code on a trace document of a diamond run whose right branch failed.
  const t0 = Date.parse('2026-01-05T10:00:00.000Z');
  const at = (ms) => new Date(t0 + ms).toISOString();
  const step = (index, node, outcome, start, duration) => ({
    id: `trace-${node}`, step_index: index, capability_id: `example.diamond.${node}`, capability_version: '1.0.0',
    outcome, time: at(start), duration_ms: duration, workflow_run_id: 'run-diamond' });
  const diamond = {
    public: { id: 'trace-diamond', capability_id: 'example.diamond', capability_version: '1.0.0', outcome: 'Failure',
      time: at(0), duration_ms: 130, workflow_run_id: 'run-diamond' },
    steps: [step(0, 'fetch', 'Success', 2, 20), step(1, 'left', 'Success', 25, 80), step(2, 'middle', 'Success', 26, 45),
      step(3, 'right', 'Failure', 27, 30)],
    workflow_run: { evidence: { visited_nodes: ['fetch', 'left', 'middle', 'right'].map((n) => ({ node_id: n, trace_id: `trace-${n}` })) } },
  };
  await page.evaluate((body) => {
    const main = document.getElementById('main');
    const title = document.createElement('h1');
    title.textContent = 'Run timeline';
    main.replaceChildren(title, ...window.traverseConsole.timelineView('trace-diamond', body));
  }, diamond);
  const drawn = await page.$eval('#timeline', (t) => ({
    rows: Number(t.dataset.rows),
    lanes: [...t.querySelectorAll('.lane')].map((lane) => [...lane.querySelectorAll('.bar')].map((b) => b.dataset.step).join(',')),
    failed: [...t.querySelectorAll('.bar.failed')].map((b) => ({ step: b.dataset.step, colour: getComputedStyle(b).backgroundColor })),
  }));
  check(drawn.rows === 3 && drawn.lanes.join(' | ') === '0,1 | 2 | 3',
    `overlapping steps (parallel branches) are drawn on separate rows (${drawn.lanes.join(' | ')})`);
  check(drawn.failed.length === 1 && drawn.failed[0].step === '3' && drawn.failed[0].colour === 'rgb(180, 35, 24)',
    `the failed step is red (${JSON.stringify(drawn.failed)})`);
  await shot(page, 'timeline-parallel');
  // Back to the expedition run's timeline (the address did not change: draw it again).
  await page.evaluate(() => window.dispatchEvent(new HashChangeEvent('hashchange')));
  await page.waitForFunction(() => document.getElementById('main').dataset.ready === 'true' && document.querySelector('#timeline .bar[data-step="4"]'), { timeout: WAIT, polling: 50 });

  // Clicking a bar opens that step's trace, with its published event and payload.
  await page.click('#timeline .bar[data-step="4"]');
  await page.waitForFunction(() => {
    const m = document.getElementById('main');
    return (m.dataset.rendered || '').startsWith('#/trace/') && m.dataset.ready === 'true';
  }, { timeout: WAIT, polling: 50 });
  const traceText = await page.$eval('main', (m) => m.innerText);
  check(traceText.includes('expedition.planning.assemble-expedition-plan') && traceText.includes('inputs sha-256'),
    'a bar opens its step\'s trace (public entry and hashes)');
  check(await rowCount(page, '#trace-events li') === 1, 'the step\'s trace lists the event it published');
  await page.click('#trace-events summary');
  await noHorizontalOverflow(page, 'trace');
  await shot(page, 'trace');

  // The tail saw the run's 5 events, live.
  await tail.bringToFront();
  await tail.waitForFunction(() => document.querySelectorAll('#event-rows tr').length >= 5, { timeout: WAIT, polling: 50 });
  check(await rowCount(tail, '#event-rows tr') === 5, 'the event tail shows the run\'s 5 events');
  await noHorizontalOverflow(tail, 'events');
  await shot(tail, 'events');

  // Pause holds new events back; resume shows them; the filter narrows by type.
  await tail.click('#tail-pause');
  await page.bringToFront();
  await page.evaluate(async (body) => {
    const response = await fetch('/v1/capabilities/execute', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    if (!response.ok) throw new Error('execute: ' + response.status);
  }, JSON.stringify(Object.assign({}, request, { request_id: 'console-browser-second' })));
  await tail.bringToFront();
  await tail.waitForFunction(() => /5 held while paused/.test(document.getElementById('tail-count').textContent), { timeout: WAIT, polling: 50 });
  check(await rowCount(tail, '#event-rows tr') === 5, 'while paused the tail shows no new rows (5 held)');
  await tail.click('#tail-pause');
  check(await rowCount(tail, '#event-rows tr') === 10, 'resuming shows the held events (10 rows)');
  await tail.type('#tail-filter', 'plan-assembled');
  check(await rowCount(tail, '#event-rows tr') === 2, 'the filter keeps only the matching type (2 rows)');

  // A rejected execution, then traces with failures first.
  await page.bringToFront();
  const rejected = await fetch(`${url}/v1/capabilities/execute`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(Object.assign({}, request, { request_id: 'console-browser-bad', input: { objective: 'x' } })),
  });
  check(rejected.status === 400, `an input that violates the schema is rejected by the service (${rejected.status})`);
  await open(page, url, '#/traces?failures_first=1&limit=100');
  await page.waitForSelector('#trace-rows tr', { timeout: WAIT });
  const outcomes = await page.$$eval('#trace-rows tr td:nth-child(2)', (cells) => cells.map((c) => c.innerText.trim()));
  check(outcomes.length === 13 && outcomes[0] !== 'Success' && outcomes.slice(1).every((o) => o === 'Success'),
    `traces list failures first (${outcomes.slice(0, 3).join(', ')}… of ${outcomes.length})`);
  await noHorizontalOverflow(page, 'traces');
  await shot(page, 'traces');
  await open(page, url, '#/traces?capability=expedition.planning.plan-expedition&outcome=success');
  await page.waitForSelector('#trace-rows tr', { timeout: WAIT });
  check(await rowCount(page, '#trace-rows tr') === 2, 'the capability and outcome filters narrow the list (2 runs)');

  // Gauges from /metrics: the native pool and the WebAssembly workers.
  await open(page, url, '#/metrics');
  const gauges = await page.$$eval('.gauge', (cards) => Object.fromEntries(cards.map((c) => [c.dataset.metric, Number(c.querySelector('.value').textContent)])));
  check(gauges.traverse_pool_workers >= 1, `the native pool gauge is shown (${gauges.traverse_pool_workers} workers)`);
  check(gauges.traverse_wasm_workers_alive >= 1 && gauges.traverse_wasm_executions >= 10,
    `the WebAssembly worker gauges are shown (${gauges.traverse_wasm_workers_alive} alive, ${gauges.traverse_wasm_executions} calls)`);
  await noHorizontalOverflow(page, 'metrics');
  await shot(page, 'metrics');

  // Keyboard: Tab from the top reaches the skip link, then the navigation, with a visible focus.
  await page.reload({ waitUntil: 'domcontentloaded' });
  await page.waitForFunction(() => document.getElementById('main').dataset.ready === 'true', { timeout: WAIT, polling: 50 });
  await page.keyboard.press('Tab');
  const first = await page.evaluate(() => ({ text: document.activeElement.textContent, outline: getComputedStyle(document.activeElement).outlineStyle }));
  check(first.text === 'Skip to content' && first.outline !== 'none', `the first Tab focuses the skip link, visibly (${first.text}, outline ${first.outline})`);
  await page.keyboard.press('Tab');
  const second = await page.evaluate(() => document.activeElement.textContent);
  check(second === 'Capabilities', `the next Tab reaches the navigation (${second})`);

  // A server that needs a token: the page loads without one; the API calls need it.
  const secret = 'console-test-token-0123456789';
  const tokenFile = path.join(work, 'tokens');
  writeFileSync(tokenFile, `${secret} read execute\n`);
  const securedUrl = await startServer('secured', ['--token-file', tokenFile]);
  const secured = await newPage(errors);
  await open(secured, securedUrl, '#/capabilities');
  const banner = await secured.$eval('#banner', (b) => (b.hidden ? '' : b.textContent));
  check(banner.includes('needs a bearer token'), 'without a token the page loads and asks for one');
  await secured.type('#token', secret);
  await secured.click('#token-form button');
  await secured.waitForSelector('#capability-rows tr', { timeout: WAIT });
  check(await rowCount(secured, '#capability-rows tr') >= 6, 'with the token typed in, the capabilities load');
  check(await secured.evaluate(() => sessionStorage.getItem('traverse.console.token')) === secret, 'the token is kept in sessionStorage');

  check(errors.length === 0, `no script, CSP or console errors${errors.length ? ': ' + errors.join(' | ') : ''}`);
}

let exitCode = 0;
try {
  await main();
} catch (error) {
  console.log(`not ok - ${error.stack || error}`);
  failures++;
} finally {
  if (browser) await browser.close().catch(() => {});
  await stopServers();
  rmSync(work, { recursive: true, force: true });
}
console.log(`# ${passed} passed, ${failures} failed`);
exitCode = failures ? 1 : 0;
process.exit(exitCode);
