/* The facility map (/facilities-map): substations, feeders, transmission lines and service areas from the
   GeoJSON endpoints, with popups; open interruptions highlight their feeders; registry entries coloured dark or
   on; layer control, search by identifier, printing, and the server-drawn map of an area to download.
   Leaflet is the page's classic script, served from /static (no tiles, no CDN). */
import {$, $$, CFG, clearErrors, esc, num, showErrors} from './kit.js';
import {api, download, fmtTime, poll, runPage} from './staff.js';

const L = window.L;
const POLL = CFG.poll;
let map, layers = {}, index = new Map(), timer = null;
const FEEDER = {color: '#1565c0', weight: 3, opacity: 0.85}, OUT = {color: '#c62828', weight: 6, opacity: 1};
const LINE = {color: '#6a1b9a', weight: 3, opacity: 1, dashArray: '8 4'}, LINE_OUT = {color: '#d500f9', weight: 7, opacity: 1, dashArray: null};
const AREA = {system: '#455a64', division: '#f57c00', community: '#00897b', county: '#8d6e63'};

const page = {
  async start() {
    map = L.map('map', {zoomSnap: 0.25, attributionControl: false});
    map.setView([30.4, -98.4], 9);
    $('#print').onclick = () => { $('#printed-at').textContent = 'Printed ' + fmtTime(new Date().toISOString()); map.invalidateSize(); window.print(); };
    $('#search').addEventListener('submit', e => { e.preventDefault(); find(e.target); });
    $('#export').addEventListener('submit', e => { e.preventDefault(); exportMap(e.target, e.submitter); });
    await loadFacilities();
    timer = poll(refreshLive, POLL);
  },
  stop() { clearInterval(timer); },
};

const row = (k, v) => `<tr><td class="muted">${esc(k)}</td><td>${v}</td></tr>`;
const popup = (title, rows) => `<b>${esc(title)}</b><table>${rows.join('')}</table>`;

async function loadFacilities() {
  const notes = [];
  const [areas, feeders, subs, lines] = await Promise.all(['/api/service-areas', '/api/feeders', '/api/substations',
    '/api/transmission-lines'].map(u => api('GET', u).catch(e => e)));
  const overlays = {};
  if (!(areas instanceof Error)) {
    const kinds = [...new Set(areas.features.map(f => f.properties.kind))];
    for (const kind of ['system', 'division', 'county', 'community'].filter(k => kinds.includes(k)).concat(
        kinds.filter(k => !(k in AREA)))) {
      const color = AREA[kind] || '#607d8b';
      overlays[`Service areas: ${kind}`] = L.geoJSON({type: 'FeatureCollection',
        features: areas.features.filter(f => f.properties.kind === kind)}, {
        style: {color, weight: kind === 'system' ? 2 : 1.5, fillOpacity: kind === 'community' ? 0.12 : 0.04,
                dashArray: kind === 'county' ? '4 4' : null, className: 'area area-' + kind},
        onEachFeature: (f, l) => l.bindPopup(popup(f.properties.name, [row('Area', esc(f.properties.area_id)),
          row('Kind', esc(kind)), row('Members served', num(f.properties.members_served))])),
      });
    }
    fillAreaChoices(areas.features.map(f => f.properties));
  } else notes.push('service areas: ' + areas.message);
  if (!(lines instanceof Error)) {
    overlays['Transmission lines'] = layers.lines = L.geoJSON(lines, {style: {...LINE, className: 'line'},
      onEachFeature: (f, l) => { const p = f.properties; index.set(p.line_id, l);
        l.bindPopup(popup(p.name || p.line_id, [row('Line', esc(p.line_id)), row('Voltage', p.voltage_kv ? num(p.voltage_kv) + ' kV' : '–'),
          row('Substations', esc(p.substation_ids || '')), row('Members served', num(p.members_served))])); }});
  } else notes.push('Transmission lines are not shown: the API has no GeoJSON endpoint for them yet' +
                    (lines.status === 404 ? '' : ` (${lines.message})`) + '.');
  if (!(feeders instanceof Error)) {
    overlays['Feeders'] = layers.feeders = L.geoJSON(feeders, {style: () => ({...FEEDER, className: 'feeder'}),
      onEachFeature: (f, l) => { index.set(f.properties.feeder_id, l); l.feature = f; l.bindPopup(() => feederPopup(l)); }});
  } else notes.push('feeders: ' + feeders.message);
  if (!(subs instanceof Error)) {
    overlays['Substations'] = L.geoJSON(subs, {pointToLayer: (f, ll) => L.circleMarker(ll, {radius: 7, color: '#000',
      weight: 2, fillColor: '#fff', fillOpacity: 1, className: 'substation'}),
      onEachFeature: (f, l) => { const p = f.properties; index.set(p.substation_id, l);
        l.bindPopup(popup(p.name || p.substation_id, [row('Substation', esc(p.substation_id)),
          row('Members served', num(p.members_served))])); }});
  } else notes.push('substations: ' + subs.message);
  overlays['Registry entries'] = layers.entries = L.layerGroup();
  layers.overlays = overlays;
  Object.values(overlays).forEach(l => l.addTo(map));
  L.control.layers(null, overlays, {collapsed: false}).addTo(map);
  L.control.scale({imperial: true, metric: true}).addTo(map);
  const bounds = L.latLngBounds([]);
  Object.values(overlays).forEach(l => { if (l.getBounds && l.getLayers().length) bounds.extend(l.getBounds()); });
  if (bounds.isValid()) { map.fitBounds(bounds, {padding: [10, 10]}); }
  $('#facility-ids').innerHTML = [...index.keys()].sort().map(k => `<option value="${esc(k)}">`).join('');
  $('#notes').textContent = notes.join(' ');
}

// the extent of the outage from "who is out" (the console's overview): feeders dark, the feeders dark behind
// an open transmission-line record, and the lines out; each feeder's open records for its popup
let outByFeeder = new Map(), behindLines = new Set();
function feederPopup(l) {
  const p = l.feature.properties, out = outByFeeder.get(p.feeder_id) || [];
  return popup(p.name || p.feeder_id, [row('Feeder', esc(p.feeder_id)), row('Substation', esc(p.substation_id)),
    row('Members served', num(p.members_served)),
    ...(behindLines.has(p.feeder_id) ? [row('Dark', '<span class="bad">behind a transmission line out</span>')] : []),
    ...out.map(r => row(`Open #${r.id}`, `<span class="bad">${num(r.members_out_now)} out</span>${r.device ? ' below ' + esc(r.device) : ''},
      since ${fmtTime(r.start_at)}; ETR ${r.etr_at ? fmtTime(r.etr_at) : 'being assessed'}`))]);
}

async function refreshLive() {
  let entries, overview;
  try {
    [entries, overview] = await Promise.all([api('GET', '/api/registry/entries'), api('GET', '/api/console/overview')]);
  } catch (e) { if (e.status !== 401) $('#status').textContent = 'Could not refresh: ' + e.message; return; }
  outByFeeder = new Map();
  for (const r of overview.records) if (r.feeder) outByFeeder.set(r.feeder, (outByFeeder.get(r.feeder) || []).concat([r]));
  const dark = new Set(overview.map.feeders_out.map(f => f.feeder));
  behindLines = new Set(overview.map.feeders_behind_lines);
  const linesOut = new Set(overview.map.lines_out);
  if (layers.feeders) layers.feeders.eachLayer(l => {
    const id = l.feature.properties.feeder_id, out = dark.has(id) || behindLines.has(id);
    l.setStyle(out ? OUT : FEEDER);
    const el = l.getElement && l.getElement();
    if (el) { el.classList.toggle('feeder-out', out); el.classList.toggle('feeder-behind-line', behindLines.has(id)); }
    if (out) l.bringToFront();
  });
  if (layers.lines) layers.lines.eachLayer(l => {
    const out = linesOut.has(l.feature.properties.line_id);
    l.setStyle(out ? LINE_OUT : LINE);
    const el = l.getElement && l.getElement();
    if (el) el.classList.toggle('line-out', out);
    if (out) l.bringToFront();
  });
  // "dark" is the call lists' answer (the API decides which entries an open interruption leaves dark); an entry
  // only possibly dark (members out nobody has located on its facility) is shown apart, never as dark
  const rows = overview.incidents.flatMap(o => o.call_list);
  const darkEntries = new Set(rows.filter(x => !x.possibly).map(x => x.entry.id));
  const possibly = new Set(rows.filter(x => x.possibly && !darkEntries.has(x.entry.id)).map(x => x.entry.id));
  layers.entries.clearLayers();
  for (const e of entries) {
    const state = darkEntries.has(e.id) ? 'dark' : possibly.has(e.id) ? 'possibly' : 'on';
    const [color, fill] = {dark: ['#c62828', '#222'], possibly: ['#b26a00', '#f9a825'], on: ['#1b5e20', '#2e7d32']}[state];
    L.circleMarker([e.lat, e.lon], {radius: 6, weight: 2, color, fillColor: fill, fillOpacity: 1,
      className: `entry entry-${state === 'possibly' ? 'possibly-dark' : state}`})
      .bindPopup(popup(e.name, [row('Entry', esc(e.ref)), row('Category', esc(e.category_label)), row('Feeder', esc(e.feeder)),
        row('Priority tier', e.priority_tier), row('Backup generation', e.backup_generation ? 'yes' : 'no'),
        row('Status', {dark: '<b class="bad">dark</b>', possibly: '<b>possibly dark</b> (members out not located on its facility)',
                       on: 'on'}[state])]))
      .addTo(layers.entries);
  }
  const feeders = new Set([...dark, ...behindLines]).size, n = overview.header.open_records;
  $('#status').textContent = `${num(n)} open ${n === 1 ? 'interruption' : 'interruptions'} · ${num(feeders)} ${feeders === 1 ? 'feeder' : 'feeders'} dark`
    + (linesOut.size ? ` (${[...linesOut].join(', ')} out)` : '')
    + ` · ${num(overview.header.members_out_now)} members out now · ${darkEntries.size} of ${entries.length} registry entries dark`
    + `${possibly.size ? `, ${possibly.size} possibly` : ''} · updated ${fmtTime(new Date().toISOString())}`;
}

/** The export select: the whole system, then divisions, counties and communities by name. */
function fillAreaChoices(areas) {
  const select = $('#export [name=area]'), groups = {division: 'Divisions', county: 'Counties', community: 'Communities'};
  for (const [kind, label] of Object.entries(groups)) {
    const of = areas.filter(a => a.kind === kind).sort((a, b) => a.name.localeCompare(b.name));
    if (!of.length) continue;
    select.insertAdjacentHTML('beforeend', `<optgroup label="${esc(label)}">` +
      of.map(a => `<option value="${esc(a.area_id)}">${esc(a.name)} (${esc(a.area_id)})</option>`).join('') + '</optgroup>');
  }
}

/** Download the server-drawn map (PNG or PDF) of the chosen area through the API (the token rides along). */
async function exportMap(form, button) {
  clearErrors(form);
  const fmt = button && button.value === 'pdf' ? 'pdf' : 'png', area = form.elements.area.value;
  const buttons = $$('button', form), label = area ? form.elements.area.selectedOptions[0].textContent : 'the whole system';
  buttons.forEach(b => b.disabled = true);
  $('#status').textContent = `Drawing the ${fmt.toUpperCase()} map of ${label}…`;
  try {
    await download(CFG.exports[fmt] + (area ? '?area=' + encodeURIComponent(area) : ''));
    $('#status').textContent = `Downloaded the ${fmt.toUpperCase()} map of ${label}.`;
  } catch (err) {
    $('#status').textContent = '';
    if (err.status !== 401) showErrors(form, err);
  } finally { buttons.forEach(b => b.disabled = false); }
}

function find(form) {
  clearErrors(form);
  const q = form.elements.q.value.trim().toUpperCase();
  const hit = index.get(q) || [...index.entries()].find(([k]) => k.toUpperCase() === q)?.[1];
  if (!hit) return showErrors(form, {body: {detail: `No feeder or substation ${q}. Pick one from the list.`, field: 'q'}});
  if (hit.getBounds) map.fitBounds(hit.getBounds(), {padding: [40, 40], maxZoom: 13});
  else map.setView(hit.getLatLng(), 12);
  hit.openPopup(hit.getBounds ? hit.getBounds().getCenter() : undefined);
}

runPage(page);
