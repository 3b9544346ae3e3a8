/* Scanning in the browser, shared by the scan, intake, move, stocktake and check-out pages.
 *
 * A keyboard-wedge scanner "types" a code and presses Enter, ten codes a second or faster. If the page
 * waited for the server before reading the next code, codes would run together in the field, so the
 * field is emptied in the same keydown that ends a code and the codes are queued, then handed to the
 * page one at a time, in scan order. A camera (scanner-camera.js, loaded when a camera button is first
 * pressed) feeds the same queue. Every result is seen (a coloured flash and a log line), read
 * out (an aria-live status line) and heard (a short beep whose tone says which result it was).
 *
 *   <script src="/static/js/scanner.js" defer></script>, before the page's own script, then
 *   var scanner = window.Scanner.attach({
 *     input: field,                  // where the wedge scanner types; kept focused on a desk
 *     onCode: function (code, info) { return Promise<{result, message, code?, href?, detail?}> },
 *     log: list,                     // optional <ol>/<ul>: one <li class="scan-<result>"> per result, newest first
 *     camera: button,                // optional: toggles camera scanning
 *     status: element,               // optional: the aria-live line (made next to the field when absent)
 *     flash: element,                // optional: what flashes (default: the field's parent)
 *     keepFocus: true                // optional: false on a page with a second scan field
 *   });
 *   scanner.pending()                // codes queued or in flight
 *   scanner.lastScanAt()             // Date.now() of the last code taken in (0 before any)
 *   scanner.scan(text)               // queue a code typed elsewhere (a form's button, a list's link)
 * result is "ok" | "done" (already done) | "unknown" | "wrong" (wrong state) | "error". `code` replaces the
 * raw text in the log line, `href` makes it a link, `detail` (a Node) is appended to the line.
 * info is {at: when it was scanned, previousAt: when the one before was (0 if none),
 * source: "keyboard" | "camera" | "manual"}.
 *
 * Words shown by this script come from the page, already translated: data-label-stop (the camera button's
 * text while the camera runs), data-msg-unavailable, data-msg-denied on the camera button; data-msg-error
 * on the field (shown when the page's onCode fails). A log line's time is in the zone named by data-timezone
 * on <body> (templates/base.html), like every time the server writes.
 */
(function () {
  "use strict";

  var RESULTS = ["ok", "done", "unknown", "wrong", "error"];
  var FLASH_MS = 400;
  var LOG_LIMIT = 500;
  var INTERACTIVE = "a, button, input, select, textarea, summary, label, [tabindex]";
  // [frequency Hz, duration s, waveform] per tone; rising and bright for ok, a double blip for "already done",
  // low and long for unknown, falling for the wrong state, a buzz for errors: tellable apart without looking.
  var TONES = {
    ok: [[1046, 0.09, "sine"]],
    done: [[784, 0.07, "sine"], [784, 0.07, "sine"]],
    unknown: [[330, 0.3, "triangle"]],
    wrong: [[587, 0.12, "square"], [392, 0.2, "square"]],
    error: [[180, 0.35, "sawtooth"]]
  };
  var SCRIPT_SRC = document.currentScript ? document.currentScript.src : window.location.href;
  var finePointer = !!(window.matchMedia && window.matchMedia("(pointer: fine)").matches);
  var lastAttached = null;
  var pageStatus = null;

  // ---- sound -------------------------------------------------------------------------------------------
  // Browsers only let a page start audio after a user gesture; a wedge scanner's keydown is one, as is a tap.
  var audio = null;

  function unlockAudio() {
    try {
      if (!audio) {
        var Context = window.AudioContext || window.webkitAudioContext;
        if (!Context) {
          return;
        }
        audio = new Context();
      }
      if (audio.state === "suspended") {
        audio.resume();
      }
    } catch (ignored) {
      audio = null;
    }
  }
  ["keydown", "pointerdown", "touchstart"].forEach(function (name) {
    document.addEventListener(name, unlockAudio, { capture: true, passive: true });
  });

  function beep(result) {
    if (!audio || audio.state !== "running") {
      return;
    }
    try {
      var at = audio.currentTime + 0.01;
      (TONES[result] || TONES.error).forEach(function (tone) {
        var osc = audio.createOscillator();
        var gain = audio.createGain();
        osc.type = tone[2];
        osc.frequency.value = tone[0];
        gain.gain.setValueAtTime(0.0001, at);
        gain.gain.exponentialRampToValueAtTime(0.25, at + 0.01);
        gain.gain.exponentialRampToValueAtTime(0.0001, at + tone[1]);
        osc.connect(gain);
        gain.connect(audio.destination);
        osc.start(at);
        osc.stop(at + tone[1] + 0.02);
        at += tone[1] + 0.05;
      });
    } catch (ignored) {
      // No sound is better than a broken scan page.
    }
  }

  // ---- visual feedback ---------------------------------------------------------------------------------
  function normalise(result) {
    return RESULTS.indexOf(result) >= 0 ? result : "error";
  }

  function flash(element, result) {
    if (!element) {
      return;
    }
    RESULTS.forEach(function (name) {
      element.classList.remove("scan-flash-" + name);
    });
    void element.offsetWidth; // restart the animation when the same result comes twice in a row
    element.classList.add("scan-flash", "scan-flash-" + result);
    window.clearTimeout(element._scanFlashTimer);
    element._scanFlashTimer = window.setTimeout(function () {
      element.classList.remove("scan-flash", "scan-flash-" + result);
    }, FLASH_MS);
  }

  function say(statusLine, result, message) {
    if (!statusLine) {
      return;
    }
    statusLine.className = "scan-status scan-" + result;
    statusLine.textContent = message || "";
  }

  function element(tag, className, text) {
    var made = document.createElement(tag);
    made.className = className;
    made.textContent = text || "";
    return made;
  }

  function makeStatus(parent, before) {
    var line = element("p", "scan-status");
    line.setAttribute("role", "status");
    line.setAttribute("aria-live", "polite");
    return parent.insertBefore(line, before);
  }

  /* "14:05:09": when a scan was taken, in the centre's zone (data-timezone on <body>, the deployment's
   * CUSTODY_TIMEZONE) as every time the server writes is, not in the zone the device happens to be set to.
   * A browser whose Intl does not know the zone falls back to the device's clock. */
  var zoneFormat;

  function inZone() {
    if (zoneFormat === undefined) {
      zoneFormat = null;
      var zone = document.body.getAttribute("data-timezone");
      if (zone && window.Intl && Intl.DateTimeFormat) {
        try {
          // en-GB: Latin digits and a 24-hour clock in any engine; the page's language changes nothing here.
          zoneFormat = new Intl.DateTimeFormat("en-GB", {
            timeZone: zone,
            hour: "2-digit",
            minute: "2-digit",
            second: "2-digit",
            hourCycle: "h23"
          });
        } catch (unknownZone) {
          zoneFormat = null; // RangeError: this browser lacks the zone
        }
      }
    }
    return zoneFormat;
  }

  function twoDigits(n) {
    return (n < 10 ? "0" : "") + n;
  }

  function clock(at) {
    var when = new Date(at);
    var format = inZone();
    if (format && format.formatToParts) {
      var parts = {};
      format.formatToParts(when).forEach(function (part) {
        parts[part.type] = part.value;
      });
      // Some engines write midnight as "24" even with hourCycle h23.
      return [parts.hour === "24" ? "00" : parts.hour, parts.minute, parts.second].join(":");
    }
    if (format) {
      return format.format(when);
    }
    return [when.getHours(), when.getMinutes(), when.getSeconds()].map(twoDigits).join(":");
  }

  function logLine(log, raw, outcome, result, at) {
    if (!log) {
      return;
    }
    var item = element("li", "scan-" + result);
    item.setAttribute("data-code", raw);
    var code = element(outcome.href ? "a" : "span", "scan-code code", outcome.code || raw);
    if (outcome.href) {
      code.href = outcome.href;
    }
    var time = element("time", "scan-time", clock(at));
    time.setAttribute("datetime", new Date(at).toISOString());
    item.appendChild(time);
    item.appendChild(code);
    item.appendChild(element("span", "scan-message", outcome.message));
    if (outcome.detail && outcome.detail.nodeType) {
      item.appendChild(outcome.detail);
    }
    log.insertBefore(item, log.firstChild);
    while (log.children.length > LOG_LIMIT) {
      log.removeChild(log.lastChild);
    }
  }

  function feedback(result, message) {
    result = normalise(result);
    var target = lastAttached;
    if (target) {
      flash(target.flash, result);
      say(target.status, result, message);
    } else {
      var main = document.querySelector("main") || document.body;
      pageStatus = pageStatus || makeStatus(main, main.firstChild);
      say(pageStatus, result, message);
      flash(pageStatus, result);
    }
    beep(result);
  }

  // ---- the server --------------------------------------------------------------------------------------
  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  /* fetch() with a JSON body, the session cookie and the CSRF header. Resolves with {status, json} for every
   * HTTP answer (json is null when the answer is not JSON) and with status 0 when the network failed. */
  function api(method, path, body) {
    var headers = { Accept: "application/json, application/problem+json", "X-CSRFToken": csrfToken() };
    var init = { method: method || "GET", credentials: "same-origin", headers: headers };
    if (body !== undefined && body !== null) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return window.fetch(path, init).then(
      function (response) {
        var json = (response.headers.get("Content-Type") || "").indexOf("json") >= 0;
        return (json ? response.json() : Promise.resolve(null))
          .catch(function () {
            return null;
          })
          .then(function (parsed) {
            return { status: response.status, json: parsed };
          });
      },
      function () {
        return { status: 0, json: null };
      }
    );
  }

  // ---- keeping the field ready -------------------------------------------------------------------------
  /* On a desk with a mouse, take focus back to the field whenever nothing else wants it; on a phone that
   * would keep popping up the on-screen keyboard, so there the field is only focused when the page opens. */
  function keepFocus(input) {
    function ready() {
      if (document.activeElement !== input && !input.disabled) {
        input.focus({ preventScroll: true });
      }
    }
    ready();
    window.addEventListener("focus", ready);
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden) {
        ready();
      }
    });
    // Back to a page restored from the back-forward cache: start empty, so a new scan is not appended to an old one.
    window.addEventListener("pageshow", function (event) {
      if (event.persisted) {
        input.value = "";
      }
      ready();
    });
    document.addEventListener("click", function (event) {
      if (finePointer && !event.target.closest(INTERACTIVE)) {
        ready();
      }
    });
    input.addEventListener("blur", function () {
      if (!finePointer) {
        return;
      }
      window.setTimeout(function () {
        var active = document.activeElement;
        if (!active || active === document.body) {
          ready();
        }
      }, 0);
    });
    return ready;
  }

  // ---- the camera ------------------------------------------------------------------------------------------
  // Most scans come from a wedge scanner, so the camera's code (scanner-camera.js, and jsQR where the browser
  // has no QR decoder of its own) is only fetched when someone first presses a camera button.
  var loading = {};

  function load(src) {
    if (!loading[src]) {
      loading[src] = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = src;
        script.onload = resolve;
        script.onerror = function () {
          delete loading[src];
          reject(new Error("Could not load " + src));
        };
        document.head.appendChild(script);
      });
    }
    return loading[src];
  }

  function cameraButton(button, near, take, refocus) {
    var camera = null;
    button.setAttribute("aria-pressed", "false");
    button.addEventListener("click", function (event) {
      event.preventDefault();
      load(new URL("scanner-camera.js", SCRIPT_SRC).href).then(
        function () {
          camera = camera || window.Scanner._camera(button, near, take, refocus);
          camera.toggle();
        },
        function () {
          feedback("error", button.getAttribute("data-msg-unavailable") || "No camera is available.");
        }
      );
    });
  }

  // ---- a scan while the field has lost focus -------------------------------------------------------------
  /* On a phone the field is not refocused, and anywhere a keeper may have just ticked a box or pressed a
   * button: a wedge scanner then types into that. A burst of keys far faster than anyone types, ended by
   * Enter, outside any text field, is a scan, so it goes to the queue too (wedge.js, which would otherwise
   * open the scan page with it, stands aside on pages marked data-scanner). */
  var WEDGE_GAP_MS = 50;
  var WEDGE_MIN_LENGTH = 4;
  var listening = false;
  var NOT_TEXT = /^(button|checkbox|radio|submit|reset|file|image|range|color)$/i;

  function textEntry(el) {
    if (!el) {
      return false;
    }
    if (el.tagName === "INPUT") {
      return !NOT_TEXT.test(el.type);
    }
    return el.isContentEditable || el.tagName === "TEXTAREA" || el.tagName === "SELECT";
  }

  function listenOutsideFields() {
    if (listening) {
      return;
    }
    listening = true;
    var buffer = "";
    var last = 0;
    document.addEventListener(
      "keydown",
      function (event) {
        if (textEntry(event.target) || event.ctrlKey || event.metaKey || event.altKey || !lastAttached) {
          buffer = "";
          return;
        }
        var now = Date.now();
        if (now - last > WEDGE_GAP_MS) {
          buffer = "";
        }
        last = now;
        if (event.key === "Enter") {
          if (buffer.length >= WEDGE_MIN_LENGTH) {
            event.preventDefault(); // not also a click on the focused button
            lastAttached.take(buffer, "keyboard");
          }
          buffer = "";
        } else if (event.key.length === 1) {
          buffer += event.key;
        }
      },
      true
    );
  }

  // ---- attach ------------------------------------------------------------------------------------------
  function attach(options) {
    var input = options.input;
    var onCode = options.onCode;
    var log = options.log || null;
    var container = options.flash || input.parentElement;
    var near = input.closest("form") || container;
    var statusLine = options.status || makeStatus(near.parentNode, near.nextSibling);
    var queue = [];
    var busy = false;
    var lastAt = 0;
    var target = { flash: container, status: statusLine, take: null };
    lastAttached = target;
    input.addEventListener("focus", function () {
      lastAttached = target;
    });

    function pump() {
      if (busy || !queue.length) {
        return;
      }
      var next = queue.shift();
      busy = true;
      Promise.resolve()
        .then(function () {
          return onCode(next.code, next.info);
        })
        .then(
          function (outcome) {
            return outcome || { result: "error" };
          },
          function (error) {
            return {
              result: "error",
              message: input.getAttribute("data-msg-error") || (error && error.message) || String(error)
            };
          }
        )
        .then(function (outcome) {
          var result = normalise(outcome.result);
          lastAttached = target;
          flash(container, result);
          say(statusLine, result, outcome.message);
          logLine(log, next.code, outcome, result, next.info.at);
          beep(result);
        })
        .catch(function () {
          return null; // feedback itself must never stop the queue
        })
        .then(function () {
          busy = false;
          pump();
        });
    }

    function take(code, source) {
      code = (code || "").trim();
      if (!code) {
        return;
      }
      var now = Date.now();
      queue.push({ code: code, info: { at: now, previousAt: lastAt, source: source } });
      lastAt = now;
      pump();
    }
    target.take = take;
    document.body.setAttribute("data-scanner", "");
    listenOutsideFields();

    input.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" || event.isComposing) {
        return;
      }
      // Read and clear in this very event: the scanner's next code may already be on its way.
      var value = input.value;
      input.value = "";
      event.preventDefault();
      take(value, "keyboard");
    });

    var refocus = options.keepFocus === false ? function () {} : keepFocus(input);
    if (options.camera) {
      cameraButton(options.camera, container, take, refocus);
    }

    return {
      pending: function () {
        return queue.length + (busy ? 1 : 0);
      },
      lastScanAt: function () {
        return lastAt;
      },
      scan: function (code) {
        take(code, "manual");
      }
    };
  }

  // _load and _camera are for scanner-camera.js only.
  window.Scanner = { attach: attach, api: api, feedback: feedback, _load: load };
})();
