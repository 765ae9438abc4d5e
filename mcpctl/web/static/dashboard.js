// mcpctl dashboard: the client API every page uses (mcpctl.get/post/on/text) and the live WebSocket.
// Untrusted text only ever goes through textContent (mcpctl.text): never innerHTML.
"use strict";
(function () {
  const KEY = "mcpctl-token";
  const fromUrl = new URLSearchParams(window.location.search).get("token");
  if (fromUrl) {
    try { window.sessionStorage.setItem(KEY, fromUrl); } catch (e) { /* storage disabled: URL only */ }
  }

  function token() {
    try { return window.sessionStorage.getItem(KEY) || fromUrl || ""; } catch (e) { return fromUrl || ""; }
  }

  function text(el, value) {
    if (el) { el.textContent = value === null || value === undefined ? "" : String(value); }
  }

  function tokenRequired() {
    const notice = document.getElementById("token-required");
    if (notice) { notice.hidden = false; }
  }

  async function request(method, path, body) {
    const headers = { "Accept": "application/json" };
    const known = token();
    if (known) { headers["X-Mcpctl-Token"] = known; }
    const init = { method: method, headers: headers, credentials: "same-origin", cache: "no-store" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    if (!response.ok) {
      if (response.status === 401) { tokenRequired(); }
      const message = data && typeof data.error === "string" ? data.error : "HTTP " + response.status;
      throw new Error(message);
    }
    return data;
  }

  const handlers = new Map();
  let lastSeq = null;
  let socket = null;
  let retry = 0;

  function on(type, handler) {
    if (!handlers.has(type)) { handlers.set(type, []); }
    handlers.get(type).push(handler);
  }

  function dispatch(type, event) {
    for (const handler of handlers.get(type) || []) {
      try { handler(event); } catch (e) { window.setTimeout(function () { throw e; }); }
    }
  }

  function liveState(value) { text(document.getElementById("live-state"), value); }

  function received(message) {
    if (message.type === "hello") {
      // a smaller newest seq than the last seen: the server restarted and numbers from 1 again
      if (lastSeq === null || message.seq < lastSeq) { lastSeq = message.seq; }
      dispatch("hello", message);
      dispatch("status", { type: "status", seq: message.seq, ts: Date.now() / 1000, status: message.status });
      return;
    }
    if (message.type === "gap") { dispatch("gap", message); return; }
    if (typeof message.seq === "number") { lastSeq = message.seq; }
    dispatch(message.type, message);
  }

  function connect() {
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    const query = new URLSearchParams();
    if (lastSeq !== null) { query.set("since", String(lastSeq)); }
    const known = token();
    if (known) { query.set("token", known); }
    const qs = query.toString();
    socket = new WebSocket(scheme + "//" + window.location.host + "/api/v1/events" + (qs ? "?" + qs : ""));
    socket.addEventListener("open", function () { retry = 0; liveState("live"); });
    socket.addEventListener("message", function (frame) {
      let message = null;
      try { message = JSON.parse(frame.data); } catch (e) { return; }
      if (message && typeof message === "object") { received(message); }
    });
    socket.addEventListener("close", function () {
      liveState("reconnecting…");
      const delay = [500, 1000, 2000, 5000][Math.min(retry, 3)];
      retry += 1;
      window.setTimeout(connect, delay);
    });
  }

  function keepToken() {
    // reads need the token too when the dashboard listens beyond loopback: carry it on our own links
    if (document.body.dataset.readsNeedToken !== "1" || !token()) { return; }
    for (const link of document.querySelectorAll("a[href^='/']")) {
      const url = new URL(link.getAttribute("href"), window.location.origin);
      url.searchParams.set("token", token());
      link.setAttribute("href", url.pathname + url.search + url.hash);
    }
  }

  window.mcpctl = Object.freeze({
    get: function (path) { return request("GET", path); },
    post: function (path, body) { return request("POST", path, body === undefined ? {} : body); },
    on: on,
    text: text,
    token: token,
  });

  document.addEventListener("DOMContentLoaded", function () {
    keepToken();
    connect();
  });
})();
