(function () {
  "use strict";
  var api = typeof browser !== "undefined" ? browser : chrome;
  document.getElementById("title").textContent = api.i18n.getMessage("popupTitle");
  document.getElementById("body").textContent = api.i18n.getMessage("popupBody");
  document.documentElement.lang = api.i18n.getUILanguage().slice(0, 2);
})();
