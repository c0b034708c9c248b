/* Case form: without the reporter's consent the identifying fields are disabled (and so not
   sent). Progressive enhancement only: without JavaScript the server refuses identifying
   details without consent and says so. Loaded as a file: the CSP forbids inline scripts. */
(function () {
  "use strict";
  var consent = document.getElementById("consent");
  if (!consent) {
    return;
  }
  var fields = document.querySelectorAll("[data-identifying]");
  function sync() {
    for (var i = 0; i < fields.length; i += 1) {
      fields[i].disabled = !consent.checked;
    }
  }
  consent.addEventListener("change", sync);
  sync();
}());
