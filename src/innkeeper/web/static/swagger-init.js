// Starts Swagger UI on /docs (innkeeper/web/api_docs.py). A file, not an inline script: the page's
// Content-Security-Policy runs scripts from this site only. Swagger UI itself (swagger-ui-bundle.js,
// swagger-ui.css) is swagger-ui-dist 5.35.0, vendored unchanged: /docs needs no CDN.
(function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-openapi-url"),
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  });
})();
