/* Starts the live page from the options its template put in #live-options (data attributes): no inline
 * script, so the pages pass a Content-Security-Policy without 'unsafe-inline'. */
(function () {
  "use strict";
  var node = document.getElementById("live-options");
  if (!node) return;
  var o = node.dataset;
  if (o.page === "wallboard") {
    window.KCC.startWallboard({scope: o.scope, display: o.display === "1", kiosk: o.kiosk === "1"});
  } else if (o.page === "supervisor") {
    window.KCC.startSupervisor({scope: o.scope, ackUrl: o.ackUrl});
  }
})();
