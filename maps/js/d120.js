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

  // Marker DOM is built once per marker and then patched: a move is Leaflet's transform, a status
  // change a class swap, a label change one text node. Rebuilding every icon (setIcon with fresh
  // inline SVG + label) once a second, as the fix-age text changed, cost the renderer 1.65x a bare
  // Leaflet DOM-marker page with 500 moving units (bench/map_page.py); no per-unit SVG, filter or
  // box-shadow either (software rendering pays for each).
  var SHAPES = {
    caller: function (c) {
      return '<svg width="22" height="22" viewBox="0 0 22 22"><circle cx="11" cy="11" r="8" fill="' + c +
        '" stroke="#fff" stroke-width="3"/><circle cx="11" cy="11" r="3" fill="#fff"/></svg>';
    },
    incident: function (c) {
      return '<svg width="28" height="28" viewBox="0 0 28 28"><path d="M14 2 L26 24 L2 24 Z" fill="' + c +
        '" stroke="#222" stroke-width="1.8" stroke-linejoin="round"/><text x="14" y="21" text-anchor="middle" ' +
        'font-size="13" font-weight="bold" fill="#fff">!</text></svg>';
    },
    station: function (c) {
      return '<svg width="20" height="20" viewBox="0 0 20 20"><rect x="2" y="2" width="16" height="16" rx="2" fill="' +
        c + '" stroke="#222" stroke-width="1.4"/><path d="M10 5v10M5 10h10" stroke="#fff" stroke-width="3"/></svg>';
    },
    hospital: function (c) {
      return '<svg width="20" height="20" viewBox="0 0 20 20"><rect x="2" y="2" width="16" height="16" rx="8" fill="' +
        c + '" stroke="#222" stroke-width="1.4"/><text x="10" y="14.5" text-anchor="middle" ' +
        'font-size="11" font-weight="bold" fill="#fff">H</text></svg>';
    },
    dot: function (c) {
      return '<svg width="14" height="14" viewBox="0 0 14 14"><circle cx="7" cy="7" r="5" fill="' + c +
        '" stroke="#222" stroke-width="1.2"/></svg>';
    }
  };
  var ICON_SIZE = {unit: 20, caller: 22, incident: 28, station: 20, hospital: 20};
  var COLOUR_RE = /^(#[0-9a-fA-F]{3,8}|[a-zA-Z]{3,20}|rgba?\([0-9., %]+\))$/;

  function safeColour(c, fallback) { return (typeof c === "string" && COLOUR_RE.test(c)) ? c : fallback; }

  // One CSS class per (background, text) colour pair, made on first use: a status change is a
  // class swap, and 500 markers share a handful of rules instead of 500 inline styles.
  var colourClasses = {}, colourSheet = null, colourCount = 0;
  function colourClass(bg, fg) {
    var k = bg + "|" + fg, c = colourClasses[k];
    if (!c) {
      if (!colourSheet) {
        var style = document.createElement("style");
        document.head.appendChild(style);
        colourSheet = style.sheet;
      }
      c = "d120-c" + (colourCount++);
      colourSheet.insertRule("." + c + " .d120-label{background:" + bg + ";color:" + fg + "}", 0);
      colourSheet.insertRule("." + c + " .d120-dot{background:" + bg + "}", 0);
      colourClasses[k] = c;
    }
    return c;
  }

  function validHeading(h) { return typeof h === "number" && isFinite(h) ? h : null; }

  // The marker's elements: root > shape (+ dir for units) + label > text node (+ small > text node).
  function buildIcon(op) {
    var root = document.createElement("div");
    var el = {root: root, icon: op.icon || "dot", shape: document.createElement("div"), dir: null, label: null,
              text: null, small: null, colour: null, shapeKey: null, heading: undefined, cls: ""};
    el.shape.className = "d120-shape";
    root.appendChild(el.shape);
    if (el.icon === "unit") {
      var dot = document.createElement("span");
      dot.className = "d120-dot";
      el.shape.appendChild(dot);
      el.dir = document.createElement("span");
      el.dir.className = "d120-dir";
      el.shape.appendChild(el.dir);
    }
    patchIcon(el, op);
    return el;
  }

  function patchIcon(el, op) {
    var bg = safeColour(op.color, "#0072B2"), fg = safeColour(op.text_color, "#000");
    var cc = colourClass(bg, fg);
    var cls = "d120-icon d120-" + el.icon + " " + cc + (op.stale ? " d120-stale" : "") +
      (el.hidden ? " d120-nolabel" : "");
    if (cls !== el.cls) { el.root.className = cls; el.cls = cls; }
    if (el.icon === "unit") {
      var h = validHeading(op.heading_deg);
      if (h !== el.heading) {
        el.heading = h;
        if (h === null) el.dir.style.display = "none";
        else { el.dir.style.display = ""; el.dir.style.transform = "rotate(" + h + "deg)"; }
      }
    } else if (bg !== el.shapeKey) {
      el.shapeKey = bg;
      el.shape.innerHTML = (SHAPES[el.icon] || SHAPES.dot)(bg);
    }
    var label = op.label ? String(op.label) : "";
    var sub = op.sublabel ? String(op.sublabel) : "";
    if (label && !el.label) {
      el.label = document.createElement("span");
      el.label.className = "d120-label";
      el.text = document.createTextNode("");
      el.label.appendChild(el.text);
      el.root.appendChild(el.label);
    }
    if (el.label) {
      el.label.style.display = label ? "" : "none";
      if (el.text.data !== label) el.text.data = label;
      if (sub && !el.small) {
        el.small = document.createElement("small");
        el.small.appendChild(document.createTextNode(""));
        el.label.appendChild(el.small);
      }
      if (el.small) {
        if (el.small.firstChild.data !== sub) el.small.firstChild.data = sub;
        el.small.style.display = sub ? "" : "none";
      }
    }
    el.labelWidth = label ? textWidth(label) + (sub ? 4 + textWidth(sub) * 0.9 : 0) + 12 : 0;
  }

  // The label's width without asking the layout engine (offsetWidth would force a layout per
  // marker per frame): 12 px per CJK character, 7 px per other one, at the label's 12 px font.
  function textWidth(text) {
    var w = 0;
    for (var i = 0; i < text.length; i++) w += text.charCodeAt(i) >= 0x2e80 ? 12.5 : 7.2;
    return w;
  }

  var d120 = {
    map: null, bridge: null, ready: false, layers: {}, items: {}, followed: null, highlighted: null,
    basemapFeatures: 0, errors: [], control: null, legend: null, tileUrl: null, labelsHidden: 0
  };
  d120.declutter = function () { return declutter(); };
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

  // A Leaflet marker whose stacking order is its z band (op.z) only. Leaflet's own re-stacks by
  // screen y on every move (a style change per marker per move); here a moving unit changes only
  // its transform. Hover does not raise it (riseOnHover would set the band to 250).
  // (Made at init: Leaflet may load after this file.)
  var D120Marker = null;
  function markerClass() {
    if (!D120Marker) {
      D120Marker = L.Marker.extend({
        _updateZIndex: function (offset) {
          if (this._icon && this._d120z !== offset) {
            this._icon.style.zIndex = offset;
            this._d120z = offset;
          }
        },
        _resetZIndex: function () { this._updateZIndex(this.options.zIndexOffset); }
      });
    }
    return D120Marker;
  }

  function create(op) {
    var obj;
    if (op.kind === "marker") {
      var size = ICON_SIZE[op.icon] || 14;
      var el = buildIcon(op);
      obj = new (markerClass())([op.lat, op.lon], {
        icon: L.divIcon({className: "d120-divicon", html: el.root, iconSize: [size, size],
                         iconAnchor: [size / 2, size / 2]}),
        draggable: !!op.draggable, title: op.title || "", keyboard: false,
        zIndexOffset: op.z || 0
      });
      obj._d120el = el;
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
    return obj;
  }

  // True when the item can be patched in place (same kind, icon and dragging).
  function patchable(item, op) {
    return item.op.kind === op.kind && (op.kind !== "marker" ||
      ((item.op.icon || "dot") === (op.icon || "dot") && !!item.op.draggable === !!op.draggable));
  }

  function update(item, op) {
    var obj = item.obj, old = item.op;
    if (op.kind === "marker") {
      if (old.lat !== op.lat || old.lon !== op.lon) obj.setLatLng([op.lat, op.lon]);
      patchIcon(obj._d120el, op);
      if ((old.z || 0) !== (op.z || 0)) obj.setZIndexOffset(op.z || 0);
      if ((old.title || "") !== (op.title || "") && obj.getElement()) obj.getElement().title = op.title || "";
    } else if (op.kind === "circle") {
      obj.setLatLng([op.lat, op.lon]);
      obj.setRadius(op.radius_m);
      obj.setStyle(pathStyle(op));
    } else {
      obj.setLatLngs(op.latlngs);
      obj.setStyle(pathStyle(op));
    }
  }

  // ---------------------------------------------------------------- label declutter
  // After a batch (at most once per animation frame, and at most every DECLUTTER_MS), and after
  // every zoom or pan: labels are placed in priority order — highlighted and priority >= 2
  // (selected, assigned to the current incident) always, then higher priority, then labels already
  // shown (no flicker), then by id — and a label that would overlap one already placed is hidden.
  // Overlaps are found in a grid of CELL px buckets, so 500 labels cost ~500 small lookups.
  var CELL = 64, DECLUTTER_MS = 250, LABEL_H = 18;
  var declutterQueued = false, lastDeclutter = 0;

  function scheduleDeclutter() {
    if (declutterQueued) return;
    declutterQueued = true;
    requestAnimationFrame(function () {
      var wait = DECLUTTER_MS - (Date.now() - lastDeclutter);
      if (wait > 0) {
        setTimeout(function () { declutterQueued = false; declutter(); }, wait);
      } else {
        declutterQueued = false;
        declutter();
      }
    });
  }

  function declutter() {
    lastDeclutter = Date.now();
    var map = d120.map;
    if (!map) return 0;
    var size = map.getSize(), list = [], grid = {}, hidden = 0;
    function add(r) {
      for (var cx = Math.floor(r.x0 / CELL); cx <= Math.floor(r.x1 / CELL); cx++) {
        for (var cy = Math.floor(r.y0 / CELL); cy <= Math.floor(r.y1 / CELL); cy++) {
          (grid[cx + ":" + cy] = grid[cx + ":" + cy] || []).push(r);
        }
      }
    }
    Object.keys(d120.items).forEach(function (k) {
      var item = d120.items[k], el = item.obj._d120el;
      if (!el || !map.hasLayer(item.obj)) return;
      var p = map.latLngToContainerPoint(item.obj.getLatLng());
      var half = (ICON_SIZE[el.icon] || 14) / 2;
      // Every marker's symbol is an obstacle: a label never covers another unit.
      add({k: k, x0: p.x - half, x1: p.x + half, y0: p.y - half, y1: p.y + half});
      if (!el.labelWidth) return;
      if (p.x < -200 || p.y < -50 || p.x > size.x + 50 || p.y > size.y + 50) {
        if (el.hidden) {  // off screen: shown again, placed with the others once it comes into view
          el.hidden = false;
          el.root.classList.remove("d120-nolabel");
          el.cls = el.root.className;
        }
        return;
      }
      // Always: the highlighted marker, priority >= 2 (the seat's own units), and the few non-unit
      // markers (caller locations, incidents) whose labels the dispatcher is working with.
      var always = k === d120.highlighted || (item.op.priority || 0) >= 2 || el.icon !== "unit";
      list.push({k: k, el: el, always: always, priority: item.op.priority || 0, x0: p.x + half + 3,
                 x1: p.x + half + 3 + el.labelWidth, y0: p.y - LABEL_H / 2, y1: p.y + LABEL_H / 2});
    });
    list.sort(function (a, b) {
      return (b.always - a.always) || (b.priority - a.priority) || ((a.el.hidden ? 1 : 0) - (b.el.hidden ? 1 : 0)) ||
        (a.k < b.k ? -1 : a.k > b.k ? 1 : 0);
    });
    list.forEach(function (r) {
      var cx0 = Math.floor(r.x0 / CELL), cx1 = Math.floor(r.x1 / CELL);
      var cy0 = Math.floor(r.y0 / CELL), cy1 = Math.floor(r.y1 / CELL);
      var clash = false, cx, cy, cell, i;
      for (cx = cx0; cx <= cx1 && !clash; cx++) {
        for (cy = cy0; cy <= cy1 && !clash; cy++) {
          cell = grid[cx + ":" + cy];
          if (!cell) continue;
          for (i = 0; i < cell.length; i++) {
            var o = cell[i];
            if (o.k !== r.k && r.x0 < o.x1 && o.x0 < r.x1 && r.y0 < o.y1 && o.y0 < r.y1) { clash = true; break; }
          }
        }
      }
      var hide = clash && !r.always;
      if (!hide) add(r);
      else hidden++;
      if (hide !== !!r.el.hidden) {
        r.el.hidden = hide;
        r.el.root.classList.toggle("d120-nolabel", hide);
        r.el.cls = r.el.root.className;
      }
    });
    d120.labelsHidden = hidden;
    return hidden;
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
    if (item && patchable(item, op)) {
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

  // Leaflet ignores setView/fitBounds while a zoom animation runs (_tryAnimatedZoom returns true):
  // the page's own animated fitBounds at load swallowed the seat's first "zoom to the incident".
  // Finish a running animation first (Leaflet's own end-of-transition handler).
  function settle() {
    if (d120.map._animatingZoom && d120.map._onZoomTransitionEnd) d120.map._onZoomTransitionEnd();
  }

  var OPS = {
    upsert: upsert,
    remove: function (op) { remove(key(op)); },
    clear: function (op) {
      Object.keys(d120.items).forEach(function (k) { if (d120.items[k].op.layer === op.layer) remove(k); });
    },
    fitBounds: function (op) {
      settle();
      d120.map.invalidateSize(false);  // the dock may have been resized since the last frame
      d120.map.fitBounds(op.bounds, {maxZoom: op.max_zoom || 17, padding: [30, 30], animate: false});
    },
    view: function (op) { settle(); d120.map.setView([op.lat, op.lon], op.zoom || d120.map.getZoom(), {animate: false}); },
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
    if (ops.length) scheduleDeclutter();
    return done;
  };

  d120.state = function () {
    var items = Object.keys(d120.items).sort().map(function (k) {
      var op = d120.items[k].op;
      var el = d120.items[k].obj._d120el;
      var out = {layer: op.layer, id: String(op.id), kind: op.kind, label: op.label || null,
                 color: op.color || null, stale: !!op.stale, icon: op.icon || null};
      if (el) {
        out.sublabel = op.sublabel || null;
        out.priority = op.priority || 0;
        // What the dispatcher sees: the label's text on screen and whether declutter hid it.
        out.label_text = el.label && el.label.style.display !== "none" ? el.label.textContent : null;
        out.label_shown = !!out.label_text && !el.hidden;
      }
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
    // folium 0.20 does not pass the map's max_zoom to Leaflet (only to tile layers): without tiles
    // the offline basemap could be zoomed in without end.
    if (map.options.maxZoom === undefined) map.options.maxZoom = 19;
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
    map.on("zoomend moveend resize", scheduleDeclutter);
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
