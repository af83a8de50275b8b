/* LAPOR Daerah: a form marked data-submit-once is sent once. Its submit buttons are disabled as
   soon as it goes, so a double click or an impatient second tap sends nothing more. The server
   files once per one-time key in any case; without this file the form works the same. */
(function () {
  "use strict";
  var forms = document.querySelectorAll("form[data-submit-once]");

  function buttons(form) {
    return form.querySelectorAll("button[type=submit], input[type=submit]");
  }

  function setBusy(form, busy) {
    Array.prototype.forEach.call(buttons(form), function (b) {
      if (busy) {
        b.setAttribute("data-label", b.textContent);
        if (b.getAttribute("data-busy")) { b.textContent = b.getAttribute("data-busy"); }
      } else if (b.hasAttribute("data-label")) {
        b.textContent = b.getAttribute("data-label");
      }
      b.disabled = busy;
    });
    form.setAttribute("aria-busy", busy ? "true" : "false");
  }

  Array.prototype.forEach.call(forms, function (form) {
    form.addEventListener("submit", function (event) {
      if (form.hasAttribute("data-sending")) {
        event.preventDefault();
        return;
      }
      form.setAttribute("data-sending", "");
      // After the browser has collected the form: a button disabled now would drop its own value.
      window.setTimeout(function () { setBusy(form, true); }, 0);
    });
  });

  // Back to this page from the history cache: the form may be sent again (the server still
  // files it once per key).
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) { return; }
    Array.prototype.forEach.call(forms, function (form) {
      form.removeAttribute("data-sending");
      setBusy(form, false);
    });
  });
})();
