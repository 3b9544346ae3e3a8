/* The intake desk: scan an item (its card appears), tick the checks, scan a location (or pick one):
 * POST /api/v1/items/<code>/intake, and the desk is ready for the next item.
 *
 * One field takes every scan; what was scanned decides what happens: an item replaces the one on the
 * desk, a location takes the item on the desk in. Without this script the page is a plain form
 * (/intake?code=…, then a POST to /intake/<code>), so nothing here is needed for the desk to work.
 */
(function () {
  "use strict";
  var desk = document.getElementById("intake-desk");
  var input = document.getElementById("intake-scan");
  var slot = document.getElementById("intake-item");
  if (!desk || !input || !slot || !window.Scanner || !window.Floor) {
    return;
  }
  var Floor = window.Floor;
  var said = Floor.words(desk);
  var scanApi = desk.getAttribute("data-scan-api");
  var cardUrl = desk.getAttribute("data-card-url");
  var intakeApi = desk.getAttribute("data-intake-api");
  var photosApi = desk.getAttribute("data-photos-api");
  var current = null; // {code, name} of the registered item on the desk, waiting for its location
  var scanner = null;

  function card() {
    return slot.querySelector("#intake-card");
  }

  function showPhotos(code) {
    var box = slot.querySelector(".intake-photos");
    if (!box || !photosApi) {
      return;
    }
    // Photos are a nice-to-have on the desk: whatever this answers, the intake goes on.
    window.Scanner.api("GET", Floor.url(photosApi, code)).then(function (response) {
      var photos = response.status === 200 && response.json && response.json.items;
      if (!photos || !photos.length || !card() || card().getAttribute("data-code") !== code) {
        return;
      }
      photos.forEach(function (photo) {
        var link = document.createElement("a");
        link.href = photo.url;
        link.target = "_blank";
        link.rel = "noopener";
        var image = document.createElement("img");
        image.src = photo.thumbnail_url || photo.url;
        image.alt = said.photo || "";
        image.loading = "lazy";
        link.appendChild(image);
        box.appendChild(link);
      });
      box.hidden = false;
    });
  }

  /* Wire the card now on the desk: its form takes the item in through the same queue as a scanned label. */
  function adopt() {
    var shown = card();
    current = null;
    if (!shown) {
      return;
    }
    if (shown.getAttribute("data-status") === "registered") {
      current = { code: shown.getAttribute("data-code"), name: shown.getAttribute("data-name") };
    }
    var form = shown.querySelector("#intake-form");
    if (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var typed = form.querySelector("[name=location_code]");
        var picked = (typed && typed.value.trim()) || form.querySelector("[name=location]").value;
        if (typed) {
          typed.value = "";
        }
        if (!picked) {
          window.Scanner.feedback("wrong", said.choose_location);
          return;
        }
        scanner.scan(picked);
      });
    }
    showPhotos(shown.getAttribute("data-code"));
  }

  function load(code) {
    return window
      .fetch(Floor.url(cardUrl, code), { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (html !== null) {
          slot.innerHTML = html;
          adopt();
        }
        return html !== null;
      });
  }

  function onItem(item) {
    return load(item.code).then(function (loaded) {
      if (!loaded) {
        return { result: "error", code: item.code, message: said.other };
      }
      var values = { name: item.name, place: item.location, status: (said.status || {})[item.status] || item.status };
      if (item.status === "registered") {
        var message = Floor.fill(said.check_then_scan, values);
        if (card() && card().hasAttribute("data-late")) {
          message += " " + said.late;
        }
        return { result: "ok", code: item.code, message: message };
      }
      if (item.status === "in_storage") {
        return { result: "done", code: item.code, message: Floor.fill(said.already_stored, values) };
      }
      return { result: "wrong", code: item.code, message: Floor.fill(said.cannot_take_in, values) };
    });
  }

  function onLocation(place) {
    if (!current) {
      return { result: "wrong", code: place.code, message: said.scan_item_first };
    }
    var form = card() && card().querySelector("#intake-form");
    var seal = form.querySelector("[name=seal_intact]").checked;
    var note = form.querySelector("[name=note]").value.trim();
    if (!form.querySelector("[name=matches_description]").checked) {
      return { result: "wrong", code: place.code, message: said.confirm_matches };
    }
    if (!seal && !note) {
      return { result: "wrong", code: place.code, message: said.confirm_seal };
    }
    var taking = current;
    var body = { location: place.code, seal_intact: seal, note: note || null };
    return window.Scanner.api("POST", Floor.url(intakeApi, taking.code), body).then(function (response) {
      if (response.status !== 200 || !response.json) {
        return Floor.refusal(response, said);
      }
      var item = response.json;
      var message = Floor.fill(item.late_intake ? said.taken_in_late : said.taken_in, {
        name: item.name,
        place: place.name
      });
      return load(item.code).then(function () {
        return { result: "ok", code: item.code, message: message };
      });
    });
  }

  function onCode(text) {
    return Floor.resolve(scanApi, text, said).then(function (answer) {
      if (!answer.ok) {
        return answer.outcome;
      }
      if (answer.found.kind === "item") {
        return onItem(answer.found.object);
      }
      if (answer.found.kind === "location") {
        return onLocation(answer.found.object);
      }
      return { result: "wrong", message: said.scan_item_first };
    });
  }

  scanner = window.Scanner.attach({
    input: input,
    onCode: onCode,
    log: document.getElementById("intake-log"),
    camera: document.getElementById("intake-scan-camera")
  });
  var camera = document.getElementById("intake-scan-camera");
  if (camera) {
    camera.hidden = false;
  }
  // The field's own button (for a code typed by hand) goes through the queue too, not a page load.
  document.getElementById("intake-scan-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var value = input.value;
    input.value = "";
    scanner.scan(value);
  });
  adopt();
})();
