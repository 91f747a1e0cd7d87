/* Member outage map: shades the areas folium drew by the share of members out, fills the summary, the
   areas table and the list of outage areas from /map/data.json, and refreshes every CFG.refresh seconds
   without reloading the page.  English and Spanish (remembered in localStorage). */
'use strict';
(function () {
  const CFG = JSON.parse(document.getElementById('mm-config').textContent);
  const T = {
    en: {
      title: 'Outage map', members_out: 'members out', members_served: 'members served', percent_out: 'out of power',
      active_outages: 'active outages', last_updated: 'Last updated', stale: 'Could not refresh; showing the last figures.',
      legend: 'Share of members out', active_areas: 'Areas with outages', none: 'No outages are reported right now.',
      all_areas: 'All areas', area: 'Area', out: 'Out', served: 'Served',
      privacy: 'Figures are totals per county and community. Areas with very few members are not shown on their own; they count in the system totals.',
      county: 'county', community: 'community', status: 'Status', cause: 'Cause', etr: 'Estimated restoration',
      updated: 'Updated', since: 'Out since', restored_at: 'Restored at', assessing: 'Being assessed',
      unknown_cause: 'Under investigation', toggle: 'Español', lang_name: 'English',
      reported: 'Reported', crew_assigned: 'Crew assigned', restored: 'Restored',
      of: 'of', report: 'Report an outage', account: 'Outage alerts and my account',
      unlocated: 'of which about {n} not yet located',
    },
    es: {
      title: 'Mapa de apagones', members_out: 'socios sin servicio', members_served: 'socios servidos',
      percent_out: 'sin electricidad', active_outages: 'apagones activos', last_updated: 'Última actualización',
      stale: 'No se pudo actualizar; se muestran las últimas cifras.', legend: 'Porcentaje de socios sin servicio',
      active_areas: 'Zonas con apagones', none: 'No hay apagones reportados en este momento.',
      all_areas: 'Todas las zonas', area: 'Zona', out: 'Sin servicio', served: 'Servidos',
      privacy: 'Las cifras son totales por condado y comunidad. Las zonas con muy pocos socios no se muestran por separado; cuentan en los totales del sistema.',
      county: 'condado', community: 'comunidad', status: 'Estado', cause: 'Causa', etr: 'Restablecimiento estimado',
      updated: 'Actualizado', since: 'Sin servicio desde', restored_at: 'Restablecido a las', assessing: 'En evaluación',
      unknown_cause: 'En investigación', toggle: 'English', lang_name: 'Español',
      reported: 'Reportado', crew_assigned: 'Cuadrilla asignada', restored: 'Restablecido',
      of: 'de', report: 'Reportar un apagón', account: 'Alertas de apagones y mi cuenta',
      unlocated: 'de ellos, unos {n} aún sin ubicar',
    },
  };
  const CAUSES = {
    es: {lightning: 'Rayos', wind: 'Viento', ice_snow: 'Hielo / nieve', flood: 'Inundación', heat: 'Calor',
      vegetation: 'Vegetación', animal: 'Animal', equipment_failure: 'Falla de equipo', public_vehicle: 'Público / vehículo',
      power_supply: 'Suministro / transmisión', planned: 'Programado', overload: 'Sobrecarga'},
  };
  let lang = localStorage.getItem('outageMap.lang') || ((navigator.language || '').startsWith('es') ? 'es' : 'en');
  if (!T[lang]) lang = 'en';
  let last = null;
  const $ = id => document.getElementById(id);
  const t = k => T[lang][k] || T.en[k] || k;
  const esc = s => String(s == null ? '' : s).replace(/[&<>"']/g, c => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c]));
  const locale = () => lang === 'es' ? 'es-MX' : 'en-US';
  const num = v => Number(v).toLocaleString(locale());
  const pct = v => Number(v).toLocaleString(locale(), {maximumFractionDigits: 1}) + '\u00a0%';
  const when = iso => iso ? new Intl.DateTimeFormat(locale(), {timeZone: (last && last.timezone) || 'America/Chicago',
    weekday: 'short', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short'})
    .format(new Date(iso)) : '–';
  const cause = a => a.cause ? ((CAUSES[lang] || {})[a.cause] || a.cause_label || a.cause) : t('unknown_cause');
  const unlocated = a => a.members_out_unlocated > 0 ? t('unlocated').replace('{n}', num(a.members_out_unlocated)) : '';
  const colour = p => p <= 0 ? '#eef2f5' : p < 1 ? '#fdd49e' : p < 5 ? '#fc8d59' : p < 25 ? '#e34a33' : '#990000';
  const layers = Object.values(CFG.layers).map(name => window[name]).filter(Boolean);

  function applyLanguage() {
    document.documentElement.lang = lang;
    document.querySelectorAll('[data-i18n]').forEach(el => { el.textContent = t(el.dataset.i18n); });
    const b = $('mm-lang');
    b.textContent = t('toggle'); b.lang = lang === 'es' ? 'en' : 'es';
    document.title = t('title') + ' · ' + CFG.title;
    if (last) render(last);
  }

  function areaText(a) {
    let s = `<b>${esc(a.name)}</b> <span class="kind">${esc(t(a.kind))}</span><br>` +
      `${num(a.members_out)} ${esc(t('of'))} ${num(a.members_served)} ${esc(t('members_out'))} (${pct(a.percent_out)})`;
    if (unlocated(a)) s += `<br>${esc(unlocated(a))}`;
    if (a.status) s += `<br>${esc(t('status'))}: ${esc(t(a.status))}`;
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
    $('mm-out').textContent = num(tot.members_out);
    $('mm-unlocated').textContent = unlocated(tot);
    $('mm-unlocated').hidden = !unlocated(tot);
    $('mm-served').textContent = num(tot.members_served);
    $('mm-pct').textContent = pct(tot.percent_out);
    $('mm-active-n').textContent = num(tot.active_outages);
    $('mm-updated').textContent = when(data.as_of);
    $('mm-updated').dateTime = data.as_of;
    const active = data.areas.filter(a => a.status);
    $('mm-none').hidden = active.length > 0;
    $('mm-active').innerHTML = active.map(a => `<li class="${a.status === 'restored' ? 'restored' : ''}" data-code="${esc(a.code)}">
      <span class="nm">${esc(a.name)}</span> <span class="kind">${esc(t(a.kind))}</span>
      <dl><dt>${esc(t('out'))}</dt><dd>${num(a.members_out)} / ${num(a.members_served)} (${pct(a.percent_out)})${unlocated(a) ? `<br><span class="unl">${esc(unlocated(a))}</span>` : ''}</dd>
      <dt>${esc(t('status'))}</dt><dd class="st">${esc(t(a.status))}</dd>
      ${a.status === 'restored' ? `<dt>${esc(t('restored_at'))}</dt><dd>${esc(when(a.restored_at))}</dd>` :
        `<dt>${esc(t('cause'))}</dt><dd>${esc(cause(a))}</dd>
         <dt>${esc(t('etr'))}</dt><dd>${esc(a.etr ? when(a.etr) : t('assessing'))}</dd>
         <dt>${esc(t('since'))}</dt><dd>${esc(when(a.out_since))}</dd>`}
      <dt>${esc(t('updated'))}</dt><dd>${esc(when(a.last_updated))}</dd></dl></li>`).join('');
    $('mm-table').tBodies[0].innerHTML = data.areas.map(a => `<tr class="${a.members_out ? 'out' : ''}" data-code="${esc(a.code)}">
      <td>${esc(a.name)} <span class="kind">${esc(t(a.kind))}</span></td><td class="num">${num(a.members_out)}</td>
      <td class="num">${num(a.members_served)}</td><td class="num">${pct(a.percent_out)}</td></tr>`).join('');
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
      $('mm-stale').hidden = true;
      document.body.dataset.asOf = last.as_of;
      window.MM_LOADS = (window.MM_LOADS || 0) + 1;
    } catch (e) {
      $('mm-stale').hidden = false;
    } finally { busy = false; }
  }

  $('mm-lang').addEventListener('click', () => {
    lang = lang === 'es' ? 'en' : 'es';
    localStorage.setItem('outageMap.lang', lang);
    applyLanguage();
  });
  document.addEventListener('visibilitychange', () => { if (!document.hidden) load(); });
  applyLanguage();
  load();
  setInterval(load, Math.max(2, Number(CFG.refresh) || 120) * 1000);
})();
