/* What the floor pages (intake desk, put-away) share: their translated words, and what an API refusal
 * means to a keeper holding a scanner. The words come from the page (templates/warehouse/_words.html),
 * already in the reader's language; "{name}" placeholders are filled in here.
 */
(function () {
  "use strict";

  function words(element) {
    try {
      return JSON.parse(element.getAttribute("data-words") || "{}");
    } catch (ignored) {
      return {};
    }
  }

  function fill(text, values) {
    return String(text || "").replace(/\{(\w+)\}/g, function (whole, key) {
      return values && values[key] !== undefined && values[key] !== null ? String(values[key]) : whole;
    });
  }

  function url(template, code) {
    return template.replace("__CODE__", encodeURIComponent(code));
  }

  /* An error answer of the API (problem+json) as a scan outcome: unknown labels sound different from refusals. */
  function refusal(response, said) {
    var problem = response.json || {};
    var code = problem.code;
    if (response.status === 0) {
      return { result: "error", message: said.network };
    }
    if (code === "unknown_code" || code === "not_found") {
      return { result: "unknown", message: said.unknown_code };
    }
    if (code === "bad_check_character" || code === "malformed_code") {
      return { result: "unknown", message: said[code] };
    }
    if (response.status === 422 && problem.errors && problem.errors.location) {
      return { result: "unknown", message: said.no_location };
    }
    if (code === "invalid_state") {
      return { result: "wrong", message: said.invalid_state };
    }
    if (response.status === 401) {
      return { result: "error", message: said.unauthorized };
    }
    if (response.status === 403) {
      return { result: "wrong", message: said.forbidden };
    }
    return { result: "error", message: said.other };
  }

  /* What a scanned text is: GET /api/v1/scan → {ok: true, found: {kind, code, object}} or {ok: false, outcome}. */
  function resolve(scanApi, text, said) {
    return window.Scanner.api("GET", scanApi + "?code=" + encodeURIComponent(text)).then(function (response) {
      if (response.status === 200 && response.json) {
        return { ok: true, found: response.json };
      }
      return { ok: false, outcome: refusal(response, said) };
    });
  }

  window.Floor = { words: words, fill: fill, url: url, refusal: refusal, resolve: resolve };
})();
