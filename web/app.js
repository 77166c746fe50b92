// tminus dashboard: routing, polling and the views. Reads only /api/v1 (docs/api.md).
// Every string from the API reaches the DOM through textContent or
// setAttribute, never through innerHTML.
'use strict';

(() => {
  const { fmt, charts, live } = window.tminus;
  const { num } = fmt;
  const main = document.getElementById('view');
  const ACTIVE = new Set(['queued', 'running']);
  const POLL_MS = 1000;         // lists, cluster, studies
  const POLL_JOB_MS = 500;      // a job page while its job is queued or running
  const POLL_DONE_MS = 5000;    // a finished job's page (late duplicates still count)
  const TIMELINE_MS = 900;      // the timeline (the largest answer) at most this often
  const STREAM_MS = 2000;       // the chunk streams (large answers) at most this often

  // ---- DOM helpers --------------------------------------------------------
  function el(tag, props, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = String(v);
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat()) {
      if (c !== null && c !== undefined && c !== false) e.append(c instanceof Node ? c : String(c));
    }
    return e;
  }
  const setText = (e, v) => { const s = String(v); if (e.textContent !== s) e.textContent = s; };
  const str = (v) => (typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v));
  const arr = (v) => (Array.isArray(v) ? v : []);
  const obj = (v) => (v && typeof v === 'object' ? v : {});

  function stateSpan(state, id) {
    return el('span', { id, class: `state state-${str(state).replace(/[^a-z]/g, '')}`, text: str(state) });
  }
  function setState(span, state) {
    setText(span, str(state));
    span.className = `state state-${str(state).replace(/[^a-z]/g, '')}`;
  }
  function fraction(job) {
    const n = num(job.n);
    if (n > 0) return Math.min(1, Math.max(0, num(job.decrements_done) / n));
    return job.state === 'succeeded' ? 1 : 0;
  }
  function setProgress(progress, f) {
    const v = String(Math.round(f * 1e6) / 1e6);
    if (progress.getAttribute('value') !== v) progress.setAttribute('value', v);
  }

  // Keeps container's children in the order of items, reusing the element
  // of each key: rows keep their buttons and hover while the data changes.
  function sync(container, items, key, create, update) {
    const old = new Map();
    for (const child of container.children) old.set(child.dataset.key, child);
    let prev = null;
    for (const item of items) {
      const k = String(key(item));
      let node = old.get(k);
      if (node) old.delete(k);
      else { node = create(item); node.dataset.key = k; }
      const want = prev ? prev.nextSibling : container.firstChild;
      if (want !== node) container.insertBefore(node, want);
      update(node, item);
      prev = node;
    }
    for (const node of old.values()) { charts.destroyIn(node); node.remove(); }
  }

  // ---- API ------------------------------------------------------------------
  class HttpError extends Error {
    constructor(status, message) { super(message); this.status = status; }
  }
  let leaving = false;
  function toLogin() {
    if (leaving) return;
    leaving = true;
    if (view) view.stop();
    location.replace('/login');
  }
  async function api(path, method = 'GET') {
    const init = { method, credentials: 'same-origin', cache: 'no-store',
                   headers: { Accept: 'application/json' } };
    if (method !== 'GET') init.headers['X-Tminus-Request'] = '1';
    let res;
    try {
      res = await fetch(path, init);
    } catch (e) {
      throw new HttpError(0, 'the coordinator cannot be reached; retrying');
    }
    if (res.status === 401) { toLogin(); throw new HttpError(401, 'not logged in'); }
    let body = null;
    try { body = await res.json(); } catch (e) { body = null; }
    if (!res.ok) {
      const msg = body && body.error && typeof body.error.message === 'string' ? body.error.message : '';
      throw new HttpError(res.status, `${res.status}: ${msg || res.statusText || 'request failed'}`);
    }
    if (!body || typeof body !== 'object') throw new HttpError(res.status, `${path}: the answer is not JSON`);
    return body;
  }

  const banner = document.getElementById('error');
  let lasting = '';  // an error that polling does not clear (Chart.js missing)
  function showError(e) {
    const msg = e && e.status === 403 ? 'This token may not read the dashboard (403).' : str(e && e.message);
    setText(banner, msg || 'error');
    banner.hidden = false;
  }
  function clearError() {
    banner.hidden = !lasting;
    if (lasting) setText(banner, lasting);
  }
  function markUpdated() { setText(document.getElementById('updated'), `updated ${new Date().toLocaleTimeString()}`); }

  // Calls tick() now and then again after the delay it returns (ms; null
  // stops). One tick at a time; stop() ends it, now() polls at once.
  function poller(tick) {
    let stopped = false, busy = false, again = false, timer = 0;
    async function run() {
      if (stopped) return;
      if (busy) { again = true; return; }
      busy = true;
      clearTimeout(timer);
      let next = POLL_MS;
      if (!document.hidden) {
        try {
          next = await tick();
          if (!stopped) { clearError(); markUpdated(); }
        } catch (e) {
          if (!stopped && !leaving) showError(e);
          next = 2 * POLL_MS;
        }
      }
      busy = false;
      if (stopped || leaving) return;
      if (again) { again = false; next = 0; }
      if (typeof next === 'number') timer = setTimeout(run, next);
    }
    run();
    return {
      get stopped() { return stopped; },
      stop() { stopped = true; clearTimeout(timer); },
      now() { if (!stopped) run(); },
    };
  }

  async function cancelJob(id, button, poll) {
    if (!window.confirm(`Cancel job ${id}?`)) return;
    button.disabled = true;
    try {
      await api(`/api/v1/jobs/${id}/cancel`, 'POST');
    } catch (e) {
      if (e.status !== 401) showError(e);
    }
    button.disabled = false;
    poll.now();
  }

  // ---- view: cluster and jobs (#/) ------------------------------------------
  function card(label, id) {
    return el('div', { class: 'card' }, el('div', { class: 'label', text: label }), el('div', { class: 'value', id, text: '-' }));
  }
  function table(id, headers) {
    const tbody = el('tbody');
    const t = el('table', { id },
      el('thead', {}, el('tr', {}, headers.map(([h, cls]) => el('th', { class: cls, text: h })))), tbody);
    return [el('div', { class: 'table-wrap' }, t), tbody];
  }
  function cells(tr, n, numeric) {
    for (let i = 0; i < n; i++) tr.append(el('td', { class: numeric.includes(i) ? 'num' : null }));
    return tr;
  }

  function overviewView(root) {
    const [workersWrap, workersBody] = table('workers', [
      ['Worker'], ['Host'], ['State'], ['Slots', 'num'], ['Busy', 'num'], ['Idle', 'num'], ['Load'],
      ['Executors'], ['Chunks done', 'num'], ['Decrements done', 'num'], ['Sessions', 'num'], ['Last seen', 'num']]);
    const [jobsWrap, jobsBody] = table('jobs', [
      ['ID', 'num'], ['Name'], ['State'], ['Executor'], ['Progress'], ['Done / n', 'num'], ['Chunks', 'num'],
      ['Rate', 'num'], ['Elapsed', 'num'], ['ETA', 'num'], ['']]);
    const workersEmpty = el('p', { class: 'empty', text: 'No worker has connected yet.', hidden: true });
    const jobsEmpty = el('p', { class: 'empty', text: 'No jobs yet: tminus submit --n 40G.', hidden: true });
    const clusterCanvas = el('canvas', { id: 'cluster-chart', role: 'img', 'aria-label': 'cluster rate and busy slots over time' });
    const streamCanvas = el('canvas', { id: 'stream-chart', role: 'img', 'aria-label': 'chunk stream: every worker slot, coloured by job' });
    const streamBox = el('div', { class: 'chart-box timeline', id: 'stream-box' }, streamCanvas);
    const streamNote = el('span', { id: 'stream-note', class: 'muted' });
    const showStudy = el('input', { type: 'checkbox', id: 'show-study' });
    const hiddenNote = el('span', { id: 'hidden-study', class: 'muted' });
    root.append(
      el('h1', { text: 'Cluster' }),
      el('div', { class: 'cards', id: 'totals' },
        card('Workers connected', 'total-workers'), card('Slots busy / total', 'total-slots'),
        card('Jobs queued', 'total-queued'), card('Jobs running', 'total-running'),
        card('Chunks queued', 'total-chunks')),
      el('h2', {}, 'Rate and busy slots, last 10 minutes'),
      el('div', { class: 'chart-box' }, clusterCanvas),
      el('h2', {}, 'Chunk stream, last minute ', streamNote),
      streamBox,
      el('h2', { text: 'Workers' }), workersWrap, workersEmpty,
      el('div', { class: 'section-head' }, el('h2', { text: 'Jobs' }),
        el('label', { class: 'muted', title: 'the jobs tminus scale ran (labelled tminus.io/study)' },
          showStudy, ' show scaling-study jobs'), hiddenNote),
      jobsWrap, jobsEmpty);
    const clusterChart = live.clusterChart(clusterCanvas);
    const streamChart = live.streamChart(streamCanvas);
    let streamDue = 0;
    showStudy.addEventListener('change', () => poll.now());

    function renderStream(stream) {
      const counts = live.setStream(streamChart, stream);
      streamBox.style.height = `${live.streamHeight(counts)}px`;
      setText(streamNote, counts.events === 0 ? '(no chunk ended in the last minute)'
        : `${fmt.int(counts.events)} attempts of ${fmt.int(counts.jobs)} job${counts.jobs === 1 ? '' : 's'}`);
    }

    function renderCluster(c) {
      const t = obj(c.totals);
      setText(document.getElementById('total-workers'), fmt.int(t.workers_connected));
      setText(document.getElementById('total-slots'), `${fmt.int(t.slots_busy)} / ${fmt.int(t.slots_total)}`);
      setText(document.getElementById('total-queued'), fmt.int(t.jobs_queued));
      setText(document.getElementById('total-running'), fmt.int(t.jobs_running));
      setText(document.getElementById('total-chunks'), fmt.int(t.chunks_queued));
      const now = num(c.generated_at);
      const workers = arr(c.workers).filter((w) => w && typeof w === 'object');
      workersEmpty.hidden = workers.length > 0;
      sync(workersBody, workers, (w) => str(w.worker_id),
        (w) => {
          const tr = cells(el('tr', { 'data-worker-id': str(w.worker_id) }), 12, [3, 4, 5, 8, 9, 10, 11]);
          tr.children[0].append(el('a', { href: `#/workers/${encodeURIComponent(str(w.worker_id))}` }));
          tr.children[2].append(el('span'));
          tr.children[6].append(el('progress', { max: 1, value: 0 }));
          return tr;
        },
        (tr, w) => {
          const td = tr.children;
          const slots = num(w.slots), busy = num(w.busy), connected = w.state !== 'disconnected';
          setText(td[0].firstChild, str(w.worker_id));
          setText(td[1], str(w.host));
          setState(td[2].firstChild, w.state);
          setText(td[3], fmt.int(slots));
          setText(td[4], connected ? fmt.int(busy) : '-');
          setText(td[5], connected ? fmt.int(Math.max(0, slots - busy)) : '-');
          setProgress(td[6].firstChild, slots > 0 && connected ? Math.min(1, busy / slots) : 0);
          td[6].firstChild.title = `${busy} of ${slots} slots busy`;
          setText(td[7], arr(w.executors).concat(arr(w.kernels)).map(str).join(', '));
          setText(td[8], fmt.int(w.chunks_done));
          setText(td[9], fmt.si(w.decrements_done));
          setText(td[10], fmt.int(w.sessions));
          const seen = num(w.last_seen);
          setText(td[11], seen > 0 && now > 0 ? `${fmt.dur(Math.max(0, now - seen))} ago` : '-');
        });
    }

    function renderJobs(jobs) {
      jobsEmpty.hidden = jobs.length > 0;
      sync(jobsBody, jobs, (j) => num(j.id),
        (j) => {
          const id = num(j.id);
          const tr = cells(el('tr', { class: 'clickable', 'data-job-id': id }), 11, [0, 5, 6, 7, 8, 9]);
          tr.addEventListener('click', (ev) => {
            if (!ev.target.closest('button, a')) location.hash = `#/jobs/${id}`;
          });
          tr.children[0].append(el('a', { href: `#/jobs/${id}`, text: String(id) }));
          tr.children[2].append(el('span'));
          tr.children[4].append(el('progress', { max: 1, value: 0 }), ' ', el('span', { class: 'pct' }));
          const button = el('button', { type: 'button', class: 'cancel', text: 'Cancel' });
          button.addEventListener('click', () => cancelJob(id, button, poll));
          tr.children[10].append(button);
          return tr;
        },
        (tr, j) => {
          const td = tr.children;
          const f = fraction(j);
          setText(td[1], str(j.name));
          setState(td[2].firstChild, j.state);
          setText(td[3], str(j.executor) + (unitsOf(j) === 'units' ? ` · ${str(j.kernel)}` : ''));
          setProgress(td[4].firstChild, f);
          setText(td[4].lastChild, fmt.pct(f));
          setText(td[5], `${fmt.si(j.decrements_done)} / ${fmt.si(j.n)}`);
          setText(td[6], `${fmt.int(j.chunks_done)} / ${fmt.int(j.chunks_total)}${inFlight(j, ' (', ')')}`);
          // Now (the last 5 s) while it runs, else over its life.
          const rate = ACTIVE.has(j.state) ? num(j.rate_now) : num(j.rate);
          setText(td[7], rate > 0 ? `${fmt.si(rate)}/s` : '-');
          td[7].title = `${fmt.si(j.rate)}/s over its elapsed time`;
          setText(td[8], num(j.elapsed_s) > 0 ? fmt.dur(j.elapsed_s) : '-');
          setText(td[9], num(j.eta_s) > 0 ? fmt.dur(j.eta_s) : '-');
          td[10].firstChild.hidden = !ACTIVE.has(j.state);
          tr.title = str(j.error);
        });
    }

    const poll = poller(async () => {
      const hide = showStudy.checked ? '' : '&hide_study=1';
      const wantStream = Date.now() >= streamDue;
      const [cluster, active, recent, history, stream] = await Promise.all([
        api('/api/v1/cluster'), api(`/api/v1/jobs?state=active&limit=1000${hide}`),
        api(`/api/v1/jobs?limit=50${hide}`), api('/api/v1/history'),
        wantStream ? api('/api/v1/stream') : Promise.resolve(null)]);
      if (poll.stopped) return null;
      renderCluster(cluster);
      live.setCluster(clusterChart, history);
      if (stream) { renderStream(stream); streamDue = Date.now() + STREAM_MS; }
      // Every active job, and the newest finished ones; newest first.
      const byId = new Map();
      for (const j of [...arr(recent.jobs), ...arr(active.jobs)]) {
        if (j && typeof j === 'object' && Number.isSafeInteger(j.id)) byId.set(j.id, j);
      }
      renderJobs([...byId.values()].sort((a, b) => b.id - a.id));
      // `tminus demo` and `tminus scale` run only study jobs: say they are there.
      const hidden = num(recent.hidden_study_jobs);
      setText(hiddenNote, hidden > 0 ? `(${fmt.int(hidden)} hidden)` : '');
      if (hidden > 0 && jobsBody.children.length === 0) {
        setText(jobsEmpty, `${fmt.int(hidden)} scaling-study jobs are hidden: tick "show scaling-study jobs".`);
      } else {
        setText(jobsEmpty, 'No jobs yet: tminus submit --n 40G.');
      }
      return POLL_MS;
    });
    return poll;
  }

  // What a job's n counts: decrements for the countdown, units for a python or
  // command kernel.
  function unitsOf(job) {
    return str(job.kernel) && str(job.kernel) !== 'countdown' ? 'units' : 'decrements';
  }

  // ---- view: one job (#/jobs/ID) ---------------------------------------------
  // "2 running, 4 prefetched": on a slot now, and leased but waiting on a worker.
  function inFlight(job, before, after) {
    const parts = [];
    if (num(job.chunks_running)) parts.push(`${fmt.int(job.chunks_running)} running`);
    if (num(job.chunks_prefetched)) parts.push(`${fmt.int(job.chunks_prefetched)} prefetched`);
    return parts.length ? `${before}${parts.join(', ')}${after}` : '';
  }

  function kvTable(id, rows) {
    const tbody = el('tbody');
    for (const [label, cellId] of rows) {
      tbody.append(el('tr', {}, el('th', { text: label }), el('td', { class: 'num', id: cellId, text: '-' })));
    }
    return el('table', { class: 'kv', id }, tbody);
  }

  function jobView(root, id) {
    const state = stateSpan('', 'job-state');
    const cancel = el('button', { type: 'button', class: 'cancel', id: 'job-cancel', text: 'Cancel', hidden: true });
    const progress = el('progress', { id: 'job-progress', class: 'big', max: 1 });
    const rateCanvas = el('canvas', { id: 'rate-chart', 'aria-label': 'rate over time', role: 'img' });
    const timelineCanvas = el('canvas', { id: 'timeline-chart', 'aria-label': 'chunk timeline per slot', role: 'img' });
    const timelineBox = el('div', { class: 'chart-box timeline' }, timelineCanvas);
    const timelineNote = el('span', { id: 'timeline-note', class: 'muted' });
    const rateNote = el('span', { id: 'rate-note', class: 'muted' });
    const reportWorkersEmpty = el('p', { class: 'empty', text: 'No worker has reported a chunk of this job.', hidden: true });
    const missing = el('p', { id: 'job-missing', class: 'banner', hidden: true });
    const body = el('div', { id: 'job-body' });
    const [workersWrap, workersBody] = table('report-workers', [
      ['Worker'], ['Host'], ['Slots', 'num'], ['Chunks', 'num'], ['Decrements', 'num'], ['Busy', 'num'],
      ['Utilisation', 'num'], ['Rate', 'num'], ['Per slot (utilisation)']]);
    const fig = (label, fid) => el('span', {}, el('span', { class: 'muted', text: `${label} ` }), el('span', { id: fid, text: '-' }));

    body.append(
      el('div', { class: 'job-live' },
        progress, ' ', el('span', { class: 'pct', id: 'job-pct' }),
        el('div', { class: 'figures' },
          fig('done', 'job-done'), fig('chunks', 'job-chunks'), fig('rate', 'job-rate'),
          fig('elapsed', 'job-elapsed'), fig('ETA', 'job-eta'), fig('executor', 'job-executor'),
          fig('submitted', 'job-submitted')),
        el('div', { class: 'figures', id: 'job-limits' },
          fig('priority', 'job-priority'), fig('max slots', 'job-max-slots'),
          fig('per worker', 'job-max-per-worker'), fig('placement', 'job-placement'),
          fig('attempts', 'job-attempts'), fig('time limit', 'job-time-limit'),
          fig('labels', 'job-labels')),
        el('p', { class: 'muted', id: 'job-waiting', hidden: true }),
        el('p', { class: 'job-error', id: 'job-error', hidden: true })),
      el('h2', {}, 'Rate over time ', rateNote),
      el('div', { class: 'chart-box' }, rateCanvas),
      el('h2', { text: 'Timeline: chunk attempts per worker slot' }),
      el('div', { class: 'legend' },
        charts.OUTCOMES.map(([o]) => el('span', {}, el('span', { class: `swatch ${o}` }), o)), timelineNote),
      timelineBox,
      el('h2', { text: 'Report' }),
      el('section', { id: 'report' },
        el('div', { class: 'report-grid' },
          kvTable('report-summary', [
            ['wall', 'report-wall'], ['busy (slot-seconds)', 'report-busy'], ['CPU', 'report-cpu'],
            ['speedup (vs the calibrated one-slot rate)', 'report-speedup'], ['efficiency', 'report-efficiency'],
            ['CPUs in use (cpu / wall)', 'report-cpu-parallelism'], ['CPU per busy slot', 'report-cpu-share'],
            ['parallelism (busy / wall)', 'report-parallelism'], ['slots used', 'report-slots'],
            ['overhead', 'report-overhead'], ['rate', 'report-rate']]),
          kvTable('report-chunks', [
            ['chunks timed', 'chunk-count'], ['min', 'chunk-min'], ['p50', 'chunk-p50'], ['p90', 'chunk-p90'],
            ['p99', 'chunk-p99'], ['max', 'chunk-max']]),
          kvTable('report-counters', [
            ['retries', 'counter-retries'], ['duplicates', 'counter-duplicates'],
            ['failed attempts', 'counter-failed_attempts'], ['lease expiries', 'counter-lease_expiries'],
            ['backups', 'counter-backups'], ['handed back', 'counter-handed_back']])),
        el('ul', { id: 'report-warnings', class: 'warnings' }),
        el('p', { id: 'report-reference', class: 'note' }),
        el('h3', { text: 'Per worker' }), workersWrap, reportWorkersEmpty));
    root.append(
      el('p', {}, el('a', { href: '#/', text: '← cluster and jobs' })),
      el('div', { class: 'job-head' }, el('h1', { id: 'job-title', text: `Job ${id}` }), state, cancel),
      missing, body);

    const rateChart = charts.rateChart(rateCanvas);
    const timelineChart = charts.timelineChart(timelineCanvas);
    const byId = (x) => document.getElementById(x);
    let timelineDue = 0;

    function renderJob(job) {
      const f = fraction(job);
      setState(state, job.state);
      document.title = `Job ${id}: ${str(job.state)} · tminus`;
      if (str(job.name)) setText(byId('job-title'), `Job ${id}: ${str(job.name)}`);
      cancel.hidden = !ACTIVE.has(job.state);
      setProgress(progress, f);
      setText(byId('job-pct'), fmt.pct(f));
      const units = unitsOf(job);
      setText(byId('job-done'), `${fmt.si(job.decrements_done)} / ${fmt.si(job.n)} ${units}`);
      setText(byId('job-chunks'), `${fmt.int(job.chunks_done)} / ${fmt.int(job.chunks_total)}${inFlight(job, ', ', '')}`);
      setText(byId('job-rate'), num(job.rate) > 0 ? `${fmt.si(job.rate)} ${units}/s` : '-');
      setText(byId('job-elapsed'), num(job.elapsed_s) > 0 ? fmt.dur(job.elapsed_s) : '-');
      setText(byId('job-eta'), num(job.eta_s) > 0 ? fmt.dur(job.eta_s) : '-');
      const kernel = str(job.kernel) && str(job.kernel) !== 'countdown' ? ` · ${str(job.kernel)}` : '';
      setText(byId('job-executor'), (str(job.executor) || '-') + kernel);
      setText(byId('job-submitted'), fmt.time(job.submitted_at));
      const error = byId('job-error');
      error.hidden = !str(job.error);
      setText(error, str(job.error));
      renderLimits(job);
    }

    // Placement, priority and bounds, as submitted (0: none, or the default).
    function renderLimits(job) {
      const pairs = (o) => Object.entries(obj(o)).map(([k, v]) => `${k}=${str(v)}`).join(', ');
      const cap = (v) => (num(v) > 0 ? fmt.int(v) : 'no cap');
      setText(byId('job-priority'), fmt.int(num(job.priority)));
      setText(byId('job-max-slots'), cap(job.max_slots));
      setText(byId('job-max-per-worker'), cap(job.max_slots_per_worker));
      const place = [pairs(job.selector), arr(job.workers).map(str).join(', ')].filter(Boolean);
      setText(byId('job-placement'), place.length ? place.join('; ') : 'any worker');
      setText(byId('job-attempts'), num(job.max_attempts) > 0 ? fmt.int(job.max_attempts) : 'default');
      setText(byId('job-time-limit'), num(job.time_limit_ms) > 0 ? fmt.dur(job.time_limit_ms / 1000) : 'none');
      setText(byId('job-labels'), pairs(job.labels) || '-');
      const waiting = byId('job-waiting');
      waiting.hidden = !str(job.waiting_reason);
      setText(waiting, str(job.waiting_reason) ? `waiting: ${str(job.waiting_reason)}` : '');
    }

    function renderReport(r) {
      const c = obj(r.counters), d = obj(r.chunk_s);
      setText(byId('report-wall'), fmt.dur(r.wall_s));
      setText(byId('report-busy'), fmt.dur(r.busy_s));
      setText(byId('report-cpu'), fmt.dur(r.cpu_s));
      // null where no calibrated reference backs it: shown as "-", never 0.
      setText(byId('report-speedup'), r.speedup == null ? '-' : fmt.fixed(r.speedup, 2));
      setText(byId('report-efficiency'), r.efficiency == null ? '-' : fmt.pct(r.efficiency));
      setText(byId('report-cpu-parallelism'), fmt.fixed(r.cpu_parallelism, 2));
      setText(byId('report-cpu-share'), fmt.pct(r.cpu_share));
      setText(byId('report-parallelism'), fmt.fixed(r.parallelism, 2));
      setText(byId('report-reference'), str(r.speedup_reference) ? `Speedup against ${str(r.speedup_reference)}.` : '');
      byId('report-warnings').replaceChildren(...arr(r.warnings).map((w) => el('li', { text: `warning: ${str(w)}` })));
      setText(byId('report-slots'), fmt.int(r.slots_used));
      setText(byId('report-overhead'), fmt.dur(r.overhead_s));
      setText(byId('report-rate'), num(r.rate) > 0 ? `${fmt.si(r.rate)}/s` : '-');
      setText(byId('chunk-count'), fmt.int(d.count));
      for (const k of ['min', 'p50', 'p90', 'p99', 'max']) setText(byId(`chunk-${k}`), num(d.count) > 0 ? fmt.dur(d[k]) : '-');
      for (const k of ['retries', 'duplicates', 'failed_attempts', 'lease_expiries', 'backups', 'handed_back']) {
        setText(byId(`counter-${k}`), fmt.int(num(c[k])));
      }
      const workers = arr(r.workers).filter((w) => w && typeof w === 'object');
      reportWorkersEmpty.hidden = workers.length > 0;
      sync(workersBody, workers, (w) => str(w.worker_id),
        (w) => cells(el('tr', { 'data-worker-id': str(w.worker_id) }), 9, [2, 3, 4, 5, 6, 7]),
        (tr, w) => {
          const td = tr.children;
          setText(td[0], str(w.worker_id));
          setText(td[1], str(w.host));
          setText(td[2], fmt.int(w.slots));
          setText(td[3], fmt.int(w.chunks));
          setText(td[4], fmt.si(w.decrements));
          setText(td[5], fmt.dur(w.busy_s));
          setText(td[6], fmt.pct(w.utilisation));
          setText(td[7], num(w.rate) > 0 ? `${fmt.si(w.rate)}/s` : '-');
          const slots = arr(w.slot_reports).filter((s) => s && typeof s === 'object');
          const shown = slots.slice(0, 32).map((s) => `${num(s.slot)}: ${fmt.pct(s.utilisation, 0)}`);
          setText(td[8], shown.join('  ') + (slots.length > shown.length ? '  …' : ''));
          td[8].title = slots.map((s) => `slot ${num(s.slot)}: ${fmt.int(s.chunks)} chunks, ` +
                                          `${fmt.dur(s.busy_s)} busy, ${fmt.pct(s.utilisation)}`).join('\n');
        });
    }

    let timelineEnd = 0;  // the last attempt's end, seconds since the start
    function renderTimeline(tl) {
      const rows = charts.setTimeline(timelineChart, tl);
      timelineEnd = Math.max(0, ...arr(tl.events).map((e) => num(e && e.end_s)));
      // One row per slot: keep bars readable, but bounded.
      timelineBox.style.height = `${Math.min(1000, Math.max(140, rows * 18 + 70))}px`;
      const events = arr(tl.events).length;
      setText(timelineNote, events === 0 ? 'no chunk attempts recorded (yet)'
        : `${fmt.int(events)} attempts${tl.truncated ? ' (the most recent ones only)' : ''}`);
    }

    function gone(e) {
      body.hidden = true;
      cancel.hidden = true;
      setState(state, 'unknown');
      setText(missing, `Job ${id} does not exist (any more): ${str(e.message)}. ` +
                       'Finished jobs are forgotten after a while.');
      missing.hidden = false;
      document.title = `Job ${id}: not found · tminus`;
    }

    const poll = poller(async () => {
      const wantTimeline = Date.now() >= timelineDue;
      let detail, tl = null;
      try {
        [detail, tl] = await Promise.all([
          api(`/api/v1/jobs/${id}`),
          wantTimeline ? api(`/api/v1/jobs/${id}/timeline`) : Promise.resolve(null)]);
      } catch (e) {
        // 404: no such job (any more); 400: not a job id (0). Stop polling.
        if ((e.status === 404 || e.status === 400) && !poll.stopped) { gone(e); return null; }
        throw e;
      }
      if (poll.stopped) return null;
      const job = obj(detail.job);
      renderJob(job);
      const samples = charts.setRate(rateChart, detail.rate_series, num(job.started_at), unitsOf(job));
      setText(rateNote, samples ? '' : '(no samples: they are kept while a job runs)');
      renderReport(obj(detail.report));
      if (tl) { renderTimeline(tl); timelineDue = Date.now() + TIMELINE_MS; }
      const xMax = Math.max(num(job.elapsed_s), timelineEnd);
      charts.setXRange(rateChart, xMax);
      charts.setXRange(timelineChart, xMax);
      return ACTIVE.has(job.state) ? POLL_JOB_MS : POLL_DONE_MS;
    });
    cancel.addEventListener('click', () => cancelJob(id, cancel, poll));
    return poll;
  }

  // ---- view: one worker (#/workers/ID) ----------------------------------------
  function workerView(root, workerId) {
    const state = stateSpan('', 'worker-state');
    const missing = el('p', { id: 'worker-missing', class: 'banner', hidden: true });
    const usageCanvas = el('canvas', { id: 'usage-chart', role: 'img', 'aria-label': 'CPU and memory over time' });
    const usageNote = el('span', { id: 'usage-note', class: 'muted' });
    const streamCanvas = el('canvas', { id: 'worker-stream-chart', role: 'img', 'aria-label': 'this worker\'s chunks per slot' });
    const streamBox = el('div', { class: 'chart-box timeline' }, streamCanvas);
    const streamNote = el('span', { id: 'worker-stream-note', class: 'muted' });
    const body = el('div', { id: 'worker-body' },
      el('div', { class: 'cards' },
        card('Slots busy / total', 'worker-slots'), card('CPU now (cores)', 'worker-cpu'),
        card('Resident memory', 'worker-memory'), card('Threads / open files', 'worker-threads'),
        card('Chunks done', 'worker-chunks')),
      el('h2', {}, 'CPU and memory, last 5 minutes ', usageNote),
      el('div', { class: 'chart-box' }, usageCanvas),
      el('h2', {}, 'Its chunks, last minute ', streamNote), streamBox,
      el('div', { class: 'report-grid' },
        kvTable('worker-about', [
          ['host', 'worker-host'], ['executors', 'worker-executors'], ['kernels', 'worker-kernels'],
          ['version', 'worker-version'], ['connected at', 'worker-connected'], ['sessions', 'worker-sessions'],
          ['busy (slot-seconds)', 'worker-busy'], ['decrements done', 'worker-decrements']]),
        kvTable('worker-topology', [
          ['logical CPUs', 'topo-logical_cpus'], ['physical cores', 'topo-physical_cores'],
          ['sockets', 'topo-sockets'], ['NUMA nodes', 'topo-numa_nodes'], ['SMT', 'topo-smt'],
          ['CPU model', 'topo-cpu_model'], ['calibrated rate (one thread)', 'worker-calibration']]),
        el('div', {}, el('h3', { text: 'Labels' }), el('ul', { id: 'worker-labels', class: 'labels' }))));
    root.append(
      el('p', {}, el('a', { href: '#/', text: '← cluster and jobs' })),
      el('div', { class: 'job-head' }, el('h1', { id: 'worker-title', text: `Worker ${workerId}` }), state),
      missing, body);
    const usageChart = live.usageChart(usageCanvas);
    const streamChart = live.streamChart(streamCanvas);
    const byId = (x) => document.getElementById(x);
    let streamDue = 0;

    function renderWorker(w, now) {
      const u = obj(w.usage), t = obj(w.topology), c = obj(w.calibration);
      setState(state, w.state);
      document.title = `Worker ${workerId}: ${str(w.state)} · tminus`;
      setText(byId('worker-slots'), `${fmt.int(w.busy)} / ${fmt.int(w.slots)}`);
      // The last report of a worker gone is no "now".
      const reported = w.usage && typeof w.usage === 'object' && w.state !== 'disconnected';
      setText(byId('worker-cpu'), reported ? fmt.fixed(u.cpu_cores, 2) : '-');
      setText(byId('worker-memory'), reported ? `${fmt.si(u.resident_bytes, 3)}B` : '-');
      setText(byId('worker-threads'), reported ? `${fmt.int(u.threads)} / ${fmt.int(u.open_fds)}` : '-');
      setText(byId('worker-chunks'), fmt.int(w.chunks_done));
      setText(byId('worker-host'), str(w.host));
      setText(byId('worker-executors'), arr(w.executors).map(str).join(', ') || '-');
      setText(byId('worker-kernels'), ['countdown', ...arr(w.kernels).map(str)].join(', '));
      setText(byId('worker-version'), str(w.version) || '-');
      setText(byId('worker-connected'), fmt.time(w.connected_at));
      setText(byId('worker-sessions'), fmt.int(w.sessions));
      setText(byId('worker-busy'), fmt.dur(w.busy_s));
      setText(byId('worker-decrements'), fmt.si(w.decrements_done));
      for (const k of ['logical_cpus', 'physical_cores', 'sockets', 'numa_nodes']) {
        setText(byId(`topo-${k}`), num(t[k]) > 0 ? fmt.int(t[k]) : '-');
      }
      setText(byId('topo-smt'), t.smt ? 'yes' : 'no');
      setText(byId('topo-cpu_model'), str(t.cpu_model) || '-');
      setText(byId('worker-calibration'), num(c.rate) > 0
        ? `${fmt.si(c.rate)} decrements/s (${fmt.dur(c.age_s)} ago)` : 'not measured yet');
      const labels = Object.entries(obj(w.labels)).map(([k, v]) => `${k}=${str(v)}`);
      const list = byId('worker-labels');
      if (list.textContent !== labels.join('')) list.replaceChildren(...labels.map((l) => el('li', { text: l })));
      const samples = live.setUsage(usageChart, w.usage_series, now);
      setText(usageNote, samples ? '' : '(no usage report yet: workers send one every second)');
    }

    const poll = poller(async () => {
      const wantStream = Date.now() >= streamDue;
      const path = encodeURIComponent(workerId);
      let answer, stream;
      try {
        [answer, stream] = await Promise.all([
          api(`/api/v1/workers/${path}`),
          wantStream ? api(`/api/v1/stream?worker=${path}`) : Promise.resolve(null)]);
      } catch (e) {
        if (e.status === 404 && !poll.stopped) {
          body.hidden = true;
          setState(state, 'unknown');
          setText(missing, `Worker ${workerId} is not known to the coordinator (any more).`);
          missing.hidden = false;
          return null;
        }
        throw e;
      }
      if (poll.stopped) return null;
      const w = obj(answer.worker);
      w.usage_series = answer.usage_series;
      renderWorker(w, num(answer.generated_at));
      if (stream) {
        const counts = live.setStream(streamChart, stream);
        streamBox.style.height = `${live.streamHeight(counts)}px`;
        setText(streamNote, counts.events ? `${fmt.int(counts.events)} attempts` : '(none ended in the last minute)');
        streamDue = Date.now() + STREAM_MS;
      }
      return POLL_MS;
    });
    return poll;
  }

  // ---- view: scaling studies (#/studies) -------------------------------------
  function studiesView(root) {
    const list = el('div', { id: 'studies' });
    const empty = el('p', { class: 'empty', hidden: true,
      text: 'No scaling study yet: tminus scale --n 40e9 --chunks 400 --executor both uploads one.' });
    root.append(
      el('h1', { text: 'Scaling studies' }),
      el('p', { class: 'muted', text: 'Speedup against the same series\' first point; ' +
        'efficiency = speedup / slots (weak scaling, dashed: T1 / TN). The grey dashed line is ' +
        'ideal scaling, the red one the physical cores. Counting: kernel time / (slots x wall), ' +
        'which a faster or slower CPU clock does not move; vs calibration: the rate over the ' +
        'bare kernel on as many threads at once on the same workers.' }),
      empty, list);

    // The `!` of tminus scale's table, with its meaning; the coordinator decides
    // it as the CLI does (doubtful, above_ceiling: docs/api.md).
    const MARKS = '* past the physical cores: the slots share cores or take turns on them. ' +
      '! doubtful (on Efficiency): the runs spread by more than 20% (max-min over the median), or ' +
      'efficiency or vs calibration is above 105% or Karp-Flatt below 0: the machine was busy or the ' +
      'runs too short; rerun with --repeat 5 (or more), or a larger -n. ' +
      '! on vs calibration: above 105%, the calibration was not a ceiling.';
    const DOUBTFUL = 'doubtful: runs spread > 20%, or efficiency or vs calibration > 105%, or Karp-Flatt < 0';
    const ABOVE = 'above the ceiling: vs calibration > 105%';
    const marked = (text, mark, title) => el('td', { class: mark ? 'num marked' : 'num', title: mark ? title : null },
                                             mark ? `${text} !` : text);

    function create(s) {
      const sid = num(s.id);
      const [wrap] = table(`study-points-${sid}`, [
        ['Series'], ['Hosts', 'num'], ['Slots', 'num'], ['Wall (median)', 'num'], ['Min', 'num'],
        ['Max', 'num'], ['Speedup', 'num'], ['Efficiency', 'num'], ['Karp-Flatt', 'num'],
        ['Rate', 'num'], ['Counting', 'num'], ['vs calibration', 'num']]);
      return el('section', { class: 'study', id: `study-${sid}` },
        el('h2', {}),
        el('p', { class: 'muted' }),
        el('div', { class: 'grid2' },
          el('div', { class: 'chart-box' }, el('canvas', { id: `study-speedup-${sid}`, role: 'img', 'aria-label': 'speedup vs slots' })),
          el('div', { class: 'chart-box' }, el('canvas', { id: `study-efficiency-${sid}`, role: 'img', 'aria-label': 'efficiency vs slots' }))),
        el('details', {}, el('summary', { text: 'Measurements' }), wrap,
          el('p', { class: 'muted study-marks', text: MARKS })));
    }

    const shown = new Map();  // id -> JSON of what is drawn
    function update(section, s) {
      const sid = num(s.id);
      const key = JSON.stringify(s);
      if (shown.get(sid) === key) return;
      shown.set(sid, key);
      const [h2, meta] = section.children;
      setText(h2, `Study ${sid}${str(s.name) ? `: ${str(s.name)}` : ''}`);
      setText(meta, `${fmt.time(s.created_at)} · n = ${fmt.si(s.n)} in ${fmt.int(s.chunks)} chunks · ` +
                    `repeat ${fmt.int(s.repeat)}` +
                    `${num(s.physical_cores) > 0 ? ` · ${fmt.int(s.physical_cores)} physical cores (slots past them marked *)` : ''}` +
                    `${num(s.bare_rate) > 0 ? ` · bare kernel ${fmt.si(s.bare_rate)} decrements/s per thread` : ''}` +
                    `${arr(s.points).length ? '' : ' · no measurements'}`);
      for (const what of ['speedup', 'efficiency']) {
        const canvas = section.querySelector(`#study-${what}-${sid}`);
        const chart = (window.Chart && Chart.getChart(canvas)) || charts.studyChart(canvas, what);
        charts.setStudy(chart, s, what);
      }
      const tbody = section.querySelector('tbody');
      const points = arr(s.points).filter((p) => p && typeof p === 'object');
      const cores = num(s.physical_cores);
      tbody.replaceChildren(...points.map((p) => el('tr', {},
        el('td', { text: charts.seriesName(p) }), el('td', { class: 'num', text: fmt.int(p.hosts) }),
        el('td', { class: 'num', text: `${fmt.int(p.slots)}${cores > 0 && num(p.slots) > cores ? '*' : ''}` }),
        el('td', { class: 'num', text: fmt.dur(p.wall_s) }), el('td', { class: 'num', text: fmt.dur(p.wall_min_s) }),
        el('td', { class: 'num', text: fmt.dur(p.wall_max_s) }), el('td', { class: 'num', text: fmt.fixed(p.speedup, 2) }),
        marked(fmt.pct(p.efficiency), p.doubtful === true, DOUBTFUL),
        el('td', { class: 'num', text: num(p.karp_flatt) !== 0 ? fmt.fixed(p.karp_flatt, 3) : '-' }),
        el('td', { class: 'num', text: num(p.rate) > 0 ? `${fmt.si(p.rate)}/s` : '-' }),
        el('td', { class: 'num', text: num(p.counting_fraction) > 0 ? fmt.pct(p.counting_fraction) : '-' }),
        marked(num(p.vs_calibration) > 0 ? fmt.pct(p.vs_calibration) : '-', p.above_ceiling === true, ABOVE))));
    }

    const poll = poller(async () => {
      const answer = await api('/api/v1/studies');
      if (poll.stopped) return null;
      const studies = arr(answer.studies).filter((s) => s && typeof s === 'object' && Number.isSafeInteger(s.id));
      empty.hidden = studies.length > 0;
      sync(list, studies, (s) => s.id, create, update);
      for (const sid of [...shown.keys()]) if (!studies.some((s) => s.id === sid)) shown.delete(sid);
      return POLL_MS;
    });
    return poll;
  }

  // ---- routing ---------------------------------------------------------------
  function safeDecode(text) {
    try { return decodeURIComponent(text); } catch (e) { return text; }
  }
  let view = null;
  function route() {
    if (leaving) return;
    if (view) view.stop();
    charts.destroyIn(main);
    main.replaceChildren();
    clearError();
    document.title = 'tminus';
    const hash = location.hash || '#/';
    const m = /^#\/jobs\/(\d{1,15})\/?$/.exec(hash);
    const w = /^#\/workers\/([^/]{1,400})$/.exec(hash);
    if (m) view = jobView(main, Number(m[1]));
    else if (w) view = workerView(main, safeDecode(w[1]));
    else if (hash === '#/studies') view = studiesView(main);
    else view = overviewView(main);
    document.getElementById('nav-overview').classList.toggle('active', !m && hash !== '#/studies');
    document.getElementById('nav-studies').classList.toggle('active', hash === '#/studies');
  }

  document.getElementById('logout').addEventListener('click', async () => {
    try {
      await fetch('/logout', { method: 'POST', credentials: 'same-origin', headers: { 'X-Tminus-Request': '1' } });
    } catch (e) { /* going to the login page anyway */ }
    leaving = true;
    if (view) view.stop();
    location.replace('/login');
  });
  document.addEventListener('visibilitychange', () => { if (!document.hidden && view) view.now(); });
  window.addEventListener('hashchange', route);

  if (!charts.available()) lasting = 'Chart.js did not load (/static/chart.umd.js); the charts are off.';
  api('/api/v1/version').then((v) => {
    setText(document.getElementById('version'), `${str(v.api)} · ${str(v.version)}`);
  }).catch(() => { /* 401 goes to /login; the views show other errors */ });
  route();
})();
