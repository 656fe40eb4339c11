// The intraday page: draws GET /api/v1/wfm/intraday/ (the server computes every figure) and asks again
// every minute, so that today's actual and the reforecast follow the live state.
(function () {
  "use strict";
  const config = document.getElementById("intraday-config");
  const api = config && config.dataset.api;
  if (!api) return;
  const labels = JSON.parse(document.getElementById("intraday-labels").textContent);
  const fill = (text, values) => text.replace(/\{(\w+)\}/g, (m, k) => (k in values ? values[k] : m));
  const time = (iso) => iso.slice(11, 16);
  const num = (v, digits) => (v === null || v === undefined ? "—" : Number(v).toFixed(digits));
  let chart = null;

  function draw(data) {
    const rows = data.rows;
    document.getElementById("intraday-title").textContent = `${data.name} — ${data.date}`;
    const alerts = document.getElementById("intraday-alerts");
    alerts.replaceChildren(
      ...data.alerts.map((a) => {
        const p = document.createElement("p");
        p.className = "intraday-alert";
        p.textContent = fill(labels.alert, {
          queue: a.queue, pct: Math.round(a.deviation_pct), intervals: a.intervals, start: time(a.since),
          threshold: a.threshold_pct, required: a.required_intervals,
        });
        return p;
      })
    );
    const gap = document.getElementById("intraday-gap");
    const g = data.staffing_gap;
    if (g) {
      const short = g.needed > 0;
      const n = Number.isInteger(g.needed) ? Math.abs(g.needed) : Math.abs(g.needed).toFixed(1);
      gap.textContent = fill(short ? labels.gap_short : labels.gap_ok, { n, start: time(g.start), end: time(g.end) });
      gap.className = "intraday-gap" + (short ? " short" : "");
    } else {
      gap.textContent = labels.gap_unknown;
      gap.className = "intraday-gap muted";
    }
    const method = data.reforecast;
    document.getElementById("intraday-method").textContent =
      `${labels.reforecast}: ${method.description}. ${labels.updated} ${time(data.generated_at)}.` +
      (rows.some((r) => r.forecast_offered !== null) ? "" : ` ${labels.no_forecast}`);
    const body = document.querySelector("#intraday-table tbody");
    body.replaceChildren(
      ...rows.map((r) => {
        const tr = document.createElement("tr");
        tr.className = r.status;
        for (const v of [
          time(r.start), num(r.forecast_offered, 1), r.actual_offered ?? "—", num(r.deviation_pct, 0),
          num(r.reforecast_offered, 1), num(r.forecast_aht_s, 0), num(r.actual_aht_s, 0),
          r.required_agents ?? "—", num(r.scheduled_agents, 1), num(r.staffed_agents, 1),
        ]) {
          const td = document.createElement("td");
          td.textContent = v;
          tr.appendChild(td);
        }
        return tr;
      })
    );
    const datasets = [
      { type: "bar", label: labels.actual, data: rows.map((r) => r.actual_offered), backgroundColor: "#7fa7cd", yAxisID: "y" },
      { type: "line", label: labels.forecast, data: rows.map((r) => r.forecast_offered), borderColor: "#00529b", pointRadius: 0, yAxisID: "y" },
      { type: "line", label: labels.reforecast, data: rows.map((r) => r.reforecast_offered), borderColor: "#c8102e", borderDash: [6, 4], pointRadius: 0, yAxisID: "y" },
      { type: "line", label: labels.required, data: rows.map((r) => r.required_agents), borderColor: "#f2a900", pointRadius: 0, yAxisID: "y1" },
      { type: "line", label: labels.staffed, data: rows.map((r) => r.staffed_agents), borderColor: "#555", borderDash: [2, 3], pointRadius: 0, yAxisID: "y1" },
    ];
    if (typeof Chart === "undefined") return;
    if (chart) {
      chart.data.labels = rows.map((r) => time(r.start));
      chart.data.datasets.forEach((d, i) => (d.data = datasets[i].data));
      chart.update();
      return;
    }
    chart = new Chart(document.getElementById("intraday-chart"), {
      data: { labels: rows.map((r) => time(r.start)), datasets },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: {
          y: { beginAtZero: true, position: "left", title: { display: true, text: labels.offered } },
          y1: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false }, title: { display: true, text: labels.agents } },
        },
      },
    });
  }

  async function load() {
    const error = document.getElementById("intraday-error");
    try {
      const response = await fetch(api, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      const body = await response.json();
      if (!response.ok) throw new Error(body.error || response.status);
      error.hidden = true;
      draw(body);
      document.body.dataset.intradayLoaded = "1";
    } catch (e) {
      error.textContent = `${labels.error}: ${e.message}`;
      error.hidden = false;
    }
  }
  load();
  setInterval(load, 60000);
})();
