// The Alerts pages: submit the Ack, Silence and Expire forms with mcpctl.post (no reload), say what happened
// (or what went wrong) in the aria-live region, and redraw the lists from the JSON API when an "alert",
// "alert_ack" or "silence" event arrives. Data only ever reaches the page through textContent and value.
(function () {
  "use strict";

  var message = document.getElementById("alerts-message");

  function say(text, isError) {
    if (!message) {
      return;
    }
    message.classList.toggle("error", Boolean(isError));
    message.textContent = text;
  }

  function problem(error) {
    var text = error && error.message ? String(error.message) : String(error);
    if ((error && error.status === 401) || /token/i.test(text)) {
      return "token required: open the address with ?token= that mcpctl dashboard printed (" + text + ")";
    }
    return text;
  }

  function fill(root, values) {
    root.querySelectorAll("[data-field]").forEach(function (el) {
      var key = el.getAttribute("data-field");
      if (key !== "link") {
        el.textContent = values[key] === undefined || values[key] === null ? "" : String(values[key]);
      }
    });
  }

  function clone(id) {
    var template = document.getElementById(id);
    return template.content.firstElementChild.cloneNode(true);
  }

  // beyond loopback reads need the token too: our own links carry it (as dashboard.js does on load)
  function alertLink(fingerprint) {
    var link = "/alerts/" + encodeURIComponent(fingerprint);
    var known = document.body.dataset.readsNeedToken === "1" ? mcpctl.token() : "";
    return known ? link + "?token=" + encodeURIComponent(known) : link;
  }

  function alertItem(a) {
    var item = clone("alert-item-template");
    item.setAttribute("data-fingerprint", a.id);
    item.className = "alert-item tile h-" + a.colour;
    fill(item, {
      alertname: a.alertname,
      server: a.server,
      state: a.state,
      severity: a.severity || "none",
      since: a.since_text,
      marks: a.marks,
      summary: a.summary,
    });
    item.querySelector("[data-field=link]").setAttribute("href", alertLink(a.id));
    item.querySelector("[data-state]").className = "state state-" + a.state;
    var ack = item.querySelector("form[data-kind=ack]");
    ack.setAttribute("action", "/api/v1/alerts/" + encodeURIComponent(a.id) + "/ack");
    ack.hidden = a.state !== "firing";
    item.querySelector("[data-value=matchers]").value = a.matchers;
    return item;
  }

  function silenceRow(s) {
    var row = clone("silence-row-template");
    row.setAttribute("data-silence", s.id);
    fill(row, {
      id: s.id,
      matchers: s.matchers.join(" "),
      starts: s.starts_text,
      ends: s.ends_text,
      author: s.author,
      comment: s.comment,
    });
    row.querySelector("form").setAttribute("action", "/api/v1/silences/" + encodeURIComponent(s.id) + "/expire");
    return row;
  }

  function historyRow(h) {
    var row = clone("history-row-template");
    fill(row, { at: h.at_text, event: h.event, alertname: h.alertname, server: h.server, detail: h.text });
    row.querySelector("[data-field=link]").setAttribute("href", alertLink(h.id));
    return row;
  }

  function replaceAll(container, emptyId, nodes) {
    container.replaceChildren.apply(container, nodes);
    var empty = document.getElementById(emptyId);
    if (empty) {
      empty.hidden = nodes.length > 0;
    }
  }

  // Someone typing in one of the list's forms: redraw later, not under their fingers.
  function typingIn(container) {
    var active = document.activeElement;
    return Boolean(active && container.contains(active) && /^(INPUT|TEXTAREA)$/.test(active.tagName));
  }

  function refreshAlerts() {
    var list = document.getElementById("alerts-list");
    if (!list) {
      return Promise.resolve();
    }
    if (typingIn(list)) {
      setTimeout(refresh, 1000);
      return Promise.resolve();
    }
    return mcpctl.get("/api/v1/alerts").then(function (alerts) {
      replaceAll(list, "alerts-empty", alerts.map(alertItem));
    });
  }

  function refreshSilences() {
    var body = document.getElementById("silences-body");
    if (!body) {
      return Promise.resolve();
    }
    return mcpctl.get("/api/v1/silences").then(function (silences) {
      replaceAll(body, "silences-empty", silences.map(silenceRow));
    });
  }

  function refreshHistory() {
    var body = document.getElementById("history-body");
    if (!body || !body.hasAttribute("data-live")) {
      return Promise.resolve();
    }
    var path = "/api/v1/alerts/history?limit=" + encodeURIComponent(body.getAttribute("data-limit") || "50");
    var alert = body.getAttribute("data-alert");
    if (alert) {
      path += "&alert=" + encodeURIComponent(alert);
    }
    return mcpctl.get(path).then(function (rows) {
      replaceAll(body, "history-empty", rows.slice().reverse().map(historyRow));
    });
  }

  function refreshAcks() {
    var page = document.getElementById("alert-page");
    var list = document.getElementById("acks-list");
    if (!page || !list) {
      return Promise.resolve();
    }
    var fingerprint = page.getAttribute("data-fingerprint");
    return mcpctl.get("/api/v1/alerts").then(function (alerts) {
      var found = alerts.filter(function (a) {
        return a.id === fingerprint;
      })[0];
      if (!found) {
        return;
      }
      var items = found.acks.map(function (ack) {
        var li = document.createElement("li");
        li.textContent = ack.at_text + " by " + ack.author + ": " + ack.comment;
        return li;
      });
      replaceAll(list, "acks-empty", items);
    });
  }

  var pending = null;
  function refresh() {
    // events come in bursts (one per alert and per ack): redraw once per burst
    if (pending) {
      return;
    }
    pending = setTimeout(function () {
      pending = null;
      Promise.all([refreshAlerts(), refreshSilences(), refreshHistory(), refreshAcks()]).catch(function (error) {
        say(problem(error), true);
      });
    }, 100);
  }

  function lines(text) {
    return text
      .split("\n")
      .map(function (line) {
        return line.trim();
      })
      .filter(function (line) {
        return line !== "";
      });
  }

  function bodyOf(form) {
    var kind = form.getAttribute("data-kind");
    if (kind === "ack") {
      return { comment: form.elements.comment.value };
    }
    if (kind === "silence") {
      return {
        matchers: lines(form.elements.matchers.value),
        duration: form.elements.duration.value,
        comment: form.elements.comment.value,
      };
    }
    return {};
  }

  function done(kind, answer) {
    if (kind === "ack") {
      return "acknowledged " + answer.alertname + " on " + answer.server + " (" + answer.fingerprint + ")";
    }
    if (kind === "silence") {
      return "silence " + answer.id + ": " + answer.matchers.join(" ") + " until " + answer.ends_text;
    }
    return "silence " + answer.id + " ended";
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.classList.contains("alert-action")) {
      return;
    }
    event.preventDefault();
    var kind = form.getAttribute("data-kind");
    var button = form.querySelector("button");
    button.disabled = true;
    mcpctl
      .post(form.getAttribute("action"), bodyOf(form))
      .then(function (answer) {
        say(done(kind, answer), false);
        if (form.elements.comment) {
          form.elements.comment.value = "";
        }
        refresh();
      })
      .catch(function (error) {
        say(problem(error), true);
      })
      .finally(function () {
        button.disabled = false;
      });
  });

  ["alert", "alert_ack", "silence"].forEach(function (type) {
    mcpctl.on(type, refresh);
  });
})();
