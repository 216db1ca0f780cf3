/* Canopy: draws a forest's outline and its trees with the vendored Leaflet (static/vendor/leaflet).
 * Every element with data-map="<id of a json_script>" becomes a map. The data holds the
 * GeoJSON area, the pins ({lat, lon, marker, state, species, planted, thumb, photo}), the
 * outline colour and the tile source; without tiles (or when they fail to load) the outline and
 * the pins still draw. No inline script: this file is loaded with defer after leaflet.js. */
(function () {
  "use strict";
  var COLOURS = {
    planted: "#f9a825",
    verified: "#2e7d32",
    survival_checked: "#1565c0",
    dead: "#b3261e",
  };

  function text(tag, value, className) {
    var el = document.createElement(tag);
    el.textContent = value;
    if (className) el.className = className;
    return el;
  }

  function popup(pin) {
    var box = document.createElement("div");
    box.className = "map-popup";
    if (pin.thumb) {
      var link = document.createElement("a");
      link.href = pin.photo || pin.thumb;
      link.target = "_blank";
      link.rel = "noopener";
      var img = document.createElement("img");
      img.src = pin.thumb;
      img.alt = pin.species;
      img.loading = "lazy";
      link.appendChild(img);
      box.appendChild(link);
    }
    box.appendChild(text("strong", pin.species));
    box.appendChild(text("div", pin.state));
    if (pin.planted) box.appendChild(text("div", pin.planted, "muted"));
    return box;
  }

  function draw(el) {
    var source = document.getElementById(el.getAttribute("data-map"));
    if (!source || typeof L === "undefined") return;
    var data = JSON.parse(source.textContent);
    var map = L.map(el, { scrollWheelZoom: false, attributionControl: true });
    if (data.tiles && data.tiles.url) {
      L.tileLayer(data.tiles.url, { maxZoom: 19, attribution: data.tiles.attribution }).addTo(map);
    }
    // Leaflet draws vectors only on a map that has a view: collect the layers and their
    // bounds first, set the view, then add them.
    var layers = [];
    var bounds = L.latLngBounds([]);
    if (data.area) {
      var area = L.geoJSON(data.area, {
        style: { color: data.colour || "#2e7d32", weight: 2, fillOpacity: 0.12, className: "forest-area" },
      });
      layers.push(area);
      bounds.extend(area.getBounds());
    }
    (data.pins || []).forEach(function (pin) {
      var marker = L.circleMarker([pin.lat, pin.lon], {
        radius: 7,
        color: "#ffffff",
        weight: 1.5,
        fillColor: COLOURS[pin.marker] || "#5f6f64",
        fillOpacity: 0.95,
        className: "pin pin-" + pin.marker,
      });
      marker.bindPopup(function () { return popup(pin); });
      layers.push(marker);
      bounds.extend([pin.lat, pin.lon]);
    });
    if (bounds.isValid()) {
      map.fitBounds(bounds, { padding: [20, 20], maxZoom: data.maxZoom || 16 });
    } else {
      map.setView([52.2, 5.3], 7);
    }
    layers.forEach(function (layer) { layer.addTo(map); });
    el.setAttribute("data-ready", "1");
  }

  function start() {
    var maps = document.querySelectorAll("[data-map]");
    for (var i = 0; i < maps.length; i++) draw(maps[i]);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
