// Exam pages: a countdown from the server's remaining time (re-synced, never trusted
// locally), and autosave of each answer as it is given. Without this script the pages still
// work: the clock shows the server's minutes and the form's buttons save and navigate.
(function () {
  "use strict";

  var GRACE_MS = 30000; // the server's grace after the deadline (quizzes/exams.py GRACE)
  var RESYNC_MS = 30000;

  // --- clock --------------------------------------------------------------------------
  var clock = document.querySelector(".exam-clock[data-remaining]");
  var endsAt = null; // performance.now() value at the server's deadline

  function setRemaining(seconds) {
    endsAt = performance.now() + Math.max(0, seconds) * 1000;
  }

  function format(ms) {
    var total = Math.max(0, Math.ceil(ms / 1000));
    var h = Math.floor(total / 3600);
    var m = Math.floor((total % 3600) / 60);
    var s = total % 60;
    var mm = (h ? String(m).padStart(2, "0") : String(m));
    return (h ? h + ":" : "") + mm + ":" + String(s).padStart(2, "0");
  }

  function tick() {
    var left = endsAt - performance.now();
    var value = clock.querySelector(".clock-value");
    if (left > 0) {
      value.textContent = format(left);
      clock.classList.toggle("clock-low", left < 5 * 60000);
    } else {
      value.textContent = "time is up";
      clock.classList.add("clock-low");
      if (left < -GRACE_MS - 1000) {
        // The server has closed the attempt (or will on this request): show the result.
        window.location.assign(clock.dataset.resultUrl);
        return;
      }
    }
    window.setTimeout(tick, 1000 - (performance.now() % 1000));
  }

  function resync() {
    fetch(clock.dataset.clockUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        if (!data.open) { window.location.assign(clock.dataset.resultUrl); return; }
        setRemaining(data.remaining_seconds);
      })
      .catch(function () { /* offline: keep counting from the last server value */ });
  }

  if (clock) {
    setRemaining(Number(clock.dataset.remaining));
    tick();
    window.setInterval(resync, RESYNC_MS);
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden) resync();
    });
  }

  // --- autosave -----------------------------------------------------------------------
  var form = document.getElementById("exam-form");
  if (!form) return;
  var question = form.querySelector(".question");
  var type = question.dataset.type;
  var status = document.querySelector("[data-testid=save-status]");
  var versionInput = form.querySelector("input[name=version]");
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var queue = Promise.resolve();
  var pending = 0;

  function say(text, isError) {
    status.textContent = text;
    status.classList.toggle("error", !!isError);
  }

  // The answer in QUIZ-CONTRACT.md's shapes; quizzes.views.answer_from_post reads the same
  // fields when the form is posted without this script.
  function readAnswer() {
    if (type === "single") {
      var checked = form.querySelector("input[name=answer]:checked");
      return checked ? checked.value : null;
    }
    if (type === "multiple") {
      return Array.prototype.map.call(form.querySelectorAll("input[name=answer]:checked"), function (i) { return i.value; });
    }
    if (type === "numeric") {
      return form.querySelector("input[name=answer]").value.trim();
    }
    if (type === "matching") {
      var out = {};
      form.querySelectorAll("select[data-left]").forEach(function (s) {
        if (s.value) out[s.dataset.left] = s.value;
      });
      return out;
    }
    if (type === "ordering") {
      var byRank = {};
      var clash = false;
      form.querySelectorAll("select[data-item]").forEach(function (s) {
        if (!s.value) return;
        if (byRank[s.value]) clash = true;
        byRank[s.value] = s.dataset.item;
      });
      if (clash) return undefined;
      return Object.keys(byRank).sort(function (a, b) { return a - b; }).map(function (r) { return byRank[r]; });
    }
    return null;
  }

  function showAnswer(answer) {
    if (type === "single" || type === "multiple") {
      var chosen = [].concat(answer || []);
      form.querySelectorAll("input[name=answer]").forEach(function (i) { i.checked = chosen.indexOf(i.value) >= 0; });
    } else if (type === "numeric") {
      form.querySelector("input[name=answer]").value = answer == null ? "" : answer;
    } else if (type === "matching") {
      form.querySelectorAll("select[data-left]").forEach(function (s) { s.value = (answer || {})[s.dataset.left] || ""; });
    } else if (type === "ordering") {
      var order = answer || [];
      form.querySelectorAll("select[data-item]").forEach(function (s) {
        var at = order.indexOf(s.dataset.item);
        s.value = at >= 0 ? String(at + 1) : "";
      });
    }
  }

  function markNav(answered, flagged) {
    var current = form.querySelector(".exam-nav [aria-current=step]");
    if (!current) return;
    if (answered !== undefined) current.classList.toggle("answered", answered);
    if (flagged !== undefined) current.classList.toggle("flagged", flagged);
  }

  // A save that got no answer (offline, a proxy error) or a 503 (the server could not reach
  // its database for a moment) is sent again unchanged: same answer, same base version, so
  // a retry of a save that did land is answered "unchanged", never stored twice.
  var RETRY_MS = [500, 1000, 2000, 4000, 8000];

  function send(text, tries) {
    return fetch(form.dataset.saveUrl, {
      method: "POST",
      credentials: "same-origin",
      // The page's autosave token lets the server store a plain answer in one statement.
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf,
                 "X-Autosave-Token": form.dataset.saveToken || "" },
      body: text,
    }).then(function (r) {
      if (r.status === 503) throw new Error("unavailable");
      return r.json().then(function (data) { return { status: r.status, data: data }; });
    }).catch(function (error) {
      if (tries >= RETRY_MS.length) throw error;
      say("Not saved yet; trying again…", true);
      return new Promise(function (resolve) { window.setTimeout(resolve, RETRY_MS[tries]); })
        .then(function () { return send(text, tries + 1); });
    });
  }

  function post(body) {
    pending += 1;
    say("Saving…");
    // One request at a time, so each carries the version the previous one returned.
    queue = queue.then(function () {
      if ("answer" in body) body.version = Number(versionInput.value);
      return send(JSON.stringify(body), 0).then(function (res) {
        var data = res.data;
        if (data.remaining_seconds !== undefined) setRemaining(data.remaining_seconds);
        if (res.status === 200) {
          versionInput.value = data.version;
          markNav(data.answer !== null, data.flagged);
          if (pending === 1) say("Saved");
        } else if (res.status === 409) {
          versionInput.value = data.version;
          showAnswer(data.answer);
          markNav(data.answer !== null);
          say(data.error + " It is shown above.", true);
        } else if (res.status === 403 && data.closed) {
          say(data.error, true);
          window.setTimeout(function () { window.location.assign(data.result_url); }, 2500);
        } else {
          say(data.error || "Not saved; use the Save button.", true);
        }
      }).catch(function () {
        say("Not saved (no connection?). Your answer is still on the page; use Save to try again.", true);
      }).then(function () { pending -= 1; });
    });
  }

  function saveAnswer() {
    var answer = readAnswer();
    if (answer === undefined) {
      say("Give each item a different position.", true);
      return;
    }
    post({ answer: answer });
  }

  // A navigation button posts the form with the version this page knows; wait for saves
  // still on their way, or the post would look stale next to our own newer save.
  form.addEventListener("submit", function (event) {
    if (pending === 0) return;
    event.preventDefault();
    var submitter = event.submitter;
    queue.then(function () { form.requestSubmit(submitter); });
  });

  var typingTimer = null;
  form.addEventListener("change", function (event) {
    if (event.target.name === "flagged") {
      post({ flagged: event.target.checked });
    } else if (question.contains(event.target)) {
      window.clearTimeout(typingTimer);
      saveAnswer();
    }
  });
  form.addEventListener("input", function (event) {
    if (type === "numeric" && question.contains(event.target)) {
      window.clearTimeout(typingTimer);
      typingTimer = window.setTimeout(saveAnswer, 800);
    }
  });
})();
