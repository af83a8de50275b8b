/* LAPOR Daerah: small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";
  // "Gunakan lokasi saya": fill latitude/longitude from the device, if the user asks.
  var button = document.getElementById("use-location");
  var lat = document.getElementById("id_lat");
  var lng = document.getElementById("id_lng");
  var status = document.getElementById("location-status");
  if (button && lat && lng && navigator.geolocation) {
    button.hidden = false;
    button.addEventListener("click", function () {
      status.textContent = button.getAttribute("data-wait") || "…";
      navigator.geolocation.getCurrentPosition(function (pos) {
        lat.value = pos.coords.latitude.toFixed(6);
        lng.value = pos.coords.longitude.toFixed(6);
        lat.dispatchEvent(new Event("change", {bubbles: true}));  // the map's pin follows
        status.textContent = button.getAttribute("data-ok") || "";
      }, function () {
        status.textContent = button.getAttribute("data-fail") || "";
      }, {enableHighAccuracy: true, timeout: 15000, maximumAge: 60000});
    });
  }
  // Kelurahan: show only those of the chosen kecamatan (the server does the same on submit).
  var kec = document.getElementById("id_kecamatan");
  var kel = document.getElementById("id_kelurahan");
  if (kec && kel) {
    var groups = Array.prototype.slice.call(kel.querySelectorAll("optgroup")).map(function (g) {
      return {label: g.label, node: g};
    });
    var names = {};
    Array.prototype.forEach.call(kec.options, function (o) { names[o.value] = o.text; });
    var sync = function () {
      var chosen = names[kec.value];
      groups.forEach(function (g) {
        var show = !kec.value || g.label === chosen;
        g.node.hidden = !show;
        g.node.disabled = !show;
      });
      var selected = kel.options[kel.selectedIndex];
      if (selected && selected.parentNode.disabled) { kel.value = ""; }
    };
    kec.addEventListener("change", sync);
    sync();
  }
  // Receipt: a print button where printing is possible.
  Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (b) {
    if (window.print) {
      b.hidden = false;
      b.addEventListener("click", function () { window.print(); });
    }
  });
})();
