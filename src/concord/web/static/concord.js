// Concord: progressive enhancement only. Every form works without this file; with it, votes are sent
// without reloading the page and the statement box counts characters left.
(function () {
  "use strict";
  // Numbers in the page's own digits (the server puts them in <html data-digits>, e.g. ۰۱۲۳۴۵۶۷۸۹).
  function localNumber(n) {
    var digits = document.documentElement.getAttribute("data-digits") || "0123456789";
    return String(n).replace(/[0-9]/g, function (d) { return digits.charAt(+d); });
  }

  function counter() {
    var box = document.getElementById("text"), note = document.getElementById("text-limit");
    if (!box || !note) return;
    var limit = parseInt(note.getAttribute("data-limit"), 10);
    var render = function () {
      var left = limit - box.value.length;
      var pattern = note.getAttribute(left === 1 ? "data-left-one" : "data-left-many");
      note.textContent = pattern.replace("{num}", localNumber(left));
    };
    box.addEventListener("input", render);
    render();
  }

  // A statement in the reader's language (the page's): as written when it is in it, else its accepted
  // translation into it, else as written and marked as one to translate (concord.service.wordings).
  function primary(tag) { return String(tag || "").split("-")[0].toLowerCase(); }
  function inReaders(statement, reader) {
    if (primary(statement.language) === primary(reader)) {
      return { text: statement.text, language: statement.language, translated: false, missing: false };
    }
    var tags = Object.keys(statement.translations || {}).sort(function (a, b) {
      return (a !== reader) - (b !== reader) || (a < b ? -1 : a > b ? 1 : 0);
    });
    for (var i = 0; i < tags.length; i++) {
      if (primary(tags[i]) === primary(reader)) {
        return { text: statement.translations[tags[i]], language: tags[i], translated: true, missing: false };
      }
    }
    return { text: statement.text, language: statement.language, translated: false, missing: true };
  }

  // The original of a translated statement (a <details>), and the invitation to translate one that is not.
  function showOriginal(card, statement, shown, conversation) {
    var original = card.querySelector("details.original"), invite = card.querySelector("p.translate");
    if (original) {
      var names = JSON.parse(original.getAttribute("data-names") || "{}");
      var from = original.getAttribute("data-from") || "";
      original.querySelector("summary").textContent = from.replace("{language}", names[statement.language] || statement.language);
      var text = original.querySelector("p");
      text.textContent = statement.text;
      text.setAttribute("lang", statement.language);
      original.open = false;
      original.hidden = !shown.translated;
    }
    if (invite) {
      invite.querySelector("a").href = "/c/" + encodeURIComponent(conversation) + "/translate/" + statement.number;
      invite.hidden = !shown.missing;
    }
  }

  function voting() {
    var card = document.getElementById("vote");
    if (!card || !window.fetch) return;
    var form = card.querySelector("form.vote");
    if (!form) return;
    var conversation = card.getAttribute("data-conversation");
    var api = "/api/conversations/" + encodeURIComponent(conversation);
    form.addEventListener("submit", function (event) {
      var button = event.submitter;
      if (!button) return; // old browsers: let the form post normally
      event.preventDefault();
      var buttons = form.querySelectorAll("button");
      var fallback = function () { // post the form as if there were no script
        var field = document.createElement("input");
        field.type = "hidden"; field.name = "vote"; field.value = button.value;
        form.appendChild(field);
        form.submit();
      };
      buttons.forEach(function (b) { b.disabled = true; });
      var statement = parseInt(form.elements.statement.value, 10);
      var sent = fetch(api + "/votes", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": form.elements.csrf_token.value },
        body: JSON.stringify({ statement: statement, vote: button.value })
      });
      sent.then(function (response) {
        if (!response.ok) throw new Error("vote");
        // A first vote makes the browser a participant: every form then carries that credential's token.
        var token = response.headers.get("X-CSRF-Token");
        if (token) {
          document.querySelectorAll("input[name=csrf_token]").forEach(function (field) { field.value = token; });
        }
        return fetch(api + "/next", { credentials: "same-origin" });
      }).then(function (response) { return response.json(); }).then(function (next) {
        var text = card.querySelector(".statement"), left = card.querySelector(".remaining");
        remember(card, text, statement, button.value);
        if (!next.statement) { window.location.reload(); return; } // the server renders the "all done" card
        var shown = inReaders(next.statement, document.documentElement.lang);
        text.textContent = shown.text;
        text.setAttribute("lang", shown.language);
        text.classList.toggle("long", shown.text.length > parseInt(text.getAttribute("data-long"), 10));
        text.setAttribute("data-number", next.statement.number);
        showOriginal(card, next.statement, shown, conversation);
        form.elements.statement.value = next.statement.number;
        if (left) {
          var pattern = left.getAttribute(next.remaining === 1 ? "data-one" : "data-many");
          left.textContent = pattern.replace("{num}", localNumber(next.remaining));
        }
        buttons.forEach(function (b) { b.disabled = false; });
        text.setAttribute("tabindex", "-1");
        text.focus();
      }).catch(fallback);
    });
  }

  // The "your last vote" box follows votes sent without reloading, so a mis-tap can be changed.
  function remember(card, text, statement, choice) {
    var box = card.querySelector(".last-vote");
    if (!box) return;
    var label = box.querySelector(".last-choice"), last = box.querySelector(".last-text");
    label.textContent = label.getAttribute("data-" + choice);
    last.textContent = text.textContent;
    last.setAttribute("lang", text.getAttribute("lang"));
    box.querySelector("form").elements.statement.value = statement;
    box.hidden = false;
  }

  // A moderator's queue shows new statements by itself: every 30 s it asks which are waiting and,
  // when that changed and nothing is being typed, reloads.
  function queue() {
    var section = document.getElementById("queue");
    if (!section || !window.fetch) return;
    var url = "/api/conversations/" + encodeURIComponent(section.getAttribute("data-conversation")) +
      "/statements?status=pending";
    section.querySelector(".refreshing").hidden = false;
    window.setInterval(function () {
      fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (waiting) {
        var now = waiting.map(function (s) { return s.number; }).join(",");
        var typing = Array.prototype.some.call(document.querySelectorAll("input[type=text], input:not([type]), textarea"),
          function (field) { return field.value && field.type !== "hidden" && field.defaultValue !== field.value; });
        if (now !== section.getAttribute("data-pending") && !typing) window.location.reload();
      }).catch(function () {});
    }, 30000);
  }

  // A budget's ballot: the cost of the projects ticked, against the limit, as they are ticked. Without
  // the script the server says the total when it refuses a ballot over the limit.
  function ballot() {
    var form = document.querySelector("form.ballot"), out = form && form.querySelector("output.running");
    if (!out || !window.Intl) return;
    var limit = parseFloat(form.getAttribute("data-limit") || "0");
    var most = parseInt(form.getAttribute("data-most") || "0", 10);
    var currency = out.getAttribute("data-currency");
    var format = new Intl.NumberFormat(document.documentElement.lang);
    var update = function () {
      var total = 0, count = 0;
      form.querySelectorAll("input[name=project]:checked").forEach(function (box) {
        total += parseFloat(box.getAttribute("data-cost"));
        count += 1;
      });
      out.textContent = format.format(Math.round(total * 100) / 100) + (currency ? " " + currency : "");
      out.classList.toggle("over", (limit > 0 && total > limit + 1e-9) || (most > 0 && count > most));
    };
    form.addEventListener("change", update);
    update();
  }

  // A ballot of points: the points given together, against the points each voter shares out, as they
  // are typed (in any script's digits). Without the script the server adds them up when it refuses.
  function points() {
    var form = document.querySelector("form.ballot"), out = form && form.querySelector("output.points-given");
    if (!out) return;
    var most = parseInt(out.getAttribute("data-most"), 10) || 0;
    var update = function () {
      var total = 0;
      form.querySelectorAll("input[name^='points:']").forEach(function (field) {
        var latin = field.value.trim().replace(/[\u06f0-\u06f9\u0660-\u0669]/g, function (d) {
          return String(d.charCodeAt(0) % 16);
        });
        if (/^\d+$/.test(latin)) total += parseInt(latin, 10);
      });
      out.textContent = localNumber(total);
      out.classList.toggle("over", total > most);
    };
    form.addEventListener("input", update);
    update();
  }

  document.addEventListener("DOMContentLoaded", function () { counter(); voting(); queue(); ballot(); points(); });
})();
