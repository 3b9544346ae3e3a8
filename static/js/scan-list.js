/* A keeper's page that scans off a list of items, one label at a time: the handover's presence check
 * (presence.js) and a disposition's execution (disposition.js) configure it. Every label goes at once to
 * the desk's data-scan-api, in scan order (window.Scanner queues a wedge scanner's bursts); the answer
 * carries the progress (done, total), so the bar and "done / total" show what the server counted, other
 * keepers' scans included. An item of the list is "ok" (its row is marked), one scanned before "done", an
 * item of ours that is not on the list "wrong", a label that is no item at all "unknown". Without this
 * script the same field posts to the page's own scan form.
 *
 * ScanList.start({prefix, doneField, doneWord, completeButton, mark(row, said), progressed(done, total)?}):
 * the page's elements are #<prefix>-desk, -bar, -progress, -items, -log and -scan-form, plus #scan-input and
 * #complete-form.
 */
(function () {
  "use strict";

  function start(opts) {
    var desk = document.getElementById(opts.prefix + "-desk");
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
    var bar = document.getElementById(opts.prefix + "-bar");
    var count = document.getElementById(opts.prefix + "-progress");

    function rowOf(code) {
      var rows = document.querySelectorAll("#" + opts.prefix + "-items tbody tr[data-code]");
      for (var i = 0; i < rows.length; i += 1) {
        if (rows[i].getAttribute("data-code") === code) {
          return rows[i];
        }
      }
      return null;
    }

    function progress(done, total) {
      bar.max = total;
      bar.value = done;
      count.textContent = done + " / " + total;
      if (opts.progressed) {
        opts.progressed(done, total);
      }
    }

    function scanned(answer) {
      var row = rowOf(answer.code);
      var name = row ? row.getAttribute("data-name") : answer.code;
      if (row) {
        row.classList.add("scanned");
        opts.mark(row, said);
      }
      var done = answer[opts.doneField];
      progress(done, answer.total);
      var line = { code: answer.code, href: Floor.url(itemUrl, answer.code) };
      if (answer.result === "duplicate") {
        line.result = "done";
        line.message = Floor.fill(said.duplicate, { name: name });
      } else {
        line.result = "ok";
        line.message = Floor.fill(said[opts.doneWord], { name: name });
      }
      if (done === answer.total) {
        line.message += " " + said.all_done;
      }
      return line;
    }

    /* Not on the list: say whether it is another item of ours (wrong) or no item at all (unknown). */
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

    /* The item code in a scanned text: a bare code, or a label's URL ending in /s/<code>. */
    function codeOf(text) {
      var parts = String(text).trim().split("/s/");
      return parts[parts.length - 1].toUpperCase();
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
        if (response.json && response.json.code === "items_unavailable" && said.off_shelf) {
          var row = rowOf(codeOf(text));
          var name = row ? row.getAttribute("data-name") : codeOf(text);
          return { result: "wrong", message: Floor.fill(said.off_shelf, { name: name }) };
        }
        return Floor.refusal(response, said);
      });
    }

    var camera = document.getElementById("scan-input-camera");
    var scanner = Scanner.attach({
      input: input,
      onCode: onCode,
      log: document.getElementById(opts.prefix + "-log"),
      camera: camera
    });
    if (camera) {
      camera.hidden = false;
    }
    document.getElementById(opts.prefix + "-scan-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var value = input.value;
      input.value = "";
      scanner.scan(value);
    });

    // Completing while scans are still on their way would find those items not scanned: let them land first.
    var complete = document.getElementById("complete-form");
    if (complete) {
      complete.addEventListener("submit", function (event) {
        if (scanner.pending() === 0) {
          return;
        }
        event.preventDefault();
        document.getElementById(opts.completeButton).disabled = true;
        var wait = window.setInterval(function () {
          if (scanner.pending() === 0) {
            window.clearInterval(wait);
            complete.submit();
          }
        }, 100);
      });
    }
  }

  window.ScanList = { start: start };
})();
