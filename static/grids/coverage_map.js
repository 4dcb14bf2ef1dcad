/* Coverage map: grid boundaries from the scoped GeoJSON endpoint, on a blank background
   (no tile server), coloured by coverage; a popup per grid. Leaflet is vendored. */
(function () {
  "use strict";
  var element = document.getElementById("coverage-map");
  if (!element || !window.L) return;
  var labels = JSON.parse(document.getElementById("coverage-labels").textContent);
  var note = document.getElementById("coverage-map-note");
  var map = L.map(element, { attributionControl: false, zoomSnap: 0.25 });

  function line(label, value, danger) {
    var row = document.createElement("div");
    row.textContent = label + ": ";
    var strong = document.createElement("strong");
    strong.textContent = value;
    if (danger) strong.className = "text-danger";
    row.appendChild(strong);
    return row;
  }

  function popup(p) {
    var box = document.createElement("div");
    var title = document.createElement("div");
    title.className = "fw-semibold mb-1";
    title.textContent = p.name + " (" + p.kind_label + ")";
    box.appendChild(title);
    box.appendChild(line(labels.households, p.households + " / " + labels.cap + " " + p.household_cap,
      p.households > p.household_cap));
    box.appendChild(line(labels.workers, p.workers.length ? p.workers.join("、") : labels.none,
      !p.workers.length));
    box.appendChild(line(labels.overdue, String(p.overdue), p.overdue > 0));
    var status = document.createElement("div");
    status.className = "small mt-1";
    status.style.color = p.colour;
    status.textContent = p.status_label;
    box.appendChild(status);
    return box;
  }

  function showNote(text) {
    note.textContent = text;
    note.hidden = false;
  }

  fetch(element.dataset.geojson, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
    .then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      return response.json();
    })
    .then(function (data) {
      var layer = L.geoJSON(data, {
        style: function (feature) {
          var colour = feature.properties.colour;
          return { color: colour, weight: 2, fillColor: colour, fillOpacity: 0.35 };
        },
        onEachFeature: function (feature, item) {
          item.bindPopup(popup(feature.properties));
          item.bindTooltip(feature.properties.name, { sticky: true });
        },
      }).addTo(map);
      if (data.features.length) {
        map.fitBounds(layer.getBounds(), { padding: [12, 12] });
      } else {
        map.setView([0, 0], 1);
        showNote(labels.empty);
      }
      if (data.grids_without_boundary && data.grids_without_boundary.length) {
        showNote((note.hidden ? "" : note.textContent + " ") + labels.no_boundary + " " + data.grids_without_boundary.join("、"));
      }
    })
    .catch(function () {
      map.setView([0, 0], 1);
      showNote(labels.error);
    });
})();
