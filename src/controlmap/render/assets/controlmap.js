/* controlmap: time slider, legend, tooltips and labels for Leaflet maps.
 *
 * Written for controlmap.render; needs Leaflet 1.9. Every text that comes from
 * data is put into the page with textContent (never innerHTML), so a name such as
 * "<img onerror=...>" shows as text and runs nothing.
 */
(function () {
  "use strict";

  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun",
                "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  var MONTH_NAMES = ["January", "February", "March", "April", "May", "June", "July",
                     "August", "September", "October", "November", "December"];
  // The date format of the page's Style (the codes of controlmap.render._style.format_day).
  var datePattern = "%-d %b %Y";

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function formatDate(iso, pattern) {
    if (!iso) { return ""; }
    var parts = String(iso).split("-");
    var m = parseInt(parts[1], 10) - 1, d = parseInt(parts[2], 10);
    var values = {"%Y": parts[0], "%m": parts[1], "%d": parts[2], "%-d": String(d),
                  "%b": MONTHS[m] || "", "%B": MONTH_NAMES[m] || "", "%%": "%"};
    return String(pattern || datePattern).replace(/%-d|%[YmdbB%]/g, function (code) {
      return values[code];
    });
  }

  function formatArea(km2) {
    return Math.round(km2).toLocaleString("en-US") + " km\u00b2";
  }

  function addRow(box, label, value) {
    if (value === undefined || value === null || value === "") { return; }
    var row = el("div", "cm-row");
    row.appendChild(el("span", "cm-key", label + ": "));
    row.appendChild(el("span", "cm-value", value));
    box.appendChild(row);
  }

  function periodText(p) {
    if (p.change === "kept") { return formatDate(p.start) + " and " + formatDate(p.end); }
    if (p.on) { return "on " + formatDate(p.on); }
    if (p.change) {
      return formatDate(p.start) + " \u2192 " + formatDate(p.end);
    }
    if (!p.end) { return "since " + formatDate(p.start); }
    return formatDate(p.start) + " \u2013 " + formatDate(p.end);
  }

  function heading(p) {
    if (p.change === "kept") { return p.actor + ": held on both dates"; }
    return p.change ? p.actor + ": ground " + p.change : p.actor;
  }

  function shorten(text, limit) {
    if (!text) { return text; }
    text = String(text);
    return text.length > limit ? text.slice(0, limit - 1) + "\u2026" : text;
  }

  function summary(p, sourceLimit) {
    var box = el("div", "cm-tip");
    box.appendChild(el("div", "cm-title", heading(p)));
    addRow(box, p.change ? "between" : "held", periodText(p));
    addRow(box, "area", formatArea(p.area_km2));
    if (p.status && p.status !== "control") { addRow(box, "status", p.status); }
    if (sourceLimit >= 0) {  // -1: the caller lists the sources itself
      addRow(box, "source", sourceLimit ? shorten(p.source, sourceLimit) : p.source);
    }
    return box;
  }

  function tooltipFor(p) {
    // A tooltip follows the pointer: keep it short; the popup (click) has it all.
    var box = summary(p, 140);
    if (p.source && String(p.source).length > 140) {
      box.appendChild(el("div", "cm-hint", "click for the full source"));
    }
    return box;
  }

  // Sources as a short list (the first few, each shortened), the full text on demand.
  var SHOWN_SOURCES = 3, SOURCE_CHARS = 90;

  function sourceList(text) {
    var items = String(text).split(/\s*(?:;|\||\n)\s*/).filter(function (t) { return t; });
    var box = el("div", "cm-sources");
    box.appendChild(el("div", "cm-key", items.length > 1 ? "sources:" : "source:"));
    var list = el("ul", "cm-source-list");
    items.slice(0, SHOWN_SOURCES).forEach(function (item) {
      list.appendChild(el("li", null, shorten(item, SOURCE_CHARS)));
    });
    box.appendChild(list);
    var cut = items.length > SHOWN_SOURCES || items.some(function (t) { return t.length > SOURCE_CHARS; });
    if (cut) {
      var more = el("details", "cm-source-details");
      more.appendChild(el("summary", null, items.length > SHOWN_SOURCES
        ? "all " + items.length + " sources" : "full source"));
      more.appendChild(el("div", "cm-source-full", text));
      box.appendChild(more);
    }
    return box;
  }

  function popupFor(p) {
    var box = summary(p, -1);
    box.classList.add("cm-popup");
    if (p.source) { box.appendChild(sourceList(p.source)); }
    addRow(box, "status", p.status);
    addRow(box, "confidence", p.confidence);
    addRow(box, "note", p.note);
    return box;
  }

  // Geometry written compactly by controlmap.render.maps._leaflet.encoded_geometry:
  // unsigned integers in base64url digits (5 bits a digit, lowest first, 32 = more
  // follows): polygons; per polygon, rings; per ring, points, then each point as
  // zigzag-signed steps in 1/grid degrees from the point before. Only arithmetic is
  // done on the text: it is data, never evaluated.
  var DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  var DIGIT_VALUE = {};
  for (var k = 0; k < DIGITS.length; k++) { DIGIT_VALUE[DIGITS.charCodeAt(k)] = k; }

  function decodeGeometry(text, grid) {
    var at = 0, x = 0, y = 0;
    function next() {
      var value = 0, scale = 1, digit;
      do {
        digit = DIGIT_VALUE[text.charCodeAt(at++)];
        if (digit === undefined) { throw new Error("controlmap: a geometry of the page is damaged"); }
        value += (digit & 31) * scale;
        scale *= 32;
      } while (digit & 32);
      return value;
    }
    function signed() { var u = next(); return u % 2 ? -(u + 1) / 2 : u / 2; }
    var polygons = [], nPolygons = next();
    for (var p = 0; p < nPolygons; p++) {
      var rings = [], nRings = next();
      for (var r = 0; r < nRings; r++) {
        var ring = [], nPoints = next();
        for (var i = 0; i < nPoints; i++) {
          x += signed(); y += signed();
          ring.push([x / grid, y / grid]);
        }
        ring.push(ring[0]);  // written open: the ring closes on its first point
        rings.push(ring);
      }
      polygons.push(rings);
    }
    return {type: "MultiPolygon", coordinates: polygons};
  }

  // The page's features with any compact geometry decoded, as GeoJSON.
  function decodedFeatures(collection, grid) {
    (collection.features || []).forEach(function (f) {
      if (typeof f.geometry === "string") { f.geometry = decodeGeometry(f.geometry, grid); }
    });
    return collection;
  }

  function visibleOn(p, iso) {
    return p.start <= iso && (p.end === null || p.end === undefined || iso < p.end);
  }

  // Statuses: control solid, support a light fill, contested and a user's own
  // statuses as SVG patterns over a faint fill (Leaflet has no pattern fills: the
  // patterns live in one <svg><defs> of the page and paths fill with url(#id)).
  var SVG_NS = "http://www.w3.org/2000/svg";
  var GENERIC = {fill: "cross", opacity: 0.3, dash: "6 2"};
  var patternDefs = null, patternIds = {};

  function svgEl(tag, attrs) {
    var node = document.createElementNS(SVG_NS, tag);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
    return node;
  }

  function patternFill(kind, colour, opacity) {
    var key = kind + "|" + colour;
    if (patternIds[key]) { return "url(#" + patternIds[key] + ")"; }
    if (!patternDefs) {
      var holder = svgEl("svg", {width: 0, height: 0, "aria-hidden": "true", "class": "cm-patterns"});
      holder.style.position = "absolute";
      patternDefs = svgEl("defs", {});
      holder.appendChild(patternDefs);
      document.body.appendChild(holder);
    }
    var id = "cm-pattern-" + Object.keys(patternIds).length;
    var pattern = svgEl("pattern", {id: id, patternUnits: "userSpaceOnUse", width: 8, height: 8,
                                    "data-cm-kind": kind});
    // An opaque tint under the lines: over governed ground of the same colour the
    // hatching must still show.
    pattern.appendChild(svgEl("rect", {width: 8, height: 8, fill: "#ffffff"}));
    pattern.appendChild(svgEl("rect", {width: 8, height: 8, fill: colour, "fill-opacity": opacity}));
    var ink = {stroke: colour, "stroke-width": 1.6};
    if (kind === "hatch" || kind === "cross") {
      pattern.appendChild(svgEl("path", Object.assign({d: "M-2,2 l4,-4 M0,8 l8,-8 M6,10 l4,-4"}, ink)));
    }
    if (kind === "backhatch" || kind === "cross") {
      pattern.appendChild(svgEl("path", Object.assign({d: "M-2,6 l4,4 M0,0 l8,8 M6,-2 l4,4"}, ink)));
    }
    if (kind === "dots") {
      pattern.appendChild(svgEl("circle", {cx: 4, cy: 4, r: 1.6, fill: colour}));
    }
    patternDefs.appendChild(pattern);
    patternIds[key] = id;
    return "url(#" + id + ")";
  }

  function statusStyle(data, status) {
    var styles = data.status_styles || {};
    return styles[status] || (status && status !== "control" ? GENERIC : {fill: "solid", opacity: 1, dash: null});
  }

  // Leaflet path options of a feature of this colour and status.
  function featureStyle(data, colour, status) {
    var s = statusStyle(data, status);
    var fill = colour, fillOpacity = 1;
    if (s.fill === "light") { fillOpacity = s.opacity; }
    else if (s.fill !== "solid") { fill = patternFill(s.fill, colour, s.opacity); }
    return {color: colour, weight: s.fill === "solid" ? 0.8 : 1.2, opacity: 1,
            fillColor: fill, fillOpacity: fillOpacity, dashArray: s.dash || null};
  }

  // A legend swatch drawn as the map draws that status, with CSS only: the legend
  // holds no SVG or other markup (a test of hostile data counts any as injected).
  function swatch(colour, kind, status, data) {
    var s = el("span", "cm-swatch" + (kind ? " cm-swatch-" + kind : ""));
    if (status === undefined || status === null) {
      s.style.background = colour;
      return s;
    }
    var style = statusStyle(data, status);
    var tint = "color-mix(in srgb, " + colour + " " + Math.round(style.opacity * 100) + "%, #ffffff)";
    var line = colour + " 0 1.5px, transparent 1.5px 4px";
    var layers = {
      solid: [colour],
      light: [tint],
      hatch: ["repeating-linear-gradient(-45deg, " + line + ")", tint],
      backhatch: ["repeating-linear-gradient(45deg, " + line + ")", tint],
      cross: ["repeating-linear-gradient(-45deg, " + line + ")",
              "repeating-linear-gradient(45deg, " + line + ")", tint],
      dots: ["radial-gradient(" + colour + " 1.2px, transparent 1.4px) 0 0 / 4px 4px", tint]
    }[style.fill] || [colour];
    s.style.background = layers.join(", ");
    s.style.borderColor = colour;
    s.style.borderStyle = style.dash ? "dashed" : "solid";
    s.classList.add("cm-swatch-status");
    s.setAttribute("data-cm-fill", style.fill);
    return s;
  }

  function makeControl(position, build) {
    var Control = L.Control.extend({
      onAdd: function () {
        var box = build();
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        return box;
      }
    });
    return new Control({position: position});
  }

  function init(map, data) {
    var api = {map: map, data: data, date: null, layers: []};
    var container = map.getContainer();
    container.classList.add("cm-map");
    var look = data.style || {};
    if (look.date_format) { datePattern = look.date_format; }
    if (look.font) { container.style.fontFamily = look.font; }
    if (data.colours && data.colours.background) { container.style.background = data.colours.background; }
    var embedded = false;
    try { embedded = window.self !== window.top; } catch (e) { embedded = true; }
    if (embedded) { container.classList.add("cm-embedded"); }

    map.createPane("cmBase").style.zIndex = 250;
    // Periods of one actor may overlap (a city ring on a province zone): fill them
    // opaque and make the whole pane translucent, so overlaps do not look darker.
    map.getPane("overlayPane").style.opacity = String(data.opacity || 0.6);
    map.createPane("cmPlaces").style.zIndex = 450;
    map.getPane("cmPlaces").style.pointerEvents = "none";

    // Base map: outlines drawn as vectors so the map works with no tiles.
    var base = data.base || {};
    if (base.countries) {
      L.geoJSON(base.countries, {
        pane: "cmBase", interactive: false,
        style: function (f) {
          return {
            color: data.colours.border, weight: 1, opacity: 0.9,
            fillColor: f.properties.focus ? data.colours.land : data.colours.neighbour,
            fillOpacity: data.tiles ? 0.35 : 1
          };
        }
      }).addTo(map);
    }
    if (base.provinces) {
      L.geoJSON(base.provinces, {
        pane: "cmBase", interactive: false,
        style: {color: data.colours.province, weight: 0.7, fill: false, dashArray: "3 3"}
      }).addTo(map);
    }

    // The control polygons: each period's geometry once, shown or hidden by date.
    var shown = L.featureGroup().addTo(map);
    // A page may name each actor's colour once (a Map: an actor's name is never a key
    // of a plain object, where "__proto__" would mean something else).
    var actorColours = new Map(data.actor_colours || []);
    function colourOf(p) { return p.color || actorColours.get(p.actor) || "#555555"; }
    L.geoJSON(decodedFeatures(data.features, data.grid || 1), {
      // No per-path simplification: Leaflet would simplify each piece on its own, and
      // two pieces sharing a border would part along it (hairline gaps between them).
      smoothFactor: 0,
      style: function (f) { return featureStyle(data, colourOf(f.properties), f.properties.status); },
      onEachFeature: function (f, layer) {
        layer.cmProps = f.properties;
        layer.bindTooltip(function () { return tooltipFor(f.properties); },
                          {sticky: true, className: "cm-tooltip"});
        layer.bindPopup(function () { return popupFor(f.properties); });
        layer.on("add", function () {
          var path = layer.getElement();
          if (path) {
            path.setAttribute("data-cm-id", String(f.properties.id));
            path.setAttribute("data-cm-status", String(f.properties.status || ""));
            path.classList.add("cm-feature");
          }
        });
        layer.on("mouseover", function () { layer.setStyle({color: "#000000", weight: 2}); layer.bringToFront(); });
        layer.on("mouseout", function () {
          layer.setStyle(featureStyle(data, colourOf(f.properties), f.properties.status));
        });
        api.layers.push(layer);
      }
    });

    // Places: a dot and a permanent label; minor places only when zoomed in.
    var places = [];
    (data.places || []).forEach(function (p) {
      var marker = L.circleMarker([p.lat, p.lon], {
        pane: "cmPlaces", interactive: false, radius: p.event ? 3.5 : 2.5,
        color: data.colours.place, weight: 1, fillColor: "#ffffff", fillOpacity: 1
      });
      marker.bindTooltip(el("span", null, p.name), {
        permanent: true, direction: p.side === "left" ? "left" : "right",
        offset: [p.side === "left" ? -3 : 3, 0], className: "cm-label" + (p.event ? " cm-label-event" : "")
      });
      places.push({marker: marker, level: p.level || 0});
    });
    // Country names: focus countries first (drawn darker), then neighbours.
    var countryLabels = (data.countries || []).map(function (c) {
      return L.tooltip({permanent: true, direction: "center", interactive: false,
                        className: "cm-country" + (c.focus ? " cm-country-focus" : "")})
        .setLatLng([c.lat, c.lon]).setContent(el("span", null, c.name)).addTo(map);
    });

    // Labels that would overlap a label placed before them, a panel, or the map's
    // edge move to the other side of their dot, or are hidden: focus countries,
    // then places in order of importance, then neighbouring countries.
    function boxesMeet(a, b) {
      return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
    }
    function declutter() {
      var frame = container.getBoundingClientRect();
      var taken = [].slice.call(container.querySelectorAll(".cm-legend, .cm-panel"))
        .map(function (node) { return node.getBoundingClientRect(); });
      function fits(r) {
        if (r.left < frame.left || r.right > frame.right || r.top < frame.top || r.bottom > frame.bottom) {
          return false;
        }
        return !taken.some(function (t) { return boxesMeet(r, t); });
      }
      function place(node, shifts) {
        if (!node) { return; }
        node.classList.remove("cm-hidden");
        for (var i = 0; i < shifts.length; i++) {
          node.style.marginLeft = shifts[i] ? shifts[i](node) + "px" : "";
          var r = node.getBoundingClientRect();
          if (fits(r)) { taken.push(r); return; }
        }
        node.style.marginLeft = "";
        node.classList.add("cm-hidden");
      }
      var focus = countryLabels.filter(function (t, k) { return data.countries[k].focus; });
      var others = countryLabels.filter(function (t, k) { return !data.countries[k].focus; });
      focus.forEach(function (t) { place(t.getElement(), [null]); });
      places.forEach(function (p) {
        if (!map.hasLayer(p.marker)) { return; }
        var tip = p.marker.getTooltip(), node = tip && tip.getElement();
        var right = !node || !node.classList.contains("leaflet-tooltip-left");
        // The other side of the dot: the label's width plus the two offsets.
        var flip = function (n) { return (right ? -1 : 1) * (n.offsetWidth + 6); };
        place(node, [null, flip]);
      });
      others.forEach(function (t) { place(t.getElement(), [null]); });
    }
    api.declutter = declutter;
    var baseZoom = null;
    function updatePlaces() {
      // A place of level n is labelled from n zoom steps past the opening view on.
      var zoom = map.getZoom() - baseZoom;
      places.forEach(function (p) {
        var on = zoom >= p.level;
        if (on && !map.hasLayer(p.marker)) { p.marker.addTo(map); }
        if (!on && map.hasLayer(p.marker)) { map.removeLayer(p.marker); }
      });
    }
    map.on("zoomend", function () { updatePlaces(); declutter(); });
    map.on("moveend resize", declutter);

    // Legend: one swatch per actor (or per change), then one per status, each with
    // the area on the date shown. A status row's swatch is drawn in a neutral ink.
    // On a slider page the actor rows follow the date: the largest actors holding
    // ground then (look.legend_actors of them), the rest summed in one row.
    var areaCells = {}, actorRows = null, legendBox = null;
    function legendRow(item) {
      var row = el("div", "cm-legend-row" + (item.kind ? " cm-legend-" + item.kind : ""));
      if (item.status !== undefined) { row.setAttribute("data-cm-status", item.status); }
      if (item.actor !== undefined) { row.setAttribute("data-cm-actor", item.actor); }
      row.appendChild(swatch(item.color || "#555555", item.kind, item.status, data));
      var name = el("span", "cm-legend-name", item.label);
      name.title = String(item.label);  // long names are cut to two lines; the full one on hover
      row.appendChild(name);
      var cell = el("span", "cm-legend-area", item.area_km2 !== undefined ? formatArea(item.area_km2) : "");
      row.appendChild(cell);
      areaCells[item.key] = cell;
      return row;
    }
    function othersLabel(count) { return count + (count === 1 ? " other" : " others"); }
    function fillActors(index) {
      var actors = data.areas.actors, km2 = data.areas.km2[index], colours = data.areas.colours || [];
      // A phone lists six at most: the legend must leave it most of the map.
      var limit = Math.max(1, look.legend_actors || 10);
      if (container.clientWidth < 600) { limit = Math.min(limit, 6); }
      var ranked = actors.map(function (a, k) { return k; })
        .filter(function (k) { return km2[k] > 0; })
        .sort(function (a, b) { return km2[b] - km2[a] || a - b; });
      var listed = ranked.length <= limit + 1 ? ranked : ranked.slice(0, limit);
      var rest = ranked.slice(listed.length);
      actorRows.textContent = "";
      listed.forEach(function (k) {
        actorRows.appendChild(legendRow({key: "actor:" + k, kind: "actor", actor: actors[k],
                                         label: actors[k], color: colours[k], area_km2: km2[k]}));
      });
      if (rest.length) {
        var sum = rest.reduce(function (total, k) { return total + km2[k]; }, 0);
        actorRows.appendChild(legendRow({key: "others", kind: "others", label: othersLabel(rest.length),
                                         color: "#bdbdbd", area_km2: sum}));
      }
    }
    function fitLegend() {
      // Never more than half the map's height: a long legend scrolls instead.
      if (legendBox) { legendBox.style.maxHeight = Math.max(140, Math.round(container.clientHeight * 0.5)) + "px"; }
    }
    var legend = makeControl("topright", function () {
      var box = el("div", "cm-legend leaflet-bar");
      legendBox = box;
      if (data.title) { box.appendChild(el("div", "cm-legend-title", data.title)); }
      if (data.areas && data.areas.colours) {
        actorRows = el("div", "cm-legend-actors");
        box.appendChild(actorRows);
      }
      data.legend.forEach(function (item) { box.appendChild(legendRow(item)); });
      if (data.credit) { box.appendChild(el("div", "cm-credit", data.credit)); }
      return box;
    });
    legend.addTo(map);
    fitLegend();
    map.on("resize", fitLegend);

    // Date panel: a label, and for a timeline the slider, step and play buttons.
    var dates = data.dates || [];
    var range, dateLabel, eventLabel, playButton, timer = null;
    // The time axis under the slider: a tick at the first change of each year,
    // labelled unless too near the previous label, and the first and last date.
    function timeAxis() {
      var axis = el("div", "cm-axis");
      axis.setAttribute("aria-hidden", "true");
      var ticks = el("div", "cm-ticks");
      var last = dates.length - 1, labelled = -1;
      // Labels at least 32 px apart on the track (280 px, 210 px on a phone: the CSS).
      var narrow = window.matchMedia && window.matchMedia("(max-width: 600px)").matches;
      var minGap = 100 * 32 / (narrow ? 210 : 280);
      var firstYear = parseInt(dates[0].slice(0, 4), 10), lastYear = parseInt(dates[last].slice(0, 4), 10);
      for (var year = firstYear + 1; year <= lastYear; year++) {
        var k = 0;
        while (k < last && dates[k] < year + "-01-01") { k++; }
        // No change in that year (an atlas of 1880, 1900, 1914...): no tick, or the
        // next change would be labelled with a year it is not in.
        if (parseInt(dates[k].slice(0, 4), 10) !== year) { continue; }
        var at = (100 * k) / last;
        var tick = el("span", "cm-tick");
        tick.style.left = at + "%";
        ticks.appendChild(tick);
        if (labelled < 0 || at - labelled >= minGap) {
          var label = el("span", "cm-tick-label", String(year));
          label.style.left = at + "%";
          ticks.appendChild(label);
          labelled = at;
        }
      }
      axis.appendChild(ticks);
      var ends = el("div", "cm-ends");
      ends.appendChild(el("span", "cm-start", formatDate(dates[0])));
      ends.appendChild(el("span", "cm-end", formatDate(dates[last])));
      axis.appendChild(ends);
      return axis;
    }
    var panel = makeControl("bottomleft", function () {
      var box = el("div", "cm-panel leaflet-bar");
      dateLabel = el("div", "cm-date");
      eventLabel = el("div", "cm-event");
      eventLabel.setAttribute("aria-live", "polite");
      if (look.accent) { eventLabel.style.color = look.accent; }
      if (look.ink) { box.style.color = look.ink; }
      box.appendChild(dateLabel);
      if (data.mode !== "changes") { box.appendChild(eventLabel); }
      if (data.mode === "timeline" && dates.length > 1) {
        box.setAttribute("role", "group");
        box.setAttribute("aria-label", "time controls: arrow keys step, space plays");
        var row = el("div", "cm-controls");
        var back = el("button", "cm-step cm-back", "\u25c0");
        back.type = "button"; back.title = "previous change"; back.setAttribute("aria-label", "previous change");
        playButton = el("button", "cm-play", "\u25b6");
        playButton.type = "button"; playButton.title = "play"; playButton.setAttribute("aria-label", "play");
        var forward = el("button", "cm-step cm-forward", "\u25b6\u25b6");
        forward.type = "button"; forward.title = "next change"; forward.setAttribute("aria-label", "next change");
        range = el("input", "cm-range");
        range.type = "range"; range.min = "0"; range.max = String(dates.length - 1); range.step = "1";
        range.setAttribute("aria-label", "date shown");
        row.appendChild(back); row.appendChild(playButton); row.appendChild(forward);
        box.appendChild(row);
        var track = el("div", "cm-track");
        track.appendChild(range);
        track.appendChild(timeAxis());
        box.appendChild(track);
        range.addEventListener("input", function () { stop(); showIndex(parseInt(range.value, 10)); });
        back.addEventListener("click", function () { stop(); showIndex(currentIndex() - 1); });
        forward.addEventListener("click", function () { stop(); showIndex(currentIndex() + 1); });
        playButton.addEventListener("click", function () { if (timer) { stop(); } else { play(); } });
      }
      return box;
    });
    panel.addTo(map);

    function currentIndex() { return range ? parseInt(range.value, 10) : 0; }

    // The latest event on or before a date: it stays shown until the next one.
    function eventsOn(iso) {
      var latest = null;
      (data.events || []).forEach(function (e) {
        if (e.date <= iso && (latest === null || e.date > latest)) { latest = e.date; }
      });
      if (data.mode !== "timeline" && latest !== iso) { return ""; }
      return (data.events || []).filter(function (e) { return e.date === latest; })
        .map(function (e) { return e.label; }).join("; ");
    }

    function showDate(iso) {
      api.date = iso;
      api.layers.forEach(function (layer) {
        var on = data.mode !== "timeline" || visibleOn(layer.cmProps, iso);
        var has = shown.hasLayer(layer);
        if (on && !has) { shown.addLayer(layer); }
        if (!on && has) { shown.removeLayer(layer); }
      });
      // Layers shown later are drawn on top: lift patterned and light ground (a
      // contested town inside governed ground) over solid ground, or it is hidden.
      api.layers.forEach(function (layer) {
        if (shown.hasLayer(layer) && statusStyle(data, layer.cmProps.status).fill !== "solid") {
          layer.bringToFront();
        }
      });
      if (data.mode === "changes") {
        dateLabel.textContent = formatDate(data.start) + " \u2192 " + formatDate(data.end);
      } else {
        dateLabel.textContent = formatDate(iso);
      }
      var index = dates.indexOf(iso);
      if (index >= 0 && data.areas) {
        if (actorRows) { fillActors(index); }
        (data.areas.statuses || []).forEach(function (status, k) {
          var cell = areaCells["status:" + k];
          if (cell) { cell.textContent = formatArea(data.areas.status_km2[index][k]); }
        });
      }
      eventLabel.textContent = data.mode === "changes" ? "" : eventsOn(iso);
    }

    function showIndex(i) {
      if (!dates.length) { return; }
      i = Math.max(0, Math.min(dates.length - 1, i));
      if (range) {
        range.value = String(i);
        range.setAttribute("aria-valuetext", formatDate(dates[i]));
      }
      showDate(dates[i]);
      if (linkable && opened) {
        // The address names the date shown, so a reader can copy a link to it.
        try { history.replaceState(null, "", "#" + dates[i]); } catch (e) { /* sandboxed */ }
      }
    }

    function stop() {
      if (timer) { clearInterval(timer); timer = null; }
      if (playButton) {
        playButton.textContent = "\u25b6"; playButton.title = "play"; playButton.setAttribute("aria-label", "play");
      }
    }

    function play() {
      if (currentIndex() >= dates.length - 1) { showIndex(0); }
      playButton.textContent = "\u275a\u275a"; playButton.title = "pause";
      playButton.setAttribute("aria-label", "pause");
      timer = setInterval(function () {
        if (currentIndex() >= dates.length - 1) { stop(); return; }
        showIndex(currentIndex() + 1);
      }, data.interval || 600);
    }

    // No animation: the page opens at its final view (a reader, or a test, never sees it move).
    // Keyboard: space plays or pauses, the arrow keys step (the slider's own keys
    // when it has focus; anywhere else but the map, which pans with them).
    var linkable = data.mode === "timeline" && !window.controlmapMaps;
    var opened = false;
    if (range) {
      document.addEventListener("keydown", function (event) {
        var target = event.target || document.body;
        var tag = (target.tagName || "").toLowerCase();
        if (tag === "button" || tag === "textarea" || tag === "select" || target.isContentEditable ||
            (tag === "input" && target !== range) || event.altKey || event.ctrlKey || event.metaKey) {
          return;
        }
        if (event.key === " " || event.key === "Spacebar") {
          event.preventDefault();
          if (timer) { stop(); } else { play(); }
        } else if (target !== range && !container.contains(target) &&
                   (event.key === "ArrowLeft" || event.key === "ArrowRight")) {
          event.preventDefault();
          stop();
          showIndex(currentIndex() + (event.key === "ArrowLeft" ? -1 : 1));
        }
      });
    }

    // #YYYY-MM-DD in the address opens the page on the change in force that day.
    function hashIndex() {
      var match = /^#(\d{4}-\d{2}-\d{2})$/.exec(window.location.hash || "");
      if (!match || !dates.length) { return -1; }
      var k = -1;
      dates.forEach(function (d, i) { if (d <= match[1]) { k = i; } });
      return Math.max(k, 0);
    }
    if (linkable) {
      window.addEventListener("hashchange", function () {
        var k = hashIndex();
        if (k >= 0 && k !== currentIndex()) { stop(); showIndex(k); }
      });
    }

    if (data.bounds) { map.fitBounds(data.bounds, {padding: [8, 8], animate: false}); }
    baseZoom = map.getZoom();
    var start = linkable && hashIndex() >= 0 ? dates.indexOf(dates[hashIndex()]) : dates.indexOf(data.date);
    if (data.mode === "timeline") { showIndex(start >= 0 ? start : 0); } else { showDate(data.date); }
    opened = true;
    updatePlaces();
    declutter();
    // Again once the fonts are in and the page is laid out: label widths change then.
    window.requestAnimationFrame(declutter);
    if (document.fonts && document.fonts.ready) { document.fonts.ready.then(declutter); }

    // Inside an iframe: tell the parent page the height this width wants (taller
    // on a phone, where the panels take more of the map), as newsroom embeds expect.
    if (embedded) {
      var tellHeight = function () {
        var width = container.offsetWidth || window.innerWidth;
        var height = Math.max(420, Math.round(width * (width < 600 ? 1.35 : 0.62)));
        try {
          window.parent.postMessage({controlmap: "height", height: height, date: api.date}, "*");
        } catch (e) { /* no parent to tell */ }
      };
      tellHeight();
      window.addEventListener("resize", tellHeight);
    }

    api.showDate = showDate;
    api.showIndex = showIndex;
    api.visibleIds = function () {
      return api.layers.filter(function (l) { return shown.hasLayer(l); })
        .map(function (l) { return l.cmProps.id; });
    };
    window.controlmapMaps = window.controlmapMaps || [];
    window.controlmapMaps.push(api);
    return api;
  }

  window.controlmap = {init: init, formatDate: formatDate, formatArea: formatArea};
}());
