/* The executive dashboard (/executive): the headline first, from one request (/api/executive/headline, asked for
   while the log-in is checked): members out now and the share restored, one line per open significant incident,
   notices and failed deliveries, summary reports due and overdue, the year-to-date SAIDI trend and the worst
   feeders.  The evidence is one click away (each incident's criteria, every index by year, the notices, the
   members' alerts: counts and errors, never who); those lists load after the headline. */
import {$, $$, CFG, esc, fmtMinutes, num} from './kit.js';
import {api, fmtTime, poll, runPage, zoneNow} from './staff.js';

const POLL = CFG.poll, YEARS = CFG.years, ALERT_HOURS = CFG.alert_hours, ALERT_LIMIT = CFG.alert_limit;
let timer = null, canFile = false, early = null;

const page = {
  prefetch() { return api('GET', '/api/executive/headline'); },
  start(me, first) {
    const y = +zoneNow().slice(0, 4);
    const years = Array.from({length: YEARS}, (_, k) => y - k);
    $('#dl-year').innerHTML = years.map(v => `<option>${v}</option>`).join('');
    const setDl = () => { const v = $('#dl-year').value;
      $$('[data-year-href]').forEach(a => { a.href = a.dataset.yearHref.replace('{year}', v); }); };
    $('#dl-year').onchange = setDl; setDl();
    canFile = ['executive', 'admin'].includes(me.role);
    early = first;
    timer = poll(refresh, POLL);
  },
  stop() { clearInterval(timer); early = null; },
};

function setStatus(text, cls) { const s = $('#status'); s.textContent = text; s.className = 'status ' + (cls || ''); }

async function refresh() {
  try {
    const prefetched = early && await early;  // asked for during the log-in check (null if it failed)
    early = null;
    const h = prefetched || await api('GET', '/api/executive/headline');
    drawHeadline(h);
  } catch (e) { if (e.status !== 401) setStatus('Could not refresh: ' + e.message, 'bad'); return; }
  try {  // the evidence, after the headline
    const [notices, alerts, health] = await Promise.all([api('GET', '/api/notices'),
      api('GET', `/api/member-alerts?hours=${ALERT_HOURS}&limit=${ALERT_LIMIT}`), api('GET', '/api/health')]);
    drawNotices(notices);
    drawMemberAlerts(alerts);
    drawMapHealth(health.public_map);
  } catch (e) { if (e.status !== 401) setStatus('Could not load the details: ' + e.message, 'bad'); }
}

/** A share as a whole percent, never rounded up to 100 % (nor down to 0 %) while it is not. */
function pct(share) {
  if (share == null) return '–';
  if (share > 0 && share < 0.01) return '<1 %';
  return Math.floor(share * 100) + ' %';
}
const plural = (n, one, many) => `${num(n)} ${n === 1 ? one : many}`;

function drawHeadline(h) {
  $('#out-now').textContent = num(h.members_out_now);
  $('#out-of').textContent = `of ${num(h.members_served)} served` + (h.members_out_unlocated
    ? ` · ${num(h.members_out_unlocated)} not located yet` : '') + ` · ${plural(h.open_records, 'open record', 'open records')}`;
  $('#restored-share').textContent = pct(h.share_restored);
  $('#restored-of').textContent = h.members_left_dark ? `${num(h.members_restored_so_far)} of the ${num(h.members_left_dark)} the open
    outages left dark are back on` : 'no open outage';
  $('#sig-count').textContent = num(h.incidents.length);
  $('#sig-of').textContent = `of ${plural(h.open_incidents, 'open incident', 'open incidents')}`;
  const n = h.notices;
  $('#notice-count').textContent = num(n.made);
  $('#notice-of').textContent = `${plural(n.deliveries_sent, 'delivery', 'deliveries')} sent · ${num(n.failed)} failed`;
  $('#fig-notices').classList.toggle('alarm', n.failed > 0);
  const r = h.reports;
  $('#report-count').textContent = num(r.due + r.overdue);
  $('#report-of').textContent = `${num(r.overdue)} overdue`;
  $('#fig-reports').classList.toggle('alarm', r.overdue > 0);
  drawSignificant(h.incidents);
  drawReports(r);
  drawFailed(n);
  drawTrend(h.years, h.period);
  drawWorst(h.worst_feeders, h.worst_note);
  drawIndices(h.years, h.period);
  $('#updated').textContent = `· as of ${fmtTime(h.as_of)}`;
  $('#headline').setAttribute('aria-busy', 'false');
  document.body.dataset.headline = h.as_of;
  if (window.execDrawnAt === undefined) window.execDrawnAt = performance.now();
}

const NOTICE = {sent: ['ok', 'sent'], pending: ['warn', 'sending'], failed: ['bad', 'not delivered'],
  none: ['warn', 'not made yet']};

function drawSignificant(items) {
  $('#significant').innerHTML = items.length ? `<table class="stack"><thead><tr><th>Incident</th><th class="num">Out now</th>
    <th>Since</th><th>Why significant</th><th>Restoration</th><th>Initial notice</th></tr></thead><tbody>
    ${items.map(i => { const [cls, word] = NOTICE[i.notice];
      return `<tr data-incident="${i.incident_id}"><td>${esc(i.ref || '#' + i.incident_id)} ${esc(i.title)}</td>
      <td class="num" data-label="Out now">${num(i.members_out_now)}</td>
      <td data-label="Since">${fmtTime(i.started_at)}<div class="muted small">${i.started_at
        ? fmtMinutes((Date.now() - new Date(i.started_at)) / 60000) + ' ago' : ''}</div></td>
      <td><details class="why"><summary>${esc(i.reason)}</summary><ul class="crit">${i.criteria.map(c =>
        `<li><b>${esc(c.label)}</b> (met ${fmtTime(c.met_at)}): ${esc(c.evidence)}</li>`).join('')}</ul></details></td>
      <td data-label="Restoration">${i.etr_at ? 'ETR ' + fmtTime(i.etr_at) : '<span class="muted">ETR being assessed</span>'}</td>
      <td data-label="Initial notice"><span class="badge ${cls}">${word}</span>${i.notice_id ? ` <a data-download href="/api/notices/${i.notice_id}.pdf"
        >PDF</a>` : ''}${i.updates_made ? `<div class="small muted">${plural(i.updates_made, 'daily update', 'daily updates')}</div>` : ''}
      </td></tr>`; }).join('')}</tbody></table>` : '<p class="muted">No significant incident is open.</p>';
}

const STATE = {due: 'warn', overdue: 'bad', filed: 'ok'};

function drawReports(r) {
  const open = r.due + r.overdue;
  $('#reports').innerHTML = r.items.length ? `<p><span class="badge ${r.overdue ? 'bad' : ''}">${num(r.overdue)} overdue</span>
    <span class="badge ${r.due ? 'warn' : ''}">${num(r.due)} due</span>
    ${r.filed_recently ? `<span class="badge ok">${num(r.filed_recently)} filed in the last ${r.filed_days} days</span>` : ''}</p>
    <table class="stack"><thead><tr><th>Incident</th><th>Due</th><th>State</th><th>Download</th><th><span class="sr-only">Action</span></th></tr>
    </thead><tbody>${r.items.map(x => `<tr data-report="${x.report_id}"><td>${esc(x.title)} <span class="muted small"
      >#${x.incident_id}</span></td><td data-label="Due">${fmtTime(x.due_at)}</td><td data-label="State"><span class="badge ${STATE[x.state]}">${x.state}</span>
      ${x.filed_at ? `<div class="small muted">${fmtTime(x.filed_at)} by ${esc(x.filed_by)}</div>` : ''}</td>
      <td><a data-download href="/api/summary-reports/${x.report_id}.xlsx">Excel</a> ·
        <a data-download href="/api/summary-reports/${x.report_id}.pdf">PDF</a></td>
      <td>${x.state !== 'filed' && canFile ? `<button type="button" class="file-report" data-id="${x.report_id}">Mark filed</button>` : ''}</td>
      </tr>`).join('')}</tbody></table>` : '<p class="muted">No summary report is owed.</p>';
  if (!open && r.items.length) $('#reports').insertAdjacentHTML('afterbegin', '<p class="muted">Nothing is owed now.</p>');
  $$('.file-report').forEach(b => b.onclick = async () => {
    if (!confirm('Mark this summary report as filed?')) return;
    b.disabled = true;
    try { await api('POST', `/api/summary-reports/${b.dataset.id}/file`); setStatus('Summary report marked filed.', 'ok'); refresh(); }
    catch (e) { b.disabled = false; setStatus(e.message, 'bad'); }
  });
}

function drawFailed(n) {
  const rows = n.failed_newest;
  $('#failed').innerHTML = rows.length ? `<table class="stack"><thead><tr><th>Notice</th><th>To</th><th class="num">Tries</th>
    <th>Last error</th><th><span class="sr-only">Action</span></th></tr></thead><tbody>${rows.map(d => `<tr>
    <td><a data-download href="/api/notices/${d.notice_id}.pdf">${esc(d.notice)}</a> <span class="muted small"
      >incident #${d.incident_id}</span></td>
    <td data-label="To">${esc(d.recipient)}</td><td class="num" data-label="Tries">${num(d.attempts)}</td>
    <td class="small err-text" data-label="Last error" title="${esc(d.last_error || '')} (next try ${fmtTime(d.next_attempt_at)})"
      >${esc(d.last_error || '')}</td>
    <td><button type="button" class="plain resend" data-id="${d.notice_id}" data-to="${esc(d.recipient)}">Send again</button></td>
    </tr>`).join('')}</tbody></table>${n.failed > rows.length ? `<p class="small muted">The newest ${rows.length} of
    ${num(n.failed)} failed deliveries.</p>` : ''}` : '<p class="muted">Every notice was delivered.</p>';
  $$('.resend').forEach(b => b.onclick = async () => {
    b.disabled = true;
    try { await api('POST', `/api/notices/${b.dataset.id}/resend`, {recipients: [b.dataset.to]}); setStatus('Queued again.', 'ok'); refresh(); }
    catch (e) { b.disabled = false; setStatus(e.message, 'bad'); }
  });
}

const DAYS = [['All days', '#16324f', ''], ['Without major event days', '#7fa7d1', '_normal']];

function drawTrend(years, period) {
  $('#trend').innerHTML = barPlot('saidi', 'SAIDI (min)', years, DAYS.map(([name, color, sfx]) =>
    [name, color, years.map(y => y['saidi' + sfx])]), {small: true});
  const now = years[years.length - 1];
  $('#trend-now').textContent = `${now.year} to date: SAIDI ${num(now.saidi, 1)} min, ${num(now.saidi_normal, 1)} min
    without major event days; SAIFI ${num(now.saifi, 2)}; CAIDI ${num(now.caidi, 1)} min. ${period}.`;
}

function drawWorst(rows, note) {
  $('#worst').innerHTML = (rows.length ? `<table><thead><tr><th>#</th><th>Feeder</th><th>Substation</th>
    <th class="num">SAIDI (min)</th><th class="num">SAIFI</th><th class="num">Members</th></tr></thead><tbody>
    ${rows.map((r, k) => `<tr><td>${k + 1}</td><td>${esc(r.feeder)}</td><td>${esc(r.substation || '–')}</td>
      <td class="num">${num(r.saidi, 1)}</td><td class="num">${num(r.saifi, 2)}</td><td class="num">${num(r.members_served)}</td>
      </tr>`).join('')}</tbody></table>` : '') + (note ? `<p class="small ${rows.length ? 'muted' : ''}" id="worst-note"
      >${esc(note)}</p>` : '');
}

function drawIndices(years, period) {
  $('#ind-period').textContent = `${period}; "without major event days" leaves out the days whose SAIDI exceeded the
    threshold (IEEE 1366, 2.5 beta method).`;
  const specs = [['saidi', 'SAIDI (min)', 1], ['saifi', 'SAIFI (interruptions per member)', 2], ['caidi', 'CAIDI (min)', 1]];
  $('#plots').innerHTML = specs.map(([key, label]) => barPlot(key, label, years, DAYS.map(([name, color, sfx]) =>
    [name, color, years.map(y => y[key + sfx])]))).join('');
  $('#ind-table').innerHTML = `<table class="small"><thead><tr><th>Year to date</th>${specs.map(([, l]) =>
    `<th class="num">${l.split(' ')[0]}</th><th class="num">${l.split(' ')[0]} without major event days</th>`).join('')}
    <th class="num">Major event days</th><th class="num">Sustained interruptions</th></tr></thead><tbody>
    ${years.map(y => `<tr><td>${y.year}</td>${specs.map(([k, , d]) => `<td class="num">${num(y[k], d)}</td>
      <td class="num">${num(y[k + '_normal'], d)}</td>`).join('')}<td class="num">${num(y.major_event_days)}</td>
      <td class="num">${num(y.sustained_records)}</td></tr>`).join('')}</tbody></table>`;
}

/** Ticks 0, step, … up to at least `max`: a step of 1, 2, 2.5 or 5 times a power of ten, every label with the
    step's decimals (never "0.000 / 50.0 / 1,000"). */
export function niceTicks(max, count = 4) {
  const raw = max > 0 ? max / count : 0.25;
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map(m => m * p).find(m => m >= raw * (1 - 1e-9));
  let decimals = 0;
  while (decimals < 6 && Math.abs(step * 10 ** decimals - Math.round(step * 10 ** decimals)) > 1e-6) decimals++;
  const n = Math.max(1, Math.ceil(max / step - 1e-9));
  return {ticks: Array.from({length: n + 1}, (_, k) => k * step), decimals};
}

/** A grouped bar chart as inline SVG: one group per year, one bar per series. */
function barPlot(key, title, years, series, {small = false} = {}) {
  const W = 420, H = small ? 200 : 236, L = 48, R = 10, T = 40, B = 26, pw = W - L - R, ph = H - T - B;
  const values = series.flatMap(s => s[2]).filter(v => v != null);
  const {ticks, decimals} = niceTicks(Math.max(0, ...values));
  const max = ticks[ticks.length - 1];
  const gw = pw / years.length, bw = Math.min(28, (gw - 10) / series.length);
  const y = v => T + ph - v / max * ph;
  const label = v => num(v, decimals);
  let out = `<svg class="plot" data-index="${key}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(title)} by year: ${
    years.map((yr, i) => `${yr.year} ${series.map(([name, , vals]) => `${name.toLowerCase()} ${label(vals[i])}`).join(', ')}`).join('; ')}">
    ${small ? '' : `<text class="title" x="${L}" y="14">${esc(title)}</text>`}`;
  series.forEach(([name, color], k) => { out += `<rect x="${L + k * 150}" y="${small ? 6 : 22}" width="10" height="10" fill="${color}"/>
    <text x="${L + 14 + k * 150}" y="${small ? 15 : 31}">${esc(name)}</text>`; });
  ticks.forEach(v => {
    const yy = y(v);
    out += `<line x1="${L}" x2="${W - R}" y1="${yy}" y2="${yy}" stroke="#e3e6ea"/>
      <text x="${L - 4}" y="${yy + 4}" text-anchor="end">${label(v)}</text>`;
  });
  years.forEach((yr, i) => {
    const x0 = L + i * gw + (gw - bw * series.length) / 2;
    series.forEach(([name, color, vals], k) => {
      const v = vals[i];
      if (v == null) return;
      out += `<rect class="bar" x="${x0 + k * bw}" y="${y(v)}" width="${bw - 2}" height="${T + ph - y(v)}" fill="${color}">
        <title>${yr.year} ${esc(name)}: ${num(v, key === 'saifi' ? 2 : 1)}</title></rect>`;
    });
    out += `<text x="${L + i * gw + gw / 2}" y="${H - 8}" text-anchor="middle">${yr.year}${i === years.length - 1 ? ' to date' : ''}</text>`;
  });
  return out + `<line x1="${L}" x2="${W - R}" y1="${T + ph}" y2="${T + ph}" stroke="#666"/></svg>`;
}

/** The public outage map's health (the snapshot's age, the public address): a warning when members may see old
    figures or nothing (the same check e-mails the executives once). */
function drawMapHealth(map) {
  const box = $('#map-health');
  const age = map && map.age_seconds != null ? ` (figures ${fmtMinutes(map.age_seconds / 60)} old)` : '';
  const words = {stale: 'The public outage map is not being updated: members see old figures', down:
    'The public outage map does not answer: members cannot see it'};
  box.hidden = !map || !words[map.status];
  if (!box.hidden) box.textContent = words[map.status] + age + '.';
}

const noticeName = n => n.kind === 'initial' ? 'Initial notice' : `Daily update ${n.sequence}`;
const noticeLink = n => `<a data-download href="/api/notices/${n.id}.pdf">${noticeName(n)}</a>`;

function drawNotices(notices) {
  const recent = notices.slice(0, 20);
  $('#notices').innerHTML = recent.length ? `<table><thead><tr><th>Notice</th><th>Incident</th><th>Made</th>
    <th>Deliveries</th></tr></thead><tbody>${recent.map(n => {
      const c = s => n.deliveries.filter(d => d.status === s).length;
      return `<tr><td>${noticeLink(n)}</td><td>#${n.incident_id} ${esc(n.fields.location || n.fields.general_location || '')}</td>
      <td>${fmtTime(n.created_at)}</td><td><span class="badge ok">${c('sent')} sent</span>
      ${c('pending') ? `<span class="badge">${c('pending')} pending</span>` : ''}
      ${c('failed') ? `<span class="badge bad">${c('failed')} failed</span>` : ''}</td></tr>`; }).join('')}
    </tbody></table>${notices.length > 20 ? `<p class="muted small">Latest 20 of ${notices.length}.</p>` : ''}`
    : '<p class="muted">No notice has been made.</p>';
}

const ALERT_KIND = {outage: 'Outage known', etr: 'New estimate', restored: 'Restored', planned: 'Planned outage ahead',
  cancelled: 'Correction (record voided)'};
const facility = a => [a.feeder, a.device, a.transmission_line].filter(Boolean).join(' · ');

/** Members' alerts, aggregated: counts and error texts, never who. */
function drawMemberAlerts(alerts) {
  const failed = alerts.reduce((s, a) => s + (a.failed || 0), 0);
  $('#alerts-count').textContent = `· ${plural(alerts.length, 'alert', 'alerts')}${failed ? `, ${num(failed)} failed` : ''}`;
  $('#member-alerts').innerHTML = alerts.length ? `<table><thead><tr><th>Time</th><th>Interruption</th><th>Alert</th>
    <th class="num">Recipients</th><th class="num">Sent</th><th class="num">Waiting</th><th>Failed</th></tr></thead><tbody>
    ${alerts.map(a => `<tr data-event="${a.event_id}" class="${a.failed ? 'failed' : ''}">
      <td>${fmtTime(a.created_at)}</td><td>#${a.interruption_id} ${esc(facility(a))}</td><td>${esc(ALERT_KIND[a.kind] || a.kind)}</td>
      <td class="num">${a.queued_at ? num(a.recipients) : '<span class="muted small">not queued yet</span>'}
        ${a.cancelled ? `<div class="muted small">${num(a.cancelled)} cancelled</div>` : ''}</td>
      <td class="num">${num(a.sent)}</td><td class="num">${num(a.pending)}</td>
      <td>${a.failed ? `<span class="badge bad">${num(a.failed)} failed</span>${a.top_error ? `<span class="small alert-error"
        title="${esc(a.top_error)}">${esc(a.top_error)}${a.top_error_count < a.failed ? ` (${num(a.top_error_count)} of ${num(a.failed)})` : ''}</span>` : ''}`
        : '<span class="muted">0</span>'}</td></tr>`).join('')}</tbody></table>
    ${alerts.length >= ALERT_LIMIT ? `<p class="muted small">Latest ${ALERT_LIMIT} alerts shown.</p>` : ''}`
    : `<p class="muted" id="member-alerts-empty">No member alerts in the last ${ALERT_HOURS} hours.</p>`;
}

runPage(page);
