/* Guardian Console risk map: households on a canvas layer, driven from Python.
 *
 * The page skeleton is drawn by folium; this file adds the households from window.GC_DATA
 * (households.js beside the page) and exposes window.GC for Python's runJavaScript calls.
 * Every GC.* call that Python makes returns a number, a string or a boolean (JSON for
 * structures), because that is all runJavaScript can carry back.
 */
(function () {
  'use strict';

  var GC = (window.GC = {
    loadId: String(Date.now()) + '-' + Math.random().toString(16).slice(2),
    booted: false,
    ready: false,
    renderedCount: 0,
    errors: 0,
  });

  var map, cfg, data, layer, pulseLayer, respondersLayer, labelsLayer, selected;
  var n = 0;
  var codes = [], lats, lons, towns, groupsMask, band, shown;
  var byCode = new Map();
  var bandIndex = {};
  var bandCounts, townCounts;
  var filter = { bands: null, towns: null, groups: 0 };
  var pulses = new Map();
  var bridge = null;
  var countsQueued = false;
  // Per band index (critical, high, medium, low, unprotected): radius, outline, draw rank.
  var RADIUS = [7, 5, 4, 3.5, 4.5];
  var OUTLINE = ['#5a0000', '#333333', '#333333', '#333333', '#222222'];
  var DRAW_ORDER = [3, 2, 4, 1, 0]; // critical last, i.e. on top
  var TOLERANCE = 3;
  // Animated rings are DOM elements: a handful is an alert, thousands would stall panning.
  var MAX_PULSES = 50;
  var proj = { zoom: null, x: null, y: null };

  function send(method, payload) {
    if (bridge && bridge[method]) bridge[method](typeof payload === 'string' ? payload : JSON.stringify(payload));
  }

  window.addEventListener('error', function (e) {
    GC.errors += 1;
    send('jsError', String(e.message || e));
  });

  /* Pixel positions of every household at the current zoom (cached per zoom level). */
  function projected() {
    var z = map.getZoom();
    if (proj.zoom !== z) {
      var xs = new Float64Array(n), ys = new Float64Array(n);
      for (var i = 0; i < n; i++) {
        var p = map.project([lats[i], lons[i]], z);
        xs[i] = p.x; ys[i] = p.y;
      }
      proj = { zoom: z, x: xs, y: ys };
    }
    return proj;
  }

  /* One canvas for all households: a Leaflet canvas renderer that draws points, not layers.
     50,000 circleMarker objects take over a second to create; typed arrays take milliseconds. */
  var HouseholdLayer = L.Canvas.extend({
    _updatePaths: function () {
      if (this._postponeUpdatePaths) return;
      this._redrawBounds = null;
      this._redraw();
    },
    _onMouseMove: function (e) {
      if (!this._map || this._map.dragging.moving()) return;
      var hit = hitTest(this._map.mouseEventToLayerPoint(e));
      this._container.style.cursor = hit >= 0 ? 'pointer' : '';
    },
    _draw: function () {
      if (!this._map || !n) return;
      var ctx = this._ctx, clip = this._redrawBounds, area = clip || this._bounds;
      ctx.save();
      if (clip) {
        var size = clip.getSize();
        ctx.beginPath();
        ctx.rect(clip.min.x, clip.min.y, size.x, size.y);
        ctx.clip();
      }
      var pr = projected(), origin = this._map.getPixelOrigin();
      var ox = origin.x, oy = origin.y, x0 = area.min.x, y0 = area.min.y, x1 = area.max.x, y1 = area.max.y;
      // Whole-pixel positions (no resampling), and a point that lands on a pixel already
      // stamped with the same band is skipped: it would paint exactly the same sprite.
      var gx = Math.ceil(x1 - x0) + 1, gy = Math.ceil(y1 - y0) + 1;
      // A view still being laid out can report absurd bounds: draw without de-duplication
      // rather than ask for a gigantic buffer (which throws and leaves the map blank).
      var dedupe = isFinite(gx) && isFinite(gy) && gx > 0 && gy > 0 && gx * gy <= 16e6;
      if (dedupe) {
        if (!stamps || stamps.length < gx * gy) stamps = new Uint8Array(gx * gy);
        else stamps.fill(0, 0, gx * gy);
      }
      for (var k = 0; k < DRAW_ORDER.length; k++) {
        var b = DRAW_ORDER[k], r = RADIUS[b], sp = sprite(b), half = Math.floor(sp.width / 2), mark = k + 1;
        for (var i = 0; i < n; i++) {
          if (band[i] !== b || !shown[i]) continue;
          var x = Math.round(pr.x[i] - ox), y = Math.round(pr.y[i] - oy);
          if (x < x0 - r || x > x1 + r || y < y0 - r || y > y1 + r) continue;
          if (dedupe && x >= x0 && x <= x1 && y >= y0 && y <= y1) {
            var cell = (y - Math.floor(y0)) * gx + (x - Math.floor(x0));
            if (stamps[cell] === mark) continue;
            stamps[cell] = mark;
          }
          ctx.drawImage(sp, x - half, y - half);
        }
      }
      ctx.restore();
    }
  });

  var sprites = [], stamps = null;

  /* One pre-drawn circle per band: blitting 50,000 small bitmaps rasterises far faster in
     software (no GPU on many office PCs) than filling one path of 50,000 arcs. */
  function sprite(b) {
    if (!sprites[b]) {
      var r = RADIUS[b], lw = b === 0 ? 1.5 : 0.75, size = Math.ceil(2 * (r + lw)) + 2;
      var c = document.createElement('canvas');
      c.width = c.height = size;
      var g = c.getContext('2d');
      g.beginPath();
      g.arc(size / 2, size / 2, r, 0, 2 * Math.PI);
      g.globalAlpha = b === 0 ? 1 : 0.92;
      g.fillStyle = cfg.colours[cfg.bands[b]];
      g.fill();
      g.globalAlpha = 0.8;
      g.lineWidth = lw;
      g.strokeStyle = OUTLINE[b];
      g.stroke();
      sprites[b] = c;
    }
    return sprites[b];
  }

  var fullRedraw = false;

  /* Repaint household i's spot at the next frame, or everything when i is undefined. */
  function requestRedraw(i) {
    if (!layer || !layer._map) return;
    if (i === undefined) {
      fullRedraw = true;
    } else if (!fullRedraw) {
      var pr = projected(), o = map.getPixelOrigin(), pad = RADIUS[0] + 2;
      var x = pr.x[i] - o.x, y = pr.y[i] - o.y;
      layer._redrawBounds = layer._redrawBounds || new L.Bounds();
      layer._redrawBounds.extend([x - pad, y - pad]);
      layer._redrawBounds.extend([x + pad, y + pad]);
    }
    if (!layer._redrawRequest) {
      layer._redrawRequest = L.Util.requestAnimFrame(function () {
        if (fullRedraw) layer._redrawBounds = null;
        fullRedraw = false;
        layer._redraw();
      });
    }
  }

  /* The household drawn on top at a layer point, or -1. */
  function hitTest(pt) {
    var pr = projected(), o = map.getPixelOrigin();
    var best = -1, bestRank = -1, bestD = Infinity;
    var px = pt.x + o.x, py = pt.y + o.y;
    for (var i = 0; i < n; i++) {
      if (!shown[i]) continue;
      var r = RADIUS[band[i]] + TOLERANCE, dx = pr.x[i] - px, dy = pr.y[i] - py;
      if (dx > r || dx < -r || dy > r || dy < -r) continue;
      var d = dx * dx + dy * dy;
      if (d > r * r) continue;
      var rank = DRAW_ORDER.indexOf(band[i]);
      if (rank > bestRank || (rank === bestRank && d <= bestD)) { best = i; bestRank = rank; bestD = d; }
    }
    return best;
  }

  function matches(i) {
    if (filter.bands && !filter.bands[band[i]]) return false;
    if (filter.towns && !filter.towns[towns[i]]) return false;
    if (filter.groups && !(groupsMask[i] & filter.groups)) return false;
    return true;
  }

  function setShown(i, on) {
    if (shown[i] === (on ? 1 : 0)) return false;
    shown[i] = on ? 1 : 0;
    updatePulse(i);
    return true;
  }

  function updatePulse(i) {
    var code = codes[i];
    var want = band[i] === 0 && shown[i] === 1;
    var have = pulses.get(code);
    if (want && !have && pulses.size < MAX_PULSES) {
      var icon = L.divIcon({ className: 'gc-pulse', html: '<span class="gc-ring"></span>', iconSize: [28, 28] });
      var m = L.marker([lats[i], lons[i]], { icon: icon, interactive: false, keyboard: false });
      pulses.set(code, m);
      pulseLayer.addLayer(m);
    } else if (!want && have) {
      pulseLayer.removeLayer(have);
      pulses.delete(code);
    }
  }

  function applyBand(i, b) {
    var old = band[i];
    if (old === b) return false;
    band[i] = b;
    bandCounts[old] -= 1;
    bandCounts[b] += 1;
    townCounts[towns[i]][old] -= 1;
    townCounts[towns[i]][b] += 1;
    setShown(i, matches(i));
    updatePulse(i);
    requestRedraw(i);
    return true;
  }

  function countsPayload() {
    var bands = {}, townships = {}, shownCount = 0;
    cfg.bands.forEach(function (name, b) { bands[name] = bandCounts[b]; });
    data.townships.forEach(function (t, ti) {
      var row = { name: t[1], total: 0 };
      cfg.bands.forEach(function (name, b) { row[name] = townCounts[ti][b]; row.total += townCounts[ti][b]; });
      townships[t[0]] = row;
    });
    for (var i = 0; i < n; i++) shownCount += shown[i];
    return { total: n, shown: shownCount, unlocated: data.unlocated.length, bands: bands, townships: townships };
  }

  function emitCounts() {
    if (countsQueued) return;
    countsQueued = true;
    setTimeout(function () {
      countsQueued = false;
      var c = countsPayload();
      updateLegend(c);
      updateTownLabels(c);
      send('counts', c);
    }, 0);
  }

  function updateLegend(c) {
    var el = document.getElementById('gc-legend');
    if (!el) return;
    cfg.bands.forEach(function (name) {
      var span = el.querySelector('[data-count="' + name + '"]');
      if (span) span.textContent = String(c.bands[name]);
    });
    var un = el.querySelector('.gc-unlocated');
    if (un) {
      un.hidden = c.unlocated === 0;
      un.textContent = c.unlocated + ' ' + cfg.labels.households + ' ' + cfg.labels.unlocated;
    }
  }

  function updateTownLabels(c) {
    if (!labelsLayer) return;
    labelsLayer.eachLayer(function (m) {
      var row = c.townships[m.options.townCode];
      var text = row.name + ' ' + row.total + (row.critical ? ' · ▲ ' + row.critical : '');
      var el = m.getElement();
      if (el) {
        el.firstChild.textContent = text;
        el.classList.toggle('gc-town-alarm', row.critical > 0);
      }
    });
  }

  function makeLegendControl() {
    var el = document.getElementById('gc-legend');
    if (!el) return;
    var Legend = L.Control.extend({ onAdd: function () { return el; } });
    new Legend({ position: 'bottomright' }).addTo(map);
    L.DomEvent.disableClickPropagation(el);
    el.addEventListener('change', function () {
      var on = {};
      el.querySelectorAll('input[data-band]').forEach(function (box) {
        if (box.checked) on[cfg.bands.indexOf(box.dataset.band)] = true;
      });
      filter.bands = Object.keys(on).length === cfg.bands.length ? null : on;
      refilter();
    });
  }

  function makeSearchControl() {
    var box = L.DomUtil.create('div', 'gc-search');
    var input = L.DomUtil.create('input', '', box);
    input.type = 'search';
    input.placeholder = cfg.labels.search;
    var out = L.DomUtil.create('div', 'gc-search-out', box);
    L.DomEvent.disableClickPropagation(box);
    input.addEventListener('keydown', function (e) {
      if (e.key !== 'Enter') return;
      var found = JSON.parse(GC.search(input.value));
      out.textContent = found.length ? '' : cfg.labels.no_match;
      send('searched', { text: input.value, results: found });
    });
    var Search = L.Control.extend({ onAdd: function () { return box; } });
    new Search({ position: 'topright' }).addTo(map);
  }

  function makeTownLabels() {
    if (cfg.scope !== '*' || !data.townships.length) return;
    // Labels sit under the households so a label never hides an alarm.
    var pane = map.createPane('gcLabels');
    pane.style.zIndex = 450;
    pane.style.pointerEvents = 'none';
    labelsLayer = L.layerGroup().addTo(map);
    var sums = data.townships.map(function () { return [0, 0, 0]; });
    for (var i = 0; i < n; i++) {
      var s = sums[towns[i]];
      s[0] += lats[i]; s[1] += lons[i]; s[2] += 1;
    }
    data.townships.forEach(function (t, ti) {
      var s = sums[ti];
      if (!s[2]) return;
      var icon = L.divIcon({ className: 'gc-town', html: '<span></span>', iconSize: null });
      L.marker([s[0] / s[2], s[1] / s[2]], { icon: icon, pane: 'gcLabels', interactive: false, keyboard: false, townCode: t[0] }).addTo(labelsLayer);
    });
  }

  function popupFor(i) {
    var el = document.createElement('div');
    el.className = 'gc-popup';
    var title = document.createElement('b');
    title.textContent = codes[i];
    var addr = document.createElement('div');
    addr.textContent = data.rows[i][5];
    var b = document.createElement('div');
    b.textContent = cfg.labels[cfg.bands[band[i]]];
    b.style.color = cfg.colours[cfg.bands[band[i]]];
    el.appendChild(title); el.appendChild(addr); el.appendChild(b);
    return el;
  }

  function select(i, pan) {
    if (selected) map.removeLayer(selected);
    selected = L.circleMarker([lats[i], lons[i]], { radius: 12, color: '#1f4e9c', weight: 3, fill: false, interactive: false }).addTo(map);
    if (pan) map.setView([lats[i], lons[i]], Math.max(map.getZoom(), 16), { animate: false });
  }

  GC.boot = function (leafletMap, config) {
    var bootStart = performance.now();
    map = leafletMap;
    cfg = config;
    data = window.GC_DATA || { townships: [], rows: [], unlocated: [] };
    cfg.bands.forEach(function (name, b) { bandIndex[name] = b; });
    var rows = data.rows;
    n = rows.length;
    lats = new Float64Array(n); lons = new Float64Array(n);
    towns = new Uint16Array(n); groupsMask = new Uint8Array(n);
    band = new Uint8Array(n); shown = new Uint8Array(n);
    var low = bandIndex.low;
    bandCounts = cfg.bands.map(function () { return 0; });
    townCounts = data.townships.map(function () { return cfg.bands.map(function () { return 0; }); });
    var minLat = Infinity, maxLat = -Infinity, minLon = Infinity, maxLon = -Infinity;
    for (var i = 0; i < n; i++) {
      var r = rows[i];
      codes.push(r[0]); lats[i] = r[1]; lons[i] = r[2]; towns[i] = r[3]; groupsMask[i] = r[4];
      band[i] = low; shown[i] = 1;
      bandCounts[low] += 1; townCounts[r[3]][low] += 1;
      byCode.set(r[0], i);
      if (r[1] < minLat) minLat = r[1];
      if (r[1] > maxLat) maxLat = r[1];
      if (r[2] < minLon) minLon = r[2];
      if (r[2] > maxLon) maxLon = r[2];
    }
    var bounds = L.latLngBounds([[minLat, minLon], [maxLat, maxLon]]);
    if (n) map.fitBounds(bounds, { padding: [20, 20], animate: false, maxZoom: 17 });
    // Panes, bottom to top: boundaries (overlay 400), township labels 450, households 460,
    // alarm rings (marker pane 600), popups.
    map.createPane('gcHouseholds').style.zIndex = 460;
    layer = GC._layer = new HouseholdLayer({ padding: 0.3, pane: 'gcHouseholds' }).addTo(map);
    pulseLayer = L.layerGroup().addTo(map);
    respondersLayer = L.layerGroup().addTo(map);
    map.on('click', function (e) {
      var gi = hitTest(e.layerPoint);
      if (gi < 0) return;
      select(gi, false);
      L.popup({ autoPan: false }).setLatLng([lats[gi], lons[gi]]).setContent(popupFor(gi)).openOn(map);
      send('clicked', codes[gi]);
    });
    if (!cfg.boundaries) document.body.classList.add('gc-plain');
    map.attributionControl.setPrefix(false);
    makeLegendControl();
    makeSearchControl();
    makeTownLabels();
    GC.booted = true;
    GC.bootMs = performance.now() - bootStart;
    emitCounts();
    connect();
  };

  function connect() {
    if (!(window.qt && window.qt.webChannelTransport && window.QWebChannel)) {
      GC.ready = true; // opened in a plain browser: no Python on the other side
      return;
    }
    new QWebChannel(window.qt.webChannelTransport, function (channel) {
      bridge = channel.objects.gc;
      GC.ready = true;
      send('ready', { loadId: GC.loadId, households: n, unlocated: data.unlocated.length });
    });
  }

  function parseBand(v) {
    if (typeof v === 'number') return v >= 0 && v < cfg.bands.length ? v : -1;
    var b = bandIndex[v];
    return b === undefined ? -1 : b;
  }

  /* Set the band of some households: {code: band}. Returns {applied, unchanged, unknown, bad}. */
  GC.setBands = function (changes) {
    var res = { applied: 0, unchanged: 0, unknown: 0, bad: 0, unknownCodes: [] };
    for (var code in changes) {
      var i = byCode.get(code);
      var b = parseBand(changes[code]);
      if (i === undefined) { res.unknown += 1; if (res.unknownCodes.length < 10) res.unknownCodes.push(code); continue; }
      if (b < 0) { res.bad += 1; continue; }
      if (applyBand(i, b)) res.applied += 1; else res.unchanged += 1;
    }
    if (res.applied) emitCounts();
    return JSON.stringify(res);
  };

  /* Replace all bands: households not named get `fallback`. */
  GC.replaceBands = function (all, fallback) {
    var t0 = performance.now();
    var fb = parseBand(fallback);
    var changes = {};
    for (var i = 0; i < n; i++) changes[codes[i]] = fb;
    for (var code in all) if (byCode.has(code)) changes[code] = all[code];
    var res = JSON.parse(GC.setBands(changes));
    for (var c in all) if (!byCode.has(c)) { res.unknown += 1; if (res.unknownCodes.length < 10) res.unknownCodes.push(c); }
    emitCounts();
    res.ms = performance.now() - t0;
    return JSON.stringify(res);
  };

  function refilter() {
    for (var i = 0; i < n; i++) setShown(i, matches(i));
    requestRedraw();
    emitCounts();
  }

  /* {bands: [names]|null, townships: [codes]|null, groups: bitmask|0}. Returns households shown. */
  GC.setFilter = function (f) {
    filter.bands = null; filter.towns = null; filter.groups = f.groups || 0;
    if (f.bands) { filter.bands = {}; f.bands.forEach(function (name) { var b = parseBand(name); if (b >= 0) filter.bands[b] = true; }); }
    if (f.townships) {
      filter.towns = {};
      data.townships.forEach(function (t, ti) { if (f.townships.indexOf(t[0]) >= 0) filter.towns[ti] = true; });
    }
    var legend = document.getElementById('gc-legend');
    if (legend) legend.querySelectorAll('input[data-band]').forEach(function (box) {
      box.checked = !filter.bands || !!filter.bands[bandIndex[box.dataset.band]];
    });
    refilter();
    var count = 0;
    for (var i = 0; i < n; i++) count += shown[i];
    return count;
  };

  /* Households whose code or address contains `text`; the first one is selected and centred. */
  GC.search = function (text) {
    var q = String(text || '').trim().toLowerCase();
    var out = [];
    if (!q) return '[]';
    var exact = byCode.get(String(text).trim());
    if (exact !== undefined) out.push(exact);
    for (var i = 0; i < n && out.length < 50; i++) {
      if (i === exact) continue;
      if (codes[i].toLowerCase().indexOf(q) >= 0 || data.rows[i][5].toLowerCase().indexOf(q) >= 0) out.push(i);
    }
    if (out.length) select(out[0], true);
    return JSON.stringify(out.map(function (j) {
      return { code: codes[j], address: data.rows[j][5], township: data.townships[towns[j]][0], band: cfg.bands[band[j]] };
    }));
  };

  GC.centerOn = function (code) {
    var i = byCode.get(code);
    if (i === undefined) return false;
    select(i, true);
    return true;
  };

  /* Draw responders around a household: [{name, role, phone, lat, lon, distance_m}]. */
  GC.showResponders = function (code, list) {
    respondersLayer.clearLayers();
    var i = byCode.get(code);
    if (i === undefined) return 0;
    select(i, false);
    var home = L.latLng(lats[i], lons[i]);
    var bounds = L.latLngBounds([home]);
    var drawn = 0;
    list.forEach(function (r) {
      if (typeof r.lat !== 'number' || typeof r.lon !== 'number') return;
      var p = L.latLng(r.lat, r.lon);
      L.polyline([home, p], { color: '#1f4e9c', weight: 2, dashArray: '4 4', interactive: false }).addTo(respondersLayer);
      var dist = typeof r.distance_m === 'number' ? ' · ' + Math.round(r.distance_m) + ' m' : '';
      L.circleMarker(p, { radius: 7, color: '#ffffff', weight: 2, fillColor: '#1f4e9c', fillOpacity: 1 })
        .bindTooltip(String(r.name || '') + ' (' + String(r.role || '') + ')' + dist + (r.phone ? ' · ' + String(r.phone) : ''), { permanent: true, direction: 'right', className: 'gc-resp' })
        .addTo(respondersLayer);
      bounds.extend(p);
      drawn += 1;
    });
    map.fitBounds(bounds.pad(0.3), { animate: false, maxZoom: 17 });
    return drawn;
  };

  /* Where a household is and how it is drawn; for tests and diagnostics. */
  GC.markerInfo = function (code) {
    var i = byCode.get(code);
    if (i === undefined) return 'null';
    var pt = map.latLngToContainerPoint([lats[i], lons[i]]);
    return JSON.stringify({ band: cfg.bands[band[i]], fillColor: cfg.colours[cfg.bands[band[i]]], radius: RADIUS[band[i]], shown: !!shown[i], lat: lats[i], lon: lons[i], x: pt.x, y: pt.y, pulsing: pulses.has(code) });
  };

  GC.view = function () {
    var c = map.getCenter();
    return JSON.stringify({ zoom: map.getZoom(), lat: c.lat, lon: c.lng, width: map.getSize().x, height: map.getSize().y });
  };

  GC.counts = function () { return JSON.stringify(countsPayload()); };

  /* Tell Python once two animation frames have passed, i.e. what was set has been painted. */
  GC.requestRendered = function () {
    requestAnimationFrame(function () {
      requestAnimationFrame(function () {
        GC.renderedCount += 1;
        send('rendered', { loadId: GC.loadId, count: GC.renderedCount });
      });
    });
    return true;
  };

  /* Pan by (dx, dy) pixels; GC.lastPanMs becomes the ms until the next painted frame. */
  GC.lastPanMs = null;
  GC.panFrame = function (dx, dy) {
    GC.lastPanMs = null;
    var t0 = performance.now();
    map.panBy([dx, dy], { animate: false });
    requestAnimationFrame(function () { GC.lastPanMs = performance.now() - t0; });
    return true;
  };
})();
