/* Main menu on a small screen: the Menu button folds the menu away and opens it again.
   Progressive enhancement only: without JavaScript the button stays hidden and the menu is
   shown unfolded. Loaded as a file: the CSP forbids inline scripts. */
(function () {
  "use strict";
  var button = document.querySelector("button.menu-button[aria-controls]");
  var menu = button && document.getElementById(button.getAttribute("aria-controls"));
  if (!menu) {
    return;
  }
  function isOpen() {
    return button.getAttribute("aria-expanded") === "true";
  }
  function setOpen(open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
    menu.classList.toggle("open", open);
  }
  document.documentElement.classList.add("menu-folds");
  button.hidden = false;
  setOpen(false);
  button.addEventListener("click", function () {
    setOpen(!isOpen());
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && isOpen()) {
      setOpen(false);
      button.focus();
    }
  });
}());
