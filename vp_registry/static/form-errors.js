/* Error summary (templates/macros.html): the focus goes to the summary when the page opens,
   so a screen reader reads the problems first; a link in it moves the focus to its field and
   scrolls the field's label or legend into view (a plain #link would hide the label under
   the top of the window). Loaded as a file: the CSP forbids inline scripts. Without
   JavaScript the links still lead to the fields. */
(function () {
  "use strict";
  var summary = document.querySelector("[data-error-summary]");
  if (!summary) {
    return;
  }
  summary.focus();
  summary.addEventListener("click", function (event) {
    var link = event.target.closest("a[href^='#']");
    var target = link && document.getElementById(link.getAttribute("href").slice(1));
    if (!target) {
      return;
    }
    event.preventDefault();
    var caption = document.querySelector("label[for='" + target.id + "']");
    if (target.type === "checkbox" || target.type === "radio") {
      var group = document.getElementById(target.id.replace(/-0$/, ""));
      caption = (group && group !== target && group.querySelector("legend")) ||
        target.closest("label");
    }
    (caption || target).scrollIntoView();
    target.focus({preventScroll: true});
  });
}());
