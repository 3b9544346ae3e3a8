/* The stocktake page: every scanned label is sent at once with POST /api/v1/stocktakes/<number>/scans,
 * in scan order (window.Scanner queues a wedge scanner's bursts), and the counters move with each answer.
 * (The answer carries no totals: counting them would make each scan slower as the stocktake grows. When
 * two keepers count one place, each page adds its own scans; reloading shows everyone's.) An expected item
 * is "ok", one already scanned "done", one that belongs elsewhere "wrong" (another colour and tone), a label
 * that is not an item of ours "unknown". Without this script the same field posts to /stocktakes/<number>/scan.
 */
(function () {
  "use strict";
  var desk = document.getElementById("stocktake-desk");
  var input = document.getElementById("stocktake-scan");
  if (!desk || !input || !window.Scanner || !window.Floor) {
    return;
  }
  var Floor = window.Floor;
  var said = Floor.words(desk);
  var scanApi = desk.getAttribute("data-scan-api");
  var itemUrl = desk.getAttribute("data-item-url");

  function add(counter) {
    var element = document.getElementById("count-" + counter);
    element.textContent = String((Number(element.textContent) || 0) + 1);
  }

  function outcome(answer) {
    if (answer.result !== "duplicate") {
      add(answer.result === "expected" ? "found" : "unexpected");
      add("scanned");
    }
    var values = {
      name: answer.item,
      place: answer.recorded_location,
      status: (said.status || {})[answer.item_status] || answer.item_status
    };
    var line = { code: answer.code, href: Floor.url(itemUrl, answer.code) };
    if (answer.result === "expected") {
      line.result = "ok";
      line.message = Floor.fill(said.expected, values);
    } else if (answer.result === "duplicate") {
      line.result = "done";
      line.message = Floor.fill(said.duplicate, values);
    } else {
      line.result = "wrong";
      line.message = Floor.fill(answer.recorded_location ? said.unexpected_at : said.unexpected, values);
    }
    return line;
  }

  function onCode(text) {
    return window.Scanner.api("POST", scanApi, { code: text }).then(function (response) {
      if (response.status === 200 && response.json) {
        return outcome(response.json);
      }
      if (response.json && response.json.code === "invalid_state") {
        return { result: "wrong", message: said.closed };
      }
      return Floor.refusal(response, said);
    });
  }

  var scanner = window.Scanner.attach({
    input: input,
    onCode: onCode,
    log: document.getElementById("stocktake-log"),
    camera: document.getElementById("stocktake-scan-camera")
  });
  document.getElementById("stocktake-scan-camera").hidden = false;
  document.getElementById("stocktake-scan-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var value = input.value;
    input.value = "";
    scanner.scan(value);
  });

  // Closing while scans are still on their way would report those items missing: let them land first.
  var closeForm = document.getElementById("stocktake-close-form");
  if (closeForm) {
    closeForm.addEventListener("submit", function (event) {
      if (scanner.pending() === 0) {
        return;
      }
      event.preventDefault();
      var button = closeForm.querySelector("button");
      button.disabled = true;
      var wait = window.setInterval(function () {
        if (scanner.pending() === 0) {
          window.clearInterval(wait);
          closeForm.submit();
        }
      }, 100);
    });
  }
})();
