/* LAPOR Daerah: the filing form's location picker. A tap or click on the map drops a pin that
   fills the latitude/longitude fields; the kecamatan and kelurahan selects follow the pin (asked of
   /lapor/wilayah/). Keyboard: Enter places the pin at the map's centre, the arrow keys move it.
   The base map is MAP_TILE_URL when configured; otherwise the area outlines alone (and a plain map
   when those cannot be fetched). The form works the same without this file. */
(function () {
  "use strict";
  var box = document.querySelector("[data-map-pick]");
  if (!box || !window.L || !window.fetch) { return; }
  var L = window.L;
  var byId = function (name) { return document.getElementById(box.getAttribute(name) || ""); };
  var lat = byId("data-lat-input");
  var lng = byId("data-lng-input");
  var kec = byId("data-kecamatan-input");
  var kel = byId("data-kelurahan-input");
  var canvas = box.querySelector(".map-pick-canvas");
  var status = box.querySelector("[role=status]");
  if (!lat || !lng || !canvas) { return; }
  box.hidden = false;

  var map = L.map(canvas, {keyboard: false, attributionControl: true, zoomSnap: 0.5});
  map.attributionControl.setPrefix(false);
  box.mapPick = map;  // for the page's own scripts and the browser tests
  var bounds = (box.getAttribute("data-bounds") || "").split(",").map(Number);
  if (bounds.length === 4 && bounds.every(isFinite)) {
    map.fitBounds([[bounds[0], bounds[1]], [bounds[2], bounds[3]]]);
  } else {
    map.setView([-2.5, 118], 5);  // Indonesia, when no area has a boundary yet
  }
  var tiles = box.getAttribute("data-tile-url");
  if (tiles) {
    L.tileLayer(tiles, {attribution: box.getAttribute("data-attribution") || "", maxZoom: 19}).addTo(map);
  }
  var outlines = box.getAttribute("data-outlines-url");
  if (outlines) {
    fetch(outlines, {credentials: "same-origin", headers: {"Accept": "application/geo+json, application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data || !data.type) { return; }
        L.geoJSON(data, {
          interactive: false,
          style: function () { return {color: "#1d4ed8", weight: 1.5, fillOpacity: 0.04, className: "map-pick-outline"}; }
        }).addTo(map);
      })
      .catch(function () { /* no outlines (not built yet, offline): the pin still works */ });
  }

  var marker = null;
  var asked = 0;
  var say = function (text) { if (status) { status.textContent = text; } };
  var fire = function (el) { el.dispatchEvent(new Event("change", {bubbles: true})); };

  var selectArea = function (data) {
    if (kec && data.kecamatan) { kec.value = String(data.kecamatan); fire(kec); }
    if (kel) {
      kel.value = data.kelurahan ? String(data.kelurahan) : "";
      fire(kel);
    }
  };
  var locate = function (point) {
    var url = box.getAttribute("data-locate-url");
    if (!url) { return; }
    var mine = ++asked;
    fetch(url + "?lat=" + point.lat.toFixed(6) + "&lng=" + point.lng.toFixed(6), {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data || mine !== asked) { return; }
        if (!data.kecamatan) { say(box.getAttribute("data-outside") || ""); return; }
        selectArea(data);
        var names = [data.kelurahan_name, data.kecamatan_name].filter(Boolean).join(", ");
        say((box.getAttribute("data-placed") || "") + " " + (box.getAttribute("data-found") || "") + " " + names);
      })
      .catch(function () { say(box.getAttribute("data-placed") || ""); });
  };
  var place = function (point, pan) {
    if (!marker) {
      marker = L.marker(point, {keyboard: false, draggable: true}).addTo(map);
      marker.on("dragend", function () { place(marker.getLatLng(), false); });
    } else {
      marker.setLatLng(point);
    }
    if (pan) { map.panInside(point, {padding: [24, 24]}); }
    lat.value = point.lat.toFixed(6);
    lng.value = point.lng.toFixed(6);
    say(box.getAttribute("data-placed") || "");
    locate(point);
  };

  map.on("click", function (e) { place(e.latlng, false); });
  // Keyboard: Enter or Space places the pin at the centre; the arrows move it by 20 px (with
  // Shift by 4 px), panning the map when it reaches the edge.
  var STEPS = {ArrowUp: [0, -1], ArrowDown: [0, 1], ArrowLeft: [-1, 0], ArrowRight: [1, 0]};
  canvas.addEventListener("keydown", function (e) {
    if (e.target !== canvas) { return; }
    if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      place(map.getCenter(), false);
    } else if (STEPS[e.key]) {
      e.preventDefault();
      var step = e.shiftKey ? 4 : 20;
      var from = marker ? map.latLngToContainerPoint(marker.getLatLng()) : map.latLngToContainerPoint(map.getCenter());
      var to = from.add(L.point(STEPS[e.key][0] * step, STEPS[e.key][1] * step));
      place(map.containerPointToLatLng(to), true);
    } else if (e.key === "+" || e.key === "=") {
      map.zoomIn();
    } else if (e.key === "-") {
      map.zoomOut();
    }
  });

  // Coordinates typed or filled by "Gunakan lokasi saya" move the pin there.
  var fromFields = function () {
    var a = parseFloat(lat.value), b = parseFloat(lng.value);
    if (!isFinite(a) || !isFinite(b) || Math.abs(a) > 90 || Math.abs(b) > 180) { return; }
    var point = L.latLng(a, b);
    if (marker && marker.getLatLng().equals(point, 1e-7)) { return; }
    if (!marker) {
      marker = L.marker(point, {keyboard: false, draggable: true}).addTo(map);
      marker.on("dragend", function () { place(marker.getLatLng(), false); });
    } else {
      marker.setLatLng(point);
    }
    map.setView(point, Math.max(map.getZoom(), 15));
    locate(point);
  };
  lat.addEventListener("change", fromFields);
  lng.addEventListener("change", fromFields);
  if (lat.value && lng.value) {
    var a = parseFloat(lat.value), b = parseFloat(lng.value);
    if (isFinite(a) && isFinite(b)) {
      marker = L.marker([a, b], {keyboard: false, draggable: true}).addTo(map);
      marker.on("dragend", function () { place(marker.getLatLng(), false); });
      map.setView([a, b], Math.max(map.getZoom(), 15));
    }
  }
})();
