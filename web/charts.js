// tminus dashboard: number formatting and the Chart.js charts.
// Classic script (no build step); defines window.tminus.fmt and window.tminus.charts.
// Charts are created once per canvas and then updated in place every poll.
'use strict';

(() => {
  const num = (v, d = 0) => (typeof v === 'number' && Number.isFinite(v) ? v : d);

  // ---- formatting -------------------------------------------------------
  const fmt = {
    num,
    // 4350000000 -> "4.35 G"
    si(v, digits = 3) {
      v = num(v, NaN);
      if (!Number.isFinite(v)) return '-';
      const a = Math.abs(v);
      const units = [[1e18, 'E'], [1e15, 'P'], [1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
      for (const [scale, unit] of units) {
        if (a >= scale) return `${(v / scale).toPrecision(digits)} ${unit}`;
      }
      return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(digits)));
    },
    // seconds -> "919.4 ms", "1.825 s", "3m 05s", "2h 04m"
    dur(s) {
      s = num(s, NaN);
      if (!Number.isFinite(s) || s < 0) return '-';
      if (s === 0) return '0 s';
      if (s < 1e-3) return `${(s * 1e6).toFixed(1)} µs`;
      if (s < 1) return `${(s * 1e3).toFixed(1)} ms`;
      if (s < 60) return `${s.toFixed(3)} s`;
      const m = Math.floor(s / 60);
      if (m < 60) return `${m}m ${String(Math.floor(s % 60)).padStart(2, '0')}s`;
      return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
    },
    pct(f, digits = 1) {
      f = num(f, NaN);
      return Number.isFinite(f) ? `${(f * 100).toFixed(digits)}%` : '-';
    },
    fixed(v, digits = 2) {
      v = num(v, NaN);
      return Number.isFinite(v) ? v.toFixed(digits) : '-';
    },
    int(v) {
      v = num(v, NaN);
      return Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '-';
    },
    // epoch seconds -> local date and time; 0 means "not yet"
    time(t) {
      t = num(t);
      return t > 0 ? new Date(t * 1000).toLocaleString() : '-';
    },
  };

  // ---- charts -----------------------------------------------------------
  const OUTCOMES = [
    ['ok', '#2e9d5b'],
    ['duplicate', '#e0a526'],
    ['failed', '#d64545'],
    ['cancelled', '#8a8f98'],
  ];
  // The colours of the CLI's scale.svg.
  const EXECUTOR_COLOURS = { threads: '#1b9e77', processes: '#d95f02' };
  const EXTRA_COLOURS = ['#7570b3', '#e7298a', '#66a61e', '#e6ab02'];
  const IDEAL = { label: 'ideal', borderColor: '#888', borderDash: [6, 4], borderWidth: 1.5,
                  pointRadius: 0, pointHoverRadius: 0, fill: false };

  const available = () => typeof window.Chart === 'function';
  if (available()) {
    Chart.defaults.animation = false;
    Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily;
    Chart.defaults.maintainAspectRatio = false;
  }

  function make(canvas, config) {
    if (!available() || !canvas) return null;
    const old = Chart.getChart(canvas);
    if (old) old.destroy();
    return new Chart(canvas, config);
  }

  function axisTitle(text) {
    return { display: true, text };
  }

  // Rate over time: rate_series [[epoch s, units/s], ...], plotted against
  // seconds since t0 (the job's start). The units are decrements for the
  // countdown; setRate names others.
  function rateChart(canvas) {
    return make(canvas, {
      type: 'line',
      data: { datasets: [{ label: 'decrements/s', data: [], borderColor: '#1b6ec2',
                           backgroundColor: 'rgba(27,110,194,0.12)', fill: true,
                           borderWidth: 1.8, pointRadius: 0, tension: 0 }] },
      options: {
        parsing: false,
        normalized: true,
        interaction: { mode: 'nearest', axis: 'x', intersect: false },
        scales: {
          x: { type: 'linear', min: 0, title: axisTitle('seconds since start'),
               // The range ends at the job's elapsed time, not a round number.
               ticks: { callback: (v) => (Number.isInteger(v) ? `${v}` : v.toFixed(1)) } },
          y: { type: 'linear', beginAtZero: true, title: axisTitle('decrements/s'),
               ticks: { callback: (v) => fmt.si(v, 3) } },
        },
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: {
            title: (items) => (items.length ? `${fmt.fixed(items[0].parsed.x, 2)} s` : ''),
            label: (item) => `${fmt.si(item.parsed.y)} ${item.chart.$units || 'decrements'}/s`,
          } },
        },
      },
    });
  }

  function setRate(chart, series, t0, units = 'decrements') {
    if (!chart) return;
    chart.$units = units;
    chart.options.scales.y.title.text = `${units}/s`;
    const points = [];
    if (Array.isArray(series)) {
      for (const p of series) {
        if (!Array.isArray(p) || p.length < 2) continue;
        const t = num(p[0], NaN);
        const r = num(p[1], NaN);
        if (Number.isFinite(t) && Number.isFinite(r)) points.push({ x: t, y: r });
      }
    }
    const origin = num(t0) > 0 ? t0 : (points.length ? points[0].x : 0);
    for (const p of points) p.x = Math.max(0, p.x - origin);
    chart.data.datasets[0].data = points;
    chart.update('none');
    return points.length;
  }

  // Timeline: one row per worker slot, one floating bar per chunk attempt.
  function timelineChart(canvas) {
    return make(canvas, {
      type: 'bar',
      data: {
        labels: [],
        // order: ok bars under the others (lower order draws on top).
        datasets: OUTCOMES.map(([outcome, colour]) => ({
          label: outcome, data: [], backgroundColor: colour, borderWidth: 0, order: outcome === 'ok' ? 1 : 0,
          grouped: false, barPercentage: 0.92, categoryPercentage: 0.92, minBarLength: 2,
        })),
      },
      options: {
        indexAxis: 'y',
        scales: {
          x: { type: 'linear', min: 0, title: axisTitle('seconds since start') },
          y: { type: 'category', ticks: { autoSkip: true, font: { size: 11 } } },
        },
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: {
            title: (items) => (items.length ? String(items[0].label) : ''),
            label: (item) => {
              const r = item.raw || {};
              const [s, e] = Array.isArray(r.x) ? r.x : [0, 0];
              return `chunk ${r.chunk} attempt ${r.attempt}: ${fmt.fixed(s, 3)}–${fmt.fixed(e, 3)} s ` +
                     `(${item.dataset.label})`;
            },
          } },
        },
      },
    });
  }

  // "worker #slot" for each row ({worker_id, slot}) of a timeline or the
  // chunk stream: category labels, which must be unique strings.
  function slotLabels(rows) {
    const seen = new Set();
    return rows.map((r, i) => {
      let label = `${String((r && r.worker_id) ?? '?')} #${num(r && r.slot)}`;
      if (seen.has(label)) label = `${label} (${i})`;
      seen.add(label);
      return label;
    });
  }

  // Returns the number of rows, so that the caller can size the box.
  function setTimeline(chart, timeline) {
    if (!chart) return 0;
    const rows = Array.isArray(timeline && timeline.rows) ? timeline.rows : [];
    const events = Array.isArray(timeline && timeline.events) ? timeline.events : [];
    const labels = slotLabels(rows);
    const byOutcome = new Map(OUTCOMES.map(([o]) => [o, []]));
    let maxEnd = 0;
    for (const ev of events) {
      if (!ev) continue;
      const row = num(ev.row, -1);
      if (row < 0 || row >= labels.length) continue;
      const start = num(ev.start_s, NaN);
      const end = num(ev.end_s, NaN);
      if (!Number.isFinite(start) || !Number.isFinite(end)) continue;
      const list = byOutcome.get(ev.outcome) || byOutcome.get('failed');
      maxEnd = Math.max(maxEnd, end);
      list.push({ y: labels[row], x: [start, Math.max(start, end)],
                  chunk: num(ev.chunk), attempt: num(ev.attempt) });
    }
    chart.data.labels = labels;
    chart.data.datasets.forEach((ds) => { ds.data = byOutcome.get(ds.label) || []; });
    chart.options.scales.x.max = maxEnd > 0 ? maxEnd : undefined;
    chart.update('none');
    return labels.length;
  }

  // The job page's rate chart and timeline share one x range: 0 to `max`
  // seconds since the job's start.
  function setXRange(chart, max) {
    if (!chart || !(num(max) > 0)) return;
    if (chart.options.scales.x.max === max) return;
    chart.options.scales.x.max = max;
    chart.update('none');
  }

  function executorColour(name, i) {
    return EXECUTOR_COLOURS[name] || EXTRA_COLOURS[i % EXTRA_COLOURS.length];
  }

  // Scaling study: speedup (or efficiency in %) against slots, one series
  // per executor, plus the ideal line.
  function studyChart(canvas, what) {
    const speedup = what === 'speedup';
    return make(canvas, {
      type: 'line',
      data: { datasets: [] },
      options: {
        parsing: false,
        scales: {
          x: { type: 'linear', min: 0, title: axisTitle('slots'), ticks: { precision: 0 } },
          y: { type: 'linear', min: 0, grace: '5%',
               title: axisTitle(speedup ? 'speedup (1-slot wall / wall)' : 'efficiency'),
               ticks: speedup ? { precision: 1 } : { callback: (v) => `${v}%` } },
        },
        plugins: {
          title: { display: true, text: speedup ? 'Speedup vs slots' : 'Efficiency vs slots' },
          legend: { position: 'bottom' },
          tooltip: { callbacks: {
            label: (item) => {
              const y = speedup ? fmt.fixed(item.parsed.y, 2) : `${fmt.fixed(item.parsed.y, 1)}%`;
              return `${item.dataset.label}, ${item.parsed.x} slots: ${y}`;
            },
          } },
        },
      },
    });
  }

  // A series per executor, mode (weak dashed), placement or host axis, named
  // by the coordinator as `tminus scale` names them (common/study_series.h):
  // "threads", "threads weak", "processes packed".
  function seriesName(p) {
    return String(p.series ?? p.executor ?? '?');
  }

  function setStudy(chart, study, what) {
    if (!chart) return;
    const speedup = what === 'speedup';
    const series = new Map();
    let maxSlots = 1;
    let maxY = speedup ? 1 : 100;
    for (const p of Array.isArray(study && study.points) ? study.points : []) {
      if (!p) continue;
      const slots = num(p.slots, NaN);
      const y = speedup ? num(p.speedup, NaN) : num(p.efficiency, NaN) * 100;
      if (!Number.isFinite(slots) || !Number.isFinite(y)) continue;
      const name = seriesName(p);
      if (!series.has(name)) series.set(name, []);
      series.get(name).push({ x: slots, y });
      maxSlots = Math.max(maxSlots, slots);
      maxY = Math.max(maxY, y);
    }
    const names = [...series.keys()];
    const datasets = names.map((name, i) => {
      const colour = executorColour(name.split(' ').length === 1 ? name : '', i);
      return { label: name, data: series.get(name).sort((a, b) => a.x - b.x),
               borderColor: colour, backgroundColor: colour, borderWidth: 2.5,
               borderDash: name.includes(' weak') ? [8, 4] : [], pointRadius: 4, fill: false };
    });
    datasets.push({ ...IDEAL, data: speedup ? [{ x: 1, y: 1 }, { x: maxSlots, y: maxSlots }]
                                            : [{ x: 1, y: 100 }, { x: maxSlots, y: 100 }] });
    // Past this many slots, slots share physical cores (hyper-threads) or take
    // turns. Drawn whenever the cores are known (the axis reaches them);
    // unknown (0): no line.
    const cores = num(study && study.physical_cores, 0);
    if (cores > 0) {
      datasets.push({ label: `physical cores: ${cores}`, borderColor: '#c00', borderDash: [4, 3],
                      borderWidth: 1.2, pointRadius: 0, fill: false,
                      data: [{ x: cores, y: 0 }, { x: cores, y: maxY * 1.05 }] });
    }
    chart.data.datasets = datasets;
    const axisEnd = Math.max(maxSlots, cores);
    chart.options.scales.x.max = axisEnd + (axisEnd >= 8 ? 1 : 0.5);
    chart.update('none');
  }

  function destroyIn(root) {
    if (!available() || !root) return;
    for (const canvas of root.querySelectorAll('canvas')) {
      const chart = Chart.getChart(canvas);
      if (chart) chart.destroy();
    }
  }

  window.tminus = Object.assign(window.tminus || {}, {
    fmt,
    charts: { available, rateChart, setRate, timelineChart, setTimeline, slotLabels, setXRange,
              studyChart, setStudy, seriesName, destroyIn, OUTCOMES },
  });
})();
