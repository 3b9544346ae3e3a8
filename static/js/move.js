/* Put-away: scan a location (the target), then items: each is moved there at once with
 * POST /api/v1/items/<code>/move (one ledger entry per item). Another location becomes the new target.
 * An item already there is "done"; one not yet taken in, or checked out, is "wrong".
 * Without this script the same field posts to /move, which does the same one scan at a time.
 */
(function () {
  "use strict";
  var desk = document.getElementById("move-desk");
  var input = document.getElementById("move-scan");
  if (!desk || !input || !window.Scanner || !window.Floor) {
    return;
  }
  var Floor = window.Floor;
  var said = Floor.words(desk);
  var scanApi = desk.getAttribute("data-scan-api");
  var moveApi = desk.getAttribute("data-move-api");
  var locationUrl = desk.getAttribute("data-location-url");
  var target = desk.getAttribute("data-target-code")
    ? { code: desk.getAttribute("data-target-code"), name: desk.getAttribute("data-target-name") }
    : null;
  var count = document.getElementById("move-target-count");

  function aim(place) {
    target = { code: place.code, name: place.name };
    var name = document.getElementById("move-target-name");
    var link = document.createElement("a");
    link.href = Floor.url(locationUrl, place.code);
    link.textContent = place.name;
    name.textContent = "";
    name.appendChild(link);
    document.getElementById("move-target-code").textContent = place.code;
    document.getElementById("move-target-trail").textContent = "";
    document.getElementById("move-location").value = place.code;
    document.getElementById("move-target").classList.remove("move-target-none");
    count.textContent = String(place.item_count || 0);
    count.parentNode.hidden = false;
    if (window.history && window.history.replaceState) {
      window.history.replaceState(null, "", "?location=" + encodeURIComponent(place.code));
    }
    return { result: "ok", code: place.code, message: Floor.fill(said.target_set, { place: place.name }) };
  }

  function put(item) {
    var values = { name: item.name, status: (said.status || {})[item.status] || item.status };
    if (!target) {
      return { result: "wrong", code: item.code, message: said.scan_location_first };
    }
    if (item.status === "registered") {
      return { result: "wrong", code: item.code, message: said.take_in_first };
    }
    if (item.status !== "in_storage") {
      return { result: "wrong", code: item.code, message: Floor.fill(said.cannot_move, values) };
    }
    if (item.location === target.code) {
      return { result: "done", code: item.code, message: Floor.fill(said.already_here, values) };
    }
    return window.Scanner.api("POST", Floor.url(moveApi, item.code), { location: target.code }).then(function (response) {
      if (response.status !== 200) {
        return Floor.refusal(response, said);
      }
      count.textContent = String(Number(count.textContent || 0) + 1);
      return { result: "ok", code: item.code, message: Floor.fill(said.moved, values) };
    });
  }

  function onCode(text) {
    return Floor.resolve(scanApi, text, said).then(function (answer) {
      if (!answer.ok) {
        return answer.outcome;
      }
      if (answer.found.kind === "location") {
        return aim(answer.found.object);
      }
      if (answer.found.kind === "item") {
        return put(answer.found.object);
      }
      return { result: "wrong", message: said.scan_location_first };
    });
  }

  var scanner = window.Scanner.attach({
    input: input,
    onCode: onCode,
    log: document.getElementById("move-log"),
    camera: document.getElementById("move-scan-camera")
  });
  document.getElementById("move-scan-camera").hidden = false;
  document.getElementById("move-scan-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var value = input.value;
    input.value = "";
    scanner.scan(value);
  });
})();
