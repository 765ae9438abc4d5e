// The overview, live: tiles and the dependency map follow "status" snapshots and "health" changes.
"use strict";
(function () {
  const WORDS = ["healthy", "degraded", "unhealthy", "offline", "unknown"];
  const COLOURS = {
    healthy: "#2e7d32", degraded: "#ef6c00", unhealthy: "#c62828", offline: "#6d4c41", unknown: "#757575",
  };
  const SPARK_W = 120, SPARK_H = 28, SPARK_POINTS = 30;
  const series = new Map();
  // for the browser test and the curious: when each health change event was shown, by the page's clock
  window.mcpctlHealthShown = [];

  function word(health) { return WORDS.indexOf(health) >= 0 ? health : "unknown"; }
  function find(selector, name) {
    for (const el of document.querySelectorAll(selector)) {
      if (el.dataset.server === name) { return el; }
    }
    return null;
  }
  function ms(v) { return typeof v === "number" ? v.toFixed(1) + " ms" : "-"; }
  function rate(v) { return typeof v === "number" ? v.toFixed(2) + "/s" : "-"; }
  function percent(v) { return typeof v === "number" ? (v * 100).toFixed(1) + "%" : "-"; }

  function setHealth(name, health) {
    const w = word(health);
    const tile = find("#tiles .tile", name);
    if (tile) {
      for (const other of WORDS) { tile.classList.remove("h-" + other); }
      tile.classList.add("h-" + w);
      mcpctl.text(tile.querySelector(".health-word"), w);
    }
    const node = find(".depmap .node", name);
    if (node) {
      node.setAttribute("class", "node h-" + w);
      mcpctl.text(node.querySelector(".node-health"), w);
      mcpctl.text(node.querySelector("title"), name + ": " + w);
      const rect = node.querySelector("rect");
      if (rect) { rect.setAttribute("fill", COLOURS[w]); }
    }
    return tile !== null || node !== null;
  }

  function showServer(server) {
    const name = String(server.name);
    setHealth(name, server.health);
    const tile = find("#tiles .tile", name);
    if (!tile) { return; }
    mcpctl.text(tile.querySelector(".reasons"), (server.reasons || []).join("; "));
    mcpctl.text(tile.querySelector(".p50"), ms(server.p50_ms));
    mcpctl.text(tile.querySelector(".p90"), ms(server.p90_ms));
    mcpctl.text(tile.querySelector(".p99"), ms(server.p99_ms));
    mcpctl.text(tile.querySelector(".rate"), rate(server.calls_per_second));
    mcpctl.text(tile.querySelector(".errors"), percent(server.error_rate));
    const last = server.last_probe;
    mcpctl.text(tile.querySelector(".last-message"), last && last.outcome !== "ok" ? last.message : "");
  }

  function drawSpark(name) {
    const tile = find("#tiles .tile", name);
    const line = tile ? tile.querySelector(".spark-line") : null;
    const values = series.get(name) || [];
    const known = values.filter(function (v) { return typeof v === "number"; });
    if (!line || known.length === 0) { return; }
    const top = Math.max.apply(null, known) || 1;
    const step = SPARK_W / Math.max(values.length - 1, 1);
    const points = [];
    values.forEach(function (v, i) {
      if (typeof v === "number") {
        points.push((i * step).toFixed(1) + "," + (SPARK_H - 2 - (SPARK_H - 4) * v / top).toFixed(1));
      }
    });
    line.setAttribute("points", points.join(" "));
  }

  let reloaded = false;
  function serversChanged(servers) {
    // a server added or removed (a reload of the Monitor, a monitor found): the page is drawn anew
    const shown = Array.from(document.querySelectorAll("#tiles .tile")).map(function (t) { return t.dataset.server; });
    const now = servers.map(function (s) { return String(s.name); });
    return now.length > 0 && shown.slice().sort().join("\n") !== now.slice().sort().join("\n");
  }

  mcpctl.on("status", function (event) {
    const status = event.status || {};
    if (!reloaded && serversChanged(status.servers || [])) {
      reloaded = true;
      window.location.reload();
      return;
    }
    for (const server of status.servers || []) { showServer(server); }
    const message = document.getElementById("source-message");
    if (message && typeof status.message === "string") { mcpctl.text(message, status.message); }
  });

  mcpctl.on("health", function (event) {
    if (!setHealth(String(event.server), event.to)) { return; }
    const seen = { server: event.server, to: event.to, ts: event.ts, shown: null };
    window.mcpctlHealthShown.push(seen);
    // shown once the browser has painted the change
    window.requestAnimationFrame(function () { seen.shown = Date.now() / 1000; });
  });

  mcpctl.on("sample", function (event) {
    const name = String(event.server);
    const values = series.get(name) || [];
    values.push(typeof event.latency_ms === "number" ? event.latency_ms : null);
    while (values.length > SPARK_POINTS) { values.shift(); }
    series.set(name, values);
    drawSpark(name);
  });
})();
