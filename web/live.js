// tminus dashboard: the live charts of the cluster and of a worker, from
// /api/v1/history, /api/v1/stream and /api/v1/workers/ID (docs/api.md).
// Classic script; adds window.tminus.live. Charts are made once per canvas
// and updated in place every poll.
'use strict';

(() => {
  const { fmt, charts } = window.tminus;
  const { num } = fmt;
  const arr = (v) => (Array.isArray(v) ? v : []);
  const available = () => typeof window.Chart === 'function';

  // A colour per job, stable while the job is shown.
  const JOB_COLOURS = ['#1b9e77', '#d95f02', '#7570b3', '#e7298a', '#66a61e', '#e6ab02',
                       '#a6761d', '#1f78b4', '#b15928', '#6a3d9a'];
  const jobColour = (id) => JOB_COLOURS[Math.abs(num(id)) % JOB_COLOURS.length];

  function make(canvas, config) {
    if (!available() || !canvas) return null;
    const old = Chart.getChart(canvas);
    if (old) old.destroy();
    return new Chart(canvas, config);
  }
  const title = (text) => ({ display: true, text });
  const ago = (v) => (v === 0 ? 'now' : `${-v}s`);

  // The cluster's rate (left axis) and busy and total slots (right axis)
  // over the last minutes, x in seconds before now.
  function clusterChart(canvas) {
    return make(canvas, {
      type: 'line',
      data: { datasets: [
        { label: 'decrements/s', data: [], yAxisID: 'rate', borderColor: '#1b6ec2',
          backgroundColor: 'rgba(27,110,194,0.12)', fill: true, borderWidth: 1.8, pointRadius: 0 },
        { label: 'busy slots', data: [], yAxisID: 'slots', borderColor: '#2e9d5b', stepped: true,
          borderWidth: 1.5, pointRadius: 0 },
        { label: 'slots', data: [], yAxisID: 'slots', borderColor: '#8a8f98', borderDash: [5, 4],
          stepped: true, borderWidth: 1.2, pointRadius: 0 },
      ] },
      options: {
        parsing: false, normalized: true,
        interaction: { mode: 'nearest', axis: 'x', intersect: false },
        scales: {
          x: { type: 'linear', max: 0, title: title('seconds ago'), ticks: { callback: ago } },
          rate: { type: 'linear', position: 'left', beginAtZero: true, title: title('decrements/s'),
                  ticks: { callback: (v) => fmt.si(v, 3) } },
          slots: { type: 'linear', position: 'right', beginAtZero: true, title: title('slots'),
                   ticks: { precision: 0 }, grid: { drawOnChartArea: false } },
        },
        plugins: {
          legend: { position: 'bottom' },
          tooltip: { callbacks: {
            title: (items) => (items.length ? `${fmt.fixed(-items[0].parsed.x, 0)} s ago` : ''),
            label: (item) => (item.dataset.yAxisID === 'rate'
              ? `${fmt.si(item.parsed.y)} decrements/s` : `${item.dataset.label}: ${item.parsed.y}`),
          } },
        },
      },
    });
  }

  // history.cluster: [[epoch s, rate, busy, slots], ...]. Returns the samples drawn.
  function setCluster(chart, history) {
    const samples = arr(history && history.cluster).filter((s) => Array.isArray(s) && s.length >= 4);
    if (!chart) return samples.length;
    const now = num(history.generated_at) || (samples.length ? num(samples[samples.length - 1][0]) : 0);
    const series = [[], [], []];
    for (const [t, rate, busy, slots] of samples) {
      const x = num(t) - now;
      series[0].push({ x, y: num(rate) });
      series[1].push({ x, y: num(busy) });
      series[2].push({ x, y: num(slots) });
    }
    chart.data.datasets.forEach((ds, i) => { ds.data = series[i]; });
    chart.update('none');
    return samples.length;
  }

  // The chunk stream: one row per worker slot, one bar per chunk attempt,
  // coloured by job, over the last minute (x in seconds before now).
  function streamChart(canvas) {
    return make(canvas, {
      type: 'bar',
      data: { labels: [], datasets: [] },
      options: {
        indexAxis: 'y',
        scales: {
          x: { type: 'linear', min: -60, max: 0, title: title('seconds ago'), ticks: { callback: ago } },
          y: { type: 'category', ticks: { autoSkip: true, font: { size: 11 } } },
        },
        plugins: {
          legend: { position: 'bottom' },
          tooltip: { callbacks: {
            title: (items) => (items.length ? String(items[0].label) : ''),
            label: (item) => {
              const r = item.raw || {};
              const [s, e] = Array.isArray(r.x) ? r.x : [0, 0];
              return `${item.dataset.label}, chunk ${r.chunk}: ${fmt.dur(e - s)}, ` +
                     `ended ${fmt.fixed(-e, 1)} s ago (${r.outcome})`;
            },
          } },
        },
      },
    });
  }

  // stream: {generated_at, rows: [{worker_id, slot}], jobs: [{id, name}],
  // events: [[row, job, chunk, start s, end s, outcome], ...]}. Returns
  // {rows, events, jobs} counts, so the caller can size the box.
  function setStream(chart, stream) {
    const rows = arr(stream && stream.rows);
    const events = arr(stream && stream.events).filter((e) => Array.isArray(e) && e.length >= 6);
    const names = new Map(arr(stream && stream.jobs).map((j) => [num(j && j.id), String((j && j.name) || '')]));
    const counts = { rows: rows.length, events: events.length, jobs: names.size };
    if (!chart) return counts;
    const now = num(stream.generated_at);
    const labels = charts.slotLabels(rows);
    const byJob = new Map();
    for (const [row, job, chunk, start, end, outcome] of events) {
      if (num(row, -1) < 0 || row >= labels.length) continue;
      const id = num(job);
      if (!byJob.has(id)) byJob.set(id, []);
      const s = num(start) - now, e = Math.max(num(start), num(end)) - now;
      byJob.get(id).push({ y: labels[row], x: [s, e], chunk: num(chunk), outcome: String(outcome) });
    }
    chart.data.labels = labels;
    // Every row named while they fit (the box grows with them); beyond, some.
    chart.options.scales.y.ticks.autoSkip = labels.length > 50;
    chart.data.datasets = [...byJob.keys()].sort((a, b) => a - b).map((id) => ({
      label: `job ${id}${names.get(id) ? ` ${names.get(id)}` : ''}`, data: byJob.get(id),
      backgroundColor: jobColour(id), borderWidth: 0, grouped: false,
      barPercentage: 0.9, categoryPercentage: 0.9, minBarLength: 2,
    }));
    chart.update('none');
    return counts;
  }

  // The chunk stream's box, in px, for setStream's counts: room for every
  // slot row and for the legend's lines (about six jobs a line).
  function streamHeight(counts) {
    const legend = Math.ceil(counts.jobs / 6) * 22;
    return Math.min(900, Math.max(140, counts.rows * 18 + 90 + legend));
  }

  // A worker's CPU (cores, left) and resident memory (right) over the last
  // minutes: usage_series [[epoch s, cpu cores, resident bytes], ...].
  function usageChart(canvas) {
    return make(canvas, {
      type: 'line',
      data: { datasets: [
        { label: 'CPU (cores)', data: [], yAxisID: 'cpu', borderColor: '#d95f02', borderWidth: 1.8,
          pointRadius: 0 },
        { label: 'resident memory', data: [], yAxisID: 'mem', borderColor: '#7570b3', borderWidth: 1.5,
          pointRadius: 0 },
      ] },
      options: {
        parsing: false, normalized: true,
        interaction: { mode: 'nearest', axis: 'x', intersect: false },
        scales: {
          x: { type: 'linear', max: 0, title: title('seconds ago'), ticks: { callback: ago } },
          cpu: { type: 'linear', position: 'left', beginAtZero: true, title: title('CPU cores') },
          mem: { type: 'linear', position: 'right', beginAtZero: true, title: title('bytes'),
                 ticks: { callback: (v) => `${fmt.si(v, 3)}B` }, grid: { drawOnChartArea: false } },
        },
        plugins: {
          legend: { position: 'bottom' },
          tooltip: { callbacks: {
            label: (item) => (item.dataset.yAxisID === 'cpu'
              ? `CPU: ${fmt.fixed(item.parsed.y, 2)} cores` : `memory: ${fmt.si(item.parsed.y, 3)}B`),
          } },
        },
      },
    });
  }

  function setUsage(chart, series, now) {
    const samples = arr(series).filter((s) => Array.isArray(s) && s.length >= 3);
    if (!chart) return samples.length;
    chart.data.datasets[0].data = samples.map(([t, cpu]) => ({ x: num(t) - now, y: num(cpu) }));
    chart.data.datasets[1].data = samples.map(([t, , rss]) => ({ x: num(t) - now, y: num(rss) }));
    chart.update('none');
    return samples.length;
  }

  window.tminus = Object.assign(window.tminus || {}, {
    live: { clusterChart, setCluster, streamChart, setStream, streamHeight, usageChart, setUsage,
            jobColour },
  });
})();
