// Report charts (Chart.js, vendored): offered/answered bars with the service level line, the abandon rate,
// and the top contact reasons. Data comes from json_script blocks rendered by the page; labels from the
// script tag's data attributes (translated by the template). No animation, so printing shows the charts.
(function () {
  "use strict";
  const script = document.currentScript;
  const t = script.dataset;
  const read = (id) => { const el = document.getElementById(id); return el ? JSON.parse(el.textContent) : null; };
  const chart = read("report-chart");
  const reasons = read("report-reasons") || [];
  if (!chart || typeof Chart === "undefined") return;
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  const blue = "#2563eb", green = "#16a34a", orange = "#ea580c", red = "#c8102e";

  const volume = document.getElementById("chart-volume");
  if (volume) {
    volume.parentElement.style.height = "320px";
    new Chart(volume, {
      data: {
        labels: chart.labels,
        datasets: [
          { type: "bar", label: t.offered, data: chart.offered, backgroundColor: blue, yAxisID: "y" },
          { type: "bar", label: t.answered, data: chart.answered, backgroundColor: green, yAxisID: "y" },
          { type: "line", label: t.serviceLevel, data: chart.service_level, borderColor: orange, backgroundColor: orange,
            yAxisID: "sl", spanGaps: true, pointRadius: 1.5, tension: 0.2 },
        ],
      },
      options: {
        interaction: { mode: "index", intersect: false },
        scales: {
          y: { beginAtZero: true, title: { display: true, text: t.contacts } },
          sl: { position: "right", min: 0, max: 100, grid: { drawOnChartArea: false }, title: { display: true, text: "%" } },
          x: { ticks: { autoSkip: true, maxTicksLimit: 24 } },
        },
      },
    });
  }
  const abandon = document.getElementById("chart-abandon");
  if (abandon) {
    abandon.parentElement.style.height = "260px";
    new Chart(abandon, {
      type: "line",
      data: { labels: chart.labels, datasets: [{ label: t.abandonRate, data: chart.abandon_rate, borderColor: red,
        backgroundColor: red, spanGaps: true, pointRadius: 1.5 }] },
      options: { scales: { y: { beginAtZero: true, suggestedMax: 20 }, x: { ticks: { maxTicksLimit: 12 } } } },
    });
  }
  const reasonsCanvas = document.getElementById("chart-reasons");
  if (reasonsCanvas) {
    reasonsCanvas.parentElement.style.height = "260px";
    new Chart(reasonsCanvas, {
      type: "bar",
      data: { labels: reasons.map((r) => r[0]), datasets: [{ label: t.contacts, data: reasons.map((r) => r[1]), backgroundColor: blue }] },
      options: { indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true } } },
    });
  }
})();
