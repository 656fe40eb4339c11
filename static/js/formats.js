/* KCC Live — how the pages write the figures the server sends. Each function follows its definition in
 * dashboard/core/formats.py (same name); tests/e2e/test_js_formats.py holds the two equal on one table. */
(function () {
  "use strict";

  var EMPTY = "—";
  var NBSP = "\u00a0";  // formats.NBSP: a duration never wraps

  function missing(value) {
    return value === null || value === undefined || (typeof value === "number" && isNaN(value));
  }

  // formats.fixed: toFixed(digits), or the number as it is without digits; `empty` for null.
  function fixed(value, digits, empty) {
    if (missing(value)) return empty === undefined ? EMPTY : empty;
    if (typeof value === "number" && digits !== undefined && digits !== null) return value.toFixed(digits);
    return String(value);
  }

  // formats.clock: m:ss below an hour, h:mm:ss from an hour on; whole seconds rounded down, never negative.
  function clock(seconds, empty) {
    if (missing(seconds)) return empty === undefined ? EMPTY : empty;
    seconds = Math.max(0, Math.floor(seconds));
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    var mm = (h ? String(m).padStart(2, "0") : String(m)), ss = String(s).padStart(2, "0");
    return (h ? h + ":" : "") + mm + ":" + ss;
  }

  // formats.duration: clock below an hour; "15 h 05 m" from an hour, "2 d 03 h" from a day, with no-break
  // spaces (never h:mm:ss, which reads as a time of day); whole units rounded down, never negative.
  function duration(seconds, empty) {
    if (missing(seconds)) return empty === undefined ? EMPTY : empty;
    seconds = Math.max(0, Math.floor(seconds));
    if (seconds < 3600) return clock(seconds);
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60);
    if (h < 24) return h + NBSP + "h" + NBSP + String(m).padStart(2, "0") + NBSP + "m";
    return Math.floor(h / 24) + NBSP + "d" + NBSP + String(h % 24).padStart(2, "0") + NBSP + "h";
  }

  // formats.percent: a fraction 0–1 as a percentage with one decimal.
  function percent(fraction, empty) {
    return missing(fraction) ? (empty === undefined ? EMPTY : empty) : fixed(100 * fraction, 1);
  }

  window.KCCFormat = {fixed: fixed, clock: clock, duration: duration, percent: percent};
})();
