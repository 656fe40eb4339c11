// The supervisor view's adherence panel: GET /api/v1/wfm/adherence/?team=… (the server computes every
// figure: planned activity and state now, adherence so far, minutes out, the mark) every 20 seconds.
(function () {
  "use strict";
  const node = document.getElementById("adherence-options");
  if (!node) return;
  const labels = JSON.parse(document.getElementById("adherence-labels").textContent);
  const api = node.dataset.api;
  const every = Number(node.dataset.refreshS || 20) * 1000;
  const fill = (text, values) => text.replace(/%\((\w+)\)s/g, (m, k) => (k in values ? values[k] : m));
  const num = (v, digits) => window.KCCFormat.fixed(v, digits, labels.none);
  const table = document.getElementById("adherence");
  const summary = document.getElementById("adherence-summary");
  const empty = document.getElementById("adherence-empty");

  function cell(text, className) {
    const td = document.createElement("td");
    td.textContent = text;
    if (className) td.className = className;
    return td;
  }

  function draw(data) {
    const rows = data.agents.map((a) => {
      const tr = document.createElement("tr");
      tr.dataset.agent = a.agent;
      if (a.marked) tr.className = "marked";
      const planned = a.planned_activity ? labels.activities[a.planned_activity] || a.planned_activity : labels.none;
      const state = a.actual_state ? labels.states[a.actual_state] || a.actual_state : labels.none;
      const kept = a.in_adherence === null ? labels.none : a.in_adherence ? labels.yes : labels.no;
      const outFor = cell("");
      if (a.out_for_min !== null) {
        outFor.textContent = fill(labels.minutes, {n: num(a.out_for_min, 0)});
        outFor.className = "out";
      }
      if (a.marked) {
        const mark = document.createElement("span");
        mark.className = "adherence-mark";
        mark.title = fill(labels.mark_help, {n: data.mark_after_min});
        mark.textContent = fill(labels.mark, {n: data.mark_after_min});
        outFor.append(" ", mark);
      }
      tr.append(
        cell(a.name), cell(planned), cell(state), cell(kept, a.in_adherence === false ? "out" : ""),
        cell(num(a.adherence_pct, 1)), cell(num(a.minutes_out, 0)), cell(num(a.conformance_pct, 1)), outFor
      );
      return tr;
    });
    table.tBodies[0].replaceChildren(...rows);
    empty.hidden = rows.length > 0;
    table.dataset.loaded = "1";
    const t = data.totals;
    summary.textContent = rows.length
      ? fill(labels.summary, {
          pct: t.adherence_pct === null ? labels.none : num(t.adherence_pct, 1) + " %",
          out: num(t.minutes_out, 0), marked: t.marked,
        })
      : "";
  }

  async function load() {
    try {
      const response = await fetch(api, {credentials: "same-origin", headers: {Accept: "application/json"}});
      if (!response.ok) throw new Error(String(response.status));
      draw(await response.json());
    } catch (e) {
      summary.textContent = labels.failed;
    }
  }

  load();
  setInterval(load, every);
})();
