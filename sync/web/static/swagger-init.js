// Starts Swagger UI on /api/swagger. Everything it loads comes from this site: the bundle
// and its styles (from the swagger-ui-bundle-v2 package) and the OpenAPI document. No
// validator badge (it would call validator.swagger.io), no remote configuration.
"use strict";
window.addEventListener("DOMContentLoaded", function () {
  var root = document.getElementById("swagger-ui");
  if (!root || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  window.ui = window.SwaggerUIBundle({
    url: root.getAttribute("data-spec") || "/api/openapi.json",
    domNode: root,
    deepLinking: true,
    validatorUrl: null,
    configUrl: null,
    queryConfigEnabled: false,
    displayOperationId: false,
    defaultModelsExpandDepth: 0,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
