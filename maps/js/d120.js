/* dispatch120 map page API (no framework; Leaflet 1.9.4 vendored).
 *
 * Python (maps/view.py) drives the page with d120.applyBatch([...ops]) — at most one call
 * per GUI frame — and reads it back with d120.state() (a JSON string: runJavaScript returns
 * objects as ''). Clicks, marker drags and marker context menus go back to Python through
 * ONE QWebChannel object, "bridge". Coordinates here are the basemap's (display) coordinates;
 * Python converts WGS-84 <-> GCJ-02/BD-09 when the tiles need it.
 *
 * Ops:
 *   {op:"upsert", layer, id, kind:"marker"|"circle"|"polyline", lat, lon, radius_m, latlngs,
 *    icon:"unit"|"caller"|"incident"|"station"|"hospital"|"dot", color, text_color, heading_deg,
 *    stale, label, sublabel, title, draggable, dash, opacity, z}
 *   {op:"remove", layer, id}    {op:"clear", layer}
 *   {op:"fitBounds", bounds:[[s,w],[n,e]], max_zoom}    {op:"view", lat, lon, zoom}
 *   {op:"highlight", layer, id}  (id null: none)   {op:"follow", layer, id} (id null: stop)
 *   {op:"legend", html}
 */
(function () {
  "use strict";

  var ROAD_STYLE = {
    motorway: ["#e892a2", 6], trunk: ["#f9b29c", 5.5], primary: ["#fcd6a4", 5], secondary: ["#f7fabf", 4.5],
    tertiary: ["#ffffff", 4], residential: ["#ffffff", 3], unclassified: ["#ffffff", 3],
    living_street: ["#ededed", 3], service: ["#ffffff", 2], pedestrian: ["#dddde8", 2.5],
    footway: ["#fa8072", 1], path: ["#fa8072", 1], steps: ["#fa8072", 1.5], cycleway: ["#4a90d9", 1],
    track: ["#ac8327", 1.2], rail: ["#999999", 1.5]
  };
  var MAJOR = {motorway: 1, trunk: 1, primary: 1, secondary: 1, tertiary: 1};

  function esc(text) {
    return String(text == null ? "" : text).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }

  function roadClass(p) {
    var c = p["class"] || p.highway || p.road_class || p.kind_detail || "";
    return String(c).replace(/_link$/, "");
  }

  function featureKind(p, file) {
    var k = p.kind || p.layer || p.type || "";
    if (k === "water" || p.natural === "water" || p.waterway || p.water) return "water";
    if (k === "building" || k === "buildings" || p.building) return "building";
    if (k === "road" || k === "roads" || p.highway) return "road";
    if (k === "railway" || p.railway) return "rail";
    if (k === "park" || k === "green" || p.leisure === "park" || p.landuse === "grass") return "green";
    if (/water/.test(file)) return "water";
    if (/build/.test(file)) return "building";
    if (/road|street/.test(file)) return "road";
    return k || "other";
  }

  function basemapStyle(file) {
    return function (f) {
      var p = f.properties || {};
      var kind = featureKind(p, file);
      var geom = f.geometry ? f.geometry.type : "";
      var area = geom === "Polygon" || geom === "MultiPolygon";
      if (kind === "water") {
        return area ? {color: "#8ebfe0", weight: 0.5, fillColor: "#aad3df", fillOpacity: 1}
                    : {color: "#aad3df", weight: 2, opacity: 1};
      }
      if (kind === "building") return {color: "#d6cfc7", weight: 0.5, fillColor: "#e4e0dc", fillOpacity: 1};
      if (kind === "green") return {color: "#c8e6b0", weight: 0, fillColor: "#d8ecc4", fillOpacity: 1};
      if (kind === "rail") return {color: "#a0a0a0", weight: 1.5, dashArray: "4 3"};
      if (kind === "road") {
        var s = ROAD_STYLE[roadClass(p)] || ["#ffffff", 2.5];
        return {color: s[0], weight: s[1], opacity: 1, lineCap: "round", lineJoin: "round"};
      }
      return area ? {color: "#e8e4dc", weight: 0, fillColor: "#efebe4", fillOpacity: 0.6}
                  : {color: "#cccccc", weight: 1};
    };
  }

  function svgArrow(color, heading, stale) {
    // A heading arrow (north-up when heading is 0); no image URL, inline SVG only.
    var rot = (typeof heading === "number" && isFinite(heading)) ? heading : null;
    var shape = rot === null
      ? '<circle cx="12" cy="12" r="7" fill="' + color + '" stroke="#222" stroke-width="1.6"/>'
      : '<g transform="rotate(' + rot + ' 12 12)"><path d="M12 2 L19.5 20 L12 15.5 L4.5 20 Z" fill="' + color +
        '" stroke="#222" stroke-width="1.6" stroke-linejoin="round"/></g>';
    return '<svg width="24" height="24" viewBox="0 0 24 24"' + (stale ? ' class="d120-stale-svg"' : "") + ">" +
      shape + "</svg>";
  }

  function iconHtml(s) {
    var color = s.color || "#0072B2";
    var label = s.label ? '<span class="d120-label" style="background:' + esc(color) + ";color:" +
      esc(s.text_color || "#000") + '">' + esc(s.label) + (s.sublabel ? '<small>' + esc(s.sublabel) +
      "</small>" : "") + "</span>" : "";
    var body;
    switch (s.icon) {
      case "unit":
        body = svgArrow(esc(color), s.heading_deg, s.stale);
        break;
      case "caller":
        body = '<svg width="22" height="22" viewBox="0 0 22 22"><circle cx="11" cy="11" r="8" fill="' + esc(color) +
          '" stroke="#fff" stroke-width="3"/><circle cx="11" cy="11" r="3" fill="#fff"/></svg>';
        break;
      case "incident":
        body = '<svg width="28" height="28" viewBox="0 0 28 28"><path d="M14 2 L26 24 L2 24 Z" fill="' + esc(color) +
          '" stroke="#222" stroke-width="1.8" stroke-linejoin="round"/><text x="14" y="21" text-anchor="middle" ' +
          'font-size="13" font-weight="bold" fill="#fff">!</text></svg>';
        break;
      case "station":
        body = '<svg width="20" height="20" viewBox="0 0 20 20"><rect x="2" y="2" width="16" height="16" rx="2" fill="' +
          esc(color) + '" stroke="#222" stroke-width="1.4"/><path d="M10 5v10M5 10h10" stroke="#fff" ' +
          'stroke-width="3"/></svg>';
        break;
      case "hospital":
        body = '<svg width="20" height="20" viewBox="0 0 20 20"><rect x="2" y="2" width="16" height="16" rx="8" fill="' +
          esc(color) + '" stroke="#222" stroke-width="1.4"/><text x="10" y="14.5" text-anchor="middle" ' +
          'font-size="11" font-weight="bold" fill="#fff">H</text></svg>';
        break;
      default:
        body = '<svg width="14" height="14" viewBox="0 0 14 14"><circle cx="7" cy="7" r="5" fill="' + esc(color) +
          '" stroke="#222" stroke-width="1.2"/></svg>';
    }
    return '<div class="d120-icon d120-' + esc(s.icon || "dot") + (s.stale ? " d120-stale" : "") + '">' +
      body + label + "</div>";
  }

  var ICON_SIZE = {unit: 24, caller: 22, incident: 28, station: 20, hospital: 20};

  var d120 = {
    map: null, bridge: null, ready: false, layers: {}, items: {}, followed: null, highlighted: null,
    basemapFeatures: 0, errors: [], control: null, legend: null, tileUrl: null
  };
  window.d120 = d120;

  function send(method) {
    var args = Array.prototype.slice.call(arguments, 1);
    if (d120.bridge && d120.bridge[method]) d120.bridge[method].apply(d120.bridge, args);
  }

  function layer(name) {
    var group = d120.layers[name];
    if (!group) {
      group = L.featureGroup().addTo(d120.map);
      d120.layers[name] = group;
    }
    return group;
  }

  function key(op) { return op.layer + "/" + op.id; }

  function pathStyle(op) {
    var st = {color: op.color || "#0072B2", weight: op.weight || 2, opacity: op.opacity == null ? 0.9 : op.opacity,
              fillColor: op.fill_color || op.color || "#0072B2",
              fillOpacity: op.fill_opacity == null ? 0.12 : op.fill_opacity,
              dashArray: op.dash || null, interactive: !!op.interactive};
    return st;
  }

  function create(op) {
    var obj;
    if (op.kind === "marker") {
      var size = ICON_SIZE[op.icon] || 14;
      obj = L.marker([op.lat, op.lon], {
        icon: L.divIcon({className: "d120-divicon", html: iconHtml(op), iconSize: [size, size],
                         iconAnchor: [size / 2, size / 2]}),
        draggable: !!op.draggable, title: op.title || "", keyboard: false,
        zIndexOffset: op.z || 0, riseOnHover: true
      });
      obj.on("click", function () { send("markerClicked", op.layer, String(op.id)); });
      obj.on("contextmenu", function (e) {
        L.DomEvent.stop(e);
        send("markerContextMenu", op.layer, String(op.id));
      });
      obj.on("dragend", function () {
        var ll = obj.getLatLng();
        send("markerDragged", op.layer, String(op.id), ll.lat, ll.lng);
      });
    } else if (op.kind === "circle") {
      obj = L.circle([op.lat, op.lon], Object.assign({radius: op.radius_m}, pathStyle(op)));
    } else if (op.kind === "polyline") {
      obj = L.polyline(op.latlngs, pathStyle(op));
    } else {
      throw new Error("unknown kind " + op.kind);
    }
    obj._d120html = op.kind === "marker" ? iconHtml(op) : null;
    return obj;
  }

  function update(item, op) {
    var obj = item.obj;
    if (op.kind === "marker") {
      obj.setLatLng([op.lat, op.lon]);
      var html = iconHtml(op);
      if (html !== obj._d120html) {
        var size = ICON_SIZE[op.icon] || 14;
        obj.setIcon(L.divIcon({className: "d120-divicon", html: html, iconSize: [size, size],
                               iconAnchor: [size / 2, size / 2]}));
        obj._d120html = html;
        if (d120.highlighted === key(op)) mark(obj, true);
      }
      obj.setZIndexOffset(op.z || 0);
    } else if (op.kind === "circle") {
      obj.setLatLng([op.lat, op.lon]);
      obj.setRadius(op.radius_m);
      obj.setStyle(pathStyle(op));
    } else {
      obj.setLatLngs(op.latlngs);
      obj.setStyle(pathStyle(op));
    }
  }

  function mark(obj, on) {
    if (obj.getElement && obj.getElement()) {
      L.DomUtil[on ? "addClass" : "removeClass"](obj.getElement(), "d120-highlight");
    } else if (obj.setStyle) {
      obj.setStyle({weight: on ? 5 : 2});
    }
  }

  function upsert(op) {
    var k = key(op);
    var item = d120.items[k];
    if (item && item.op.kind === op.kind) {
      update(item, op);
      item.op = op;
    } else {
      if (item) layer(item.op.layer).removeLayer(item.obj);
      item = {op: op, obj: create(op)};
      d120.items[k] = item;
      layer(op.layer).addLayer(item.obj);
      if (d120.highlighted === k) mark(item.obj, true);
    }
    if (d120.followed === k && op.kind !== "polyline") d120.map.panTo([op.lat, op.lon], {animate: false});
  }

  function remove(k) {
    var item = d120.items[k];
    if (!item) return;
    layer(item.op.layer).removeLayer(item.obj);
    delete d120.items[k];
    if (d120.followed === k) d120.followed = null;
    if (d120.highlighted === k) d120.highlighted = null;
  }

  var OPS = {
    upsert: upsert,
    remove: function (op) { remove(key(op)); },
    clear: function (op) {
      Object.keys(d120.items).forEach(function (k) { if (d120.items[k].op.layer === op.layer) remove(k); });
    },
    fitBounds: function (op) {
      d120.map.invalidateSize(false);  // the dock may have been resized since the last frame
      d120.map.fitBounds(op.bounds, {maxZoom: op.max_zoom || 17, padding: [30, 30], animate: false});
    },
    view: function (op) { d120.map.setView([op.lat, op.lon], op.zoom || d120.map.getZoom(), {animate: false}); },
    highlight: function (op) {
      if (d120.highlighted && d120.items[d120.highlighted]) mark(d120.items[d120.highlighted].obj, false);
      d120.highlighted = op.id == null ? null : key(op);
      var item = d120.highlighted && d120.items[d120.highlighted];
      if (item) mark(item.obj, true);
    },
    follow: function (op) {
      d120.followed = op.id == null ? null : key(op);
      var item = d120.followed && d120.items[d120.followed];
      if (item) d120.map.panTo([item.op.lat, item.op.lon], {animate: false});
    },
    legend: function (op) {
      if (d120.legend) d120.legend.getContainer().innerHTML = op.html;
    },
    layerNames: function (op) { setLayerNames(op.names); }
  };

  d120.applyBatch = function (ops) {
    var done = 0;
    for (var i = 0; i < ops.length; i++) {
      try {
        OPS[ops[i].op](ops[i]);
        done++;
      } catch (err) {
        d120.errors.push(String(ops[i].op) + ": " + err);
        if (d120.errors.length > 50) d120.errors.shift();
      }
    }
    return done;
  };

  d120.state = function () {
    var items = Object.keys(d120.items).sort().map(function (k) {
      var op = d120.items[k].op;
      var out = {layer: op.layer, id: String(op.id), kind: op.kind, label: op.label || null,
                 color: op.color || null, stale: !!op.stale, icon: op.icon || null};
      if (op.kind === "polyline") out.latlngs = op.latlngs;
      else { out.lat = op.lat; out.lon = op.lon; }
      if (op.kind === "circle") out.radius_m = op.radius_m;
      if (op.heading_deg != null) out.heading_deg = op.heading_deg;
      return out;
    });
    var c = d120.map ? d120.map.getCenter() : null;
    return JSON.stringify({
      ready: d120.ready, items: items, followed: d120.followed, highlighted: d120.highlighted,
      zoom: d120.map ? d120.map.getZoom() : null, center: c ? [c.lat, c.lng] : null,
      basemap_features: d120.basemapFeatures, tile_url: d120.tileUrl, errors: d120.errors,
      layers: Object.keys(d120.layers).filter(function (n) { return d120.map.hasLayer(d120.layers[n]); })
    });
  };

  var layerLabels = {};
  function setLayerNames(names) {
    if (!d120.control) return;
    Object.keys(names).forEach(function (n) {
      layerLabels[n] = names[n];
      if (d120.layers[n]) {
        d120.control.removeLayer(d120.layers[n]);
        d120.control.addOverlay(d120.layers[n], esc(names[n]));
      }
    });
  }

  function loadBasemap(opts) {
    if (!opts.basemap) return;
    var renderer = L.canvas({padding: 0.3});
    var group = layer("basemap");
    group.bringToBack && group.bringToBack();
    var labels = L.layerGroup();
    var order = ["water", "green", "building", "rail", "road"];
    var files = opts.basemap.layers.slice().sort(function (a, b) {
      function rank(f) {
        for (var i = 0; i < order.length; i++) if (f.indexOf(order[i]) >= 0) return i;
        return -1;
      }
      return rank(a) - rank(b);
    });
    var seen = {};
    var chain = Promise.resolve();
    files.forEach(function (file) {
      chain = chain.then(function () {
        return fetch(opts.basemap.base + "/" + file).then(function (r) {
          if (!r.ok) throw new Error(file + ": " + r.status);
          return r.json();
        }).then(function (data) {
          var gj = L.geoJSON(data, {
            renderer: renderer, interactive: false, style: basemapStyle(file),
            pointToLayer: function () { return null; },
            filter: function (f) { return f.geometry && f.geometry.type !== "Point"; },
            onEachFeature: function (f, lyr) {
              var p = f.properties || {};
              d120.basemapFeatures++;
              if (featureKind(p, file) === "road" && p.name && MAJOR[roadClass(p)] && lyr.getLatLngs) {
                var pts = lyr.getLatLngs();
                if (pts.length && pts[0].lat === undefined) pts = pts[0];
                if (pts.length < 2) return;
                var mid = pts[Math.floor(pts.length / 2)];
                var cell = p.name + "|" + mid.lat.toFixed(3) + "|" + mid.lng.toFixed(3);
                if (seen[cell]) return;
                seen[cell] = 1;
                labels.addLayer(L.marker(mid, {interactive: false, keyboard: false, icon: L.divIcon({
                  className: "d120-road-label", html: "<span>" + esc(p.name) + "</span>", iconSize: null})}));
              }
            }
          });
          group.addLayer(gj);
        });
      }).catch(function (err) { d120.errors.push("basemap " + err); });
    });
    function labelZoom() {
      if (d120.map.getZoom() >= 16) d120.map.addLayer(labels); else d120.map.removeLayer(labels);
    }
    d120.map.on("zoomend", labelZoom);
    chain.then(labelZoom);
  }

  d120.init = function (map, opts) {
    d120.map = map;
    d120.tileUrl = opts.tile_url || null;
    map.attributionControl.setPrefix(false);
    (opts.attributions || []).forEach(function (a) { map.attributionControl.addAttribution(esc(a)); });
    var overlays = {};
    (opts.layers || []).forEach(function (l) {
      layer(l.id);
      layerLabels[l.id] = l.label;
      overlays[esc(l.label)] = d120.layers[l.id];
    });
    d120.control = L.control.layers(null, overlays, {collapsed: true, position: "topright"}).addTo(map);
    var Legend = L.Control.extend({
      onAdd: function () { var div = L.DomUtil.create("div", "d120-legend"); div.innerHTML = opts.legend || "";
                           L.DomEvent.disableClickPropagation(div); return div; }
    });
    d120.legend = new Legend({position: "bottomleft"}).addTo(map);
    loadBasemap(opts);
    map.on("click", function (e) { send("mapClicked", e.latlng.lat, e.latlng.lng); });
    map.on("dragstart", function () {
      if (d120.followed) { d120.followed = null; send("followStopped"); }
    });
    function connected() {
      d120.ready = true;
      // Two frames later the page has painted (a grab right at loadFinished is white).
      requestAnimationFrame(function () { requestAnimationFrame(function () { send("pageReady"); }); });
    }
    if (window.qt && window.qt.webChannelTransport && window.QWebChannel) {
      new QWebChannel(window.qt.webChannelTransport, function (channel) {
        d120.bridge = channel.objects.bridge;
        connected();
      });
    } else {
      connected();
    }
  };
})();
