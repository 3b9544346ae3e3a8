/* The keeper's execution page (templates/dispositions/execute.html): scan each item of an approved disposition
 * as it leaves its shelf. Every label goes at once to POST /api/v1/dispositions/<number>/scans, in scan order
 * (window.Scanner queues a wedge scanner's bursts); the answer carries the progress (scanned, total), so the
 * bar and "scanned / total" show what the server counted, other keepers' scans included. An item of the
 * disposition is "ok" (its row turns scanned), one scanned before "done", an item of ours that is not in this
 * disposition "wrong", a label that is no item at all "unknown". Without this script the same field posts to
 * /dispositions/<number>/execute/scan.
 */
(function () {
  "use strict";
  var desk = document.getElementById("execute-desk");
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
  var bar = document.getElementById("execute-bar");
  var count = document.getElementById("execute-progress");
  var button = document.getElementById("complete-execute");

  function rowOf(code) {
    var rows = document.querySelectorAll("#execute-items tbody tr[data-code]");
    for (var i = 0; i < rows.length; i += 1) {
      if (rows[i].getAttribute("data-code") === code) {
        return rows[i];
      }
    }
    return null;
  }

  function markScanned(row) {
    if (!row) {
      return;
    }
    row.setAttribute("data-scanned", "true");
    row.classList.add("scanned");
    var badge = row.querySelector(".scan-state");
    if (badge) {
      badge.className = "scan-state status presence-present";
      badge.textContent = said.scanned_label || "scanned";
    }
  }

  function progress(scanned, total) {
    bar.max = total;
    bar.value = scanned;
    count.textContent = scanned + " / " + total;
    if (button) {
      if (scanned >= total) {
        button.removeAttribute("data-incomplete");
      } else {
        button.setAttribute("data-incomplete", "true");
      }
    }
  }

  function scanned(answer) {
    var row = rowOf(answer.code);
    var name = row ? row.getAttribute("data-name") : answer.code;
    markScanned(row);
    progress(answer.scanned, answer.total);
    var line = { code: answer.code, href: Floor.url(itemUrl, answer.code) };
    if (answer.result === "duplicate") {
      line.result = "done";
      line.message = Floor.fill(said.duplicate, { name: name });
    } else {
      line.result = "ok";
      line.message = Floor.fill(said.scanned, { name: name });
    }
    if (answer.scanned === answer.total) {
      line.message += " " + said.all_done;
    }
    return line;
  }

  /* Not in this disposition: say whether it is another item of ours (wrong) or no item at all (unknown). */
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
    log: document.getElementById("execute-log"),
    camera: camera
  });
  if (camera) {
    camera.hidden = false;
  }
  document.getElementById("execute-scan-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var value = input.value;
    input.value = "";
    scanner.scan(value);
  });

  // Executing while scans are still on their way would find those items not scanned out: let them land first.
  var complete = document.getElementById("complete-form");
  if (complete) {
    complete.addEventListener("submit", function (event) {
      if (scanner.pending() === 0) {
        return;
      }
      event.preventDefault();
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
