/* KCC Live — the live pages' client: one websocket, versioned envelopes, reconnect with backoff,
 * resync after a gap or a silence, figures that tick every second. No build step: plain browser
 * JavaScript. */
(function () {
  "use strict";

  var LABELS = {};
  var F = window.KCCFormat;  // static/js/formats.js

  // --- formatting (the definitions are in formats.js) ------------------------------------------------

  function text(value, digits) { return F.fixed(value, digits, LABELS.empty || "—"); }

  function duration(seconds) { return F.duration(seconds, LABELS.empty || "—"); }

  // A percentage, or the empty sign alone (not "—%") when there is none yet.
  function percentText(value) {
    var shown = text(value, 1);
    return shown === (LABELS.empty || "—") ? shown : shown + "%";
  }

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
    // The server's clock when this message left it (the consumer stamps every message), not the
    // envelope's ts: the latest snapshot re-sent on connect may be minutes old.
    if (typeof message.sent_at === "number") this.clockOffset = message.sent_at - Date.now() / 1000;
    if (message.type === "pong") { this.awaitingPong = false; return; }
    if (message.type === "layout") { if (this.options.onLayout) this.options.onLayout(message.data); return; }
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

  function kpiCell(label, value, status, extra, code) {
    var node = el("div", {class: "kpi " + (status || "normal"), "data-kpi": code || ""}, [
      el("div", {class: "kpi-value", text: value}),
      el("div", {class: "kpi-label", text: label + (extra ? " " + extra : "")}),
    ]);
    setFlag(node, status);
    return node;
  }

  // --- wall screens: what a screen shows, and how it fills the wall ---------------------------------

  // What this screen shows (dashboard.live.models.Display.layout; the defaults for a kiosk without a
  // wall-screen token): the KPIs of each tile (none: all), the queues in their order (none: the scope's),
  // and pages of at most tiles_per_page queue tiles that turn every page_seconds.
  var LAYOUT = {kpis: [], queues: [], tiles_per_page: 12, page_seconds: 15};
  var TIME_ZONE;  // the centre's, from the snapshot
  // Figures open the list behind them on a page a person uses (not on a wall screen): the page's scope.
  var DRILL_SCOPE = null;

  // A queue tile's list is its queue's; a team total's its team's (its id is the team's, not a queue's).
  function drillQuery(t) {
    if (t.id && t.agents_by === "team") return "team=" + t.id;
    return t.id ? "queue=" + t.id : scopeQuery(DRILL_SCOPE);
  }
  function drillOn(node, kind, t) { return DRILL_SCOPE === null ? node : drillable(node, kind, drillQuery(t)); }

  // Amber and red are not told apart by everyone: a shape and a word say it too.
  var FLAGS = {warning: "▲", critical: "■"};
  function setFlag(node, status) {
    var label = node.querySelector(".kpi-label") || node, flag = label.querySelector(".kpi-flag");
    if (!FLAGS[status]) { if (flag) flag.remove(); return; }
    if (!flag) {
      flag = el("span", {class: "kpi-flag"});
      label.insertBefore(flag, label.firstChild);
    }
    flag.textContent = FLAGS[status] + " " + (LABELS[status] || status) + " ";
  }

  function flagged(node, status) { setFlag(node, status); return node; }

  function keepKpis(node) {
    if (!LAYOUT.kpis.length) return node;
    node.querySelectorAll("[data-kpi]").forEach(function (cell) {
      if (cell.dataset.kpi && LAYOUT.kpis.indexOf(cell.dataset.kpi) < 0) cell.remove();
    });
    return node;
  }

  // When a closed queue opens again, in the centre's time zone: the time today, else weekday and time.
  function openingText(iso, socket) {
    var lang = document.documentElement.lang || undefined, at = new Date(iso);
    var opts = {hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: TIME_ZONE};
    var day = function (d) { return d.toLocaleDateString("en-CA", {timeZone: TIME_ZONE}); };
    var days = (at.getTime() / 1000 - socket.serverNow()) / 86400;
    if (day(at) !== day(new Date(socket.serverNow() * 1000))) opts.weekday = "short";
    if (days > 6) { opts.day = "numeric"; opts.month = "short"; }
    try { return at.toLocaleString(lang, opts); } catch (e) { return iso.slice(0, 16).replace("T", " "); }
  }

  function closedNote(t, socket) {
    return el("div", {class: "closed-note", role: "note"}, [
      el("div", {class: "closed-word", text: LABELS.closed}),
      el("div", {class: "closed-opens", "data-opens-at": t.opens_at || "",
        text: t.opens_at ? LABELS.opens_at.replace("%(when)s", openingText(t.opens_at, socket)) : LABELS.not_planned}),
    ]);
  }

  // The queue tiles this screen shows, in its order; its chosen queues that are in this scope, or all.
  function chosenTiles(tiles) {
    if (!LAYOUT.queues.length) return tiles;
    var byId = {};
    tiles.forEach(function (t) { byId[t.id] = t; });
    var chosen = LAYOUT.queues.map(function (id) { return byId[id]; }).filter(Boolean);
    return chosen.length ? chosen : tiles;
  }

  // The grid of n cells in a width × height box: the column count that gives each cell the most room
  // at the given aspect ratio (width : height). Returns {cols, rows, score}, score the cell's height.
  function bestGrid(n, width, height, aspect) {
    var best = {cols: 1, rows: Math.max(1, n), score: -1};
    for (var c = 1; c <= Math.max(1, n); c++) {
      var r = Math.ceil(n / c) || 1, score = Math.min(width / c / aspect, height / r);
      if (score > best.score + 0.01) best = {cols: c, rows: r, score: score};
    }
    return best;
  }

  var KPI_ASPECT = 2.4;  // a figure and its label: about this much wider than high
  var KPI_SHARE = 0.74;  // of a tile's height: the rest is its name and the agents line

  // A figure or line that is still too wide for its box (a long duration, a long name) shrinks to fit.
  function fitText(node) {
    node.style.fontSize = "";
    if (node.scrollWidth <= node.clientWidth) return;
    var size = parseFloat(getComputedStyle(node).fontSize);
    node.style.fontSize = Math.floor(size * node.clientWidth / node.scrollWidth * 0.95) + "px";
  }

  // Kiosk: the queue tiles take the grid that gives their figures the most room on this screen, every
  // tile its KPIs' grid; the font sizes follow the boxes (CSS container units, static/css/live.css).
  function fitBoard() {
    if (!document.body.classList.contains("kiosk")) {
      // not a wall screen: the grid is the page's, but a long figure ("14 h 47 m") still must not run
      // into the next cell
      document.querySelectorAll(".tile .kpi-value").forEach(fitText);
      return;
    }
    var tiles = document.getElementById("tiles"), n = tiles.children.length;
    document.body.classList.toggle("single", n === 0);
    if (n) {
      var style = getComputedStyle(tiles), gap = parseFloat(style.rowGap) || 0;
      var k = 1;
      tiles.querySelectorAll(".kpis").forEach(function (g) { k = Math.max(k, g.children.length); });
      var best = null;
      for (var c = 1; c <= n; c++) {
        var r = Math.ceil(n / c);
        var w = (tiles.clientWidth - gap * (c - 1)) / c, h = (tiles.clientHeight - gap * (r - 1)) / r;
        var score = bestGrid(k, w * 0.95, h * KPI_SHARE, KPI_ASPECT).score;
        if (!best || score > best.score + 0.01) best = {cols: c, rows: r, score: score};
      }
      tiles.style.setProperty("--cols", best.cols);
      tiles.style.setProperty("--rows", best.rows);
    }
    document.querySelectorAll(".tile .kpis").forEach(function (grid) {
      var g = bestGrid(grid.children.length, grid.clientWidth, grid.clientHeight, KPI_ASPECT);
      grid.style.setProperty("--kcols", g.cols);
      grid.style.setProperty("--krows", g.rows);
    });
    document.querySelectorAll(".tile .kpi-value, .tile h2, .tile .agents, .tile .callbacks, .closed-opens").forEach(fitText);
  }

  // Contacts waiting, and under them a queue's expected wait for a contact joining now (a total has
  // none: its queues differ), how it was found in the tooltip (dashboard.core.erlang.expected_wait).
  function waitingCell(t, s) {
    if (!t.ewt_method) return kpiCell(LABELS.waiting, text(t.waiting), s.waiting, null, "waiting");
    var ewt = t.ewt_s === null ? LABELS.empty : duration(t.ewt_s);
    var node = kpiCell(LABELS.waiting, text(t.waiting), s.waiting, "· " + LABELS.ewt + " " + ewt, "waiting");
    node.dataset.ewt = t.ewt_s === null ? "" : t.ewt_s;
    node.title = LABELS.ewt + ": " + ewt + " (" + (LABELS.ewt_methods[t.ewt_method] || t.ewt_method) + ")";
    return node;
  }

  function tileNode(t, socket, big) {
    var s = t.status || {}, today = t.today, window = t.last_30m, a = t.agents;
    var node = el("article", {class: "tile " + worst(s) + (big ? " big" : ""), "data-queue": t.id || ""});
    var title = el("h2", {text: t.name});
    node.appendChild(title);
    if (t.open === false) {
      // Closed: say so and when it opens, not a row of zeros; what still waits stays in sight.
      node.classList.add("closed");
      node.appendChild(closedNote(t, socket));
      if (!t.waiting && !t.backlog) return node;
    }
    var grid = el("div", {class: "kpis"});
    var wait = el("div", {class: "kpi tick", "data-since": t.oldest_offered_at || "", "data-rule": "wait", "data-kpi": "longest_wait"});
    // A total (team, channel, centre) with no synchronous queue has no waits on the line to show: its
    // asynchronous queues are in its ``async`` block below (dashboard.core.metrics.total_kpis).
    if (t.synchronous === false && t.async) {
      // nothing: the async block carries the figures
    } else if (t.synchronous === false) {
      grid.appendChild(drillOn(kpiCell(LABELS.backlog, text(t.waiting), s.waiting, null, "waiting"), "waiting", t));
      wait.dataset.target = t.response_target_s || "";
      waitStatus(wait, t, "response_target");
      wait.appendChild(el("div", {class: "kpi-value"}));
      wait.appendChild(el("div", {class: "kpi-label", text: LABELS.oldest_item}));
      grid.appendChild(wait);
      grid.appendChild(kpiCell(LABELS.handled, text(today.handled), null, LABELS.today, "handled"));
    } else {
      grid.appendChild(drillOn(waitingCell(t, s), "waiting", t));
      waitStatus(wait, t, "longest_wait");
      wait.appendChild(el("div", {class: "kpi-value"}));
      wait.appendChild(el("div", {class: "kpi-label", text: LABELS.longest_wait}));
      grid.appendChild(wait);
      var target = t.sl_target_pct !== undefined ? " (" + LABELS.target + " " + t.sl_target_pct + "%)" : "";
      grid.appendChild(kpiCell(LABELS.service_level, percentText(today.service_level), s.service_level, LABELS.today + target, "service_level"));
      grid.appendChild(kpiCell(LABELS.service_level, percentText(window.service_level), null, LABELS.last_30m, "service_level_30m"));
      grid.appendChild(kpiCell(LABELS.asa, duration(today.asa_s), s.asa, null, "asa"));
      grid.appendChild(drillOn(kpiCell(LABELS.abandon_rate, percentText(today.abandon_rate), s.abandon_rate, null, "abandon_rate"), "abandoned", t));
    }
    grid.appendChild(kpiCell(LABELS.aht, duration(today.aht_s), s.aht, null, "aht"));
    grid.appendChild(kpiCell(LABELS.offered, text(today.offered), null, LABELS.today, "offered"));
    grid.appendChild(kpiCell(LABELS.answered, text(today.answered), null, LABELS.today, "answered"));
    node.appendChild(grid);
    if (t.async) node.appendChild(asyncBlock(t.async));
    // Counted by skill (a queue, a channel): said once, small, with the why in the tooltip.
    var bySkill = t.agents_by === "skill";
    var agents = el("div", bySkill ? {class: "agents", "data-kpi": "agents", title: LABELS.agents_by_skill_help} : {class: "agents", "data-kpi": "agents"}, [
      bySkill ? el("span", {class: "agents-by", text: t.id ? LABELS.agents_by_skill : LABELS.agents_by_channel_skill}) : null,
      el("span", {class: "state available", text: LABELS.available + " " + a.available}),
      el("span", {class: "state on_contact", text: LABELS.on_contact + " " + a.on_contact}),
      el("span", {class: "state acw", text: LABELS.acw + " " + a.acw}),
      el("span", {class: "state paused", text: LABELS.paused + " " + a.paused}),
    ]);
    node.appendChild(agents);
    if (t.callbacks_due || t.callbacks_overdue) {
      node.appendChild(drillOn(el("div", {class: "callbacks " + (t.callbacks_overdue ? "critical" : ""), "data-kpi": "callbacks",
        text: LABELS.callbacks_due + " " + t.callbacks_due + " · " + LABELS.callbacks_overdue + " " + t.callbacks_overdue}), "callbacks", t));
    }
    return keepKpis(node);
  }

  // A total's asynchronous queues, apart from its waits on the line: backlog, oldest item (ticking),
  // share answered within the response target today. All computed on the server.
  function asyncBlock(b) {
    var oldest = el("div", {class: "kpi tick", "data-since": b.oldest_at || ""}, [
      el("div", {class: "kpi-value"}),
      el("div", {class: "kpi-label", text: LABELS.oldest_item}),
    ]);
    return el("section", {class: "async-block " + (b.status || "normal"), "data-kind": "async"}, [
      el("h3", {text: LABELS.async_block + (b.status && b.status !== "normal" ? " · " + (LABELS[b.status] || b.status) : "")}),
      el("div", {class: "kpis"}, [
        kpiCell(LABELS.backlog, text(b.backlog), null),
        oldest,
        kpiCell(LABELS.response_attainment, text(b.response_attainment, 1) + (b.response_attainment === null ? "" : "%"), null, LABELS.today),
        kpiCell(LABELS.answered, text(b.answered), null, LABELS.today),
      ]),
    ]);
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
        setFlag(node, status);
      } else {
        value.textContent = since ? duration(age) : (LABELS.empty || "—");
      }
      if (value.classList.contains("kpi-value")) fitText(value);
    });
  }

  function startWallboard(options) {
    LABELS = JSON.parse(document.getElementById("live-labels").textContent);
    var layoutNode = document.getElementById("live-layout");
    if (layoutNode) LAYOUT = JSON.parse(layoutNode.textContent);
    var lastData = null, page = 0;
    if (!options.kiosk && !options.display) DRILL_SCOPE = options.scope;

    // The queue tiles of the current page; "page 1 of 3" when there are more.
    function renderTiles(data) {
      var tiles = document.getElementById("tiles"), pageOf = document.getElementById("page-of");
      var shown = data.tiles.length > 1 ? chosenTiles(data.tiles) : [];
      var per = LAYOUT.tiles_per_page || shown.length || 1, pages = Math.max(1, Math.ceil(shown.length / per));
      page = page % pages;
      tiles.replaceChildren.apply(tiles, shown.slice(page * per, (page + 1) * per).map(function (t) { return tileNode(t, socket); }));
      tiles.dataset.page = page + 1;
      tiles.dataset.pages = pages;
      var note = document.getElementById("agents-note");
      if (note) {
        note.hidden = !document.body.classList.contains("kiosk") || !shown.length;
        note.textContent = LABELS.agents_by_skill_board;
      }
      if (pageOf) {
        pageOf.hidden = pages < 2;
        pageOf.textContent = LABELS.page_of.replace("%(n)s", page + 1).replace("%(of)s", pages);
      }
    }
    var socket = new LiveSocket({
      scopes: [options.scope],
      display: options.display,
      onStatus: function (status) {
        if (status === "forbidden" || status === "unauthenticated") {
          document.getElementById("scope-name").textContent = LABELS[status];
        }
      },
      // The screen's layout was changed in the admin: load the page again, which carries the new one.
      onLayout: function (layout) {
        if (JSON.stringify(layout) !== JSON.stringify(LAYOUT)) location.reload();
      },
      onMessage: function (message) {
        if (message.type !== "snapshot") return;
        var data = message.data;
        document.getElementById("scope-name").textContent = data.name === "all" ? LABELS.whole_centre : data.name;
        if (data.total.name === "all") data.total.name = LABELS.whole_centre;
        TIME_ZONE = data.time_zone;
        lastData = data;
        var total = document.getElementById("total");
        total.replaceChildren(tileNode(data.total, socket, true));
        renderTiles(data);
        document.body.dataset.seq = message.seq;
        tick(socket);
        fitBoard();
      },
    });
    socket.connect();
    connectionBanner(socket);
    if (DRILL_SCOPE !== null) listenForDrills(socket);
    setInterval(function () { tick(socket); }, 1000);
    setInterval(function () {
      if (!lastData || document.getElementById("tiles").dataset.pages === "1") return;
      page += 1;
      renderTiles(lastData);
      tick(socket);
      fitBoard();
    }, 1000 * (LAYOUT.page_seconds || 15));
    window.addEventListener("resize", fitBoard);
    if (options.kiosk && document.documentElement.requestFullscreen) {
      document.addEventListener("click", function () { document.documentElement.requestFullscreen().catch(function () {}); }, {once: true});
    }
    window.kccSocket = socket;
  }


  // --- drill-downs: the list behind a figure (dashboard/live/api_drilldown.py) -----------------------

  var DRILL_URLS = {waiting: "/api/v1/live/waiting/", abandoned: "/api/v1/live/abandoned/",
    callbacks: "/api/v1/live/callbacks/", interval: "/api/v1/drilldown/interval/"};

  // A clock time in the centre's time zone, with seconds (the lists are about single contacts).
  function clockTime(iso) {
    if (!iso) return LABELS.empty || "—";
    try {
      return new Date(iso).toLocaleTimeString(document.documentElement.lang || undefined,
        {hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23", timeZone: TIME_ZONE});
    } catch (e) {
      return iso.slice(11, 19);
    }
  }

  // Makes a figure open its list: ``kind`` (waiting, abandoned, callbacks, interval) and the query that
  // narrows it (queue=…, team=…, channel=…).
  function drillable(node, kind, query) {
    node.dataset.drill = kind;
    node.dataset.drillQuery = query || "";
    node.classList.add("drillable");
    node.tabIndex = 0;
    node.setAttribute("role", "button");
    node.title = (node.title ? node.title + " — " : "") + LABELS.drill.open;
    return node;
  }

  // The query of a total's tile: the page's scope (team:3, channel:voice, queue:5; all: none).
  function scopeQuery(scope) {
    var parts = (scope || "all").split(":");
    return parts.length === 2 ? parts[0] + "=" + encodeURIComponent(parts[1]) : "";
  }

  function drillDialog() {
    var dialog = document.getElementById("drilldown");
    if (dialog) return dialog;
    dialog = el("dialog", {id: "drilldown", class: "drilldown"}, [
      el("div", {class: "drill-head"}, [
        el("h2", {class: "drill-title"}),
        el("span", {class: "drill-nav"}),
        el("button", {type: "button", class: "drill-close", text: LABELS.drill.close}),
      ]),
      el("p", {class: "drill-note"}),
      el("div", {class: "drill-body"}),
    ]);
    dialog.querySelector(".drill-close").addEventListener("click", function () { dialog.close(); });
    document.body.appendChild(dialog);
    return dialog;
  }

  function cell(value, attrs) { return el("td", Object.assign({text: value}, attrs || {})); }

  function customer(row) { return row.customer_ref || LABELS.drill.anonymous; }

  // Columns of each list: a header and how a row fills it.
  var DRILL_COLUMNS = {
    waiting: [
      ["contact", function (r) { return cell(r.contact_id); }],
      ["customer", function (r) { return cell(customer(r)); }],
      ["queue", function (r) { return cell(r.queue.name); }],
      ["offered_at", function (r) { return cell(clockTime(r.offered_at)); }],
      // ticks on like the tile's longest wait
      ["wait", function (r) { return el("td", {class: "tick", "data-since": r.offered_at, text: duration(r.wait_s)}); }],
    ],
    abandoned: [
      ["customer", function (r) { return cell(r.customer_ref); }],
      ["queue", function (r) { return cell(r.queue.name); }],
      ["offered_at", function (r) { return cell(clockTime(r.offered_at)); }],
      ["abandoned_at", function (r) { return cell(clockTime(r.abandoned_at)); }],
      ["wait", function (r) { return cell(duration(r.wait_s) + (r.short_abandon ? " · " + LABELS.drill.short_abandon : "")); }],
      ["promised_by", function (r) { return cell(r.callback_promised_by ? clockTime(r.callback_promised_by) : (LABELS.empty || "—")); }],
    ],
    callbacks: [
      ["customer", function (r) { return cell(customer(r)); }],
      ["queue", function (r) { return cell(r.queue.name); }],
      ["requested_at", function (r) { return cell(clockTime(r.requested_at)); }],
      ["promised_by", function (r) { return cell(clockTime(r.promised_by)); }],
      ["left", function (r) {
        return r.overdue ? cell(LABELS.drill.overdue_by.replace("%(d)s", duration(-r.left_s)), {class: "critical"})
          : cell(duration(r.left_s), {class: r.left_s < 300 ? "warning" : ""});
      }],
    ],
    interval: [
      ["contact", function (r) { return cell(r.contact_id); }],
      ["customer", function (r) { return cell(customer(r)); }],
      ["offered_at", function (r) { return cell(clockTime(r.offered_at)); }],
      ["answered_at", function (r) { return cell(r.answered_at ? clockTime(r.answered_at) : (LABELS.empty || "—")); }],
      ["abandoned_at", function (r) { return cell(r.abandoned_at ? clockTime(r.abandoned_at) : (LABELS.empty || "—")); }],
      ["wait", function (r) { return cell(duration(r.wait_s)); }],
      ["talk", function (r) { return cell(duration(r.talk_s)); }],
      ["agent", function (r) { return cell(r.agent ? r.agent.name : (LABELS.empty || "—")); }],
      ["outcome", function (r) {
        return cell((LABELS.drill.outcomes[r.outcome] || r.outcome) + (r.short_abandon ? " · " + LABELS.drill.short_abandon : ""),
          {class: "outcome " + r.outcome});
      }],
    ],
  };

  // Opens the list behind a figure in a dialog; an interval's list has buttons to the one before and after.
  function openDrill(kind, query, socket) {
    var dialog = drillDialog();
    var title = dialog.querySelector(".drill-title"), note = dialog.querySelector(".drill-note");
    var body = dialog.querySelector(".drill-body"), nav = dialog.querySelector(".drill-nav");
    dialog.dataset.kind = kind;
    title.textContent = LABELS.drill.titles[kind];
    note.textContent = LABELS.drill.loading;
    body.replaceChildren();
    nav.replaceChildren();
    if (!dialog.open) dialog.showModal();
    fetch(DRILL_URLS[kind] + "?" + query, {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (r) { return r.json().then(function (data) { return {ok: r.ok, data: data}; }); })
      .then(function (answer) {
        var data = answer.data;
        if (!answer.ok) { note.textContent = data.error || LABELS.drill.failed; return; }
        if (data.time_zone) TIME_ZONE = data.time_zone;
        var notes = [];
        if (kind === "interval") {
          title.textContent = LABELS.drill.titles.interval + " — " + data.queue.name + ", " + clockTime(data.start).slice(0, 5) + "–" + clockTime(data.end).slice(0, 5);
          var params = new URLSearchParams(query), length = Number(params.get("length") || 30);
          [[-1, LABELS.drill.earlier], [1, LABELS.drill.later]].forEach(function (step) {
            var start = new Date(Date.parse(data.start) + step[0] * length * 60000).toISOString();
            var button = el("button", {type: "button", text: step[1]});
            button.addEventListener("click", function () {
              params.set("interval", start);
              openDrill(kind, params.toString(), socket);
            });
            nav.appendChild(button);
          });
        }
        if (kind === "callbacks") notes.push(LABELS.drill.within.replace("%(n)s", data.within_min));
        if (kind === "abandoned" && data.anonymous) notes.push(LABELS.drill.anonymous_count.replace("%(n)s", data.anonymous));
        if (!data.contacts.length) notes.unshift(LABELS.drill.none);
        if (data.truncated) notes.push(LABELS.drill.truncated.replace("%(n)s", data.contacts.length).replace("%(of)s", data.count));
        else if (data.contacts.length) notes.unshift(LABELS.drill.count.replace("%(n)s", data.count));
        note.textContent = notes.join(" · ");
        if (!data.contacts.length) return;
        var columns = DRILL_COLUMNS[kind];
        body.replaceChildren(el("table", {class: "grid drill-list"}, [
          el("thead", {}, [el("tr", {}, columns.map(function (c) { return el("th", {text: LABELS.drill.columns[c[0]]}); }))]),
          el("tbody", {}, data.contacts.map(function (row) {
            return el("tr", {"data-contact": row.contact_id}, columns.map(function (c) { return c[1](row); }));
          })),
        ]));
        tick(socket);
      })
      .catch(function () { note.textContent = LABELS.drill.failed; });
  }

  // One listener for every figure that opens a list (the tiles and rows are drawn anew with each snapshot).
  function listenForDrills(socket) {
    function open(event) {
      var node = event.target.closest("[data-drill]");
      if (!node) return;
      if (event.type === "keydown" && event.key !== "Enter" && event.key !== " ") return;
      event.preventDefault();
      openDrill(node.dataset.drill, node.dataset.drillQuery, socket);
    }
    document.addEventListener("click", open);
    document.addEventListener("keydown", open);
  }

  // The current half-hour in the centre's clock (as the interval list's query), from the server's time.
  function currentHalfHour(socket) {
    var start = Math.floor(socket.serverNow() / 1800) * 1800;
    return new Date(start * 1000).toISOString();
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

    // The team's total under its queues: waits of its synchronous queues only, then its asynchronous
    // queues' own row (dashboard.core.metrics.total_kpis, async_block).
    function renderTotal(t) {
      var foot = document.querySelector("#queues tfoot");
      if (!foot || !t) return;
      var rows = [];
      if (t.synchronous !== false) {
        var s = t.status || {};
        var wait = el("td", {class: "tick", "data-since": t.oldest_offered_at || "", "data-rule": "wait"});
        waitStatus(wait, t, "longest_wait");
        var team = scopeQuery(options.scope);
        rows.push(el("tr", {class: "total", "data-total": "synchronous"}, [
          el("th", {text: LABELS.total}),
          drillable(flagged(el("td", {class: s.waiting || "", text: text(t.waiting)}), s.waiting), "waiting", team),
          wait,
          flagged(el("td", {class: s.service_level || "", text: text(t.today.service_level, 1)}), s.service_level),
          el("td", {text: text(t.last_30m.service_level, 1)}),
          flagged(el("td", {class: s.asa || "", text: duration(t.today.asa_s)}), s.asa),
          flagged(el("td", {class: s.aht || "", text: duration(t.today.aht_s)}), s.aht),
          drillable(flagged(el("td", {class: s.abandon_rate || "", text: text(t.today.abandon_rate, 1)}), s.abandon_rate), "abandoned", team),
          el("td", {text: text(t.today.offered)}),
          el("td", {text: text(t.today.answered)}),
          drillable(el("td", {class: t.callbacks_overdue ? "critical" : "", text: t.callbacks_due + " / " + t.callbacks_overdue}), "callbacks", team),
        ]));
      }
      var b = t.async;
      if (b) {
        rows.push(el("tr", {class: "total async-row " + (b.status || "normal"), "data-total": "async"}, [
          el("th", {text: LABELS.async_block}),
          el("td", {colSpan: 10}, [
            el("span", {text: LABELS.backlog + " " + text(b.backlog) + " · " + LABELS.oldest_item + " "}),
            el("span", {class: "tick", "data-since": b.oldest_at || ""}),
            el("span", {text: " · " + LABELS.response_attainment + " " + text(b.response_attainment, 1) + (b.response_attainment === null ? "" : "%")
              + " · " + LABELS.answered + " " + text(b.answered)}),
          ]),
        ]));
      }
      foot.replaceChildren.apply(foot, rows);
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
        var name = el("td", {text: t.name});
        if (t.open === false) name.appendChild(el("span", {class: "closed-note", text: " · " + LABELS.closed +
          (t.opens_at ? ", " + LABELS.opens_at.replace("%(when)s", openingText(t.opens_at, socket)) : "")}));
        var queue = "queue=" + t.id;
        // The row opens the queue's contacts of the current half-hour; its Waiting, Abandoned and
        // Callbacks figures open their own lists.
        return drillable(el("tr", {"data-queue": t.id, class: t.open === false ? "closed" : ""}, [
          name,
          drillable(flagged(el("td", {class: s.waiting || "", text: text(t.waiting)}), s.waiting), "waiting", queue),
          wait,
          flagged(el("td", {class: s.service_level || "", text: t.synchronous === false ? "—" : text(t.today.service_level, 1)}), s.service_level),
          el("td", {text: t.synchronous === false ? "—" : text(t.last_30m.service_level, 1)}),
          flagged(el("td", {class: s.asa || "", text: duration(t.today.asa_s)}), s.asa),
          flagged(el("td", {class: s.aht || "", text: duration(t.today.aht_s)}), s.aht),
          drillable(flagged(el("td", {class: s.abandon_rate || "", text: text(t.today.abandon_rate, 1)}), s.abandon_rate), "abandoned", queue),
          el("td", {text: text(t.today.offered)}),
          el("td", {text: text(t.today.answered)}),
          drillable(flagged(el("td", {class: t.callbacks_overdue ? "critical" : "", text: t.callbacks_due + " / " + t.callbacks_overdue}),
            t.callbacks_overdue ? "critical" : null), "callbacks", queue),
        ]), "interval", queue + "&length=30&interval=" + encodeURIComponent(currentHalfHour(socket)));
      }));
      renderTotal(data.total);
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
          el("td", {text: duration(a.aht_today_s)}),
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
        if (message.data && message.data.time_zone) TIME_ZONE = message.data.time_zone;
        if (message.type === "intervals") lastRows = message.data.intervals;
        if (message.type === "snapshot") renderSnapshot(message.data);
        if (lastRows) drawCharts(lastRows, target);
        document.body.dataset.seq = message.seq;
        tick(socket);
      },
    });
    socket.connect();
    connectionBanner(socket);
    listenForDrills(socket);
    setInterval(function () { tick(socket); }, 1000);
    window.kccSocket = socket;
  }

  window.KCC = {startWallboard: startWallboard, startSupervisor: startSupervisor, statusAt: statusAt,
    shareOfTarget: shareOfTarget};
})();
