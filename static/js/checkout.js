/* The check-out page's scanning panels (templates/checkouts/detail.html), on top of window.Scanner.
 *
 * Release: the keeper scans each item as it is handed over; the page counts them ("3 of 5"), refuses an
 * item of another check-out ("wrong"), and enables Release once every item is scanned; Release sends the
 * scanned codes to POST /api/v1/checkouts/<number>/release, which checks them again.
 * Return: each scanned item that is out goes back at once (POST …/return with that one code, the state of
 * the "Seal intact" box and the note), so a check-out can come back in several parts.
 *
 * Without this script both panels are plain forms (codes typed into a box; items ticked), posted to the page.
 * Words come from the panel's data-msg-* attributes, already in the user's language.
 */
(function () {
  "use strict";
  var panel = document.querySelector(".scan-panel[data-mode]");
  var input = document.getElementById("checkout-scan");
  if (!panel || !input || !window.Scanner) {
    return;
  }
  var Scanner = window.Scanner;
  var mode = panel.getAttribute("data-mode");
  var actionApi = panel.getAttribute("data-action-api");
  var scanApi = panel.getAttribute("data-scan-api");
  var table = document.getElementById("checkout-items");

  function word(name, values) {
    var text = panel.getAttribute("data-msg-" + name) || "";
    Object.keys(values || {}).forEach(function (key) {
      text = text.split("{" + key + "}").join(String(values[key]));
    });
    return text;
  }

  /* The code inside a scan, as the server reads it: a bare code, or the end of a label URL …/s/<code>. */
  function extract(raw) {
    var text = (raw || "").trim();
    var at = text.lastIndexOf("/s/");
    if (at >= 0) {
      text = text.slice(at + 3).split(/[?#]/)[0].replace(/\/+$/, "");
      try {
        text = decodeURIComponent(text);
      } catch (ignored) {
        // keep the text as it was scanned; the server will refuse it if it is not a code
      }
    }
    return text.trim().toUpperCase();
  }

  function rows() {
    return Array.prototype.slice.call(table ? table.querySelectorAll("tbody tr[data-code]") : []);
  }

  function rowOf(code) {
    return rows().filter(function (row) {
      return row.getAttribute("data-code") === code;
    })[0];
  }

  function nameOf(row) {
    return row ? row.getAttribute("data-name") : "";
  }

  function problemText(response) {
    var json = response.json || {};
    var errors = json.errors && json.errors.items ? " " + json.errors.items.join(" ") : "";
    return word("refused") + " " + (json.detail || response.status) + errors;
  }

  /* A code not on this check-out: tell "another item of ours" (wrong) from "not an item at all" (unknown). */
  function elsewhere(raw, code) {
    return Scanner.api("GET", scanApi + "?code=" + encodeURIComponent(raw)).then(function (response) {
      if (response.status === 200 && response.json && response.json.kind === "item") {
        return { result: "wrong", code: response.json.code, message: word("wrong") + " " + response.json.object.name };
      }
      return { result: "unknown", code: code, message: word("unknown") };
    });
  }

  function show(element, visible) {
    Array.prototype.forEach.call(panel.querySelectorAll(element), function (el) {
      el.hidden = !visible;
    });
  }

  show(".scan-live", true);
  var camera = document.getElementById("checkout-camera");
  var log = document.getElementById("checkout-log");

  // ---- release ------------------------------------------------------------------------------------------
  function releasePanel() {
    var expected = rows().map(function (row) {
      return row.getAttribute("data-code");
    });
    var scanned = [];
    var button = document.getElementById("release-button");
    var form = document.getElementById("release-form");
    var progress = document.getElementById("release-progress");
    var count = document.getElementById("release-count");
    show(".scan-fallback", false);

    function update() {
      var values = { n: scanned.length, total: expected.length };
      progress.value = scanned.length;
      count.textContent = word("scanned", values);
      button.disabled = scanned.length !== expected.length;
      return values;
    }

    function onCode(raw) {
      var code = extract(raw);
      if (expected.indexOf(code) < 0) {
        return elsewhere(raw, code);
      }
      var row = rowOf(code);
      if (scanned.indexOf(code) >= 0) {
        return { result: "done", code: code, message: word("again") + " " + nameOf(row) };
      }
      scanned.push(code);
      row.classList.add("scanned");
      var values = update();
      var message = nameOf(row) + " · " + word("scanned", values);
      if (values.n === values.total) {
        message += " " + word("all-scanned");
      }
      return { result: "ok", code: code, message: message };
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (scanned.length !== expected.length) {
        return;
      }
      button.disabled = true;
      Scanner.api("POST", actionApi, { items: scanned }).then(function (response) {
        if (response.status === 200) {
          Scanner.feedback("ok", word("released"));
          window.location.reload();
        } else {
          Scanner.feedback("error", problemText(response));
          update();
        }
      });
    });
    update();
    return onCode;
  }

  // ---- return -------------------------------------------------------------------------------------------
  function returnPanel() {
    var seal = document.getElementById("seal-intact");
    var note = document.getElementById("return-note");

    function mark(line) {
      var row = rowOf(line.code);
      if (!row || row.getAttribute("data-state") === line.state) {
        return;
      }
      row.setAttribute("data-state", line.state);
      row.className = "line-" + line.state;
      var label = row.querySelector(".line-state");
      label.className = "line-state status line-state-" + line.state;
      label.textContent = panel.getAttribute("data-state-" + line.state) || line.state;
      var box = panel.querySelector('input[name="items"][value="' + line.code + '"]');
      if (box && line.state !== "out") {
        box.closest("label").remove();
      }
    }

    function onCode(raw) {
      var code = extract(raw);
      var row = rowOf(code);
      if (!row) {
        return elsewhere(raw, code);
      }
      var state = row.getAttribute("data-state");
      if (state === "returned") {
        return { result: "done", code: code, message: word("already-back") + " " + nameOf(row) };
      }
      if (state !== "out") {
        return { result: "wrong", code: code, message: word("not-out") + " " + nameOf(row) };
      }
      var intact = seal.checked;
      var body = { items: [code], seal_intact: intact, note: note.value.trim() || null };
      return Scanner.api("POST", actionApi, body).then(function (response) {
        if (response.status !== 200) {
          return { result: response.status === 409 ? "wrong" : "error", code: code, message: problemText(response) };
        }
        response.json.items.forEach(mark);
        // A broken seal and a note belong to the item just scanned, not to the next one.
        seal.checked = true;
        note.value = "";
        var message = nameOf(row) + " · " + word(intact ? "returned" : "returned-broken");
        if (response.json.status === "returned") {
          message += " " + word("all-back");
        }
        var badge = document.getElementById("checkout-status");
        badge.className = "status checkout-" + response.json.status;
        badge.textContent = panel.getAttribute("data-status-" + response.json.status) || response.json.status;
        return { result: "ok", code: code, message: message };
      });
    }
    return onCode;
  }

  var onCode = mode === "release" ? releasePanel() : returnPanel();
  Scanner.attach({ input: input, onCode: onCode, log: log, camera: camera });
})();
