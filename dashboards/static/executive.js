/* The executive dashboard (/executive): active significant incidents, notices and failed deliveries, members'
   alerts of the last day (counts and errors, never who), summary reports owed, year-to-date SAIDI/SAIFI/CAIDI
   against previous years (inline SVG plots, with and without major event days), the worst feeders, and every
   report to download — all from the JSON API. */
import {$, $$, CFG, esc, fmtMinutes, num} from './kit.js';
import {api, fmtTime, pmap, poll, runPage, zoneNow} from './staff.js';

const POLL = CFG.poll, YEARS = CFG.years, ALERT_HOURS = CFG.alert_hours, ALERT_LIMIT = CFG.alert_limit;
let timer = null, indicesDrawn = false, canFile = false;

const page = {
  start(me) {
    const today = zoneNow().slice(0, 10), y = +today.slice(0, 4);
    const years = Array.from({length: YEARS}, (_, k) => y - YEARS + 1 + k);
    $('#dl-year').innerHTML = years.slice().reverse().map(v => `<option>${v}</option>`).join('');
    $('#worst-year').innerHTML = years.slice().reverse().map(v =>
      `<option value="${v}">${v === y ? v + ' to date' : v}</option>`).join('');
    const setDl = () => { const v = $('#dl-year').value;
      $('#dl-rel-xlsx').href = `/api/reports/reliability/${v}.xlsx`; $('#dl-rel-pdf').href = `/api/reports/reliability/${v}.pdf`; };
    $('#dl-year').onchange = setDl; setDl();
    $('#worst-year').onchange = () => drawWorst(+$('#worst-year').value, today);
    canFile = ['executive', 'admin'].includes(me.role);
    timer = poll(refresh, POLL);
    if (!indicesDrawn) { indicesDrawn = true; drawIndices(years, today); drawWorst(y, today); }
  },
  stop() { clearInterval(timer); indicesDrawn = false; },
};

function setStatus(text, cls) { const s = $('#status'); s.textContent = text; s.className = 'status ' + (cls || ''); }

async function refresh() {
  try {
    const [incidents, overview, notices, failed, reports, alerts, health] = await Promise.all([
      api('GET', '/api/incidents?status=open&limit=500'), api('GET', '/api/incidents/open-overview'),
      api('GET', '/api/notices'), api('GET', '/api/notices?failed=true'), api('GET', '/api/summary-reports'),
      api('GET', `/api/member-alerts?hours=${ALERT_HOURS}&limit=${ALERT_LIMIT}`), api('GET', '/api/health')]);
    const sigOf = new Map(overview.incidents.map(o => [o.incident_id, o.significance]));
    drawSignificant(incidents.items, incidents.items.map(i => sigOf.get(i.id)), notices);
    drawReports(reports);
    drawFailed(failed);
    drawNotices(notices);
    drawMemberAlerts(alerts);
    drawMapHealth(health.public_map);
    $('#updated').textContent = `· updated ${fmtTime(new Date().toISOString())}`;
  } catch (e) { if (e.status !== 401) setStatus('Could not refresh: ' + e.message, 'bad'); }
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

function drawSignificant(items, sig, notices) {
  const rows = items.map((i, k) => [i, sig[k]]).filter(([, s]) => s && s.significant);
  $('#significant').innerHTML = rows.length ? `<table><thead><tr><th>Incident</th><th class="num">Out now</th>
    <th class="num">Peak out</th><th>Began</th><th>Significant since</th><th>Why</th><th>Notices</th></tr></thead><tbody>
    ${rows.map(([i, s]) => `<tr><td>${esc(i.ref || '#' + i.id)} ${esc(i.title)}</td><td class="num">${num(i.members_out_now)}</td>
      <td class="num">${num(s.peak_members_out)}</td><td>${fmtTime(s.started_at)}<br><span class="muted small">
      ${fmtMinutes((Date.now() - new Date(s.started_at)) / 60000)} ago</span></td><td>${fmtTime(s.significant_at)}</td>
      <td><ul class="crit">${s.criteria.map(c => `<li><b>${esc(c.code)}</b>: ${esc(c.evidence)}</li>`).join('')}</ul></td>
      <td>${notices.filter(n => n.incident_id === i.id).map(n => noticeLink(n)).join('<br>') || '<span class="muted">none yet</span>'}</td>
      </tr>`).join('')}</tbody></table>` : '<p class="muted">No significant incident is open.</p>';
}

const noticeName = n => n.kind === 'initial' ? 'Initial notice' : `Daily update ${n.sequence}`;
const noticeLink = n => `<a data-download href="/api/notices/${n.id}.pdf">${noticeName(n)}</a>`;
const STATE = {due: 'warn', overdue: 'bad', filed: 'ok'};

function drawReports(reports) {
  const order = {overdue: 0, due: 1, filed: 2};
  reports = reports.slice().sort((a, b) => order[a.state] - order[b.state] || a.due_at.localeCompare(b.due_at));
  const count = s => reports.filter(r => r.state === s).length;
  $('#reports').innerHTML = reports.length ? `<p><span class="badge bad">${count('overdue')} overdue</span>
    <span class="badge warn">${count('due')} due</span> <span class="badge ok">${count('filed')} filed</span></p>
    <table><thead><tr><th>Incident</th><th>Due</th><th>State</th><th>Download</th><th></th></tr></thead><tbody>
    ${reports.map(r => `<tr data-report="${r.id}"><td>${esc(r.title)} <span class="muted small">#${r.incident_id}</span></td>
      <td>${fmtTime(r.due_at)}</td><td><span class="badge ${STATE[r.state]}">${r.state}</span>
      ${r.filed_at ? `<div class="small muted">${fmtTime(r.filed_at)} by ${esc(r.filed_by)}</div>` : ''}</td>
      <td><a data-download href="/api/summary-reports/${r.id}.xlsx">Excel</a> ·
        <a data-download href="/api/summary-reports/${r.id}.pdf">PDF</a></td>
      <td>${r.state !== 'filed' && canFile ? `<button type="button" class="file-report" data-id="${r.id}">Mark filed</button>` : ''}</td>
      </tr>`).join('')}</tbody></table>` : '<p class="muted">No summary report is owed.</p>';
  $$('.file-report').forEach(b => b.onclick = async () => {
    if (!confirm('Mark this summary report as filed?')) return;
    b.disabled = true;
    try { await api('POST', `/api/summary-reports/${b.dataset.id}/file`); setStatus('Summary report marked filed.', 'ok'); refresh(); }
    catch (e) { b.disabled = false; setStatus(e.message, 'bad'); }
  });
}

function drawFailed(notices) {
  const rows = notices.flatMap(n => n.deliveries.filter(d => d.status === 'failed').map(d => [n, d]));
  $('#failed').innerHTML = rows.length ? `<table><thead><tr><th>Notice</th><th>To</th><th class="num">Tries</th>
    <th>Last error</th><th>Next try</th><th></th></tr></thead><tbody>${rows.map(([n, d]) => `<tr>
    <td>${noticeLink(n)} <span class="muted small">incident #${n.incident_id}</span></td><td>${esc(d.recipient)}</td>
    <td class="num">${d.attempts}</td><td class="small">${esc(d.last_error || '')}</td><td>${fmtTime(d.next_attempt_at)}</td>
    <td><button type="button" class="plain resend" data-id="${n.id}" data-to="${esc(d.recipient)}">Send again</button></td>
    </tr>`).join('')}</tbody></table>` : '<p class="muted">Every notice was delivered.</p>';
  $$('.resend').forEach(b => b.onclick = async () => {
    b.disabled = true;
    try { await api('POST', `/api/notices/${b.dataset.id}/resend`, {recipients: [b.dataset.to]}); setStatus('Queued again.', 'ok'); refresh(); }
    catch (e) { b.disabled = false; setStatus(e.message, 'bad'); }
  });
}

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

/** [start, end) of the same calendar period (1 January to today) in `year`. */
function period(year, today) {
  const m = +today.slice(5, 7), d = +today.slice(8, 10);
  const last = Math.min(d, new Date(Date.UTC(year, m, 0)).getUTCDate());
  const end = new Date(Date.UTC(year, m - 1, last + 1)).toISOString().slice(0, 10);
  return [`${year}-01-01`, end];
}

async function drawIndices(years, today) {
  const jobs = years.flatMap(y => ['all', 'normal'].map(days => ({y, days})));
  const res = await pmap(jobs, ({y, days}) => {
    const [s, e] = period(y, today);
    return api('GET', `/api/indices?start=${s}&end=${e}&days=${days}`);
  }, 4);
  const failed = res.find(r => r instanceof Error);
  if (failed) { $('#plots').innerHTML = `<p class="bad">Could not compute the indices: ${esc(failed.message)}</p>`; return; }
  const val = (y, days, key) => { const r = res[jobs.findIndex(j => j.y === y && j.days === days)];
    const row = r.rows.find(x => x.group === 'system'); return row ? row[key] : null; };
  const [, e] = period(years[years.length - 1], today);
  $('#ind-period').textContent = `Each year from 1 January to ${e.slice(5)} (exclusive), local days. ` +
    '"Without MEDs" leaves out major event days (IEEE 1366, 2.5 beta method).';
  const specs = [['saidi', 'SAIDI', 'min'], ['saifi', 'SAIFI', 'interruptions'], ['caidi', 'CAIDI', 'min']];
  $('#plots').innerHTML = specs.map(([key, label, unit]) => barPlot(key, `${label} (${unit})`, years,
    [['All days', '#16324f', years.map(y => val(y, 'all', key))],
     ['Without MEDs', '#7fa7d1', years.map(y => val(y, 'normal', key))]])).join('');
  $('#ind-table').innerHTML = `<table class="small"><thead><tr><th>Year to date</th>${specs.map(([, l]) =>
    `<th class="num">${l}</th><th class="num">${l} w/o MEDs</th>`).join('')}<th class="num">Major event days</th></tr></thead><tbody>
    ${years.map(y => `<tr><td>${y}</td>${specs.map(([k]) => `<td class="num">${num(val(y, 'all', k), k === 'saifi' ? 3 : 1)}</td>
      <td class="num">${num(val(y, 'normal', k), k === 'saifi' ? 3 : 1)}</td>`).join('')}
      <td class="num">${res[jobs.findIndex(j => j.y === y && j.days === 'all')].major_event_days.length}</td></tr>`).join('')}
    </tbody></table>`;
}

/** A grouped bar chart as inline SVG: one group per year, one bar per series. */
function barPlot(key, title, years, series) {
  const W = 420, H = 230, L = 48, R = 10, T = 34, B = 28, pw = W - L - R, ph = H - T - B;
  const values = series.flatMap(s => s[2]).filter(v => v != null);
  const max = niceMax(Math.max(0, ...values));
  const gw = pw / years.length, bw = Math.min(28, (gw - 10) / series.length);
  const y = v => T + ph - (max ? v / max * ph : 0);
  let out = `<svg class="plot" data-index="${key}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(title)} by year">
    <text class="title" x="${L}" y="16">${esc(title)}</text>`;
  series.forEach(([name, color], k) => { out += `<rect x="${W - 190 + k * 95}" y="7" width="10" height="10" fill="${color}"/>
    <text x="${W - 176 + k * 95}" y="16">${esc(name)}</text>`; });
  for (let t = 0; t <= 4; t++) {
    const v = max * t / 4, yy = y(v);
    out += `<line x1="${L}" x2="${W - R}" y1="${yy}" y2="${yy}" stroke="#e3e6ea"/>
      <text x="${L - 4}" y="${yy + 4}" text-anchor="end">${fmtAxis(v)}</text>`;
  }
  years.forEach((yr, i) => {
    const x0 = L + i * gw + (gw - bw * series.length) / 2;
    series.forEach(([name, color, vals], k) => {
      const v = vals[i];
      if (v == null) return;
      out += `<rect class="bar" x="${x0 + k * bw}" y="${y(v)}" width="${bw - 2}" height="${T + ph - y(v)}" fill="${color}">
        <title>${yr} ${esc(name)}: ${fmtAxis(v)}</title></rect>`;
    });
    out += `<text x="${L + i * gw + gw / 2}" y="${H - 10}" text-anchor="middle">${yr}${i === years.length - 1 ? ' YTD' : ''}</text>`;
  });
  return out + `<line x1="${L}" x2="${W - R}" y1="${T + ph}" y2="${T + ph}" stroke="#666"/></svg>`;
}
function niceMax(v) { if (!v) return 1; const p = Math.pow(10, Math.floor(Math.log10(v))); return [1, 2, 2.5, 5, 10].map(m => m * p).find(m => m >= v); }
function fmtAxis(v) { return v >= 100 ? num(v) : v >= 1 ? num(v, 1) : num(v, 3); }

async function drawWorst(year, today) {
  const [s, e] = year === +today.slice(0, 4) ? period(year, today) : [`${year}-01-01`, `${year + 1}-01-01`];
  $('#worst').innerHTML = '<p class="muted">Computing…</p>';
  try {
    const [byFeeder, system] = await Promise.all([api('GET', `/api/indices?start=${s}&end=${e}&group_by=feeder`),
                                                  api('GET', `/api/indices?start=${s}&end=${e}`)]);
    const sys = system.rows.find(r => r.group === 'system') || {};
    const rows = byFeeder.rows.filter(r => r.saidi && r.group !== '(unassigned)')
      .sort((a, b) => b.saidi - a.saidi).slice(0, 10);
    $('#worst').innerHTML = rows.length ? `<table><thead><tr><th>#</th><th>Feeder</th><th class="num">Members served</th>
      <th class="num">SAIDI (min)</th><th class="num">× system</th><th class="num">SAIFI</th><th class="num">CAIDI (min)</th>
      <th class="num">Sustained interruptions</th></tr></thead><tbody>${rows.map((r, k) => `<tr><td>${k + 1}</td>
      <td>${esc(r.group)}</td><td class="num">${num(r.members_served)}</td><td class="num">${num(r.saidi, 1)}</td>
      <td class="num">${sys.saidi ? num(r.saidi / sys.saidi, 1) : '–'}</td><td class="num">${num(r.saifi, 3)}</td>
      <td class="num">${num(r.caidi, 1)}</td><td class="num">${num(r.sustained_records)}</td></tr>`).join('')}</tbody></table>
      <p class="small muted">System: SAIDI ${num(sys.saidi, 1)} min, SAIFI ${num(sys.saifi, 3)}, CAIDI ${num(sys.caidi, 1)} min
      (${s} to ${e}, exclusive).</p>` : '<p class="muted">No sustained interruption in this period.</p>';
  } catch (err) { if (err.status !== 401) $('#worst').innerHTML = `<p class="bad">${esc(err.message)}</p>`; }
}

runPage(page);
