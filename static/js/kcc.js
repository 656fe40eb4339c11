/* Behaviour every page shares, without inline handlers (the Content-Security-Policy allows no inline
 * script): a <select data-autosubmit> submits its form on change; a <button data-print> prints. */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("select[data-autosubmit]") && target.form) target.form.submit();
  });
  document.addEventListener("click", function (event) {
    var target = event.target.closest && event.target.closest("[data-print]");
    if (target) window.print();
  });
})();
