/* The member's outage map (/map): a static page over the snapshot's files.  folium's map of the public areas comes
   as the snapshot's map.js (window[CFG.map], its layers window[CFG.layers[kind]]); this module adds the co-op's
   base map (CFG.landbase: water, roads by rank, place names by zoom level) under the areas, shades them by the
   share of members out (CFG.data) and searches CFG.places.  Search by town, county or
   ZIP code, "locate me" (the browser's own geolocation: nothing is sent), every area row a button that zooms,
   highlights and opens the area's details in a sheet that stays on a phone's screen.  Figures say what the data
   knows: partial restoration, "<0.1 %" rather than 0 while members are out, status words, ETR or "being assessed",
   the age of the figures and a warning when they may be out of date.  English and Spanish (remembered). */
import {$, $$, CFG, esc, num} from './kit.js';

const L = window.L;
const params = new URLSearchParams(location.search);
const REFRESH = Math.min(300, Math.max(2, Number(params.get('refresh')) || Number(CFG.refresh) || 120));
const STALE_MS = (Number(CFG.stale_seconds) || 300) * 1000;
const URLS = {data: '/map/data.json', landbase: '/map/landbase.geojson',
  places: '/map/places.json', text_en: '/map/outages.txt', text_es: '/map/outages.es.txt', ...CFG};
const KIND_ORDER = {community: 0, county: 1, zip: 2};
const LABEL_ZOOM = {1: 0, 2: 10, 3: 12};  // place names of rank r from this zoom level on
const ROAD = {1: {color: '#7d838a', weight: 3}, 2: {color: '#9aa0a6', weight: 2}, 3: {color: '#b8bdc2', weight: 1}};
const ROAD_ZOOM = {1: 0, 2: 0, 3: 11};

let lang = localStorage.getItem(CFG.lang_key) || ((navigator.language || '').startsWith('es') ? 'es' : 'en');
if (!CFG.texts[lang]) lang = 'en';
let last = null;  // the figures (data.json)
let failed = false;  // the last fetch of the figures failed
let wasStale = false;
let places = [];
let highlighted = null, infoCode = null, opener = null, me = null;
const areas = new Map();  // code -> {feature, layer}
const figures = new Map();  // code -> the area's figures
const drawn = {areas: false, landbase: false, data: false};

/** A text in the reader's language, with its {name} marks filled in. */
function t(key, vars) {
  let s = CFG.texts[lang][key] ?? CFG.texts.en[key] ?? key;
  for (const [k, v] of Object.entries(vars || {})) s = s.split(`{${k}}`).join(v);
  return s;
}
const locale = () => lang === 'es' ? 'es-MX' : 'en-US';
const count = v => num(v, 0, locale());
/** A share in percent; one that rounds to 0 while members are out says "<0.1 %", never 0. */
function pct(v, out) {
  const n = Number(v) || 0;
  if (out > 0 && Math.round(n * 10) === 0) return '<' + (0.1).toLocaleString(locale()) + '\u00a0%';
  return n.toLocaleString(locale(), {maximumFractionDigits: 1}) + '\u00a0%';
}

// --- times: the date in the reader's language, the zone's name as the co-op writes it (CST/CDT in both) ---------

const zone = () => (last && last.timezone) || CFG.zone;
const dayOf = d => new Intl.DateTimeFormat('en-CA', {timeZone: zone(), year: 'numeric', month: '2-digit',
  day: '2-digit'}).format(d);
const zoneName = d => (new Intl.DateTimeFormat('en-US', {timeZone: zone(), timeZoneName: 'short'})
  .formatToParts(d).find(p => p.type === 'timeZoneName') || {}).value || '';
/** "2:05 PM CST" today, "Tue, Mar 3, 2:05 PM CST" another day ("mar, 3 mar, 14:05 CST" in Spanish). */
function when(iso, {short = true} = {}) {
  if (!iso) return '–';
  const d = new Date(iso);
  const options = {timeZone: zone(), hour: 'numeric', minute: '2-digit'};
  if (!short || dayOf(d) !== dayOf(new Date())) Object.assign(options, {weekday: 'short', month: 'short', day: 'numeric'});
  return new Intl.DateTimeFormat(locale(), options).format(d) + ' ' + zoneName(d);
}
/** "3 min ago", "2 h 5 min ago", "1 d 3 h ago" ("hace 3 min"). */
function ago(iso) {
  const m = Math.floor((Date.now() - Date.parse(iso)) / 60000);
  if (!(m >= 1)) return t('just_now');
  const d = Math.floor(m / 1440), h = Math.floor(m % 1440 / 60), mm = m % 60;
  return t('ago', {t: d ? `${d} d ${h} h` : h ? `${h} h ${mm} min` : `${mm} min`});
}

// --- names: "Kerr County" / "Condado de Kerr"; the kind only where the name does not already say it ------------

function areaName(a) {
  if (a.kind !== 'county') return a.name;
  return t('county_of', {name: String(a.name).replace(/\s+(county|condado)$/i, '').replace(/^condado de\s+/i, '')});
}
function kindLabel(a, name) {
  const words = [CFG.texts.en[a.kind], CFG.texts.es[a.kind]].filter(Boolean);
  if (!words.length || words.some(w => name.toLowerCase().includes(w.toLowerCase()))) return '';
  return t(a.kind);
}
const nameHtml = a => { const n = areaName(a), k = kindLabel(a, n);
  return esc(n) + (k ? ` <span class="kind">${esc(k)}</span>` : ''); };
const nameText = a => { const n = areaName(a), k = kindLabel(a, n); return k ? `${n} (${k})` : n; };

/** The cause in the reader's language: the log's label in English, the catalogue's Spanish. */
const cause = a => !a.cause ? t('unknown_cause')
  : lang === 'es' && CFG.texts.es['cause_' + a.cause] ? t('cause_' + a.cause) : a.cause_label || a.cause;
const unlocated = a => a.members_out_unlocated > 0 ? t('unlocated', {n: count(a.members_out_unlocated)}) : '';
const partial = a => a.members_restored > 0 && a.members_out > 0
  ? t('partial', {back: count(a.members_restored), out: count(a.members_out)}) : '';
const colour = a => a.members_out <= 0 ? '#eef2f5' : a.percent_out < 1 ? '#fdd49e' : a.percent_out < 5 ? '#fc8d59'
  : a.percent_out < 25 ? '#e34a33' : '#990000';

// --- the map ----------------------------------------------------------------------------------------------

// folium drew the map and the public areas (the snapshot's map.js, a classic script run before this module)
const map = window[CFG.map];
map.createPane('landbase').style.zIndex = 350;  // under the areas (the overlay pane, 400)
const labelPane = map.createPane('labels');
labelPane.style.zIndex = 450;
labelPane.style.pointerEvents = 'none';
labelPane.setAttribute('aria-hidden', 'true');  // the names are in the lists and the search
const landRenderer = L.canvas({pane: 'landbase', padding: 0.3});
const roads = {1: L.layerGroup(), 2: L.layerGroup(), 3: L.layerGroup()};
const labels = {1: L.layerGroup(), 2: L.layerGroup(), 3: L.layerGroup()};
let areaLayer = null;

function baseStyle(p) {
  const a = figures.get(p.code);
  const out = a && a.members_out > 0;
  const style = {fillColor: a ? colour(a) : '#eef2f5', fillOpacity: out ? 0.7 : 0.3, dashArray: null,
    color: p.kind === 'community' ? '#333' : '#555', weight: p.kind === 'community' ? 1.5 : 1, opacity: 1};
  return p.code === highlighted ? {...style, color: '#000', weight: 4} : style;
}

/** Take folium's area layers (counties first, communities above them): click, tooltip, shade. */
function takeAreas() {
  const hover = window.matchMedia && matchMedia('(hover: hover)').matches;
  const paths = [];
  for (const kind of ['county', 'community']) {
    const layer = window[(CFG.layers || {})[kind]];
    if (!layer) continue;
    layer.eachLayer(path => {
      const f = path.feature;
      areas.set(f.properties.code, {feature: f, layer: path});
      path.on('click', () => choose(f.properties.code, {from: 'map'}));
      if (hover) path.bindTooltip(() => esc(nameText(f.properties)), {sticky: true, direction: 'top'});
      path.setStyle(baseStyle(f.properties));
      paths.push(path);
    });
  }
  areaLayer = L.featureGroup(paths);  // for their bounds and styles: the paths are on the map in folium's layers
  if (paths.length) map.fitBounds(areaLayer.getBounds(), {padding: [6, 6], animate: false});
  drawn.areas = true;
}

function drawLandbase(fc) {
  for (const f of fc.features || []) {
    const p = f.properties || {}, rank = Math.min(3, Math.max(1, Number(p.rank) || 3));
    if (p.kind === 'water') {
      L.geoJSON(f, {renderer: landRenderer, pane: 'landbase', interactive: false,
        style: {color: '#5b93c7', weight: 1, fillColor: '#a9cdef', fillOpacity: 1}}).addTo(map);
    } else if (p.kind === 'road') {
      L.geoJSON(f, {renderer: landRenderer, pane: 'landbase', interactive: false,
        style: {...ROAD[rank], opacity: 1}}).addTo(roads[rank]);
    } else if (p.kind === 'place' && p.name && f.geometry && f.geometry.type === 'Point') {
      const [lon, lat] = f.geometry.coordinates;
      L.marker([lat, lon], {pane: 'labels', interactive: false, keyboard: false,
        icon: L.divIcon({className: `mm-place rank-${rank}`, html: `<span>${esc(p.name)}</span>`, iconSize: null})})
        .addTo(labels[rank]);
    }
  }
  byZoom();
  drawn.landbase = true;
}

/** Smaller roads and place names only when zoomed in far enough to read them. */
function byZoom() {
  const z = map.getZoom();
  for (const r of [1, 2, 3]) {
    for (const [group, from] of [[roads[r], ROAD_ZOOM[r]], [labels[r], LABEL_ZOOM[r]]]) {
      if (z >= from && !map.hasLayer(group)) group.addTo(map);
      else if (z < from && map.hasLayer(group)) map.removeLayer(group);
    }
  }
}
map.on('zoomend', byZoom);

function restyle() {
  if (!areaLayer) return;
  areaLayer.eachLayer(l => l.setStyle(baseStyle(l.feature.properties)));
  const top = areas.get(highlighted);
  if (top) top.layer.bringToFront();
}

function highlight(code) {
  highlighted = code;
  restyle();
  $$('[data-code]').forEach(el => el.classList.toggle('mm-hl', el.dataset.code === code));
}

/** Zoom to an area (or to `bounds`), highlight it and open its details. */
function choose(code, {bounds = null, from = 'list'} = {}) {
  const area = areas.get(code);
  const target = bounds ? L.latLngBounds(bounds) : area ? area.layer.getBounds() : null;
  if (from !== 'map') {
    const box = $('#map_public').getBoundingClientRect();
    if (box.top < 0 || box.top > window.innerHeight * 0.4) $('#map_public').scrollIntoView({block: 'start'});
  }
  if (target && target.isValid()) map.fitBounds(target, {padding: [16, 16], maxZoom: 13, animate: false});
  highlight(code);
  openInfo(code, {focus: from !== 'map'});
}

// --- the area's details: a sheet at the bottom of a phone's screen, closed by its button or Escape -----------

function facts(a) {
  const rows = [[t('out'), `${count(a.members_out)} ${esc(t('of'))} ${count(a.members_served)} (${pct(a.percent_out, a.members_out)})` +
    (partial(a) ? `<span class="mm-partial">${esc(partial(a))}</span>` : '') +
    (unlocated(a) ? `<br><span class="unl">${esc(unlocated(a))}</span>` : '')]];
  if (a.status) rows.push([t('status'), `<span class="st st-${esc(a.status)}">${esc(t(a.status))}</span>`]);
  if (a.status === 'restored') rows.push([t('restored_at'), esc(when(a.restored_at))]);
  else if (a.status) {
    rows.push([t('etr'), esc(a.etr ? when(a.etr) : t('assessing'))], [t('cause'), esc(cause(a))],
      [t('since'), esc(when(a.out_since))]);
  }
  if (a.status && a.last_updated) rows.push([t('updated'), esc(when(a.last_updated))]);
  return `<dl class="mm-facts">${rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('')}</dl>`;
}

function fillInfo() {
  const entry = areas.get(infoCode);
  const a = figures.get(infoCode) || (entry && {members_out: 0, percent_out: 0, ...entry.feature.properties});
  if (!a) return;
  $('#mm-info-h').innerHTML = nameHtml(a);
  $('#mm-info-body').innerHTML = facts(a);
}

function openInfo(code, {focus = true} = {}) {
  infoCode = code;
  fillInfo();
  const sheet = $('#mm-info');
  sheet.hidden = false;
  if (focus) {
    if (!sheet.contains(document.activeElement)) opener = document.activeElement && document.activeElement.id;
    sheet.focus({preventScroll: true});
  }
}

function closeInfo() {
  $('#mm-info').hidden = true;
  infoCode = null;
  const back = opener && document.getElementById(opener);
  opener = null;
  if (back) back.focus({preventScroll: true});
}
$('#mm-info-close').addEventListener('click', closeInfo);

// --- the figures ------------------------------------------------------------------------------------------

const goId = (where, code) => `mm-go-${where}-${code}`.replace(/[^\w-]/g, '_');
const goButton = (where, a) => `<button type="button" class="mm-go" id="${goId(where, a.code)}" data-go="${esc(a.code)}"
  aria-label="${esc(t('show', {name: nameText(a)}))}">${esc(areaName(a))}</button>`;

function render(data) {
  figures.clear();
  data.areas.forEach(a => figures.set(a.code, a));
  restyle();
  const focused = document.activeElement && document.activeElement.id;
  const tot = data.totals;
  $('#mm-out').textContent = count(tot.members_out);
  $('#mm-unlocated').textContent = unlocated(tot);
  $('#mm-unlocated').hidden = !unlocated(tot);
  $('#mm-restored').textContent = count(tot.members_restored || 0);
  $('#mm-restored-box').hidden = !(tot.members_restored > 0);
  $('#mm-served').textContent = count(tot.members_served);
  $('#mm-pct').textContent = pct(tot.percent_out, tot.members_out);
  $('#mm-active-n').textContent = count(tot.active_outages);
  $('#mm-updated').dateTime = data.as_of;
  const active = data.areas.filter(a => a.status);
  $('#mm-none').hidden = active.length > 0;
  $('#mm-active').innerHTML = active.map(a => {
    const k = kindLabel(a, areaName(a));
    return `<li class="${a.status === 'restored' ? 'restored' : ''} status-${esc(a.status)}${a.partial || partial(a) ? ' partial' : ''}"
      data-code="${esc(a.code)}" data-status="${esc(a.status)}">${goButton('a', a)}${k ? ` <span class="kind">${esc(k)}</span>` : ''}
      ${facts(a)}</li>`;
  }).join('');
  $('#mm-table').tBodies[0].innerHTML = data.areas.map(a => {
    const k = kindLabel(a, areaName(a));
    return `<tr class="${a.members_out ? 'out' : ''}" data-code="${esc(a.code)}"><th scope="row">${goButton('t', a)}${k ? ` <span class="kind">${esc(k)}</span>` : ''}</th>
      <td class="num">${count(a.members_out)}</td><td class="num">${count(a.members_served)}</td>
      <td class="num">${pct(a.percent_out, a.members_out)}</td></tr>`;
  }).join('');
  if (highlighted) highlight(highlighted);
  if (infoCode) fillInfo();
  if (focused && !document.activeElement.id && document.getElementById(focused)) document.getElementById(focused).focus();
  freshness();
}

/** "Updated 2:05 PM CST (3 min ago)", and the warning when the figures are older than CFG.stale_seconds or the
    last fetch failed. */
function freshness() {
  const warn = $('#mm-stale');
  if (!last) {
    warn.textContent = t('not_loaded');
    warn.hidden = !failed;
    return;
  }
  $('#mm-updated').textContent = t('updated_at', {time: when(last.as_of, {short: true}), ago: ago(last.as_of)});
  const stale = failed || !(Date.now() - Date.parse(last.as_of) <= STALE_MS);
  warn.hidden = !stale;
  if (stale) {
    warn.textContent = t('out_of_date', {time: when(last.as_of, {short: true}), ago: ago(last.as_of)}) +
      (failed ? ' ' + t('stale') : '');
    if (!wasStale) $('#mm-announce').textContent = warn.textContent;  // said once, when it becomes stale
  }
  wasStale = stale;
}

let busy = false;
async function load() {
  if (busy) return;
  busy = true;
  try {
    const res = await fetch(URLS.data, {cache: 'no-cache', headers: {Accept: 'application/json'}});
    if (!res.ok) throw new Error('HTTP ' + res.status);
    last = await res.json();
    failed = false;
    render(last);
    document.body.dataset.asOf = last.as_of;
    window.MM_LOADS = (window.MM_LOADS || 0) + 1;
    drawn.data = true;
  } catch {
    failed = true;
    freshness();
  } finally {
    busy = false;
    ready();
  }
}

function ready() {
  if (drawn.areas && drawn.landbase && drawn.data && !window.mmDrawn) {
    window.mmDrawn = true;
    window.mmDrawnAt = performance.now();  // for the phone benchmark
    document.body.dataset.drawn = 'true';
  }
}

async function getJson(url) {
  const res = await fetch(url, {headers: {Accept: 'application/json'}});
  if (!res.ok) throw new Error('HTTP ' + res.status);
  return res.json();
}

// --- search: towns, counties and ZIP codes (places.json), accents and case ignored ----------------------------

const fold = s => String(s ?? '').normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase()
  .replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
let results = [], active = -1;

function prepare(list) {
  places = list.map(p => {
    const names = new Set([fold(p.label)]);
    if (p.kind === 'county') {
      const bare = String(p.label).replace(/\s+county$/i, '');
      names.add(fold(bare)).add(fold(`${bare} county`)).add(fold(`condado de ${bare}`));
    }
    return {...p, names: [...names]};
  });
}

function search(q) {
  const f = fold(q);
  if (f.length < 2) return [];
  const digits = /^\d+$/.test(f);
  const found = [];
  for (const p of places) {
    let score = -1;
    if (digits) {
      const zip = String(p.zip || (p.kind === 'zip' ? p.label : ''));
      if (zip.startsWith(f)) score = zip === f ? 0 : 1;
    } else {
      for (const n of p.names) {
        const s = n === f ? 0 : n.startsWith(f) ? 1 : n.split(' ').some(w => w.startsWith(f)) ? 2 : -1;
        if (s >= 0 && (score < 0 || s < score)) score = s;
      }
    }
    if (score >= 0) found.push([score, KIND_ORDER[p.kind] ?? 3, p]);
  }
  found.sort((a, b) => a[0] - b[0] || a[1] - b[1] || String(a[2].label).localeCompare(String(b[2].label)));
  return found.slice(0, 8).map(x => x[2]);
}

const placeName = p => p.kind === 'county' ? areaName({kind: 'county', name: p.label}) : String(p.label);

function showResults() {
  const box = $('#mm-results'), input = $('#mm-q');
  box.innerHTML = results.map((p, i) => `<li role="option" id="mm-opt-${i}" data-i="${i}" aria-selected="${i === active}">` +
    `${esc(placeName(p))}${kindLabel(p, placeName(p)) ? ` <span class="kind">${esc(kindLabel(p, placeName(p)))}</span>` : ''}</li>`)
    .join('');
  box.hidden = results.length === 0;
  input.setAttribute('aria-expanded', String(results.length > 0));
  if (active >= 0) input.setAttribute('aria-activedescendant', `mm-opt-${active}`);
  else input.removeAttribute('aria-activedescendant');
  const sel = active >= 0 && $(`#mm-opt-${active}`);
  if (sel) sel.scrollIntoView({block: 'nearest'});
}

function closeResults() {
  results = [];
  active = -1;
  showResults();
}

function message(text) { $('#mm-find-msg').textContent = text; }

function pick(p) {
  closeResults();
  $('#mm-q').value = placeName(p);
  message(t('showing', {name: placeName(p)}));
  choose(p.area, {bounds: p.bounds, from: 'search'});
}

$('#mm-q').addEventListener('input', e => {
  results = search(e.target.value);
  active = -1;
  showResults();
  const q = e.target.value.trim();
  message(fold(q).length < 2 ? '' : results.length ? t('results', {n: results.length}) : t('no_match', {q}));
});
$('#mm-q').addEventListener('keydown', e => {
  if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
    if (!results.length) results = search(e.target.value);
    if (!results.length) return;
    e.preventDefault();
    active = e.key === 'ArrowDown' ? (active + 1) % results.length : (active <= 0 ? results.length : active) - 1;
    showResults();
  } else if (e.key === 'Enter' && active >= 0) {
    e.preventDefault();
    pick(results[active]);
  } else if (e.key === 'Escape' && results.length) {
    e.preventDefault();
    e.stopPropagation();
    closeResults();
  }
});
$('#mm-find').addEventListener('submit', e => {
  e.preventDefault();
  const q = $('#mm-q').value.trim();
  const found = search(q);
  if (found.length) pick(found[0]);
  else { closeResults(); message(fold(q).length < 2 ? t('find_hint') : t('no_match', {q})); }
});
$('#mm-results').addEventListener('click', e => {
  const li = e.target.closest('[data-i]');
  if (li) pick(results[Number(li.dataset.i)]);
});
document.addEventListener('click', e => { if (!e.target.closest('#mm-find')) closeResults(); });

// --- locate me: the browser's geolocation only, the dot drawn here ------------------------------------------

function inRing([x, y], ring) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i], [xj, yj] = ring[j];
    if ((yi > y) !== (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}
function contains(geometry, pt) {
  const polygons = !geometry ? [] : geometry.type === 'Polygon' ? [geometry.coordinates]
    : geometry.type === 'MultiPolygon' ? geometry.coordinates : [];
  return polygons.some(rings => inRing(pt, rings[0]) && !rings.slice(1).some(hole => inRing(pt, hole)));
}
/** The smallest public area holding the point (a community before its county). */
function areaAt(lon, lat) {
  let best = null;
  for (const [code, {feature}] of areas) {
    if (!contains(feature.geometry, [lon, lat])) continue;
    const p = feature.properties, rank = [p.kind === 'county' ? 1 : 0, p.members_served || 0];
    if (!best || rank[0] < best.rank[0] || (rank[0] === best.rank[0] && rank[1] < best.rank[1])) best = {code, rank};
  }
  return best && best.code;
}

$('#mm-locate').addEventListener('click', () => {
  if (!navigator.geolocation || !window.isSecureContext) { message(t('locate_unavailable')); return; }
  message(t('locating'));
  navigator.geolocation.getCurrentPosition(pos => {
    const {latitude: lat, longitude: lon, accuracy} = pos.coords;
    if (me) me.remove();
    me = L.layerGroup([
      L.circle([lat, lon], {radius: Math.min(accuracy || 0, 5000), interactive: false, color: '#1a73e8', weight: 1,
        fillOpacity: 0.12}),
      L.circleMarker([lat, lon], {radius: 8, interactive: false, color: '#fff', weight: 3, fillColor: '#1a73e8',
        fillOpacity: 1}),
    ]).addTo(map);
    const code = areaAt(lon, lat);
    if (code) {
      choose(code, {from: 'locate'});
      map.setView([lat, lon], Math.max(map.getZoom(), 11), {animate: false});
      message(t('located_in', {name: nameText(figures.get(code) || areas.get(code).feature.properties)}));
    } else {
      map.setView([lat, lon], 11, {animate: false});
      message(t('outside') + ' ' + t('located'));
    }
  }, err => message(t(err.code === 1 ? 'locate_denied' : 'locate_unavailable')),
  {enableHighAccuracy: false, timeout: 15000, maximumAge: 300000});
});

// --- area buttons, keys, language ---------------------------------------------------------------------------

document.addEventListener('click', e => {
  const go = e.target.closest('[data-go]');
  if (go) choose(go.dataset.go, {from: 'list'});
});
document.addEventListener('keydown', e => {
  if (e.key === 'Escape' && !$('#mm-info').hidden) closeInfo();
});

function safetyBanner() {
  const p = $('#mm-safety-text');
  p.textContent = '';
  const link = (href, text, cls) => { const a = document.createElement('a'); a.href = href; a.textContent = text;
    if (cls) a.className = cls; return a; };
  for (const part of (CFG.texts[lang].safety || CFG.texts.en.safety).split(/(\{911\}|\{phone\})/)) {
    if (part === '{911}') p.append(link('tel:911', '911'));
    else if (part === '{phone}') p.append(link('tel:' + CFG.phone_tel, CFG.phone, 'mm-phone'));
    else if (part) p.append(part);
  }
}

function applyLanguage() {
  document.documentElement.lang = lang;
  $$('[data-i18n]').forEach(el => { el.textContent = t(el.dataset.i18n); });
  $$('[data-i18n-aria]').forEach(el => { el.setAttribute('aria-label', t(el.dataset.i18nAria)); });
  const b = $('#mm-lang');
  b.textContent = t('toggle');
  b.lang = lang === 'es' ? 'en' : 'es';
  document.title = t('title') + ' · ' + CFG.coop;
  $('#mm-text-only').href = lang === 'es' ? URLS.text_es : URLS.text_en;
  for (const [cls, key] of [['.leaflet-control-zoom-in', 'zoom_in'], ['.leaflet-control-zoom-out', 'zoom_out']]) {
    const el = $(cls);
    if (el) { el.title = t(key); el.setAttribute('aria-label', t(key)); }
  }
  safetyBanner();
  if (results.length) showResults();
  if (last) render(last); else freshness();
}

$('#mm-lang').addEventListener('click', () => {
  lang = lang === 'es' ? 'en' : 'es';
  localStorage.setItem(CFG.lang_key, lang);
  applyLanguage();
});
document.addEventListener('visibilitychange', () => { if (!document.hidden) load(); });

applyLanguage();
takeAreas();
Promise.allSettled([
  getJson(URLS.landbase).then(drawLandbase).catch(() => { drawn.landbase = true; }),  // the base map is optional
  getJson(URLS.places).then(prepare).catch(() => {}),
]).then(() => { if (last) render(last); ready(); });
load();
setInterval(load, REFRESH * 1000);
setInterval(freshness, 30 * 1000);
window.mm = {map, bounds: code => areas.has(code) ? areas.get(code).layer.getBounds().toBBoxString() : null};
