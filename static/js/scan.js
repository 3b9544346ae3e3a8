/* The scan page with a script: every label scanned is looked up and listed, none lost.
 *
 * Without this script the page is a plain GET form that opens what was scanned (the web.scan view). With it,
 * static/js/scanner.js queues the codes, each is looked up with GET /api/v1/scan and logged, and a label
 * scanned on its own still opens its item or location, as before; a burst of labels (a wedge scanner
 * emptying a tray) stays on the page as a list instead of racing from page to page.
 */
(function () {
  "use strict";
  var input = document.getElementById("scan-input");
  var form = document.getElementById("scan-form");
  var log = document.getElementById("scan-log");
  var camera = document.getElementById("scan-camera");
  if (!input || !form || !log || !window.Scanner) {
    return;
  }
  // A scan with no other within this time before or after it is "on its own", so it opens its page.
  var ALONE_MS = 300;
  var words = JSON.parse(log.getAttribute("data-words") || "{}");
  var api = log.getAttribute("data-api");
  var pages = { item: log.getAttribute("data-item-url"), location: log.getAttribute("data-location-url") };

  function word(group, key) {
    return (words[group] && words[group][key]) || key;
  }

  function pageOf(kind, code) {
    var pattern = pages[kind];
    return pattern ? pattern.replace("__CODE__", encodeURIComponent(code)) : null;
  }

  function describe(found) {
    var object = found.object || {};
    var state = found.kind === "item" ? word("status", object.status) : word("location_kind", object.kind);
    return [word("kind", found.kind), object.name, state]
      .filter(function (part) {
        return part;
      })
      .join(" · ");
  }

  function actionList(actions) {
    if (!actions || !actions.length) {
      return null;
    }
    var span = document.createElement("span");
    span.className = "scan-actions";
    span.appendChild(document.createTextNode(words.actions || ""));
    actions.forEach(function (action) {
      var tag = document.createElement("span");
      tag.className = "tag";
      tag.textContent = word("action", action);
      span.appendChild(tag);
    });
    return span;
  }

  function failure(answer) {
    var code = answer.json && answer.json.code;
    if (answer.status === 0) {
      return { result: "error", message: word("error", "network") };
    }
    if (code === "unknown_code" || code === "bad_check_character" || code === "malformed_code") {
      return { result: "unknown", message: word("error", code) };
    }
    if (answer.status === 401) {
      return { result: "error", message: word("error", "unauthorized") };
    }
    return { result: "error", message: word("error", "other") };
  }

  var scanner;

  function openIfAlone(href, info) {
    if (!href || (info.previousAt && info.at - info.previousAt < ALONE_MS)) {
      return;
    }
    window.setTimeout(
      function () {
        if (scanner.lastScanAt() === info.at && scanner.pending() === 0) {
          window.location.assign(href);
        }
      },
      Math.max(0, info.at + ALONE_MS - Date.now())
    );
  }

  scanner = window.Scanner.attach({
    input: input,
    log: log,
    camera: camera,
    onCode: function (code, info) {
      return window.Scanner.api("GET", api + "?code=" + encodeURIComponent(code)).then(function (answer) {
        if (answer.status !== 200 || !answer.json) {
          return failure(answer);
        }
        var found = answer.json;
        var href = pageOf(found.kind, found.code);
        openIfAlone(href, info);
        return {
          result: "ok",
          code: found.code,
          href: href,
          message: describe(found),
          detail: actionList(found.actions)
        };
      });
    }
  });

  // The Open button: the same queue as Enter, so a code typed by hand is looked up like a scanned one.
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var value = input.value;
    input.value = "";
    scanner.scan(value);
    input.focus({ preventScroll: true });
  });
  if (camera) {
    camera.hidden = false;
  }
  var hint = form.querySelector(".scan-js-hint");
  if (hint) {
    hint.hidden = false;
  }
})();
