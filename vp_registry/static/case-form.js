/* Case form: without the reporter's consent the identifying fields are disabled (and so not
   sent), look switched off (style.css) and their description says why: the state line
   #identifying-state, named in their aria-describedby, gets the text of its data-off or
   data-on attribute (translated by the server). Progressive enhancement only: without
   JavaScript the state line stays empty and hidden, and the server refuses identifying details
   without consent and says so. Loaded as a file: the CSP forbids inline scripts. */
(function () {
  "use strict";
  var consent = document.getElementById("consent");
  if (!consent) {
    return;
  }
  var fields = document.querySelectorAll("[data-identifying]");
  var state = document.getElementById("identifying-state");
  function sync() {
    var on = consent.checked;
    for (var i = 0; i < fields.length; i += 1) {
      fields[i].disabled = !on;
    }
    if (state) {
      state.textContent = state.getAttribute(on ? "data-on" : "data-off");
      state.setAttribute("data-state", on ? "on" : "off");
    }
  }
  consent.addEventListener("change", sync);
  sync();
}());
