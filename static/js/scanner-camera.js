/* Camera scanning for static/js/scanner.js, which loads this file when a camera button is first pressed.
 *
 * The camera films into a <video> shown under the scan field; about six frames a second are decoded by
 * the browser's BarcodeDetector where it reads QR codes (Chrome on Android and macOS), else by the
 * vendored jsQR (static/vendor/jsqr, loaded here on demand). Decoded text joins the scan field's queue;
 * the same text seen again within two seconds is the same label still in view, not a new scan.
 */
(function () {
  "use strict";
  var Scanner = window.Scanner;
  if (!Scanner || Scanner._camera) {
    return;
  }
  var SELF = document.currentScript ? document.currentScript.src : window.location.href;
  var INTERVAL_MS = 166; // about 6 frames a second: fast enough to feel instant, light on a phone's battery
  var REPEAT_MS = 2000;
  var MAX_SIDE = 800; // jsQR needs no more pixels than this for a label filling part of the picture

  function stopTracks(stream) {
    stream.getTracks().forEach(function (track) {
      track.stop();
    });
  }

  function nativeDecoder() {
    if (!("BarcodeDetector" in window) || !window.BarcodeDetector.getSupportedFormats) {
      return Promise.resolve(null);
    }
    return window.BarcodeDetector.getSupportedFormats().then(
      function (formats) {
        if (formats.indexOf("qr_code") < 0) {
          return null;
        }
        var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
        return function (video) {
          return detector.detect(video).then(function (found) {
            return found.map(function (code) {
              return code.rawValue;
            });
          });
        };
      },
      function () {
        return null;
      }
    );
  }

  function jsQRDecoder(button) {
    var src = button.getAttribute("data-jsqr-src") || new URL("../vendor/jsqr/jsQR.js", SELF).href;
    return Scanner._load(src).then(function () {
      var canvas = document.createElement("canvas");
      var context = canvas.getContext("2d", { willReadFrequently: true });
      return function (video) {
        var scale = Math.min(1, MAX_SIDE / Math.max(video.videoWidth, video.videoHeight));
        canvas.width = Math.round(video.videoWidth * scale);
        canvas.height = Math.round(video.videoHeight * scale);
        context.drawImage(video, 0, 0, canvas.width, canvas.height);
        var image = context.getImageData(0, 0, canvas.width, canvas.height);
        var found = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "attemptBoth" });
        return Promise.resolve(found && found.data ? [found.data] : []);
      };
    });
  }

  /* Resolves with a function(video) → Promise<[decoded texts]>. */
  function makeDecoder(button) {
    return nativeDecoder().then(function (decode) {
      return decode || jsQRDecoder(button);
    });
  }

  Scanner._camera = function (button, near, take, refocus) {
    var stream = null;
    var video = null;
    var timer = 0;
    var seen = {}; // decoded text → when it was last in view
    var startLabel = button.textContent;

    function running() {
      return button.getAttribute("aria-pressed") === "true";
    }

    function stop() {
      window.clearTimeout(timer);
      if (stream) {
        stopTracks(stream);
      }
      stream = null;
      if (video && video.parentNode) {
        video.parentNode.removeChild(video);
      }
      video = null;
      button.setAttribute("aria-pressed", "false");
      button.textContent = startLabel;
      refocus();
    }

    function sighted(text) {
      var now = Date.now();
      var last = seen[text];
      seen[text] = now;
      if (!last || now - last > REPEAT_MS) {
        take(text, "camera");
      }
    }

    function loop(decode) {
      var frame = video && video.readyState >= 2 && video.videoWidth ? decode(video) : Promise.resolve([]);
      frame
        .then(function (texts) {
          if (stream) {
            texts.forEach(sighted);
          }
        })
        .catch(function () {
          return null; // one unreadable frame is not worth a word; the next comes in a sixth of a second
        })
        .then(function () {
          if (stream) {
            timer = window.setTimeout(loop, INTERVAL_MS, decode);
          }
        });
    }

    function fail(error) {
      stop();
      var denied = error && (error.name === "NotAllowedError" || error.name === "SecurityError");
      var message = button.getAttribute(denied ? "data-msg-denied" : "data-msg-unavailable");
      Scanner.feedback("error", message || (denied ? "Camera permission was refused." : "No camera is available."));
    }

    function start() {
      if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
        fail(null); // no camera, or a page not served over https
        return;
      }
      button.setAttribute("aria-pressed", "true");
      button.textContent = button.getAttribute("data-label-stop") || startLabel;
      video = document.createElement("video");
      video.className = "scanner-video";
      video.setAttribute("playsinline", "");
      video.setAttribute("autoplay", "");
      video.muted = true;
      near.parentNode.insertBefore(video, near.nextSibling);
      var opening = navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
      Promise.all([opening, makeDecoder(button)]).then(
        function (both) {
          if (!running() || !video) {
            stopTracks(both[0]); // stopped again before the camera was ready
            return;
          }
          stream = both[0];
          video.srcObject = stream;
          var playing = video.play();
          if (playing && playing.catch) {
            playing.catch(function () {
              return null; // autoplay of a muted video is allowed; a refusal here leaves the frames readable
            });
          }
          loop(both[1]);
        },
        function (error) {
          opening.then(stopTracks, function () {
            return null;
          });
          fail(error);
        }
      );
    }

    window.addEventListener("pagehide", function () {
      if (stream) {
        stop();
      }
    });
    return {
      toggle: function () {
        if (running()) {
          stop();
        } else {
          start();
        }
      }
    };
  };
})();
