/* LAPOR Daerah: the maps (Leaflet, vendored in static/vendor/leaflet). Every map is an addition:
   the page around it says the same in text (the public map's list and counts, a report's place).
   Configuration comes from the element's data- attributes; nothing inline (Content-Security-Policy). */
(function () {
  "use strict";
  if (!window.L) { return; }
  var L = window.L;

  function baseMap(el) {
    el.hidden = false;
    // No fade: a popup is whole from its first frame (a half-faded one reads at a fraction of its
    // contrast, and motion is kept to what the reader asks for).
    var map = L.map(el, {keyboard: true, zoomControl: true, attributionControl: true, fadeAnimation: false});
    var tiles = el.getAttribute("data-tile-url");
    if (tiles) {
      L.tileLayer(tiles, {attribution: el.getAttribute("data-tile-attribution") || "", maxZoom: 19}).addTo(map);
    }
    map.attributionControl.setPrefix(false);
    map.setView([-2.5, 118], 5);
    // Leaflet's own focus target is the container; give it a visible focus ring through CSS.
    return map;
  }

  function loadOutlines(el) {
    var url = el.getAttribute("data-outlines-url");
    if (!url) { return Promise.resolve({type: "FeatureCollection", features: []}); }
    return fetch(url, {credentials: "same-origin"}).then(function (r) {
      return r.ok ? r.json() : {type: "FeatureCollection", features: []};
    });
  }

  function shade(cell, max) {
    if (cell === 0 || cell === undefined || cell === null) { return 0; }
    if (typeof cell !== "number") { return 1; }  // "< 5", "≥ 5", "*": the lightest band
    if (max <= 5) { return 2; }
    return 2 + Math.min(3, Math.floor(3 * (cell - 5) / Math.max(1, max - 5)));
  }

  var SHADES = ["transparent", "#dbe9f6", "#9ecae1", "#6baed6", "#3182bd", "#08519c"];

  function publicMap(el) {
    var map = baseMap(el);
    var counts = {};
    try { counts = JSON.parse(el.getAttribute("data-counts") || "{}"); } catch (e) { counts = {}; }
    var max = 0;
    Object.keys(counts).forEach(function (k) { if (typeof counts[k] === "number" && counts[k] > max) { max = counts[k]; } });
    var note = document.getElementById("map-note");
    var points = L.layerGroup().addTo(map);
    var query = el.getAttribute("data-query") || "";
    var dataUrl = el.getAttribute("data-data-url");
    var countLabel = el.getAttribute("data-count-label") || "";
    var openLabel = el.getAttribute("data-open-label") || "";
    var pending = null;

    loadOutlines(el).then(function (geo) {
      var layer = L.geoJSON(geo, {
        filter: function (f) { return f.properties.level === "kecamatan"; },
        style: function (f) {
          var s = shade(counts[f.properties.code], max);
          return {color: "#335", weight: 1.5, fillColor: SHADES[s], fillOpacity: s ? 0.55 : 0};
        },
        onEachFeature: function (f, l) {
          var c = counts[f.properties.code];
          l.bindTooltip(f.properties.name + ": " + (c === undefined ? 0 : c) + " " + countLabel);
        }
      }).addTo(map);
      L.geoJSON(geo, {
        filter: function (f) { return f.properties.level !== "kecamatan"; },
        style: function () { return {color: "#667", weight: 0.6, fill: false, dashArray: "2 3"}; },
        interactive: false
      }).addTo(map);
      if (layer.getLayers().length) { map.fitBounds(layer.getBounds()); }
      refresh();
      map.on("moveend", refresh);
    });

    function refresh() {
      var b = map.getBounds();
      var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(5); }).join(",");
      var url = dataUrl + "?bbox=" + bbox + (query ? "&" + query : "");
      var ticket = pending = {};
      fetch(url, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (data) {
        if (ticket !== pending) { return; }
        points.clearLayers();
        (data.points || []).forEach(function (p) {
          var icon = L.divIcon({className: "pin pin-" + p.status, iconSize: [14, 14]});
          var m = L.marker([p.lat, p.lng], {icon: icon, title: p.title + " (" + p.status_label + ")", alt: p.title, keyboard: true});
          var box = document.createElement("div");
          var a = document.createElement("a");
          a.href = p.url;
          a.textContent = p.title;
          var meta = document.createElement("p");
          meta.textContent = p.status_label + (p.category ? " · " + p.category : "") + " · " + p.id;
          box.appendChild(a);
          box.appendChild(meta);
          var open = document.createElement("a");
          open.href = p.url;
          open.textContent = openLabel;
          box.appendChild(open);
          m.bindPopup(box);
          points.addLayer(m);
        });
        if (note) { note.textContent = data.truncated ? el.getAttribute("data-truncated-label") : ""; }
      }).catch(function () {});
    }
  }

  function reportMap(el) {
    var map = baseMap(el);
    var lat = parseFloat(el.getAttribute("data-lat"));
    var lng = parseFloat(el.getAttribute("data-lng"));
    var area = el.getAttribute("data-area");
    var hasPoint = !isNaN(lat) && !isNaN(lng);
    loadOutlines(el).then(function (geo) {
      var own = null;
      L.geoJSON(geo, {
        style: function (f) {
          var mine = f.properties.code === area;
          return {color: mine ? "#08519c" : "#889", weight: mine ? 2.5 : 0.8, fillOpacity: mine && !hasPoint ? 0.25 : 0};
        },
        onEachFeature: function (f, l) { if (f.properties.code === area) { own = l; } },
        interactive: false
      }).addTo(map);
      if (hasPoint) {
        // The point as the caller may see it: about 100 m for the public (a circle, not a pin).
        L.circle([lat, lng], {radius: 60, color: "#b30000", weight: 2, fillOpacity: 0.3}).addTo(map);
        map.setView([lat, lng], 14);
      } else if (own) {
        map.fitBounds(own.getBounds());
      }
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll(".lapor-map"), function (el) {
    if (el.getAttribute("data-mode") === "public") { publicMap(el); } else { reportMap(el); }
  });
})();
