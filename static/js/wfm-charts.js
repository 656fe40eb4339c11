// Charts of the WFM pages, drawn from the JSON the page embeds (no second request).
(function () {
  "use strict";
  if (typeof Chart === "undefined") return;
  const labels = JSON.parse(document.getElementById("wfm-labels").textContent);
  const time = (iso) => iso.slice(11, 16);

  const staffing = document.getElementById("staffing-data");
  if (staffing) {
    const data = JSON.parse(staffing.textContent);
    const rows = data.rows;
    new Chart(document.getElementById("staffing-chart"), {
      data: {
        labels: rows.map((r) => time(r.interval_start)),
        datasets: [
          {
            type: "bar",
            label: labels.required,
            data: rows.map((r) => r.required_agents),
            backgroundColor: rows.map((r) => (r.mark === "under" ? "#c8102e" : r.mark === "over" ? "#f2a900" : "#7fa7cd")),
          },
          { type: "line", label: labels.productive, data: rows.map((r) => r.productive_agents), borderColor: "#1b1b1b", pointRadius: 0 },
          { type: "line", label: labels.staffed, data: rows.map((r) => r.staffed_agents), borderColor: "#777", borderDash: [4, 4], pointRadius: 0 },
        ],
      },
      options: { animation: false, maintainAspectRatio: false, scales: { y: { beginAtZero: true, title: { display: true, text: labels.agents } } } },
    });
  }

  const forecast = document.getElementById("forecast-data");
  if (forecast) {
    const rows = JSON.parse(forecast.textContent).rows;
    new Chart(document.getElementById("forecast-chart"), {
      data: {
        labels: rows.map((r) => time(r.interval_start)),
        datasets: [
          { type: "bar", label: labels.actual, data: rows.map((r) => r.offered_actual), backgroundColor: "#7fa7cd", yAxisID: "y" },
          { type: "line", label: labels.forecast, data: rows.map((r) => r.offered_forecast), borderColor: "#00529b", pointRadius: 2, yAxisID: "y" },
          { type: "line", label: labels.required_forecast, data: rows.map((r) => r.required_agents_forecast), borderColor: "#c8102e", pointRadius: 2, yAxisID: "y1" },
          { type: "line", label: labels.required_actual, data: rows.map((r) => r.required_agents_actual), borderColor: "#f2a900", borderDash: [4, 4], pointRadius: 0, yAxisID: "y1" },
        ],
      },
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
})();
