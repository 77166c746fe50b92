// Browser test of the dashboard against a running coordinator (docs/api.md, "HTTP API v1").
//
//   node web/test/dashboard.test.mjs --url http://127.0.0.1:7071 --job ID \
//        [--job2 ID] [--token TOKEN] [--screenshot job.png] [--chromium /usr/bin/chromium]
//
// --job2 names a second job that runs beside the first: the overview's chunk
// stream must show the chunks of both. The first worker listed gets its page
// opened: its CPU and memory must show (workers report them every second).
// With --screenshot, the overview and that worker page are saved beside it
// (NAME-overview.png, NAME-worker.png).
// --job names a job that is running when the test starts (its chunks must
// finish more often than about twice a second, so that progress visibly
// grows, and the whole job within --wait-s, default 90). The cluster needs a
// connected worker and at least one scaling study (tminus scale uploads one).
// --expect-marks: some study has a point marked `!` (doubtful) and one above
// its calibration (the observability test records such a study).
// With --token the coordinator must have token files: the test first checks
// that a browser without the token is refused, then logs in through the form.
// Drives the system Chromium through puppeteer-core; downloads nothing.
// Exits 0 when every step passed, 1 on a failure, 2 on bad arguments.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import puppeteer from 'puppeteer-core';

const USAGE = 'usage: node web/test/dashboard.test.mjs --url BASE --job ID [--job2 ID] [--token TOKEN] ' +
              '[--screenshot PATH] [--chromium PATH] [--wait-s 90] [--expect-marks]';
let args;
try {
  ({ values: args } = parseArgs({ options: {
    url: { type: 'string' }, token: { type: 'string' }, job: { type: 'string' }, job2: { type: 'string' },
    screenshot: { type: 'string' }, chromium: { type: 'string', default: process.env.CHROMIUM || '/usr/bin/chromium' },
    'wait-s': { type: 'string', default: '90' }, help: { type: 'boolean', default: false },
    'expect-marks': { type: 'boolean', default: false },
  } }));
} catch (e) {
  console.error(`${e.message}\n${USAGE}`);
  process.exit(2);
}
if (args.help) { console.log(USAGE); process.exit(0); }
const jobId = Number(args.job);
const job2Id = args.job2 === undefined ? null : Number(args.job2);
const waitS = Number(args['wait-s']);
if (!args.url || !/^https?:\/\//.test(args.url) || !Number.isSafeInteger(jobId) || jobId < 0 || !(waitS > 0)) {
  console.error(`--url http(s)://HOST:PORT and --job ID are required\n${USAGE}`);
  process.exit(2);
}
if (!fs.existsSync(args.chromium)) {
  console.error(`no browser at ${args.chromium} (apt-get install -y chromium, or --chromium PATH)`);
  process.exit(2);
}
const BASE = args.url.replace(/\/+$/, '');
const TOTAL_LIMIT_MS = (waitS + 120) * 1000;   // everything, launch to close
const STEP_MS = 15000;                          // one page step

class Failure extends Error {}
const fail = (msg) => { throw new Failure(msg); };
const started = Date.now();
const pass = (msg) => console.log(`ok   ${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s  ${msg}`);
const note = (msg) => console.log(`note        ${msg}`);

// Console errors and page errors, all through the run. While `phase` is
// 'refused' the resource errors that a refused browser must get (401) are
// expected; anything else still fails.
let phase = 'start';
const problems = [];
let expectedResourceErrors = 0;
function watch(page) {
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    const loc = msg.location() || {};
    if (phase === 'refused' && /status of 401/.test(text)) { expectedResourceErrors++; return; }
    if (phase === 'vanished' && /status of 404/.test(text)) { expectedResourceErrors++; return; }
    problems.push(`console error [${phase}]: ${text}${loc.url ? ` (${loc.url}${loc.lineNumber !== undefined ? `:${loc.lineNumber + 1}` : ''})` : ''}`);
  });
  page.on('pageerror', (err) => problems.push(`page error [${phase}]: ${err && err.stack ? err.stack : err}`));
  page.on('requestfailed', (req) => {
    const why = req.failure() ? req.failure().errorText : '';
    // A request the page itself abandons on navigation is not a fault.
    if (why !== 'net::ERR_ABORTED') problems.push(`request failed [${phase}]: ${req.method()} ${req.url()} ${why}`);
  });
}
function checkProblems(where) {
  if (problems.length) fail(`${problems.length} console/page error(s) by ${where}:\n  ${problems.join('\n  ')}`);
}

async function waitFor(page, fn, arg, what, timeout = STEP_MS) {
  try {
    return await page.waitForFunction(fn, { timeout, polling: 100 }, arg);
  } catch (e) {
    fail(`timed out after ${timeout / 1000} s waiting for ${what} (page ${page.url()})`);
  }
}
const go = (page, hash) => page.evaluate((h) => { location.hash = h; }, hash);

// ---- the steps --------------------------------------------------------------
async function refusedWithoutToken(page) {
  phase = 'refused';
  await page.goto(`${BASE}/`, { waitUntil: 'load', timeout: STEP_MS });
  await waitFor(page, () => location.pathname === '/login' && !!document.querySelector('form'), null,
                'a browser without the token to end on /login');
  const form = await page.evaluate(() => {
    const f = document.querySelector('form');
    const input = f && f.querySelector('input[name="token"]');
    return f && { method: f.getAttribute('method'), action: f.getAttribute('action'), type: input && input.type };
  });
  if (!form || form.method.toLowerCase() !== 'post' || form.action !== '/login' || form.type !== 'password') {
    fail(`the login form must be method=post action=/login with a password field "token"; got ${JSON.stringify(form)}`);
  }
  pass('without a token, / ends on /login (form posts the token field to /login)');
  const status = await page.evaluate(() => fetch('/api/v1/jobs', { credentials: 'same-origin' }).then((r) => r.status));
  if (status !== 401) fail(`fetch('/api/v1/jobs') without a token gave ${status}, want 401`);
  pass('without a token, fetch(/api/v1/jobs) gives 401');
}

async function logIn(page) {
  phase = 'login';
  // A wrong token first: back on the login page, saying so, with no session.
  await page.type('input[name="token"]', `wrong-${Date.now()}`);
  await Promise.all([
    page.waitForNavigation({ waitUntil: 'load', timeout: STEP_MS }),
    page.click('form [type="submit"]'),
  ]);
  const wrong = await page.evaluate(() => {
    const note = document.getElementById('bad-token');
    return { path: location.pathname, shown: !!note && !note.hidden && note.offsetParent !== null };
  });
  if (wrong.path !== '/login') fail(`a wrong token led to ${wrong.path}, want /login`);
  if (!wrong.shown) fail('after a wrong token the login page does not show #bad-token');
  if ((await page.cookies()).some((c) => c.name === 'tminus_session')) fail('a wrong token got a session cookie');
  pass('a wrong token is refused: back on /login with #bad-token shown, no session cookie');

  await page.type('input[name="token"]', args.token);
  await Promise.all([
    page.waitForNavigation({ waitUntil: 'load', timeout: STEP_MS }),
    page.click('form [type="submit"]'),
  ]);
  const url = new URL(page.url());
  if (url.pathname !== '/') fail(`after logging in the browser is at ${url.pathname}, want /`);
  if (page.url().includes(encodeURIComponent(args.token)) || page.url().includes(args.token)) {
    fail('the token appears in the URL');
  }
  const cookies = await page.cookies();
  const session = cookies.find((c) => c.name === 'tminus_session');
  if (!session) fail(`no tminus_session cookie after logging in (cookies: ${cookies.map((c) => c.name).join(', ') || 'none'})`);
  if (!session.httpOnly) fail('the tminus_session cookie is not HttpOnly');
  const status = await page.evaluate(() => fetch('/api/v1/jobs', { credentials: 'same-origin' }).then((r) => r.status));
  if (status !== 200) fail(`after logging in fetch('/api/v1/jobs') gave ${status}, want 200`);
  pass(`logged in through the form: redirected to /, HttpOnly session cookie (SameSite=${session.sameSite || '?'}), API answers 200`);
}

const readJob = (page) => page.evaluate(() => {
  const p = document.getElementById('job-progress');
  const s = document.getElementById('job-state');
  return { value: p && p.hasAttribute('value') ? Number(p.getAttribute('value')) : null,
           state: s ? s.textContent.trim() : null };
});

async function jobPage(page, firstLoad) {
  phase = 'job';
  if (firstLoad) await page.goto(`${BASE}/#/jobs/${jobId}`, { waitUntil: 'load', timeout: STEP_MS });
  else await go(page, `#/jobs/${jobId}`);
  await waitFor(page, () => {
    const p = document.getElementById('job-progress');
    const s = document.getElementById('job-state');
    return p && p.hasAttribute('value') && s && s.textContent.trim() !== '';
  }, null, `#job-progress and #job-state on #/jobs/${jobId}`);
  const first = await readJob(page);
  if (!(first.value >= 0 && first.value <= 1)) fail(`#job-progress value ${first.value} is not a fraction`);
  pass(`job ${jobId} page shows state "${first.state}", progress ${(first.value * 100).toFixed(1)}%`);

  if (first.state === 'succeeded') {
    note(`job ${jobId} had already finished (succeeded) when the page opened: progress growth not checked`);
  } else if (first.state === 'queued' || first.state === 'running') {
    // One poll period and a bit; allow a second period for a late answer.
    const t0 = Date.now();
    await sleep(800);
    let now = await readJob(page);
    while (!(now.value > first.value) && now.state !== 'succeeded' && Date.now() - t0 < 2000) {
      await sleep(100);
      now = await readJob(page);
    }
    if (now.value > first.value) {
      pass(`progress grew live: ${(first.value * 100).toFixed(1)}% -> ${(now.value * 100).toFixed(1)}% in ${Date.now() - t0} ms`);
    } else if (now.state === 'succeeded') {
      note(`job ${jobId} finished within ${Date.now() - t0} ms of the first reading`);
    } else {
      fail(`progress did not grow in ${Date.now() - t0} ms: ${first.value} -> ${now.value} (state ${now.state})`);
    }
  } else {
    fail(`job ${jobId} is ${first.state}; the test needs a running (or succeeded) job`);
  }

  const t0 = Date.now();
  const end = await waitFor(page, () => {
    const s = document.getElementById('job-state');
    const st = s ? s.textContent.trim() : '';
    return ['succeeded', 'failed', 'cancelled', 'unknown'].includes(st) ? st : false;
  }, null, `job ${jobId} to finish`, waitS * 1000).then((h) => h.jsonValue());
  if (end !== 'succeeded') fail(`job ${jobId} ended ${end}, want succeeded`);
  const done = await readJob(page);
  if (done.value !== 1) fail(`job ${jobId} succeeded but #job-progress is ${done.value}, want 1`);
  pass(`#job-state says succeeded (after ${((Date.now() - t0) / 1000).toFixed(1)} s more), progress 100%`);

  const parallelism = await waitFor(page, () => {
    const e = document.querySelector('#report #report-parallelism');
    const v = e ? Number(e.textContent) : NaN;
    return v > 0 ? v : false;
  }, null, '#report to show a parallelism').then((h) => h.jsonValue());
  // A number, or "-" with the reason beside it (no calibrated reference yet).
  const speedup = await page.$eval('#report-speedup', (e) => e.textContent);
  const reference = await page.$eval('#report-reference', (e) => e.textContent);
  if (!(Number(speedup) > 0) && (speedup !== '-' || !reference.includes('none'))) {
    fail(`#report-speedup is '${speedup}' with reference '${reference}': want a number, or '-' and why`);
  }
  const reportWorkers = await page.$$eval('#report-workers tbody tr', (rows) => rows.length);
  if (reportWorkers < 1) fail('the report\'s per-worker table (#report-workers) has no row');
  pass(`report shows parallelism ${parallelism}, speedup ${speedup} and ${reportWorkers} worker row(s)`);

  const counts = await waitFor(page, () => {
    if (typeof Chart !== 'function') return false;
    const count = (id) => {
      const c = Chart.getChart(document.getElementById(id));
      return c ? c.data.datasets.reduce((n, d) => n + (Array.isArray(d.data) ? d.data.length : 0), 0) : 0;
    };
    const rate = count('rate-chart'), timeline = count('timeline-chart');
    return rate > 0 && timeline > 0 ? { rate, timeline } : false;
  }, null, 'Chart.getChart(#rate-chart) and (#timeline-chart) to have data').then((h) => h.jsonValue());
  pass(`charts have data: rate-chart ${counts.rate} point(s), timeline-chart ${counts.timeline} bar(s)`);

  if (args.screenshot) {
    await page.screenshot({ path: args.screenshot, fullPage: true });
    pass(`screenshot of the job page in ${args.screenshot}`);
  }
}

async function studiesPage(page) {
  phase = 'studies';
  await go(page, '#/studies');
  const found = await waitFor(page, () => {
    if (typeof Chart !== 'function') return false;
    for (const canvas of document.querySelectorAll('canvas[id^="study-speedup-"], canvas[id^="study-efficiency-"]')) {
      const c = Chart.getChart(canvas);
      if (!c || canvas.width === 0 || canvas.height === 0) continue;
      const points = c.data.datasets.filter((d) => d.label !== 'ideal').reduce((n, d) => n + d.data.length, 0);
      if (points > 0) return { id: canvas.id, points, studies: document.querySelectorAll('#studies > section').length };
    }
    return false;
  }, null, 'a scaling-study chart with data points on #/studies (does the cluster have a study? run tminus scale)')
    .then((h) => h.jsonValue());
  pass(`#/studies: ${found.studies} study(ies); canvas#${found.id} draws ${found.points} point(s)`);
}

// The `!` of tminus scale's table, on the studies page: the Efficiency cell of
// each point the API calls doubtful, the vs calibration cell of each above
// its ceiling, each with a title saying why, nothing on the others, and the
// legend under the table.
async function studyMarks(page) {
  phase = 'study-marks';
  await go(page, '#/studies');
  const seen = await waitFor(page, async () => {
    const answer = await fetch('/api/v1/studies', { credentials: 'same-origin' }).then((r) => r.json());
    const out = { rows: 0, doubtful: 0, above: 0, wrong: [], legend: 0 };
    for (const s of answer.studies) {
      const rows = document.querySelectorAll(`#study-points-${s.id} tbody tr`);
      if (rows.length !== s.points.length) return false;  // not drawn yet
      const legend = document.querySelector(`#study-${s.id} .study-marks`);
      if (legend && /! doubtful/.test(legend.textContent) && /\* past the physical cores/.test(legend.textContent)) out.legend++;
      s.points.forEach((p, i) => {
        const cells = rows[i].children;
        const check = (cell, want, what) => {
          const has = cell.textContent.endsWith(' !');
          const title = cell.getAttribute('title') || '';
          if (has !== want || (want && !title.includes(what))) {
            out.wrong.push(`study ${s.id} row ${i} (${p.series}, ${p.slots} slots): "${cell.textContent}" title "${title}", want ${want ? '' : 'no '}! (${what})`);
          }
        };
        check(cells[7], p.doubtful === true, 'doubtful');
        check(cells[11], p.above_ceiling === true, 'above the ceiling');
        out.rows++;
        if (p.doubtful) out.doubtful++;
        if (p.above_ceiling) out.above++;
      });
    }
    return out;
  }, null, 'every study\'s table on #/studies').then((h) => h.jsonValue());
  if (seen.wrong.length) fail(`the studies page's ! marks differ from the API's:\n  ${seen.wrong.join('\n  ')}`);
  const studies = await page.$$eval('#studies > section', (s) => s.length);
  if (seen.legend !== studies) fail(`${studies - seen.legend} study table(s) without the legend of ! and *`);
  if (args['expect-marks'] && !(seen.doubtful > 0 && seen.above > 0)) {
    fail(`--expect-marks: want a doubtful point and one above its ceiling, got ${seen.doubtful} and ${seen.above}`);
  }
  pass(`#/studies marks ${seen.doubtful} doubtful and ${seen.above} above-the-ceiling point(s) of ${seen.rows} with ! ` +
       'and a title, as the API says; each table has the legend');
}

async function overviewPage(page) {
  phase = 'overview';
  await go(page, '#/');
  const workers = await waitFor(page, () => {
    const rows = [...document.querySelectorAll('#workers tbody tr[data-worker-id]')];
    return rows.length ? rows.map((r) => `${r.children[0].textContent}@${r.children[1].textContent} ${r.children[2].textContent}`) : false;
  }, null, 'the workers table (#workers) to list a worker').then((h) => h.jsonValue());
  const jobRow = await page.$(`#jobs tbody tr[data-job-id="${jobId}"]`);
  if (!jobRow) fail(`the jobs table (#jobs) has no row for job ${jobId}`);
  pass(`#/: ${workers.length} worker(s) listed (${workers.slice(0, 4).join(', ')}); job ${jobId} in the jobs table`);
  const studyRows = await page.$$eval('#jobs tbody tr', (rows) =>
    rows.filter((r) => /^scale-/.test(r.children[1].textContent)).length);
  if (studyRows) fail(`the jobs table shows ${studyRows} scaling-study job(s) without "show scaling-study jobs"`);
  await page.click('#show-study');
  await waitFor(page, () => [...document.querySelectorAll('#jobs tbody tr')]
    .some((r) => /^scale-/.test(r.children[1].textContent)), null, 'the study\'s jobs once #show-study is ticked');
  await page.click('#show-study');
  pass('scaling-study jobs are hidden from the jobs table until #show-study is ticked');

  const live = await waitFor(page, (jobs) => {
    if (typeof Chart !== 'function') return false;
    const cluster = Chart.getChart(document.getElementById('cluster-chart'));
    const stream = Chart.getChart(document.getElementById('stream-chart'));
    if (!cluster || !stream) return false;
    const samples = cluster.data.datasets[0].data.length;
    const rate = Math.max(0, ...cluster.data.datasets[0].data.map((p) => p.y));
    const labels = stream.data.datasets.map((d) => d.label);
    const bars = stream.data.datasets.reduce((n, d) => n + d.data.length, 0);
    const all = jobs.every((id) => labels.some((l) => l === `job ${id}` || l.startsWith(`job ${id} `)));
    return samples >= 2 && rate > 0 && bars > 0 && all ? { samples, bars, labels, rows: stream.data.labels.length } : false;
  }, [jobId, job2Id].filter((j) => j !== null), 'the cluster chart (a rate above 0) and a chunk stream with every job\'s chunks')
    .then((h) => h.jsonValue());
  pass(`live view: cluster chart ${live.samples} sample(s); chunk stream ${live.bars} bar(s) on ${live.rows} slot row(s), ` +
       `coloured by ${live.labels.join(', ')}`);
  if (args.screenshot) {
    const file = args.screenshot.replace(/\.png$/, '') + '-overview.png';
    await page.screenshot({ path: file, fullPage: true });
    pass(`screenshot of the overview in ${file}`);
  }
  return workers[0].split('@')[0];
}

async function workerPage(page, workerId) {
  phase = 'worker';
  await page.click(`#workers tbody tr[data-worker-id="${workerId}"] a`);
  const shown = await waitFor(page, () => {
    const cpu = document.getElementById('worker-cpu');
    const memory = document.getElementById('worker-memory');
    const chart = typeof Chart === 'function' && Chart.getChart(document.getElementById('usage-chart'));
    const samples = chart ? chart.data.datasets[0].data.length : 0;
    const cores = document.getElementById('topo-physical_cores');
    return cpu && Number(cpu.textContent) >= 0 && cpu.textContent !== '-' && /B$/.test(memory.textContent) &&
      samples > 0 && cores && cores.textContent !== '-'
      ? { cpu: cpu.textContent, memory: memory.textContent, samples, cores: cores.textContent } : false;
  }, null, `#/workers/${workerId} to show CPU, memory, topology and a usage chart`).then((h) => h.jsonValue());
  pass(`worker page of ${workerId}: CPU ${shown.cpu} cores, memory ${shown.memory}, ` +
       `${shown.cores} physical cores, usage chart ${shown.samples} sample(s)`);
  if (args.screenshot) {
    const file = args.screenshot.replace(/\.png$/, '') + '-worker.png';
    await page.screenshot({ path: file, fullPage: true });
    pass(`screenshot of the worker page in ${file}`);
  }
  await go(page, '#/');
}

async function vanishedJob(page) {
  // A job id that does not exist: the page says so and stops polling it.
  phase = 'vanished';
  const ghost = jobId + 1000000;
  const requests = [];
  const onRequest = (req) => { if (req.url().includes(`/api/v1/jobs/${ghost}`)) requests.push(Date.now()); };
  page.on('request', onRequest);
  await go(page, `#/jobs/${ghost}`);
  await waitFor(page, () => { const m = document.getElementById('job-missing'); return m && !m.hidden; }, null,
                `#job-missing for job ${ghost}`);
  const seen = requests.length;
  await sleep(2500);
  page.off('request', onRequest);
  if (requests.length !== seen) fail(`the page kept polling job ${ghost} after its 404 (${requests.length - seen} more requests)`);
  pass(`a job that does not exist (${ghost}) shows #job-missing and is not polled again`);
  phase = 'after';
  await go(page, '#/');
}

// ---- main -------------------------------------------------------------------
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'tminus-dashboard-test-'));
let browser = null;
const watchdog = setTimeout(() => {
  console.error(`FAIL: the test ran past its overall limit of ${TOTAL_LIMIT_MS / 1000} s`);
  try { if (browser && browser.process()) browser.process().kill('SIGKILL'); } catch (e) { /* exiting */ }
  fs.rmSync(profile, { recursive: true, force: true });
  process.exit(1);
}, TOTAL_LIMIT_MS);

let code = 0;
try {
  browser = await puppeteer.launch({
    executablePath: args.chromium,
    headless: true,
    userDataDir: profile,
    defaultViewport: { width: 1400, height: 1000 },
    protocolTimeout: 30000,
    timeout: 30000,
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync',
           '--window-size=1400,1000'],
  });
  pass(`launched ${await browser.version()}`);
  const page = await browser.newPage();
  page.setDefaultTimeout(STEP_MS);
  watch(page);

  if (args.token) {
    await refusedWithoutToken(page);
    await logIn(page);
  }
  await jobPage(page, !args.token);
  await studiesPage(page);
  await studyMarks(page);
  const worker = await overviewPage(page);
  await workerPage(page, worker);
  await vanishedJob(page);
  await sleep(1500);  // late errors from the last polls
  checkProblems('the end');
  if (expectedResourceErrors) note(`${expectedResourceErrors} expected 401/404 resource error(s) were not counted`);
  pass('no console errors, page errors or failed requests');
  console.log('PASS dashboard');
} catch (e) {
  code = 1;
  if (e instanceof Failure) console.error(`FAIL: ${e.message}`);
  else console.error(`FAIL: ${e && e.stack ? e.stack : e}`);
  if (problems.length && !(e instanceof Failure && /console\/page error/.test(e.message))) {
    console.error(`also ${problems.length} console/page error(s):\n  ${problems.join('\n  ')}`);
  }
} finally {
  if (browser) {
    const closing = browser.close().catch(() => {});
    const result = await Promise.race([closing.then(() => 'closed'), sleep(10000).then(() => 'timeout')]);
    if (result !== 'closed' && browser.process()) browser.process().kill('SIGKILL');
  }
  clearTimeout(watchdog);
  fs.rmSync(profile, { recursive: true, force: true });
}
process.exit(code);
