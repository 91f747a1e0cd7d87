/* Member outage map: shades the areas folium drew by the share of members out, fills the summary, the
   areas table and the list of outage areas from /map/data.json (each area's status: reported, crew assigned,
   crew on site or restored, as the data says; the ETR or "being assessed"), and refreshes every CFG.refresh seconds
   without reloading the page.  English and Spanish (remembered in localStorage); the texts come in the page's
   config, from the members' catalogue. */
import {$, CFG, esc, num, timeFormat} from './kit.js';

let lang = localStorage.getItem(CFG.lang_key) || ((navigator.language || '').startsWith('es') ? 'es' : 'en');
if (!CFG.texts[lang]) lang = 'en';
let last = null;
const t = k => CFG.texts[lang][k] || CFG.texts.en[k] || k;
const locale = () => lang === 'es' ? 'es-MX' : 'en-US';
const count = v => num(v, 0, locale());
const pct = v => Number(v).toLocaleString(locale(), {maximumFractionDigits: 1}) + '\u00a0%';
const when = iso => iso ? timeFormat((last && last.timezone) || CFG.zone, locale()).format(new Date(iso)) : '–';
/** The cause in the reader's language: the log's label in English, the catalogue's Spanish. */
const cause = a => !a.cause ? t('unknown_cause')
  : lang === 'es' && CFG.texts.es['cause_' + a.cause] ? t('cause_' + a.cause) : a.cause_label || a.cause;
const unlocated = a => a.members_out_unlocated > 0 ? t('unlocated').replace('{n}', count(a.members_out_unlocated)) : '';
const colour = p => p <= 0 ? '#eef2f5' : p < 1 ? '#fdd49e' : p < 5 ? '#fc8d59' : p < 25 ? '#e34a33' : '#990000';
const layers = Object.values(CFG.layers).map(name => window[name]).filter(Boolean);

function applyLanguage() {
  document.documentElement.lang = lang;
  document.querySelectorAll('[data-i18n]').forEach(el => { el.textContent = t(el.dataset.i18n); });
  const b = $('#mm-lang');
  b.textContent = t('toggle'); b.lang = lang === 'es' ? 'en' : 'es';
  document.title = t('title') + ' · ' + CFG.coop;
  if (last) render(last);
}

function areaText(a) {
  let s = `<b>${esc(a.name)}</b> <span class="kind">${esc(t(a.kind))}</span><br>` +
    `${count(a.members_out)} ${esc(t('of'))} ${count(a.members_served)} ${esc(t('members_out'))} (${pct(a.percent_out)})`;
  if (unlocated(a)) s += `<br>${esc(unlocated(a))}`;
  if (a.status) s += `<br>${esc(t('status'))}: <span class="st st-${esc(a.status)}">${esc(t(a.status))}</span>`;
  if (a.status && a.status !== 'restored') s += `<br>${esc(t('etr'))}: ${esc(a.etr ? when(a.etr) : t('assessing'))}`;
  return s;
}

function render(data) {
  const byCode = {};
  data.areas.forEach(a => { byCode[a.code] = a; });
  layers.forEach(layer => layer.eachLayer(l => {
    const a = byCode[l.feature.properties.code];
    if (!a) return;
    l.setStyle({fillColor: colour(a.percent_out), fillOpacity: a.members_out ? 0.75 : 0.45,
      color: a.kind === 'community' ? '#333' : '#666', weight: a.kind === 'community' ? 1.5 : 1});
    if (l.getTooltip()) l.setTooltipContent(areaText(a)); else l.bindTooltip(areaText(a), {sticky: true});
  }));
  const tot = data.totals;
  $('#mm-out').textContent = count(tot.members_out);
  $('#mm-unlocated').textContent = unlocated(tot);
  $('#mm-unlocated').hidden = !unlocated(tot);
  $('#mm-served').textContent = count(tot.members_served);
  $('#mm-pct').textContent = pct(tot.percent_out);
  $('#mm-active-n').textContent = count(tot.active_outages);
  $('#mm-updated').textContent = when(data.as_of);
  $('#mm-updated').dateTime = data.as_of;
  const active = data.areas.filter(a => a.status);
  $('#mm-none').hidden = active.length > 0;
  $('#mm-active').innerHTML = active.map(a => `<li class="${a.status === 'restored' ? 'restored' : ''} status-${esc(a.status)}" data-code="${esc(a.code)}" data-status="${esc(a.status)}">
    <span class="nm">${esc(a.name)}</span> <span class="kind">${esc(t(a.kind))}</span>
    <dl><dt>${esc(t('out'))}</dt><dd>${count(a.members_out)} / ${count(a.members_served)} (${pct(a.percent_out)})${unlocated(a) ? `<br><span class="unl">${esc(unlocated(a))}</span>` : ''}</dd>
    <dt>${esc(t('status'))}</dt><dd><span class="st st-${esc(a.status)}">${esc(t(a.status))}</span></dd>
    ${a.status === 'restored' ? `<dt>${esc(t('restored_at'))}</dt><dd>${esc(when(a.restored_at))}</dd>` :
      `<dt>${esc(t('cause'))}</dt><dd>${esc(cause(a))}</dd>
       <dt>${esc(t('etr'))}</dt><dd>${esc(a.etr ? when(a.etr) : t('assessing'))}</dd>
       <dt>${esc(t('since'))}</dt><dd>${esc(when(a.out_since))}</dd>`}
    <dt>${esc(t('updated'))}</dt><dd>${esc(when(a.last_updated))}</dd></dl></li>`).join('');
  $('#mm-table').tBodies[0].innerHTML = data.areas.map(a => `<tr class="${a.members_out ? 'out' : ''}" data-code="${esc(a.code)}">
    <td>${esc(a.name)} <span class="kind">${esc(t(a.kind))}</span></td><td class="num">${count(a.members_out)}</td>
    <td class="num">${count(a.members_served)}</td><td class="num">${pct(a.percent_out)}</td></tr>`).join('');
}

let busy = false;
async function load() {
  if (busy) return;
  busy = true;
  try {
    const res = await fetch(CFG.data, {cache: 'no-cache', headers: {Accept: 'application/json'}});
    if (!res.ok) throw new Error('HTTP ' + res.status);
    last = await res.json();
    render(last);
    $('#mm-stale').hidden = true;
    document.body.dataset.asOf = last.as_of;
    window.MM_LOADS = (window.MM_LOADS || 0) + 1;
  } catch {
    $('#mm-stale').hidden = false;
  } finally { busy = false; }
}

$('#mm-lang').addEventListener('click', () => {
  lang = lang === 'es' ? 'en' : 'es';
  localStorage.setItem(CFG.lang_key, lang);
  applyLanguage();
});
document.addEventListener('visibilitychange', () => { if (!document.hidden) load(); });
applyLanguage();
load();
setInterval(load, Math.max(2, Number(CFG.refresh) || 120) * 1000);
