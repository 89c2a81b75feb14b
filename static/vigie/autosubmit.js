// The SAML relay page (accounts/saml_relay.html): post the identity provider's answer on
// to Vigie at once; the button stays for browsers without JavaScript.
"use strict";
window.addEventListener("load", () => {
  document.querySelectorAll("form[data-autosubmit]").forEach((form) => form.submit());
});
