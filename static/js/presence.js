/* The presence-check page (templates/handovers/presence.html): the keeper scans each item of an approved
 * handover on its shelf. Every label goes at once to POST /api/v1/handovers/<number>/scans, in scan order
 * (window.Scanner queues a wedge scanner's bursts); the answer carries the progress (checked, total), so the
 * bar and "checked / total" show what the server counted, other keepers' scans included. An item of the
 * handover is "ok" (its row turns present), one scanned before "done", an item of ours that is not in this
 * handover "wrong", a label that is no item at all "unknown". Without this script the same field posts to
 * /handovers/<number>/presence/scan.
 */
(function () {
  "use strict";
  var desk = document.getElementById("presence-desk");
  var input = document.getElementById("scan-input");
  if (!desk || !input || !window.Scanner || !window.Floor) {
    return;
  }
  var Scanner = window.Scanner;
  var Floor = window.Floor;
  var said = Floor.words(desk);
  var scanApi = desk.getAttribute("data-scan-api");
  var lookupApi = desk.getAttribute("data-lookup-api");
  var itemUrl = desk.getAttribute("data-item-url");
  var bar = document.getElementById("presence-bar");
  var count = document.getElementById("presence-progress");

  function rowOf(code) {
    var rows = document.querySelectorAll("#presence-items tbody tr[data-code]");
    for (var i = 0; i < rows.length; i += 1) {
      if (rows[i].getAttribute("data-code") === code) {
        return rows[i];
      }
    }
    return null;
  }

  function markPresent(row) {
    if (!row) {
      return;
    }
    row.setAttribute("data-presence", "present");
    row.classList.add("scanned");
    var badge = row.querySelector(".presence");
    if (badge) {
      badge.className = "presence status presence-present";
      badge.textContent = (said.labels || {}).present || "present";
    }
  }

  function progress(checked, total) {
    bar.max = total;
    bar.value = checked;
    count.textContent = checked + " / " + total;
  }

  function scanned(answer) {
    var row = rowOf(answer.code);
    var name = row ? row.getAttribute("data-name") : answer.code;
    markPresent(row);
    progress(answer.checked, answer.total);
    var line = { code: answer.code, href: Floor.url(itemUrl, answer.code) };
    if (answer.result === "duplicate") {
      line.result = "done";
      line.message = Floor.fill(said.duplicate, { name: name });
    } else {
      line.result = "ok";
      line.message = Floor.fill(said.present, { name: name });
    }
    if (answer.checked === answer.total) {
      line.message += " " + said.all_done;
    }
    return line;
  }

  /* Not in this handover: say whether it is another item of ours (wrong) or no item at all (unknown). */
  function elsewhere(text) {
    return Floor.resolve(lookupApi, text, said).then(function (found) {
      if (found.ok && found.found.kind === "item") {
        var item = found.found;
        return {
          result: "wrong",
          code: item.code,
          href: Floor.url(itemUrl, item.code),
          message: Floor.fill(said.not_here, { name: item.object.name })
        };
      }
      if (found.ok) {
        return { result: "unknown", message: said.not_ours };
      }
      return found.outcome;
    });
  }

  function onCode(text) {
    return Scanner.api("POST", scanApi, { code: text }).then(function (response) {
      if (response.status === 200 && response.json) {
        return scanned(response.json);
      }
      if (response.status === 422) {
        return elsewhere(text);
      }
      if (response.json && response.json.code === "invalid_state") {
        return { result: "wrong", message: said.closed };
      }
      return Floor.refusal(response, said);
    });
  }

  var camera = document.getElementById("scan-input-camera");
  var scanner = Scanner.attach({
    input: input,
    onCode: onCode,
    log: document.getElementById("presence-log"),
    camera: camera
  });
  if (camera) {
    camera.hidden = false;
  }
  document.getElementById("presence-scan-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var value = input.value;
    input.value = "";
    scanner.scan(value);
  });

  // Completing while scans are still on their way would find those items unaccounted for: let them land first.
  var complete = document.getElementById("complete-form");
  if (complete) {
    complete.addEventListener("submit", function (event) {
      if (scanner.pending() === 0) {
        return;
      }
      event.preventDefault();
      var button = document.getElementById("complete-check");
      button.disabled = true;
      var wait = window.setInterval(function () {
        if (scanner.pending() === 0) {
          window.clearInterval(wait);
          complete.submit();
        }
      }, 100);
    });
  }
})();
