/* Starts Swagger UI for /api/v1/docs (ours, not part of swagger-ui-dist).
   Kept out of the page so a Content-Security-Policy needs no 'unsafe-inline' for scripts.
   Works offline: no validator badge, nothing fetched but the spec. */
(function () {
  "use strict";
  function start() {
    var node = document.getElementById("swagger-ui");
    if (!node || typeof window.SwaggerUIBundle !== "function") {
      return;
    }
    window.ui = window.SwaggerUIBundle({
      url: node.getAttribute("data-spec-url"),
      domNode: node,
      deepLinking: true,
      validatorUrl: null,
      persistAuthorization: false,
      presets: [window.SwaggerUIBundle.presets.apis],
      layout: "BaseLayout"
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
