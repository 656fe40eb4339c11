// Progress of a background interval export: poll its status until it is done or failed.
(function () {
  "use strict";
  const box = document.getElementById("export");
  const labels = JSON.parse(document.getElementById("export-labels").textContent);
  const bar = document.getElementById("export-progress");
  const statusText = document.getElementById("export-status");
  const errorText = document.getElementById("export-error");
  const link = document.getElementById("export-download");

  async function poll() {
    let body;
    try {
      const response = await fetch(box.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } });
      body = await response.json();
      if (!response.ok) throw new Error(body.error || response.statusText);
    } catch (err) {
      errorText.textContent = err.message;
      errorText.hidden = false;
      setTimeout(poll, 3000);
      return;
    }
    bar.value = body.progress;
    let text = labels[body.status] || body.status;
    if (body.status === "running" || body.status === "queued") {
      text += " — " + labels.rows.replace("%(done)s", body.rows_done.toLocaleString()).replace("%(total)s", body.rows_total.toLocaleString());
    }
    statusText.textContent = text;
    if (body.status === "done") {
      link.href = body.download_url;
      link.hidden = false;
      document.body.dataset.exportDone = "1";
      return;
    }
    if (body.status === "failed") {
      errorText.textContent = body.error;
      errorText.hidden = false;
      return;
    }
    setTimeout(poll, 1000);
  }
  poll();
})();
