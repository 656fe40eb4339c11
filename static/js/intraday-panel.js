// The supervisor view's intraday panel: GET /api/v1/wfm/intraday/?team=… — the same answer the page
// /wfm/intraday/ draws (the server computes every figure: forecast, actual, reforecast, the staffing gap
// of the next four quarter-hours, the alert "unannounced campaign?") — asked again every minute.
(function () {
  "use strict";
  const node = document.getElementById("intraday-options");
  if (!node) return;
  const labels = JSON.parse(document.getElementById("intraday-labels").textContent);
  const api = node.dataset.api;
  const every = Number(node.dataset.refreshS || 60) * 1000;
  const fill = (text, values) => text.replace(/\{(\w+)\}/g, (m, k) => (k in values ? values[k] : m));
  const time = (iso) => iso.slice(11, 16);
  const agents = (v) => (Number.isInteger(v) ? String(v) : Math.abs(v).toFixed(1));
  const panel = document.getElementById("intraday-panel");
  const error = document.getElementById("intraday-error");
  let chart = null;

  // The chart shows the part of the day with something expected or come (a queue open 08:00–20:00 is not
  // drawn as a day of 96 quarter-hours, most of them empty); the figures are the server's as they are.
  function span(rows) {
    const busy = (r) => [r.forecast_offered, r.actual_offered, r.reforecast_offered].some((v) => v);
    let first = rows.findIndex(busy);
    if (first < 0) return rows;
    let last = rows.length - 1;
    while (last > first && !busy(rows[last])) last -= 1;
    return rows.slice(Math.max(0, first - 1), Math.min(rows.length, last + 2));
  }

  function drawAlerts(data) {
    document.getElementById("intraday-alerts").replaceChildren(
      ...data.alerts.map((a) => {
        const p = document.createElement("p");
        p.className = "intraday-alert";
        p.dataset.queue = a.queue_id;
        p.textContent = fill(labels.alert, {
          queue: a.queue, pct: Math.round(a.deviation_pct), intervals: a.intervals, start: time(a.since),
          threshold: a.threshold_pct, required: a.required_intervals,
        });
        return p;
      })
    );
  }

  function drawGap(data) {
    const gap = document.getElementById("intraday-gap");
    const g = data.staffing_gap;
    const forecast = data.rows.some((r) => r.forecast_offered !== null);
    gap.replaceChildren();
    if (!forecast) {
      gap.textContent = labels.no_forecast;
      gap.className = "intraday-gap muted";
    } else if (g) {
      const short = g.needed > 0;
      const line = document.createElement("span");
      line.className = "gap-line";
      line.textContent = fill(short ? labels.gap_short : labels.gap_ok, {
        n: agents(Math.abs(g.needed)), start: time(g.start), end: time(g.end),
      });
      const basis = document.createElement("span");
      basis.className = "gap-basis muted";
      basis.textContent = fill(labels.gap_basis, { required: agents(g.required_max), logged_in: g.logged_in });
      gap.append(line, " ", basis);
      gap.className = "intraday-gap" + (short ? " short" : "");
    } else {
      gap.textContent = labels.gap_unknown;
      gap.className = "intraday-gap muted";
    }
  }

  function drawChart(rows) {
    if (typeof Chart === "undefined") return;
    const shown = span(rows);
    const x = shown.map((r) => time(r.start));
    const series = [
      shown.map((r) => r.actual_offered), shown.map((r) => r.forecast_offered), shown.map((r) => r.reforecast_offered),
    ];
    if (chart) {
      chart.data.labels = x;
      chart.data.datasets.forEach((d, i) => (d.data = series[i]));
      chart.update();
      return;
    }
    chart = new Chart(document.getElementById("intraday-chart"), {
      data: {
        labels: x,
        datasets: [
          { type: "bar", label: labels.actual, data: series[0], backgroundColor: "#7fa7cd" },
          { type: "line", label: labels.forecast, data: series[1], borderColor: "#00529b", pointRadius: 0, borderWidth: 2 },
          { type: "line", label: labels.reforecast, data: series[2], borderColor: "#c8102e", borderDash: [6, 4], pointRadius: 0, borderWidth: 2 },
        ],
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        plugins: { legend: { labels: { boxWidth: 14 } } },
        scales: {
          x: { ticks: { autoSkip: true, maxRotation: 0 } },
          y: { beginAtZero: true, title: { display: true, text: labels.offered } },
        },
      },
    });
  }

  async function load() {
    try {
      const response = await fetch(api, { credentials: "same-origin", headers: { Accept: "application/json" } });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) throw new Error(body.error || String(response.status));
      error.hidden = true;
      drawAlerts(body);
      drawGap(body);
      drawChart(body.rows);
      document.getElementById("intraday-updated").textContent = `${labels.updated} ${time(body.generated_at)}`;
      panel.dataset.loaded = "1";
    } catch (e) {
      error.textContent = `${labels.error}: ${e.message}`;
      error.hidden = false;
      panel.dataset.loaded = "error";
    }
  }

  load();
  setInterval(load, every);
})();
