// The Erlang calculator: every slider change asks GET /api/v1/wfm/erlang/ (debounced) and redraws.
(function () {
  "use strict";
  const form = document.getElementById("erlang-form");
  const labels = JSON.parse(document.getElementById("erlang-labels").textContent);
  const errorBox = document.getElementById("erlang-error");
  const tbody = document.querySelector("#erlang-table tbody");
  let chart = null;
  let timer = null;
  let inflight = null;

  const F = window.KCCFormat; // static/js/formats.js
  const pct = (v) => F.percent(v, labels.unbounded);
  const secs = (v) => F.fixed(v, 1, labels.unbounded);

  function params() {
    const f = form.elements;
    const p = new URLSearchParams({
      calls: f.calls.value,
      interval_s: f.interval_s.value,
      aht_s: f.aht_s.value,
      target_sl: (f.target_pct.value / 100).toString(),
      threshold_s: f.threshold_s.value,
      shrinkage: (f.shrinkage_pct.value / 100).toString(),
      max_occupancy: (f.occupancy_pct.value / 100).toString(),
    });
    if (f.abandon.checked) p.set("patience_s", f.patience_s.value);
    if (f.what_if.checked) p.set("agents", f.agents.value);
    return p;
  }

  function showOutputs() {
    form.querySelectorAll("output[data-for]").forEach((o) => {
      o.textContent = form.elements[o.dataset.for].value;
    });
    form.elements.patience_s.disabled = !form.elements.abandon.checked;
    form.elements.agents.disabled = !form.elements.what_if.checked;
  }

  function set(id, text) {
    document.getElementById(id).textContent = text;
  }

  function draw(body) {
    errorBox.hidden = true;
    const abandon = body.model === "erlang_a";
    set("r-traffic", F.fixed(body.traffic_erlangs, 2));
    set("r-required", body.required_agents);
    set("r-scheduled", body.scheduled_agents);
    set("r-agents", body.agents);
    set("r-sl", pct(body.service_level));
    set("r-asa", secs(body.asa_s));
    set("r-occupancy", pct(body.occupancy));
    set("r-pwait", pct(body.p_wait));
    document.getElementById("r-pabandon-box").hidden = !abandon;
    if (abandon) set("r-pabandon", pct(body.p_abandon));
    if (!form.elements.what_if.checked) {
      const slider = form.elements.agents;
      slider.max = Math.max(50, body.required_agents * 2);
      slider.value = body.required_agents;
      showOutputs();
    }
    tbody.replaceChildren(
      ...body.by_agents.map((row) => {
        const tr = document.createElement("tr");
        if (row.agents === body.required_agents) tr.className = "required";
        const cells = [row.agents, pct(row.service_level), secs(row.asa_s), pct(row.occupancy), pct(row.p_wait)];
        cells.push(abandon ? pct(row.p_abandon) : "");
        cells.forEach((c) => {
          const td = document.createElement("td");
          td.textContent = c;
          tr.appendChild(td);
        });
        return tr;
      })
    );
    document.querySelectorAll(".abandon-col").forEach((th) => (th.hidden = !abandon));
    tbody.querySelectorAll("tr").forEach((tr) => (tr.lastChild.hidden = !abandon));
    const target = form.elements.target_pct.value;
    const data = {
      labels: body.by_agents.map((r) => r.agents),
      datasets: [
        { label: labels.service_level, data: body.by_agents.map((r) => 100 * r.service_level), borderColor: "#00529b", backgroundColor: "#00529b" },
        { label: labels.occupancy, data: body.by_agents.map((r) => (r.occupancy === null ? null : 100 * r.occupancy)), borderColor: "#f2a900", backgroundColor: "#f2a900" },
        { label: labels.target, data: body.by_agents.map(() => target), borderColor: "#c8102e", borderDash: [6, 4], pointRadius: 0 },
      ],
    };
    if (typeof Chart === "undefined") return;
    if (chart) {
      chart.data = data;
      chart.update("none");
    } else {
      chart = new Chart(document.getElementById("erlang-chart"), {
        type: "line",
        data: data,
        options: {
          animation: false,
          maintainAspectRatio: false,
          scales: { y: { min: 0, max: 100 }, x: { title: { display: true, text: labels.agents } } },
        },
      });
    }
  }

  async function refresh() {
    if (inflight) inflight.abort();
    inflight = new AbortController();
    try {
      const response = await fetch(form.dataset.api + "?" + params().toString(), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
        signal: inflight.signal,
      });
      const body = await response.json();
      if (!response.ok) throw new Error(body.error || response.statusText);
      draw(body);
      document.body.dataset.erlangReady = "1";
    } catch (err) {
      if (err.name === "AbortError") return;
      errorBox.textContent = labels.error + ": " + err.message;
      errorBox.hidden = false;
    }
  }

  form.addEventListener("input", () => {
    showOutputs();
    clearTimeout(timer);
    timer = setTimeout(refresh, 120);
  });
  showOutputs();
  refresh();
})();
