/* KCC Live — the live pages' client: one websocket, versioned envelopes, reconnect with backoff,
 * resync after a gap or a silence, figures that tick every second. No build step: plain browser
 * JavaScript. */
(function () {
  "use strict";

  var LABELS = {};
  var F = window.KCCFormat;  // static/js/formats.js

  // --- formatting (the definitions are in formats.js) ------------------------------------------------

  function text(value, digits) { return F.fixed(value, digits, LABELS.empty || "—"); }

  function duration(seconds) { return F.clock(seconds, LABELS.empty || "—"); }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "class") node.className = attrs[k];
      else if (k === "text") node.textContent = attrs[k];
      else if (k.indexOf("data-") === 0 || k === "title" || k === "role") node.setAttribute(k, attrs[k]);
      else node[k] = attrs[k];
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }

  // The status of a wait that ticks in the browser: the server sends the ages from which it is
  // warning and critical (dashboard.core.metrics.status_from_s), so the page needs no rule of its own.
  function statusAt(age, from) {
    if (age >= from.critical) return "critical";
    if (age >= from.warning) return "warning";
    return "normal";
  }

  // dashboard.core.metrics.response_target_share, for the oldest item's age as it ticks.
  function shareOfTarget(age, target) { return 100 * age / target; }

  function localTime(iso, timeZone) {
    try {
      return new Date(iso).toLocaleTimeString(document.documentElement.lang || undefined, {hour: "2-digit", minute: "2-digit", timeZone: timeZone});
    } catch (e) {
      return iso.slice(11, 16);
    }
  }

  var RANK = {normal: 0, warning: 1, critical: 2};
  function worst(statuses) {
    var w = "normal";
    Object.keys(statuses || {}).forEach(function (k) { if (RANK[statuses[k]] > RANK[w]) w = statuses[k]; });
    return w;
  }

  // --- the connection -----------------------------------------------------------------------------

  function LiveSocket(options) {
    this.options = options;
    this.lastSeq = {};
    this.lastMessageAt = null;   // browser time of the last envelope
    this.lastHeardAt = null;     // browser time of the last envelope or heartbeat
    this.lastResyncAt = 0;
    this.clockOffset = 0;        // server time − browser time, seconds
    this.backoff = 1;
    this.connected = false;
    this.lostSince = null;
    this.stopped = false;
  }

  LiveSocket.prototype.url = function () {
    var o = this.options, proto = location.protocol === "https:" ? "wss:" : "ws:";
    var q = "scopes=" + encodeURIComponent(o.scopes.join(","));
    if (o.intervals) q += "&intervals=1";
    // A wall screen authenticates by its HttpOnly display cookie, sent with the handshake.
    return proto + "//" + location.host + "/ws/live/?" + q;
  };

  LiveSocket.prototype.connect = function () {
    var self = this;
    var ws = new WebSocket(this.url());
    this.ws = ws;
    ws.onopen = function () {
      self.connected = true;
      self.lastHeardAt = Date.now();  // the subscription's latest copies follow at once
      self.backoff = 1;
      self.lostSince = null;
      self.options.onStatus("open");
      self.pingTimer = setInterval(function () { self.ping(); }, 20000);
    };
    ws.onmessage = function (event) { self.receive(JSON.parse(event.data)); };
    ws.onclose = function (event) {
      clearInterval(self.pingTimer);
      self.connected = false;
      if (self.lostSince === null) self.lostSince = Date.now();
      if (event.code === 4401 || event.code === 4403 || event.code === 4400) {
        self.options.onStatus(event.code === 4401 ? "unauthenticated" : "forbidden");
        if (event.code === 4401 && !self.options.display) {
          location.href = "/accounts/login/?next=" + encodeURIComponent(location.pathname + location.search);
          return;
        }
        if (event.code !== 4401) return;  // a forbidden scope will not become allowed by retrying
      }
      self.options.onStatus("lost");
      if (self.stopped) return;
      var delay = Math.min(30, self.backoff) * (0.75 + Math.random() * 0.5);
      self.backoff = Math.min(30, self.backoff * 2);
      setTimeout(function () { self.connect(); }, delay * 1000);
    };
  };

  LiveSocket.prototype.ping = function () {
    var self = this;
    if (!this.connected) return;
    this.awaitingPong = true;
    this.ws.send(JSON.stringify({type: "ping"}));
    setTimeout(function () {
      if (self.awaitingPong && self.ws.readyState === WebSocket.OPEN) self.ws.close();  // a dead link
    }, 10000);
  };

  LiveSocket.prototype.resync = function () {
    if (!this.connected) return;
    this.lastResyncAt = Date.now();
    this.ws.send(JSON.stringify({type: "resync"}));
  };

  // seq never goes backwards for a scope and type (dashboard/live/broadcast.py): a lower or equal one
  // is a copy already shown; ``prev`` above the last seen means a message was lost.
  LiveSocket.prototype.receive = function (message) {
    if (message.type === "pong") { this.awaitingPong = false; return; }
    if (message.v !== 1) return;
    if (message.type === "heartbeat") {
      this.lastHeardAt = Date.now();
      var shown = this.lastSeq["snapshot " + message.scope];
      // The publisher sent a snapshot this page never got: ask for the latest.
      if ((shown === undefined || message.seq > shown) && Date.now() - this.lastResyncAt > 2000) this.resync();
      return;
    }
    var key = message.type + " " + message.scope, last = this.lastSeq[key];
    if (last !== undefined && message.seq <= last) return;  // an older copy: ignore
    if (last !== undefined && message.prev !== undefined && message.prev > last) {
      // A gap: messages were lost. Apply this one, and ask for the latest of everything.
      this.resync();
    }
    this.lastSeq[key] = message.seq;
    this.lastMessageAt = this.lastHeardAt = Date.now();
    this.clockOffset = message.ts - Date.now() / 1000;
    this.options.onMessage(message);
  };

  LiveSocket.prototype.serverNow = function () { return Date.now() / 1000 + this.clockOffset; };

  function ageSince(socket, iso) {
    if (!iso) return null;
    return socket.serverNow() - Date.parse(iso) / 1000;
  }

  // Silent for longer than the publisher's heartbeat allows: say so, ask for the latest copies, and
  // when that brings nothing either, reconnect.
  LiveSocket.prototype.checkSilence = function (staleAfterMs) {
    if (!this.connected || this.lastHeardAt === null) return null;
    var silent = Date.now() - this.lastHeardAt;
    if (silent <= staleAfterMs) return null;
    if (silent > 2 * staleAfterMs) {
      this.lastHeardAt = Date.now();  // the reconnect gets its own period
      this.ws.close();
    } else if (Date.now() - this.lastResyncAt > staleAfterMs / 3) {
      this.resync();
    }
    return silent;
  };

  function connectionBanner(socket) {
    var banner = document.getElementById("connection");
    var staleAfterMs = 1000 * (LABELS.stale_after_s || 15);
    setInterval(function () {
      var silent = socket.checkSilence(staleAfterMs);
      if (silent !== null) {
        var since = socket.lastMessageAt || (Date.now() - silent);
        banner.textContent = LABELS.stale.replace("%(s)s", Math.round((Date.now() - since) / 1000));
        banner.hidden = false;
        document.body.classList.add("stale");
        return;
      }
      if (socket.connected) document.body.classList.remove("stale");
      if (socket.connected || socket.lostSince === null) { banner.hidden = true; return; }
      var since = socket.lastMessageAt || socket.lostSince;
      var age = Math.round((Date.now() - since) / 1000);
      banner.textContent = LABELS.connection_lost.replace("%(s)s", age);
      banner.hidden = false;
      document.body.classList.toggle("stale", age > 10);
    }, 1000);
  }

  // --- the wallboard ------------------------------------------------------------------------------

  function kpiCell(label, value, status, extra) {
    return el("div", {class: "kpi " + (status || "normal")}, [
      el("div", {class: "kpi-value", text: value}),
      el("div", {class: "kpi-label", text: label + (extra ? " " + extra : "")}),
    ]);
  }

  function tileNode(t, socket, big) {
    var s = t.status || {}, today = t.today, window = t.last_30m, a = t.agents;
    var node = el("article", {class: "tile " + worst(s) + (big ? " big" : ""), "data-queue": t.id || ""});
    var title = el("h2", {text: t.name});
    node.appendChild(title);
    var grid = el("div", {class: "kpis"});
    var wait = el("div", {class: "kpi tick", "data-since": t.oldest_offered_at || "", "data-rule": "wait"});
    if (t.synchronous === false) {
      grid.appendChild(kpiCell(LABELS.backlog, text(t.waiting), s.waiting));
      wait.dataset.target = t.response_target_s || "";
      waitStatus(wait, t, "response_target");
      wait.appendChild(el("div", {class: "kpi-value"}));
      wait.appendChild(el("div", {class: "kpi-label", text: LABELS.oldest_item}));
      grid.appendChild(wait);
      grid.appendChild(kpiCell(LABELS.handled, text(today.handled), null, LABELS.today));
    } else {
      grid.appendChild(kpiCell(LABELS.waiting, text(t.waiting), s.waiting));
      waitStatus(wait, t, "longest_wait");
      wait.appendChild(el("div", {class: "kpi-value"}));
      wait.appendChild(el("div", {class: "kpi-label", text: LABELS.longest_wait}));
      grid.appendChild(wait);
      var target = t.sl_target_pct !== undefined ? " (" + LABELS.target + " " + t.sl_target_pct + "%)" : "";
      grid.appendChild(kpiCell(LABELS.service_level, text(today.service_level, 1) + "%", s.service_level, LABELS.today + target));
      grid.appendChild(kpiCell(LABELS.service_level, text(window.service_level, 1) + "%", null, LABELS.last_30m));
      grid.appendChild(kpiCell(LABELS.asa, duration(today.asa_s), s.asa));
      grid.appendChild(kpiCell(LABELS.abandon_rate, text(today.abandon_rate, 1) + "%", s.abandon_rate));
    }
    grid.appendChild(kpiCell(LABELS.aht, duration(today.aht_s), s.aht));
    grid.appendChild(kpiCell(LABELS.offered, text(today.offered), null, LABELS.today));
    grid.appendChild(kpiCell(LABELS.answered, text(today.answered), null, LABELS.today));
    if (t.backlog) {
      grid.appendChild(kpiCell(LABELS.backlog, text(t.backlog), null));
      var oldest = el("div", {class: "kpi tick", "data-since": t.oldest_backlog_at || ""});
      oldest.appendChild(el("div", {class: "kpi-value"}));
      oldest.appendChild(el("div", {class: "kpi-label", text: LABELS.oldest_item}));
      grid.appendChild(oldest);
    }
    node.appendChild(grid);
    // Counted by skill (a queue, a channel): said once, small, with the why in the tooltip.
    var bySkill = t.agents_by === "skill";
    var agents = el("div", bySkill ? {class: "agents", title: LABELS.agents_by_skill_help} : {class: "agents"}, [
      bySkill ? el("span", {class: "agents-by", text: t.id ? LABELS.agents_by_skill : LABELS.agents_by_channel_skill}) : null,
      el("span", {class: "state available", text: LABELS.available + " " + a.available}),
      el("span", {class: "state on_contact", text: LABELS.on_contact + " " + a.on_contact}),
      el("span", {class: "state acw", text: LABELS.acw + " " + a.acw}),
      el("span", {class: "state paused", text: LABELS.paused + " " + a.paused}),
    ]);
    node.appendChild(agents);
    if (t.callbacks_due || t.callbacks_overdue) {
      node.appendChild(el("div", {class: "callbacks " + (t.callbacks_overdue ? "critical" : ""),
        text: LABELS.callbacks_due + " " + t.callbacks_due + " · " + LABELS.callbacks_overdue + " " + t.callbacks_overdue}));
    }
    return node;
  }

  // What a ticking wait cell needs for its colour: the server's status now and, when it changes as the
  // wait grows, the ages from which it does.
  function waitStatus(node, t, kpi) {
    node.dataset.status = (t.status || {})[kpi] || "normal";
    var from = (t.status_from || {})[kpi];
    if (from) node.dataset.statusFrom = JSON.stringify(from);
  }

  function tick(socket) {
    document.querySelectorAll(".tick").forEach(function (node) {
      var since = node.dataset.since, age = since ? ageSince(socket, since) : 0;
      var value = node.querySelector(".kpi-value") || node;
      if (node.dataset.rule === "wait") {
        value.textContent = duration(age);
        var status = node.dataset.statusFrom ? statusAt(since ? age : 0, JSON.parse(node.dataset.statusFrom))
          : (node.dataset.status || "normal");
        if (node.dataset.target !== undefined) {
          var label = node.querySelector(".kpi-label");
          if (!since || !Number(node.dataset.target)) {
            value.textContent = since ? duration(age) : (LABELS.empty || "—");
            if (label) label.textContent = LABELS.oldest_item;
          } else {
            // The age is never negative, as metrics.longest_wait_s (clocks may differ slightly).
            var pct = shareOfTarget(Math.max(0, age), Number(node.dataset.target));
            if (label) label.textContent = LABELS.oldest_item + " (" + text(pct, 0) + "% " + LABELS.of_target + ")";
          }
        }
        node.className = "kpi tick " + status;
      } else {
        value.textContent = since ? duration(age) : (LABELS.empty || "—");
      }
    });
  }

  function startWallboard(options) {
    LABELS = JSON.parse(document.getElementById("live-labels").textContent);
    var socket = new LiveSocket({
      scopes: [options.scope],
      display: options.display,
      onStatus: function (status) {
        if (status === "forbidden" || status === "unauthenticated") {
          document.getElementById("scope-name").textContent = LABELS[status];
        }
      },
      onMessage: function (message) {
        if (message.type !== "snapshot") return;
        var data = message.data;
        document.getElementById("scope-name").textContent = data.name === "all" ? LABELS.whole_centre : data.name;
        if (data.total.name === "all") data.total.name = LABELS.whole_centre;
        var total = document.getElementById("total"), tiles = document.getElementById("tiles");
        total.replaceChildren(tileNode(data.total, socket, true));
        tiles.replaceChildren.apply(tiles, data.tiles.length > 1 ? data.tiles.map(function (t) { return tileNode(t, socket); }) : []);
        document.body.dataset.seq = message.seq;
        tick(socket);
      },
    });
    socket.connect();
    connectionBanner(socket);
    setInterval(function () { tick(socket); }, 1000);
    if (options.kiosk && document.documentElement.requestFullscreen) {
      document.addEventListener("click", function () { document.documentElement.requestFullscreen().catch(function () {}); }, {once: true});
    }
    window.kccSocket = socket;
  }

  // --- the supervisor view ------------------------------------------------------------------------

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function startSupervisor(options) {
    LABELS = JSON.parse(document.getElementById("live-labels").textContent);
    var volume = null, sl = null;

    function drawCharts(rows, target) {
      var labels = rows.map(function (r) { return r.start.slice(11, 16); });
      if (!window.Chart) return;
      if (!volume) {
        volume = new Chart(document.getElementById("chart-volume"), {
          type: "bar",
          data: {labels: labels, datasets: [
            {label: LABELS.chart_offered, data: [], backgroundColor: "#7aa6d6"},
            {label: LABELS.chart_answered, data: [], backgroundColor: "#00529b"},
          ]},
          options: {animation: false, maintainAspectRatio: false, scales: {y: {beginAtZero: true}}},
        });
        sl = new Chart(document.getElementById("chart-sl"), {
          type: "line",
          data: {labels: labels, datasets: [
            {label: LABELS.chart_sl, data: [], borderColor: "#00529b", spanGaps: true},
            {label: LABELS.chart_target, data: [], borderColor: "#c8102e", borderDash: [6, 4], pointRadius: 0},
          ]},
          options: {animation: false, maintainAspectRatio: false, scales: {y: {min: 0, max: 100}}},
        });
      }
      volume.data.labels = labels;
      volume.data.datasets[0].data = rows.map(function (r) { return r.offered; });
      volume.data.datasets[1].data = rows.map(function (r) { return r.answered; });
      sl.data.labels = labels;
      sl.data.datasets[0].data = rows.map(function (r) { return r.service_level; });
      sl.data.datasets[1].data = rows.map(function () { return target; });
      volume.update();
      sl.update();
    }

    var target = null, lastRows = null;
    function renderSnapshot(data) {
      var qbody = document.querySelector("#queues tbody");
      qbody.replaceChildren.apply(qbody, data.tiles.map(function (t) {
        var s = t.status || {};
        if (target === null && t.sl_target_pct !== undefined) target = t.sl_target_pct;
        var wait = el("td", {class: "tick", "data-since": t.oldest_offered_at || "", "data-rule": "wait"});
        if (t.synchronous === false) wait.dataset.target = t.response_target_s || "";
        waitStatus(wait, t, t.synchronous === false ? "response_target" : "longest_wait");
        return el("tr", {"data-queue": t.id}, [
          el("td", {text: t.name}),
          el("td", {class: s.waiting || "", text: text(t.waiting)}),
          wait,
          el("td", {class: s.service_level || "", text: t.synchronous === false ? "—" : text(t.today.service_level, 1)}),
          el("td", {text: t.synchronous === false ? "—" : text(t.last_30m.service_level, 1)}),
          el("td", {class: s.asa || "", text: text(t.today.asa_s, 0)}),
          el("td", {class: s.aht || "", text: text(t.today.aht_s, 0)}),
          el("td", {class: s.abandon_rate || "", text: text(t.today.abandon_rate, 1)}),
          el("td", {text: text(t.today.offered)}),
          el("td", {text: text(t.today.answered)}),
          el("td", {class: t.callbacks_overdue ? "critical" : "", text: t.callbacks_due + " / " + t.callbacks_overdue}),
        ]);
      }));
      var abody = document.querySelector("#agents tbody");
      abody.replaceChildren.apply(abody, (data.agents || []).map(function (a) {
        var stateLabel = LABELS[a.state] || a.state;
        return el("tr", {"data-agent": a.login_id, class: "agent " + a.state}, [
          el("td", {text: a.name}),
          el("td", {class: "state " + a.state, text: stateLabel + (a.reason ? " (" + a.reason + ")" : "")}),
          el("td", {class: "tick", "data-since": a.since || ""}),
          el("td", {}, a.contact_queue ? [
            el("span", {text: a.contact_queue + " "}),
            el("span", {class: "tick", "data-since": a.contact_since || ""}),
          ] : [el("span", {text: "—"})]),
          el("td", {text: text(a.handled_today)}),
          el("td", {text: text(a.aht_today_s, 0)}),
        ]);
      }));
      var list = document.getElementById("alerts");
      var alerts = data.alerts || [];
      if (!alerts.length) { list.replaceChildren(el("li", {class: "none", text: LABELS.no_alerts})); return; }
      list.replaceChildren.apply(list, alerts.map(function (alert) {
        var kpi = (LABELS.kpi || {})[alert.kpi] || alert.kpi;
        var item = el("li", {class: "alert " + alert.level + (alert.cleared_at ? " cleared" : ""), "data-alert": alert.id}, [
          el("time", {text: localTime(alert.raised_at, data.time_zone)}),
          el("span", {text: " " + alert.name + " — " + kpi + ": " + text(alert.value, 1) + " (" + (LABELS[alert.level] || alert.level) + " " + text(alert.threshold, 1) + ")"}),
        ]);
        if (alert.cleared_at) item.appendChild(el("span", {class: "note", text: " · " + LABELS.cleared}));
        if (alert.acknowledged_by) {
          item.appendChild(el("span", {class: "note", text: " · " + LABELS.acknowledged_by.replace("%(user)s", alert.acknowledged_by)}));
        } else {
          var button = el("button", {type: "button", text: LABELS.acknowledge});
          button.addEventListener("click", function () {
            button.disabled = true;
            fetch(options.ackUrl + alert.id + "/ack/", {method: "POST", headers: {"X-CSRFToken": csrfToken()}, credentials: "same-origin"})
              .then(function (r) { if (!r.ok) button.disabled = false; });
          });
          item.appendChild(button);
        }
        return item;
      }));
    }

    var socket = new LiveSocket({
      scopes: [options.scope],
      intervals: true,
      onStatus: function (status) {
        if (status === "forbidden") document.getElementById("scope-name").textContent = LABELS.forbidden;
      },
      onMessage: function (message) {
        if (message.type === "intervals") lastRows = message.data.intervals;
        if (message.type === "snapshot") renderSnapshot(message.data);
        if (lastRows) drawCharts(lastRows, target);
        document.body.dataset.seq = message.seq;
        tick(socket);
      },
    });
    socket.connect();
    connectionBanner(socket);
    setInterval(function () { tick(socket); }, 1000);
    window.kccSocket = socket;
  }

  window.KCC = {startWallboard: startWallboard, startSupervisor: startSupervisor, statusAt: statusAt,
    shareOfTarget: shareOfTarget};
})();
