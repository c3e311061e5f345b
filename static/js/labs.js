/* Coldstart labs: send Run/Submit through the JSON API and follow the submission's status
   (queued -> running -> graded) without reloading; the finished result arrives as HTML the
   server rendered. Without JavaScript the form posts normally and the submission page
   refreshes itself. */
(function () {
  "use strict";

  var POLL_MS = 600;
  var LABELS = { queued: "Queued", running: "Running", graded: "Graded",
                 ungradable: "Could not be run", error: "Grading failed (not your score)" };

  function statusLine(area, status, link) {
    area.innerHTML = "";
    var p = document.createElement("p");
    p.className = "status-line";
    var pill = document.createElement("span");
    pill.className = "status-pill status-" + status;
    pill.setAttribute("data-testid", "status");
    pill.textContent = LABELS[status] || status;
    p.appendChild(pill);
    if (link) {
      p.appendChild(document.createTextNode(" "));
      var a = document.createElement("a");
      a.href = link;
      a.textContent = "Open this submission";
      p.appendChild(a);
    }
    area.appendChild(p);
  }

  function showError(area, text) {
    area.innerHTML = "";
    var p = document.createElement("p");
    p.className = "error";
    p.setAttribute("role", "alert");
    p.setAttribute("data-testid", "submit-error");
    p.textContent = text;
    area.appendChild(p);
  }

  function render(area, data, linkToPage) {
    statusLine(area, data.status, linkToPage ? data.url : null);
    if (data.finished) {
      var result = document.createElement("div");
      result.innerHTML = data.html;  // rendered and escaped by the server's template
      area.appendChild(result);
    }
  }

  function poll(area, url, onDone, linkToPage) {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("status " + response.status);
        return response.json();
      })
      .then(function (data) {
        render(area, data, linkToPage);
        if (data.finished) { if (onDone) onDone(data); return; }
        window.setTimeout(function () { poll(area, url, onDone, linkToPage); }, POLL_MS);
      })
      .catch(function () {
        // A dropped connection should not end the wait; try again a little later.
        window.setTimeout(function () { poll(area, url, onDone, linkToPage); }, POLL_MS * 4);
      });
  }

  /* The history table on the lab page gains the new submission: re-read it from the page. */
  function refreshHistory() {
    var table = document.querySelector("table.history");
    if (!table || !window.DOMParser) return;
    fetch(window.location.pathname, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (text) {
        var fresh = new DOMParser().parseFromString(text, "text/html").querySelector("table.history");
        if (fresh) table.replaceWith(fresh);
      })
      .catch(function () { /* the table is only a convenience; a reload shows it too */ });
  }

  function enhanceForm(form) {
    var area = document.getElementById("lab-status");
    var buttons = form.querySelectorAll("button[type=submit]");
    function busy(on) {
      Array.prototype.forEach.call(buttons, function (b) { b.disabled = on; });
    }
    form.addEventListener("submit", function (event) {
      var editor = form.querySelector("[data-editor]").coldstartEditor;
      if (!editor || !window.fetch) return;  // fall back to the normal form post
      event.preventDefault();
      var kind = event.submitter ? event.submitter.value : "submit";
      var token = form.querySelector("input[name=csrfmiddlewaretoken]").value;
      busy(true);
      statusLine(area, "queued");
      fetch(form.getAttribute("data-api-url"), {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": token,
                   Accept: "application/json" },
        body: JSON.stringify({ kind: kind, files: editor.collect() })
      })
        .then(function (response) {
          return response.json().then(function (data) { return { ok: response.ok, data: data }; });
        })
        .then(function (reply) {
          if (!reply.ok) { busy(false); showError(area, reply.data.error); return; }
          render(area, reply.data, true);
          refreshHistory();
          if (reply.data.finished) { busy(false); return; }
          poll(area, reply.data.status_url, function () { busy(false); refreshHistory(); }, true);
        })
        .catch(function () {
          busy(false);
          showError(area, "The server could not be reached; your code is still here. Try again.");
        });
    });
  }

  var form = document.getElementById("lab-form");
  if (form) enhanceForm(form);
  var pending = document.querySelector("[data-poll-url]");
  if (pending) poll(pending, pending.getAttribute("data-poll-url"), null, false);
})();
