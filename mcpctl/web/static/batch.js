// The Batch page: plan (the diff), apply, live progress from "batch" events, cancel, rollback, resume.
// Every text from the server goes in through textContent (mcpctl.text), never as markup.
(function () {
  "use strict";
  var section = document.getElementById("progress-section");
  var current = section ? section.getAttribute("data-run") : null;

  var TONES = { running: "h-degraded", done: "h-healthy", failed: "h-unhealthy", cancelled: "h-offline", stopped: "h-offline" };

  function el(id) { return document.getElementById(id); }

  function say(text, isError) {
    var message = el("batch-message");
    if (!message) { return; }
    message.className = isError ? "message error" : "message";
    mcpctl.text(message, text);
  }

  function progressLine(status) {
    var line = "done " + status.done + " of " + status.total + ", " + status.failed + " failed";
    if (status.items_per_s !== null && status.items_per_s !== undefined) {
      line += ", " + status.items_per_s + " items/s";
    }
    if (status.eta_s !== null && status.eta_s !== undefined) {
      line += ", ETA " + status.eta_s + "s";
    }
    return line;
  }

  function show(status) {
    current = status.run;
    var link = el("progress-run");
    link.setAttribute("href", "/runs/" + encodeURIComponent(status.run));
    mcpctl.text(link, status.run);
    mcpctl.text(el("progress-plan"), status.plan);
    el("progress-tone").className = "state " + (TONES[status.state] || "h-unknown");
    mcpctl.text(el("progress-state"), status.state);
    var bar = el("progress-bar");
    bar.max = Math.max(status.total, 1);
    bar.value = status.done;
    mcpctl.text(bar, String(status.done));
    mcpctl.text(el("progress-text"), progressLine(status));
    mcpctl.text(el("progress-reason"), status.stopped_reason || "");
  }

  function diffBlock(step) {
    var block = document.createElement("div");
    var title = document.createElement("p");
    mcpctl.text(title, step.summary || step.id);
    block.appendChild(title);
    var pre = document.createElement("pre");
    pre.className = "diff";
    mcpctl.text(pre, step.diff);
    block.appendChild(pre);
    return block;
  }

  function showPlan(plan) {
    var target = el("diff");
    target.replaceChildren();
    plan.operations.forEach(function (op) {
      var heading = document.createElement("h3");
      var counts = Object.keys(op.counts).filter(function (verb) { return op.counts[verb]; })
        .map(function (verb) { return op.counts[verb] + " " + verb; }).join(", ") || "nothing to do";
      mcpctl.text(heading, op.index + ". " + op.title + ": " + counts);
      target.appendChild(heading);
      op.steps.forEach(function (step) {
        if (step.diff) { target.appendChild(diffBlock(step)); }
      });
    });
    mcpctl.text(el("diff-plan"), plan.plan);
    mcpctl.text(el("diff-summary"), plan.changes + " change(s) (" + plan.file + ":" + plan.line + ")");
    el("diff-section").hidden = false;
  }

  function failed(error) { say(error.message, true); }

  function bindPlanButtons() {
    document.querySelectorAll(".plan-button").forEach(function (button) {
      button.addEventListener("click", function () {
        var name = button.getAttribute("data-plan");
        mcpctl.get("/api/v1/plans/" + encodeURIComponent(name)).then(showPlan).catch(failed);
      });
    });
    document.querySelectorAll(".apply-button").forEach(function (button) {
      button.addEventListener("click", function () {
        var name = button.getAttribute("data-plan");
        mcpctl.post("/api/v1/plans/" + encodeURIComponent(name) + "/apply", {}).then(function (answer) {
          say("Applying " + name + " as run " + answer.run + ".", false);
          return refresh(answer.run);
        }).catch(failed);
      });
    });
  }

  function refresh(run) {
    return mcpctl.get("/api/v1/batch/" + encodeURIComponent(run)).then(show);
  }

  function act(verb) {
    if (!current) { say("No run selected.", true); return; }
    var path = "/api/v1/batch/" + encodeURIComponent(current) + "/" + verb;
    mcpctl.post(path, {}).then(function (answer) {
      if (verb === "rollback") {
        var list = el("rollback-files");
        list.replaceChildren();
        answer.files.forEach(function (file) {
          var item = document.createElement("li");
          mcpctl.text(item, file.action + ": " + file.path + (file.error ? ": " + file.error : ""));
          list.appendChild(item);
        });
        say("Rollback of " + answer.run + ": " + answer.files.length + " file(s), " + answer.failed + " failed.", false);
        return null;
      }
      say((verb === "cancel" ? "Cancelling " : "Resuming ") + current + ".", false);
      return refresh(answer.run || current);
    }).catch(failed);
  }

  bindPlanButtons();
  ["cancel", "rollback", "resume"].forEach(function (verb) {
    var button = el(verb + "-button");
    if (button) { button.addEventListener("click", function () { act(verb); }); }
  });
  // the plan's "Last run" cell follows its newest run (the same markup the page is rendered with)
  function lastRun(status) {
    var rows = document.querySelectorAll("#plans tr[data-plan]");
    Array.prototype.forEach.call(rows, function (row) {
      if (row.getAttribute("data-plan") !== status.plan) { return; }
      var cell = row.querySelector("td.last-run");
      if (!cell) { return; }
      var link = document.createElement("a");
      link.setAttribute("href", "/runs/" + encodeURIComponent(status.run));
      mcpctl.text(link, status.run);
      var state = document.createElement("span");
      state.className = "state " + (TONES[status.state] || "h-unknown");
      var dot = document.createElement("span");
      dot.className = "dot";
      state.appendChild(dot);
      state.appendChild(document.createTextNode(" " + status.state));
      cell.replaceChildren(link, document.createTextNode(" "), state);
    });
  }

  mcpctl.on("batch", function (event) {
    if (!current || event.run === current || event.state === "running") { show(event); }
    lastRun(event);
  });
})();
