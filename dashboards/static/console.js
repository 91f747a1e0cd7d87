/* The dispatcher console (/console), built for a storm: the system's figures, members' hazard reports first, every
   open record in one compact row (filters, sorting, crews sent and moved on from the row) beside the facility map
   (dark feeders, devices and lines from who is out; click a row to zoom, a feeder to log on it), the significant
   incidents one line each, fast keyboard forms whose time fields take typing ("14:05", "now", "-15m"), probable
   outages from members' reports, the crews and the call list.  One request a round: /api/console/overview.
   Every message is shown next to the field it names, in the cooperative's time. */
import {$, $$, CFG, clearErrors, esc, fieldLabel, fmtMinutes, fmtWhen, num, parseWhen, showErrors} from './kit.js';
import {api, fmtTime, poll, runPage} from './staff.js';

const L = window.L;
const POLL = CFG.poll, WARN = CFG.etr_warning_minutes, ZONE = CFG.zone;
const OUTCOMES = {reached: 'Reached', no_answer: 'No answer', left_message: 'Left message', busy: 'Busy',
                  wrong_number: 'Wrong number'};
const NEXT = {dispatched: 'en_route', en_route: 'on_site'};
const STAGE = {dispatched: 'dispatched', en_route: 'en route', on_site: 'on site', done: 'done'};
const TIME_HELP = 'Fix: type a time such as 14:05, now, -15m, yesterday 23:10 or 2026-12-01 14:05.';
let view = null, records = new Map(), picked = null, timer = null, causes = [], divisionsHtml = '';
const openDetails = new Set();

let early = null;  // the first overview, asked for while the account was checked
const page = {
  prefetch: () => api('GET', '/api/console/overview'),
  start(_me, first) {
    early = first;
    setupForms();
    setupProbable();
    setupCalls();
    setupCrews();
    setupList();
    setupKeys();
    loadCauses();
    timer = poll(refresh, POLL);  // the overview first: the list shows while the map's layers come
    setupMap();
  },
  stop() { clearInterval(timer); },
};

function setStatus(text, cls) { const s = $('#status'); s.textContent = text; s.className = 'status ' + (cls || ''); }

const SHORT = new Intl.DateTimeFormat('en-US', {timeZone: ZONE, hour: '2-digit', minute: '2-digit', hourCycle: 'h23'});
const DAY = new Intl.DateTimeFormat('en-US', {timeZone: ZONE, weekday: 'short', day: 'numeric', month: 'short'});
const ABBR = new Intl.DateTimeFormat('en-US', {timeZone: ZONE, timeZoneName: 'short'});
/** A moment in the cooperative's zone, short: "14:05", or "Mon 30 Nov 23:10" on another day; `zone` adds "CST". */
function fmtShort(iso, {zone = false} = {}) {
  if (!iso) return '–';
  const d = new Date(iso), now = new Date();
  const clock = SHORT.format(d), day = DAY.format(d) === DAY.format(now) ? '' : DAY.format(d).replace(',', '') + ' ';
  const abbr = zone ? ' ' + ABBR.formatToParts(d).find(p => p.type === 'timeZoneName').value : '';
  return day + clock + abbr;
}
const ago = iso => fmtMinutes((new Date() - new Date(iso)) / 60000);

/** Replace a container's HTML without losing the dispatcher's work: a form (with data-key) that was edited,
 *  is waiting for the API, shows a message or holds the focus is carried over as it is into the new HTML. */
function redraw(container, html) {
  const active = document.activeElement, kept = new Map();
  $$('form[data-key]', container).forEach(f => {
    if (f.dataset.dirty || f.dataset.busy || f.contains(active) || $$('.err', f).some(e => e.textContent)) {
      kept.set(f.dataset.key, f);
    }
  });
  container.innerHTML = html;
  for (const [key, old] of kept) {
    const fresh = $$('form[data-key]', container).find(f => f.dataset.key === key);
    if (fresh) fresh.replaceWith(old);
  }
  if (active && active !== document.activeElement && container.contains(active)) active.focus({preventScroll: true});
}

// --- the one request ------------------------------------------------------------------------------

async function refresh() {
  let o;
  try {
    o = (early && await early) || await api('GET', '/api/console/overview');
    early = null;
  }
  catch (e) { if (e.status !== 401) setStatus('Could not refresh: ' + e.message, 'bad'); return; }
  performance.mark('console-answer');
  view = o;
  records = new Map(o.records.map(r => [r.id, r]));
  drawFigures(o);
  drawHazards(o.hazards);
  drawIncidents(o.incidents);
  fillFilterChoices(o.records);
  drawList();
  styleMap();
  $('#updated').textContent = `updated ${fmtShort(o.as_of, {zone: true})}`;
  performance.mark('console-list');
  drawn();
  // below the fold, once the list and the map are painted, a part at a time (the page answers in between)
  const later = () => new Promise(resolve => setTimeout(resolve, 0));
  await new Promise(resolve => requestAnimationFrame(resolve));
  for (const part of [fillSelects, () => drawProbable(o.probable), () => drawCrews(o.crews), () => fillDivisions(o.divisions),
                      () => drawCalls(o.incidents)]) {
    await later();
    if (view !== o) return;  // a newer answer came meanwhile
    part();
  }
  performance.mark('console-all');
}

function drawn() {  // the list and the map are on the screen (the storm benchmark waits for this)
  if (view && MAP.ready && !window.consoleDrawn) {
    window.consoleDrawn = true;
    window.consoleDrawnAt = performance.now();
  }
}

function drawFigures(o) {
  const h = o.header;
  $('#fig-out').textContent = num(h.members_out_now);
  $('#fig-served').textContent = `of ${num(h.members_served)} (${h.members_served ? num(100 * h.members_out_now / h.members_served, 1) : 0} %)`;
  $('#fig-out').title = h.members_unlocated_now ? `${num(h.members_unlocated_now)} of them not located yet` : '';
  $('#fig-records').textContent = num(h.open_records);
  $('#fig-significant').textContent = num(h.significant_incidents);
  $('#fig-crews').textContent = `${num(h.crews_out)} / ${num(h.crews_idle)} / ${num(h.crews_on_shift)}`;
  $('#fig-hazards').textContent = num(h.hazards);
  $('#fig-hazards-box').classList.toggle('alarm', h.hazards > 0);
  $('#fig-significant').parentElement.classList.toggle('alarm', h.significant_incidents > 0);
}

// --- hazards first -------------------------------------------------------------------------------

function drawHazards(list) {
  const box = $('#hazards');
  box.hidden = !list.length;
  if (!list.length) { box.innerHTML = ''; return; }
  box.innerHTML = `<h2><span class="hz" aria-hidden="true">⚠</span> ${list.length === 1 ? '1 hazard' : `${list.length} hazards`}
    reported by members <kbd>H</kbd></h2><ul>${list.map(h => `<li class="hazard-item" data-hazard="${h.id}">
    <button type="button" class="made-safe" data-clear="${h.id}" aria-label="${esc(h.hazard_label)} at meter ${esc(h.meter)}: made safe">Made safe</button>
    <span class="hz" aria-hidden="true">⚠</span> <b>${esc(h.hazard_label)}</b>
    · ${h.interruption_id ? `record <a href="#" data-pick="${h.interruption_id}">#${h.interruption_id}</a>` : '<span class="muted">no record yet</span>'}
    · ${fmtShort(h.created_at, {zone: true})} <span class="muted">(${ago(h.created_at)} ago)</span>
    · ${h.feeder ? `feeder ${esc(h.feeder)}` : ''}${h.device ? ` below ${esc(h.device)}` : ''}${h.meter ? ` · meter ${esc(h.meter)}` : ''}</li>`).join('')}</ul>`;
}

async function clearHazard(button) {
  const id = +button.dataset.clear, h = view.hazards.find(x => x.id === id);
  button.disabled = true;
  try {
    await api('POST', `/api/hazards/${id}/clear`);
    setStatus(`${h ? h.hazard_label : 'Hazard'}${h && h.feeder ? ' on ' + h.feeder : ''}: made safe.`, 'ok');
    await refresh();
  } catch (err) {
    button.disabled = false;
    if (err.status !== 401) setStatus(`Hazard ${id}: ${err.message}`, 'bad');
  }
}

// --- significant incidents, one line each --------------------------------------------------------

function drawIncidents(list) {
  const box = $('#incidents');
  $$('details[data-incident]', box).forEach(d => d.open ? openDetails.add(+d.dataset.incident) : openDetails.delete(+d.dataset.incident));
  const sig = list.filter(i => i.significant);
  box.innerHTML = sig.map(i => {
    const n = view.records.filter(r => r.incident_id === i.incident_id).length;
    return `<details class="sig-line" data-incident="${i.incident_id}"${openDetails.has(i.incident_id) ? ' open' : ''}>
      <summary><span class="badge bad">Significant</span> since ${fmtShort(i.significant_at, {zone: true})}:
      ${esc(i.headline.join(', '))} <span class="muted small">· incident ${i.incident_id} · ${num(i.members_out_now)} out now
      · ${n} ${n === 1 ? 'record' : 'records'}</span></summary>
      <ul class="reasons">${i.criteria.map(c => `<li><b>${esc(c.label)}</b> (met ${fmtShort(c.met_at, {zone: true})}):
        ${esc(c.evidence)}</li>`).join('')}</ul></details>`;
  }).join('');
  box.hidden = !sig.length;
}

// --- the open list ---------------------------------------------------------------------------------

function filters() {
  const f = $('#filters').elements;
  return {division: f.division.value, substation: f.substation.value, status: f.status.value,
          significant: f.significant.checked, unassigned: f.unassigned.checked, sort: f.sort.value};
}

function fillFilterChoices(list) {
  const divisions = new Map(), subs = new Set();
  for (const r of list) { r.divisions.forEach(d => divisions.set(d.code, d.name)); r.substations.forEach(s => subs.add(s)); }
  const fill = (select, pairs) => {
    const keep = select.value;
    select.innerHTML = '<option value="">all</option>' + pairs.map(([v, t]) => `<option value="${esc(v)}">${esc(t)}</option>`).join('');
    if (keep && !pairs.some(([v]) => v === keep)) select.insertAdjacentHTML('beforeend', `<option value="${esc(keep)}">${esc(keep)}</option>`);
    select.value = keep;
  };
  fill($('#filters [name=division]'), [...divisions].sort((a, b) => a[1].localeCompare(b[1])));
  fill($('#filters [name=substation]'), [...subs].sort().map(s => [s, s]));
}

function matches(r, f, now) {
  if (f.division && !r.divisions.some(d => d.code === f.division)) return false;
  if (f.substation && !r.substations.includes(f.substation)) return false;
  if (f.status === 'etr' && !(r.etr_at && new Date(r.etr_at) >= now)) return false;
  if (f.status === 'assessing' && r.etr_at) return false;
  if (f.status === 'passed' && !(r.etr_at && new Date(r.etr_at) < now)) return false;
  if (f.significant && !r.significant) return false;
  if (f.unassigned && r.crews.length) return false;
  return true;
}

const SORTS = {
  priority: (a, b) => a.priority - b.priority,
  members: (a, b) => b.members_out_now - a.members_out_now || a.priority - b.priority,
  time: (a, b) => a.start_at.localeCompare(b.start_at) || a.priority - b.priority,
  etr: (a, b) => (a.etr_at ? new Date(a.etr_at) : Infinity) - (b.etr_at ? new Date(b.etr_at) : Infinity) || a.priority - b.priority,
};

function facilityCell(r) {
  const name = r.transmission_line ? `${esc(r.transmission_line)} <span class="muted">line</span>` : esc(r.device || r.feeder);
  const where = r.transmission_line ? `transmission line ${r.transmission_line}` : r.device ? `${r.feeder} / ${r.device}` : `feeder ${r.feeder}`;
  return `<td class="fac" title="${esc(where)} · substation ${esc(r.substation)}">${name}</td>`;
}

function etrCell(r, now) {
  if (!r.etr_at) return {html: '<span class="muted">assessing</span>', alert: null};
  const left = (new Date(r.etr_at) - now) / 60000, at = fmtShort(r.etr_at);
  if (left < 0) return {html: `<span class="badge bad" title="ETR ${esc(fmtTime(r.etr_at))}: passed ${fmtMinutes(-left)} ago">passed ${fmtMinutes(-left)}</span>`,
                        alert: `#${r.id}: ETR passed ${fmtMinutes(-left)} ago`};
  if (left <= WARN) return {html: `<span class="badge warn" title="ETR ${esc(fmtTime(r.etr_at))}">in ${fmtMinutes(left)}</span>`,
                            alert: `#${r.id}: ETR in ${fmtMinutes(left)}`};
  return {html: `<span title="ETR ${esc(fmtTime(r.etr_at))}">${at}</span>`, alert: null};
}

function crewChips(r) {
  const chips = r.crews.map(a => {
    const next = NEXT[a.status];
    const what = next ? `move to ${STAGE[next]}` : 'ETR, damage and cause found, or done';
    return `<button type="button" class="chip stage-${a.status}" data-assignment="${a.id}" data-record="${r.id}"
      title="${esc(a.crew_name)} (${esc(a.crew_kind)}${a.crew_phone ? ', ' + esc(a.crew_phone) : ''}): ${esc(a.status_label)}; click: ${what}"
      aria-label="${esc(a.crew_name)}, ${esc(a.status_label)}: ${what}">${esc(a.crew_name)} · ${STAGE[a.status]}${next ? ' ▸' : ' ✎'}</button>`;
  }).join('');
  return `${chips}<button type="button" class="chip add" data-assign="${r.id}" aria-label="Send a crew to #${r.id}">+ crew</button>`;
}

function drawList() {
  if (!view) return;
  const now = new Date(), f = filters(), alerts = [];
  const shown = view.records.filter(r => matches(r, f, now));
  const order = SORTS[f.sort] || SORTS.priority;
  shown.sort((a, b) => (b.hazards > 0) - (a.hazards > 0) || order(a, b));
  const sigOf = new Map(view.incidents.map(i => [i.incident_id, i]));
  $('#open tbody').innerHTML = shown.map(r => {
    const etr = etrCell(r, now), inc = sigOf.get(r.incident_id);
    if (etr.alert) alerts.push(etr.alert);
    const cls = [r.id === picked ? 'picked' : '', r.hazards ? 'hazard' : '', r.significant ? 'sig' : ''].join(' ').trim();
    const div = r.division ? `<td title="${esc(r.divisions.map(d => d.name).join(', '))}">${esc(r.division.code.replace(/^DIV-/, ''))}${r.divisions.length > 1 ? '+' : ''}</td>` : '<td class="muted">–</td>';
    return `<tr tabindex="0" data-id="${r.id}" data-incident="${r.incident_id}"${cls ? ` class="${cls}"` : ''}>
      <td class="mark">${r.hazards ? `<span class="hz" title="${r.hazards} hazard report(s) on this record">⚠</span>` : ''}</td>
      <td class="num" title="${esc(r.priority_reason)}">${r.priority}</td>
      <td title="incident ${r.incident_id}">${r.id}</td>${facilityCell(r)}${div}
      <td class="cause" title="${esc(r.cause_label)} (${esc(r.cause)})">${esc(r.cause_label)}</td>
      <td class="num" title="${num(r.members_out)} out at the start${r.members_unlocated_now ? `; ${num(r.members_unlocated_now)} not located` : ''}">${num(r.members_out_now)}${r.members_unlocated_now ? '<span class="muted">*</span>' : ''}</td>
      <td title="since ${esc(fmtTime(r.start_at))}">${r.members_out_now || new Date(r.start_at) <= now ? fmtMinutes((now - new Date(r.start_at)) / 60000) : 'planned'}</td>
      <td>${etr.html}</td>
      <td>${r.significant ? `<span class="badge bad" title="${esc(inc ? `Significant since ${fmtShort(inc.significant_at, {zone: true})}: ${inc.headline.join(', ')}` : 'Significant')}">SIG</span>` : ''}</td>
      <td class="crews">${crewChips(r)}</td></tr>`;
  }).join('');
  $('#open-empty').hidden = shown.length > 0;
  $('#open-empty').textContent = view.records.length ? 'No open interruption matches the filters.' : 'No open interruptions.';
  $('#shown').textContent = shown.length === view.records.length ? `${num(shown.length)} open` : `${num(shown.length)} of ${num(view.records.length)} shown`;
  $('#etr-alerts').innerHTML = alerts.length
    ? `<p class="warn">⚠ ${alerts.slice(0, 6).map(esc).join(' · ')}${alerts.length > 6 ? ` · and ${alerts.length - 6} more` : ''}</p>` : '';
}

function setupList() {
  $('#filters').addEventListener('input', drawList);
  $('#filters').addEventListener('submit', e => e.preventDefault());
  const body = $('#open tbody');
  body.addEventListener('click', e => {
    const chip = e.target.closest('button.chip');
    if (chip) { e.stopPropagation(); chipAction(chip); return; }
    const tr = e.target.closest('tr'); if (tr) { pick(+tr.dataset.id); zoomTo(+tr.dataset.id); }
  });
  body.addEventListener('keydown', e => {
    const tr = e.target.closest('tr'); if (!tr || e.target !== tr) return;
    if (e.key === 'Enter') { pick(+tr.dataset.id); zoomTo(+tr.dataset.id); $('#f-step [name=at]').focus(); }
    if (e.key === 'ArrowDown' && tr.nextElementSibling) { e.preventDefault(); tr.nextElementSibling.focus(); }
    if (e.key === 'ArrowUp' && tr.previousElementSibling) { e.preventDefault(); tr.previousElementSibling.focus(); }
  });
  $('#hazards').addEventListener('click', e => {
    const clear = e.target.closest('button[data-clear]');
    if (clear) { clearHazard(clear); return; }
    const a = e.target.closest('a[data-pick]');
    if (a) { e.preventDefault(); pick(+a.dataset.pick); zoomTo(+a.dataset.pick); return; }
    const li = e.target.closest('li[data-hazard]');
    if (li) zoomToHazard(+li.dataset.hazard);
  });
}

// --- crews from the row ------------------------------------------------------------------------------

function assignmentOf(id) {
  for (const r of view.records) { const a = r.crews.find(x => x.id === id); if (a) return [r, a]; }
  return [null, null];
}

async function chipAction(chip) {
  if (chip.dataset.assign) { openAssign(+chip.dataset.assign); return; }
  const [r, a] = assignmentOf(+chip.dataset.assignment);
  if (!a) return;
  const next = NEXT[a.status];
  if (!next) { openOnSite(r, a); return; }
  chip.disabled = true;
  try {
    const done = await api('PATCH', `/api/crew-assignments/${a.id}`, {version: a.version, status: next});
    setStatus(`${done.crew_name} on #${r.id}: ${done.status_label.toLowerCase()} (${fmtShort(done[`${next}_at`], {zone: true})}).`, 'ok');
    await refresh();
  } catch (err) {
    chip.disabled = false;
    if (err.status === 409) refresh();
    if (err.status !== 401) setStatus(`${a.crew_name} on #${r.id}: ${err.message}`, 'bad');
  }
}

function openAssign(recordId) {
  const r = records.get(recordId), dialog = $('#d-assign'), form = $('#f-assign');
  if (!r) return;
  clearErrors(form);
  form.dataset.record = recordId;
  $('#assign-what').textContent = `#${r.id} · ${r.transmission_line ? 'line ' + r.transmission_line : r.device || r.feeder} · ${num(r.members_out_now)} out · ${r.division ? r.division.name : ''}`;
  const home = r.division && r.division.code, busy = new Set(r.crews.map(a => a.crew_id));
  const crews = view.crews.crews.filter(c => c.on_shift && !busy.has(c.id));
  const rank = c => (c.status === 'idle' ? 0 : 2) + (c.division === home ? 0 : 1);
  crews.sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
  const option = c => `<option value="${c.id}">${esc(c.name)} · ${esc(c.kind_label)}${c.division_name ? ' · ' + esc(c.division_name) : ''}${
    c.status === 'out' ? ` · busy on ${c.assignments.map(x => '#' + x.interruption_id).join(', ')}` : ''}</option>`;
  const idle = crews.filter(c => c.status === 'idle'), out = crews.filter(c => c.status !== 'idle');
  form.elements.crew_id.innerHTML = (idle.length ? `<optgroup label="Idle, on shift">${idle.map(option).join('')}</optgroup>` : '')
    + (out.length ? `<optgroup label="Out on other records">${out.map(option).join('')}</optgroup>` : '')
    || '<option value="">No crew on shift: put one on shift in the crews panel</option>';
  dialog.showModal();
  form.elements.crew_id.focus();
}

function openOnSite(r, a) {
  const dialog = $('#d-onsite'), form = $('#f-onsite');
  clearErrors(form);
  form.reset();
  form.dataset.assignment = a.id;
  form.dataset.record = r.id;
  $('#onsite-what').textContent = `${a.crew_name} on site at #${r.id} (${r.transmission_line ? 'line ' + r.transmission_line : r.device || r.feeder}) since ${fmtShort(a.on_site_at, {zone: true})}.`
    + (a.damage ? ` Damage so far: ${a.damage}.` : '');
  form.elements.cause.innerHTML = '<option value="">— unchanged —</option>' + causeOptions(null);
  if (a.cause) form.elements.cause.value = a.cause;
  if (a.damage) form.elements.damage.value = a.damage;
  showSeen(form.elements.etr_at);
  dialog.showModal();
  form.elements.etr_at.focus();
}

function setupDialogs() {
  $$('dialog').forEach(d => d.addEventListener('click', e => { if (e.target.closest('[data-close]')) d.close(); }));
  $('#f-assign').addEventListener('submit', async e => {
    e.preventDefault();
    const form = e.target, id = +form.dataset.record, crew = +form.elements.crew_id.value;
    clearErrors(form);
    if (!crew) { showErrors(form, {body: {detail: 'Crew: pick a crew on shift. Fix: put a crew on shift in the crews panel.', field: 'crew_id'}}); return; }
    try {
      const a = await api('POST', `/api/interruptions/${id}/crews`, {crew_id: crew});
      $('#d-assign').close();
      setStatus(`${a.crew_name} dispatched to #${id} (${fmtShort(a.dispatched_at, {zone: true})}).`, 'ok');
      await refresh();
      const row = $(`#open tbody tr[data-id="${id}"]`); if (row) row.focus();
    } catch (err) { if (err.status !== 401) showErrors(form, err); }
  });
  $('#f-onsite').addEventListener('submit', async e => {
    e.preventDefault();
    const form = e.target, done = e.submitter && e.submitter.value === 'done';
    const [r, a] = assignmentOf(+form.dataset.assignment);
    clearErrors(form);
    if (!a) { showErrors(form, {body: {detail: 'This assignment is done or gone. Fix: close this and look at the row again.'}}); return; }
    const body = {version: a.version};
    const etr = readWhen(form, 'etr_at');
    if (etr === undefined) return;
    if (etr && !afterStart(form, 'etr_at', etr, r)) return;
    if (etr) body.etr_at = etr.toISOString();
    const damage = form.elements.damage.value.trim(), cause = form.elements.cause.value;
    if (damage) body.damage = damage;
    if (cause) body.cause = cause;
    if (done) body.status = 'done';
    try {
      const out = await api('PATCH', `/api/crew-assignments/${a.id}`, body);
      $('#d-onsite').close();
      setStatus(`${out.crew_name} on #${r.id}: ${done ? 'done' : 'saved'}${etr ? `, ETR ${fmtWhen(etr, ZONE)}` : ''}${out.cause_label ? `, cause ${out.cause_label}` : ''}.`, 'ok');
      await refresh();
    } catch (err) {
      if (err.status === 409) refresh();
      if (err.status !== 401) showErrors(form, err);
    }
  });
}

// --- the forms ---------------------------------------------------------------------------------------

async function loadCauses() {
  try { causes = await api('GET', '/api/causes'); } catch { causes = [{code: 'unknown', label: 'Unknown'}]; }
  const select = $('#f-log [name=cause]'), keep = select.value;
  select.innerHTML = causeOptions('unknown');
  select.value = causes.some(c => c.code === keep) ? keep : 'unknown';
  if (view) drawProbable(view.probable);
}

function causeOptions(selected) {
  const list = causes.slice().sort((a, b) => (a.code === 'unknown') - (b.code === 'unknown') || a.label.localeCompare(b.label));
  return list.map(c => `<option value="${esc(c.code)}"${c.code === selected ? ' selected' : ''}>${esc(c.label)}</option>`).join('');
}

function fillSelects() {
  const opts = view.records.map(r =>
    `<option value="${r.id}">#${r.id} ${esc(r.transmission_line || r.device || r.feeder)} · ${num(r.members_out_now)} out</option>`).join('');
  $$('.record-select').forEach(s => {
    const keep = s.value;
    s.innerHTML = '<option value="">— pick —</option>' + opts;
    s.value = records.has(+keep) ? keep : (picked && records.has(picked) ? String(picked) : '');
  });
}

function fillDivisions(divisions) {
  const select = $('#f-crew [name=division]'), keep = select.value;
  const html = '<option value="">—</option>' + divisions.map(d => `<option value="${esc(d.code)}">${esc(d.name)}</option>`).join('');
  if (divisionsHtml !== html) { select.innerHTML = divisionsHtml = html; select.value = keep; }
}

function pick(id) {
  picked = id;
  $$('#open tbody tr').forEach(tr => tr.classList.toggle('picked', +tr.dataset.id === id));
  $$('.record-select').forEach(s => s.value = String(id));
  const r = records.get(id);
  if (r) setStatus(`Picked #${id} (${r.transmission_line || r.device || r.feeder}, ${num(r.members_out_now)} out).`);
}

/** What a time field understood, written beside it ("= Tue 1 Dec 14:05 CST"). */
function showSeen(input) {
  const seen = input.parentElement.querySelector('.seen');
  if (!seen) return;
  const text = input.value.trim();
  if (!text) { seen.textContent = 'now' in input.dataset ? '= now' : ''; seen.classList.remove('bad'); return; }
  const d = parseWhen(text, ZONE);
  seen.textContent = d ? '= ' + fmtWhen(d, ZONE) : '= ? (14:05, now, -15m)';
  seen.classList.toggle('bad', !d);
}

/** A time field's value: a Date, null when empty (now for a `data-now` field), undefined after showing why the
 *  text is not a time. */
function readWhen(form, name) {
  const input = form.elements[name], text = input.value.trim();
  if (!text) return 'now' in input.dataset ? new Date() : null;
  const d = parseWhen(text, ZONE);
  if (!d) {
    showErrors(form, {body: {detail: `${fieldLabel(form, name)}: "${text}" is not a time I can read. ${TIME_HELP}`, field: name}});
    return undefined;
  }
  return d;
}

/** An ETR (or a restoration) must come after the record's start; else a message in local time. */
function afterStart(form, name, when, r) {
  const start = r ? new Date(r.start_at) : null;
  if (!start || when > start) return true;
  showErrors(form, {body: {detail: `${fieldLabel(form, name)} ${fmtWhen(when, ZONE)} is not after the start `
    + `(${fmtWhen(start, ZONE)}). Fix: give a time later than the start.`, field: name}});
  return false;
}

function values(form) {
  const out = {};
  for (const el of form.elements) {
    if (!el.name || el.name === 'interruption' || 'when' in el.dataset) continue;
    if (el.type === 'checkbox') { out[el.name] = el.checked; continue; }
    const v = el.value.trim();
    if (v === '') continue;
    out[el.name] = el.type === 'number' ? Number(v) : el.name === 'meters' ? v.split(/[\s,;]+/).filter(Boolean) : v;
  }
  return out;
}

/** The form's time fields as ISO text (UTC), or null after a message. */
function times(form) {
  const out = {};
  for (const el of $$('[data-when]', form)) {
    const d = readWhen(form, el.name);
    if (d === undefined) return null;
    if (d) out[el.name] = d.toISOString();
  }
  return out;
}

function record(form) {
  const id = +form.elements.interruption.value, r = records.get(id);
  if (!r) showErrors(form, {body: {detail: 'Interruption: pick an open interruption first. Fix: click a row in the list.', field: 'interruption'}});
  return r;
}

const ACTIONS = {
  'f-log': async form => {
    const when = times(form); if (!when) return null;
    if (when.etr_at) {
      const start = new Date(when.start_at), etr = new Date(when.etr_at);
      if (!afterStart(form, 'etr_at', etr, {start_at: start.toISOString()})) return null;
    }
    const body = {...values(form), ...when};
    if (!body.scheduled) { delete body.scheduled; delete body.members_notified; }
    else if (!form.elements.members_notified.checked) body.members_notified = false;
    const key = form.dataset.key || (form.dataset.key = 'console-' + Date.now().toString(36) + '-' + Math.random().toString(36).slice(2));
    const r = await api('POST', '/api/interruptions', body, {headers: {'Idempotency-Key': key}});
    delete form.dataset.key;
    picked = r.id;
    return `Logged #${r.id} on ${r.transmission_line || r.device || r.feeder} (incident ${r.incident_id}), ${num(r.members_out)} out since ${fmtWhen(new Date(r.start_at), ZONE)}.`;
  },
  'f-step': async form => {
    const rec = record(form); if (!rec) return null;
    const when = times(form); if (!when) return null;
    const r = await api('POST', `/api/interruptions/${rec.id}/restorations`, {version: rec.version, ...values(form), ...when});
    const back = r.steps[r.steps.length - 1].members_restored;
    return `#${r.id}: ${num(back)} restored, ${num(r.members_out_now)} still out${r.status === 'closed' ? ' — closed' : ''}.${heldDark(r)}`;
  },
  'f-etr': async form => {
    const rec = record(form); if (!rec) return null;
    const when = times(form); if (!when) return null;
    if (when.etr_at && !afterStart(form, 'etr_at', new Date(when.etr_at), rec)) return null;
    const b = values(form);
    const r = await api('PUT', `/api/interruptions/${rec.id}/etr`, {version: rec.version, etr_at: when.etr_at ?? null, note: b.note});
    return `#${r.id}: ETR ${r.etr_at ? fmtWhen(new Date(r.etr_at), ZONE) : 'being assessed'}.`;
  },
  'f-close': async form => {
    const rec = record(form); if (!rec) return null;
    const when = times(form); if (!when) return null;
    const r = await api('POST', `/api/interruptions/${rec.id}/close`, {version: rec.version, ...when});
    return `#${r.id} closed: ${fmtMinutes(r.duration_minutes)}, ${num(r.member_minutes)} member-minutes.${heldDark(r)}`;
  },
};

function heldDark(r) {  // a nested outage: members this record brought back that another open record keeps dark
  return (r.held_dark || []).map(h => ` ${num(h.members)} members still dark below ${h.facility} (#${h.interruption_id}).`).join('');
}

function setupForms() {
  for (const [id, action] of Object.entries(ACTIONS)) {
    const form = document.getElementById(id);
    form.addEventListener('submit', async e => {
      e.preventDefault();
      clearErrors(form);
      const button = form.querySelector('button[type=submit]');
      button.disabled = true;
      try {
        const done = await action(form);
        if (done) {
          setStatus(done, 'ok');
          const keep = form.elements.interruption && form.elements.interruption.value;
          form.reset();
          $$('[data-when]', form).forEach(showSeen);
          if (keep) form.elements.interruption.value = keep;
          await refresh();
        }
      } catch (err) {
        if (err.status === 409) refresh();
        if (err.status !== 401) showErrors(form, err);
      } finally { button.disabled = false; }
    });
  }
  document.addEventListener('input', e => {
    if (e.target.matches('[data-when]')) showSeen(e.target);
    if (e.target.getAttribute('aria-invalid') && e.target.form && !e.target.closest('#probable, #calls')) {
      e.target.removeAttribute('aria-invalid');
      const slot = $(`.err[data-for="${e.target.name}"]`, e.target.form); if (slot) slot.textContent = '';
    }
  });
  $$('[data-when]').forEach(showSeen);
  setupDialogs();
}

function setupKeys() {
  const keys = {n: '#f-log [name=feeder]', r: '#f-step [name=at]', e: '#f-etr [name=etr_at]',
                c: '#f-close [name=restored_at]', l: '#open tbody tr', p: '#probable form [name=device]',
                a: '#calls tr.warn select[name=outcome]', h: '#hazards button[data-clear]'};
  document.addEventListener('keydown', e => {
    if (e.ctrlKey || e.metaKey || e.altKey || e.target.closest('input,select,textarea,dialog')) return;
    const target = keys[e.key.toLowerCase()];
    if (target && $(target)) { e.preventDefault(); $(target).focus(); }
  });
}

// --- the map ---------------------------------------------------------------------------------------------

const MAP = {ready: false, fitted: false, map: null, feeders: new Map(), lines: new Map(), marks: null};
const FEEDER = {color: '#6b8bb0', weight: 2, opacity: 0.7, dashArray: null};
const FEEDER_STATES = {
  out: {color: '#7f0000', weight: 5, opacity: 1, dashArray: null},
  part: {color: '#e65100', weight: 4, opacity: 1, dashArray: null},
  behind: {color: '#7f0000', weight: 5, opacity: 1, dashArray: '10 5'},
};
const LINE = {color: '#6a1b9a', weight: 3, opacity: 0.8, dashArray: '8 4'}, LINE_OUT = {color: '#d500f9', weight: 7, opacity: 0.85, dashArray: null};

async function setupMap() {
  if (!L) { $('#map').textContent = 'The map library did not load.'; MAP.ready = true; drawn(); return; }
  const map = MAP.map = L.map('map', {zoomSnap: 0.25, attributionControl: false});
  map.setView([30.4, -98.4], 9);
  const [feeders, subs, lines] = await Promise.all(['/api/feeders', '/api/substations', '/api/transmission-lines']
    .map(u => api('GET', u).catch(e => e)));
  const bounds = L.latLngBounds([]);
  if (!(lines instanceof Error)) {
    L.geoJSON(lines, {style: {...LINE, className: 'line'}, onEachFeature: (f, l) => {
      l.on('add', () => l.getElement().setAttribute('data-line', f.properties.line_id));
      MAP.lines.set(f.properties.line_id, l);
      l.bindTooltip(`${esc(f.properties.line_id)} ${esc(f.properties.name || '')} · feeds ${esc(f.properties.substation_ids || '')}`);
      l.on('click', () => toLogForm({transmission_line: f.properties.line_id}));
    }}).addTo(map);
  }
  if (!(feeders instanceof Error)) {
    const layer = L.geoJSON(feeders, {style: {...FEEDER, className: 'feeder'}, onEachFeature: (f, l) => {
      MAP.feeders.set(f.properties.feeder_id, l);
      l.bindTooltip(() => feederTip(f.properties), {sticky: true});
      l.on('click', () => toLogForm({feeder: f.properties.feeder_id}));
    }}).addTo(map);
    layer.eachLayer(l => l.getElement && l.getElement() && l.getElement().setAttribute('data-feeder', l.feature.properties.feeder_id));
    if (layer.getLayers().length) bounds.extend(layer.getBounds());
    $('#feeder-ids').innerHTML = feeders.features.map(f => `<option value="${esc(f.properties.feeder_id)}">`).join('');
  }
  if (!(subs instanceof Error)) {
    L.geoJSON(subs, {pointToLayer: (f, ll) => L.circleMarker(ll, {radius: 5, color: '#000', weight: 2, fillColor: '#fff',
      fillOpacity: 1, className: 'substation'}).bindTooltip(`${esc(f.properties.substation_id)} ${esc(f.properties.name || '')}`)}).addTo(map);
  }
  MAP.marks = L.layerGroup().addTo(map);
  let small = null;
  map.on('zoomend', () => { const now = map.getZoom() < 11; if (now !== small) { small = now; styleMap(); } });
  if (bounds.isValid()) map.fitBounds(bounds, {padding: [10, 10]});
  L.control.scale({imperial: true, metric: false}).addTo(map);
  MAP.ready = true;
  styleMap();
  drawn();
}

function feederTip(p) {
  const out = view && view.map.feeders_out.find(f => f.feeder === p.feeder_id);
  return `<b>${esc(p.feeder_id)}</b> ${esc(p.name || '')} · ${esc(p.substation_id)}<br>${num(p.members_served)} members served`
    + (out ? `<br><b class="bad">${num(out.members_out_now)} out now${out.whole ? ' (all)' : ''}</b>` : '')
    + '<br><span class="muted">click: log an interruption on it</span>';
}

function setClasses(layer, classes) {
  const el = layer.getElement && layer.getElement();
  if (!el) return;
  for (const c of ['feeder-out', 'feeder-part', 'feeder-behind-line', 'line-out']) el.classList.toggle(c, classes.includes(c));
}

function styleMap() {
  if (!MAP.ready || !view || !MAP.map) return;
  const m = view.map, out = new Map(m.feeders_out.map(f => [f.feeder, f])), behind = new Set(m.feeders_behind_lines);
  for (const [code, layer] of MAP.feeders) {
    const f = out.get(code), state = behind.has(code) ? 'behind' : f ? (f.whole ? 'out' : 'part') : null;
    layer.setStyle(state ? FEEDER_STATES[state] : FEEDER);
    setClasses(layer, state === 'behind' ? ['feeder-out', 'feeder-behind-line'] : state === 'out' ? ['feeder-out'] : state === 'part' ? ['feeder-part'] : []);
    if (state) layer.bringToFront();
  }
  const linesOut = new Set(m.lines_out);
  for (const [code, layer] of MAP.lines) {
    const isOut = linesOut.has(code);
    layer.setStyle(isOut ? LINE_OUT : LINE);
    setClasses(layer, isOut ? ['line-out'] : []);
    if (isOut) layer.bringToFront();
  }
  if (!MAP.fitted) {  // the first time: the map shows where the outage is (zoom out for the whole system)
    MAP.fitted = true;
    const dark = L.latLngBounds([]);
    for (const code of [...out.keys(), ...behind]) { const l = MAP.feeders.get(code); if (l) dark.extend(l.getBounds()); }
    for (const code of linesOut) { const l = MAP.lines.get(code); if (l) dark.extend(l.getBounds()); }
    if (dark.isValid()) MAP.map.fitBounds(dark, {padding: [20, 20], maxZoom: 12});
  }
  MAP.marks.clearLayers();
  const small = MAP.map.getZoom() < 11;  // a storm's hundreds of open devices must not hide the feeders
  for (const d of m.devices) {
    L.circleMarker([d.lat, d.lon], {radius: small ? 3.5 : 6, weight: small ? 1 : 2, color: '#000', fillColor: '#ff6f00',
      fillOpacity: 1, className: 'device-out'})
      .bindTooltip(`device ${esc(d.device)} open (${esc(d.feeder)})<br><span class="muted">click: log on it</span>`)
      .on('click', () => toLogForm({feeder: d.feeder, device: d.device})).addTo(MAP.marks)
      .getElement().setAttribute('data-device', d.device);
  }
  for (const h of view.hazards) {
    if (h.lat == null || h.lon == null) continue;
    L.circleMarker([h.lat, h.lon], {radius: 8, weight: 3, color: '#fff', fillColor: '#d50000', fillOpacity: 1, className: 'hazard'})
      .bindTooltip(`⚠ ${esc(h.hazard_label)} · ${esc(h.feeder || '')} · ${fmtShort(h.created_at, {zone: true})}`).addTo(MAP.marks);
  }
}

/** A facility clicked on the map goes in the log form. */
function toLogForm(facility) {
  const form = $('#f-log');
  for (const name of ['feeder', 'device', 'transmission_line']) {
    form.elements[name].value = facility[name] || '';
    form.elements[name].removeAttribute('aria-invalid');
    $(`.err[data-for="${name}"]`, form).textContent = '';
  }
  form.dataset.dirty = '1';
  const what = facility.transmission_line ? `transmission line ${facility.transmission_line}` : facility.device ? `device ${facility.device} on ${facility.feeder}` : `feeder ${facility.feeder}`;
  setStatus(`${what[0].toUpperCase() + what.slice(1)} is in the log form (N goes there).`);
}

function zoomTo(id) {
  const r = records.get(id);
  if (!r || !MAP.map) return;
  const device = r.device && view.map.devices.find(d => d.device === r.device);
  if (device) { MAP.map.setView([device.lat, device.lon], Math.max(MAP.map.getZoom(), 13)); return; }
  const layer = r.transmission_line ? MAP.lines.get(r.transmission_line) : MAP.feeders.get(r.feeder);
  if (layer) MAP.map.fitBounds(layer.getBounds(), {padding: [30, 30], maxZoom: 13});
}

function zoomToHazard(id) {
  const h = view && view.hazards.find(x => x.id === id);
  if (h && h.lat != null && MAP.map) MAP.map.setView([h.lat, h.lon], Math.max(MAP.map.getZoom(), 14));
}

// --- crews panel -----------------------------------------------------------------------------------------

function drawCrews(board) {
  $('#crews-count').textContent = `${num(board.out)} out · ${num(board.idle)} idle · ${num(board.off_shift)} off shift`;
  const order = {out: 0, idle: 1, off_shift: 2};
  const crews = board.crews.slice().sort((a, b) => order[a.status] - order[b.status] || a.name.localeCompare(b.name));
  $('#crews').innerHTML = crews.length ? `<table><thead><tr><th>Crew</th><th>Kind</th><th>Division</th><th>Status</th>
    <th>Working on</th><th>Shift</th></tr></thead><tbody>${crews.map(c => `<tr data-crew="${c.id}">
    <td>${esc(c.name)}${c.phone ? ` <span class="muted small">${esc(c.phone)}</span>` : ''}</td><td>${esc(c.kind_label)}</td>
    <td>${esc(c.division_name || '–')}</td>
    <td><span class="badge ${c.status === 'out' ? 'warn' : c.status === 'idle' ? 'ok' : ''}">${{out: 'out', idle: 'idle', off_shift: 'off shift'}[c.status]}</span></td>
    <td>${c.assignments.map(a => `<a href="#" data-pick="${a.interruption_id}">#${a.interruption_id}</a> ${STAGE[a.status]}`).join(', ') || '–'}</td>
    <td><button type="button" class="plain small shift" data-shift="${c.id}">${c.on_shift ? 'Take off shift' : 'Put on shift'}</button></td>
    </tr>`).join('')}</tbody></table>` : '<p class="muted">No crew on the roster yet: add one below.</p>';
}

function setupCrews() {
  $('#crews').addEventListener('click', async e => {
    const a = e.target.closest('a[data-pick]');
    if (a) { e.preventDefault(); pick(+a.dataset.pick); zoomTo(+a.dataset.pick); return; }
    const button = e.target.closest('button[data-shift]');
    if (!button) return;
    const crew = view.crews.crews.find(c => c.id === +button.dataset.shift);
    button.disabled = true;
    try {
      const c = await api('PATCH', `/api/crews/${crew.id}`, {version: crew.version, on_shift: !crew.on_shift});
      setStatus(`${c.name} is ${c.on_shift ? 'on' : 'off'} shift.`, 'ok');
      await refresh();
    } catch (err) {
      button.disabled = false;
      if (err.status === 409) refresh();
      if (err.status !== 401) setStatus(`${crew.name}: ${err.message}`, 'bad');
    }
  });
  $('#f-crew').addEventListener('submit', async e => {
    e.preventDefault();
    const form = e.target, f = form.elements;
    clearErrors(form);
    const body = {name: f.name.value.trim(), kind: f.kind.value, on_shift: f.on_shift.checked};
    if (f.phone.value.trim()) body.phone = f.phone.value.trim();
    if (f.division.value) body.division = f.division.value;
    try {
      const c = await api('POST', '/api/crews', body);
      setStatus(`${c.name} (${c.kind_label.toLowerCase()}) added to the roster${c.on_shift ? ', on shift' : ''}.`, 'ok');
      form.reset();
      await refresh();
    } catch (err) { if (err.status !== 401) showErrors(form, err); }
  });
}

// --- the call list ---------------------------------------------------------------------------------------

function attemptForm(incident, r) {
  const contacts = r.entry.contacts;
  const who = contacts.length === 1
    ? ''  // the one contact goes as a hidden field at the end (so a message focuses a field one can see)
    : contacts.length > 1
      ? `<select name="contact_name" aria-label="Contact called">${contacts.map(c =>
          `<option value="${esc(c.name)}">${esc(c.name)}</option>`).join('')}</select>`
      : '<input name="contact_name" aria-label="Contact called" placeholder="who" required maxlength="200">';
  return `<form class="inline attempt" data-key="call:${incident}:${r.entry.id}" data-incident="${incident}"
    data-entry="${r.entry.id}" data-name="${esc(r.entry.name)}" autocomplete="off">${who}
    <select name="outcome" aria-label="Outcome of the call to ${esc(r.entry.name)}" required>
      <option value="">— outcome —</option>${Object.entries(OUTCOMES).map(([v, t]) =>
        `<option value="${v}">${t}</option>`).join('')}</select>
    <input name="notes" aria-label="Note (optional)" placeholder="note (optional)" maxlength="2000">
    <button type="submit">Save</button>${contacts.length === 1
      ? `<input type="hidden" name="contact_name" value="${esc(contacts[0].name)}">` : ''}
    <span class="err" data-for="contact_name"></span><span class="err" data-for="outcome"></span>
    <span class="err" data-for="notes"></span><span class="err" data-for="_form"></span></form>`;
}

function lastTry(r) {
  const a = r.attempts[r.attempts.length - 1];
  if (!a) return '';
  const all = r.attempts.map(t => `${fmtTime(t.at)} ${OUTCOMES[t.outcome] || t.outcome} (${t.contact_name}, ${t.by})`
    + (t.notes ? ': ' + t.notes : '')).join('\n');
  return `<div class="last-try" title="${esc(all)}">last: ${esc(OUTCOMES[a.outcome] || a.outcome)} ·
    ${fmtTime(a.at)} · ${esc(a.contact_name)}${a.notes ? ` — ${esc(a.notes)}` : ''}</div>`;
}

function drawCalls(incidents) {
  const parts = [];
  for (const inc of incidents) {
    const id = inc.incident_id, rows = inc.call_list;
    if (!rows.length) continue;
    const waiting = rows.filter(r => !r.reached).length;
    parts.push(`<div class="calls-incident"><h3>Incident ${id}: ${waiting} not reached yet of ${rows.length}</h3>
      <table><thead><tr><th>Reached</th><th>Entry</th><th>Category</th><th>Feeder</th><th>Dark since</th>
      <th>Contacts</th><th>Backup</th><th>Record a call</th></tr></thead><tbody>${rows.map(r => `<tr
        class="${r.reached ? '' : 'warn'}" data-incident="${id}" data-entry="${r.entry.id}">
      <td>${r.reached ? '<span class="badge ok">reached</span>' : '<span class="badge bad">not yet</span>'}
        <span class="muted small tries">${r.attempts.length} ${r.attempts.length === 1 ? 'try' : 'tries'}</span>${lastTry(r)}</td>
      <td>${esc(r.entry.name)} <span class="muted small">${esc(r.entry.ref)} · tier ${r.entry.priority_tier}</span></td>
      <td>${esc(r.entry.category_label)}</td><td>${esc(r.entry.feeder)}</td>
      <td>${r.possibly ? '<span class="badge warn" title="members out nobody has located on its facility: it may be among them">possibly dark</span><br>' : ''}${fmtTime(r.dark_since)}</td>
      <td>${r.entry.contacts.map(c => `${esc(c.name)} ${esc(c.phone || '')}${c.around_the_clock ? ' (24 h)' : ''}`).join('<br>')}</td>
      <td>${r.entry.backup_generation ? 'yes' + (r.entry.fuel_hours ? `, ${num(r.entry.fuel_hours)} h fuel` : '') : 'no'}</td>
      <td>${attemptForm(id, r)}</td>
      </tr>`).join('')}</tbody></table></div>`);
  }
  redraw($('#calls'), parts.join('') || '<p class="muted">No registry entry is dark.</p>');
}

function setupCalls() {
  const box = $('#calls');
  box.addEventListener('input', e => markEdited(e.target));
  box.addEventListener('submit', async e => {
    e.preventDefault();
    const form = e.target, button = form.querySelector('button[type=submit]');
    clearErrors(form);
    const body = {entry_id: +form.dataset.entry, contact_name: form.elements.contact_name.value.trim(),
                  outcome: form.elements.outcome.value};
    const notes = form.elements.notes.value.trim();
    if (notes) body.notes = notes;
    form.dataset.busy = '1'; button.disabled = true;
    try {
      await api('POST', `/api/incidents/${form.dataset.incident}/contact-attempts`, body);
      setStatus(`Recorded a call to ${form.dataset.name} (${body.contact_name}): ${OUTCOMES[body.outcome]}.`, 'ok');
      delete form.dataset.dirty; delete form.dataset.busy;
      form.reset();
      const had = form.contains(document.activeElement) || document.activeElement === document.body;
      await refresh();
      if (had) {  // on to the next one still to reach (else back to this row)
        const next = $(`#calls tr.warn[data-incident="${form.dataset.incident}"] select[name=outcome]`)
          || $(`#calls tr[data-incident="${form.dataset.incident}"][data-entry="${form.dataset.entry}"] select[name=outcome]`);
        if (next) next.focus();
      }
    } catch (err) {
      if (err.status !== 401) showErrors(form, err);
    } finally { delete form.dataset.busy; button.disabled = false; }
  });
}

/** A field the dispatcher changed: keep the form across refreshes, and drop the field's old message. */
function markEdited(el) {
  if (!el.form) return;
  el.form.dataset.dirty = '1';
  if (el.getAttribute('aria-invalid')) {
    el.removeAttribute('aria-invalid');
    const slot = $(`.err[data-for="${el.name}"]`, el.form); if (slot) slot.textContent = '';
  }
}

// --- probable outages from members' reports ------------------------------------------------------

function drawProbable(list) {
  if (!list) return;
  $('#probable-card').classList.toggle('alerting', list.length > 0);
  const count = list.length ? `<span class="badge warn">${list.length}</span>` : '';
  if ($('#probable-count').innerHTML !== count) $('#probable-count').innerHTML = count;
  if (!list.length) { redraw($('#probable'), '<p class="muted" id="probable-empty">No probable outages from member reports.</p>'); return; }
  const options = causeOptions('unknown');
  redraw($('#probable'), `<p class="small muted">Feeders where members' reports pass the threshold. Confirm logs an
    interruption from the first report (on the device: everyone below it; no device: the reporting members, to
    adjust later); Dismiss closes the reports.</p>
    <table id="probable-table"><thead><tr><th>Feeder</th><th>Likely device</th><th class="num">Reports</th>
    <th>First report</th><th>Last report</th><th>Confirm or dismiss</th></tr></thead><tbody>${list.map(p => `
    <tr data-feeder="${esc(p.feeder)}">
      <td><b>${esc(p.feeder)}</b>${p.hazards ? ` <span class="hz" title="${p.hazards} hazard report(s)">⚠</span>` : ''}</td>
      <td>${p.device ? esc(p.device) : '<span class="muted">none</span>'}</td>
      <td class="num reports">${num(p.reports)}</td>
      <td>${fmtTime(p.first_at)}<br><span class="muted small">${ago(p.first_at)} ago</span></td>
      <td>${fmtTime(p.last_at)}<br><span class="muted small">${ago(p.last_at)} ago</span></td>
      <td><form class="inline probable" data-key="probable:${esc(p.feeder)}" data-feeder="${esc(p.feeder)}"
        data-reports="${p.reports}" autocomplete="off">
        <label>Device<input name="device" value="${esc(p.device || '')}" placeholder="none: feeder" data-label="Device"
          aria-label="Device on ${esc(p.feeder)} (empty: the whole feeder)"></label>
        <label>Cause<select name="cause" data-label="Cause">${options}</select></label>
        <span class="actions"><button type="submit" name="action" value="confirm">Confirm</button>
        <button type="submit" name="action" value="dismiss" class="plain">Dismiss</button></span>
        <span class="err" data-for="device"></span><span class="err" data-for="cause"></span>
        <span class="err" data-for="feeder"></span><span class="err" data-for="_form"></span>
      </form></td></tr>`).join('')}</tbody></table>`);
}

function setupProbable() {
  const box = $('#probable');
  box.addEventListener('input', e => markEdited(e.target));
  box.addEventListener('submit', async e => {
    e.preventDefault();
    const form = e.target, feeder = form.dataset.feeder;
    const action = e.submitter && e.submitter.value === 'dismiss' ? 'dismiss' : 'confirm';
    const buttons = $$('button', form);
    clearErrors(form);
    form.dataset.busy = '1'; buttons.forEach(b => b.disabled = true);
    try {
      let done, made = null;
      if (action === 'dismiss') {
        const r = await api('POST', '/api/probable-outages/dismiss', {feeder});
        done = `Dismissed ${num(r.dismissed)} member report(s) on ${feeder}.`;
      } else {
        const device = form.elements.device.value.trim();
        made = await api('POST', '/api/probable-outages/confirm', {feeder, device: device || null,
                                                                   cause: form.elements.cause.value || 'unknown'});
        done = `Confirmed ${feeder} from ${form.dataset.reports} member report(s): logged #${made.id} on `
          + `${made.device || made.feeder} (incident ${made.incident_id}), ${num(made.members_out)} out — picked in the forms.`;
      }
      delete form.dataset.dirty; delete form.dataset.busy;
      setStatus(done, 'ok');
      await refresh();
      if (made && records.has(made.id)) pick(made.id);
      setStatus(done, 'ok');
      const next = $('#probable form.probable [name=device]');
      if (next) next.focus();
      else if (made && $(`#open tbody tr[data-id="${made.id}"]`)) $(`#open tbody tr[data-id="${made.id}"]`).focus();
    } catch (err) {
      if (err.status === 401) return;
      showErrors(form, err);
      if (err.status === 404 || err.status === 409) { setStatus(`${feeder}: ${err.message}`, 'bad'); refresh(); }
    } finally { delete form.dataset.busy; buttons.forEach(b => b.disabled = false); }
  });
}

// the browser's console (and the browser tests) call these by name
Object.assign(window, {refresh, fmtTime, parseWhen: text => parseWhen(text, ZONE)});
runPage(page);
