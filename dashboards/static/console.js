/* The dispatcher console (/console): open interruptions live, probable outages from members' reports to
   confirm or dismiss, the call list with a quick way to record each call, and fast keyboard forms to log,
   step, set an ETR and close — all through the JSON API, with its messages shown next to the field they name. */
import {$, $$, CFG, clearErrors, esc, fmtMinutes, num, showErrors} from './kit.js';
import {api, fmtTime, poll, runPage, zoneNow} from './staff.js';

const POLL = CFG.poll, WARN = CFG.etr_warning_minutes;
const OUTCOMES = {reached: 'Reached', no_answer: 'No answer', left_message: 'Left message', busy: 'Busy',
                  wrong_number: 'Wrong number'};
let records = new Map(), timer = null, picked = null, causes = null;

const page = {
  start() {
    setupForms();
    setupProbable();
    setupCalls();
    causes = api('GET', '/api/causes').catch(() => [{code: 'unknown', label: 'Unknown'}]);
    timer = poll(refresh, POLL);
    api('GET', '/api/feeders').then(g => {
      $('#feeder-ids').innerHTML = g.features.map(f => `<option value="${esc(f.properties.feeder_id)}">`).join('');
    }).catch(() => {});
  },
  stop() { clearInterval(timer); },
};

function setStatus(text, cls) { const s = $('#status'); s.textContent = text; s.className = 'status ' + (cls || ''); }

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

async function refresh() {
  await Promise.all([refreshOpen(), refreshProbable()]);
}

async function refreshOpen() {
  let page, prio;
  try {
    [page, prio] = await Promise.all([api('GET', '/api/interruptions?status=open&limit=500'),
                                      api('GET', '/api/restoration-priorities')]);
  } catch (e) { if (e.status !== 401) setStatus('Could not refresh: ' + e.message, 'bad'); return; }
  const rank = new Map(prio.map(p => [p.interruption_id, p]));
  const items = page.items.slice().sort((a, b) => ((rank.get(a.id) || {}).rank ?? 1e9) - ((rank.get(b.id) || {}).rank ?? 1e9));
  records = new Map(items.map(r => [r.id, r]));
  const incidents = [...new Set(items.map(r => r.incident_id))];
  // one request for every open incident's significance and call list (not two per incident)
  let overview = [];
  if (incidents.length) {
    try { overview = (await api('GET', '/api/incidents/open-overview')).incidents; }
    catch { /* significance shows "?" and the call list is left out until the next round */ }
  }
  const of = new Map(overview.map(o => [o.incident_id, o]));
  const sigOf = new Map(incidents.map(id => [id, (of.get(id) || {}).significance]));
  drawTable(items, rank, sigOf);
  drawCalls(incidents, incidents.map(id => (of.get(id) || {}).call_list));
  fillSelects();
  $('#updated').textContent = `· ${page.total} open · updated ${fmtTime(new Date().toISOString())}`;
}

function facility(r) {
  if (r.transmission_line) return `line ${esc(r.transmission_line)}`;
  return `${esc(r.substation)} / ${esc(r.feeder)}${r.device ? ' / ' + esc(r.device) : ''}`;
}

function etrCell(r, now) {
  if (!r.etr_at) return {html: '<span class="muted">being assessed</span>', alert: null};
  const left = (new Date(r.etr_at) - now) / 60000;
  if (left < 0) return {html: `<span class="badge bad">ETR passed ${fmtMinutes(-left)} ago</span><br>${fmtTime(r.etr_at)}`,
                        alert: `#${r.id}: ETR passed ${fmtMinutes(-left)} ago`};
  if (left <= WARN) return {html: `<span class="badge warn">ETR in ${fmtMinutes(left)}</span><br>${fmtTime(r.etr_at)}`,
                            alert: `#${r.id}: ETR in ${fmtMinutes(left)}`};
  return {html: fmtTime(r.etr_at), alert: null};
}

function sigCell(s) {
  if (!s || s instanceof Error) return '<span class="muted">?</span>';
  if (s.significant) {
    const why = s.criteria.map(c => `<li><b>${esc(c.code)}</b> ${esc(c.evidence)}</li>`).join('');
    return `<span class="badge bad">SIGNIFICANT</span> <span class="small muted">since ${fmtTime(s.significant_at)}</span>
      <ul class="reasons">${why}</ul>`;
  }
  return `<span class="badge">not significant</span><div class="reasons">peak ${num(s.peak_members_out)} out</div>`;
}

function drawTable(items, rank, sigOf) {
  const now = new Date(), alerts = [];
  $('#open tbody').innerHTML = items.map(r => {
    const p = rank.get(r.id), etr = etrCell(r, now);
    if (etr.alert) alerts.push(etr.alert);
    return `<tr tabindex="0" data-id="${r.id}" class="${r.id === picked ? 'picked' : ''}">
      <td class="num" title="${esc(p ? p.reason : '')}">${p ? p.rank : '–'}${p ? `<div class="reasons">${esc(p.reason)}</div>` : ''}</td>
      <td>${r.id}</td><td>${r.incident_id}</td><td>${facility(r)}</td><td>${esc(r.cause)}</td>
      <td class="num">${num(r.members_out_now)}<span class="muted small"> / ${num(r.members_out)}${r.members_unlocated_now ? ` · ${num(r.members_unlocated_now)} not located` : ''}</span></td>
      <td>${fmtMinutes((now - new Date(r.start_at)) / 60000)}<br><span class="muted small">since ${fmtTime(r.start_at)}</span></td>
      <td>${etr.html}</td><td>${sigCell(sigOf.get(r.incident_id))}</td></tr>`;
  }).join('');
  $('#open-empty').hidden = items.length > 0;
  $('#etr-alerts').innerHTML = alerts.length ? `<p class="warn">⚠ ${alerts.map(esc).join(' · ')}</p>` : '';
}

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

function drawCalls(incidents, calls) {
  const parts = [];
  incidents.forEach((id, k) => {
    const rows = calls[k];
    if (!rows || rows instanceof Error || !rows.length) return;
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
  });
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

async function refreshProbable() {
  let list, codes;
  try { [list, codes] = await Promise.all([api('GET', '/api/probable-outages'), causes]); }
  catch (e) { if (e.status !== 401) $('#probable-error').textContent = 'Could not refresh: ' + e.message; return; }
  $('#probable-error').textContent = '';
  drawProbable(list, codes);
}

function drawProbable(list, codes) {
  $('#probable-card').classList.toggle('alerting', list.length > 0);
  const count = list.length ? `<span class="badge warn">${list.length}</span>` : '';
  if ($('#probable-count').innerHTML !== count) $('#probable-count').innerHTML = count;
  if (!list.length) { redraw($('#probable'), '<p class="muted" id="probable-empty">No probable outages from member reports.</p>'); return; }
  const now = new Date();
  const options = codes.map(c => `<option value="${esc(c.code)}"${c.code === 'unknown' ? ' selected' : ''}>${esc(c.label)}</option>`).join('');
  redraw($('#probable'), `<p class="small muted">Feeders where members' reports pass the threshold. Confirm logs an
    interruption from the first report (on the device: everyone below it; no device: the reporting members, to
    adjust later); Dismiss closes the reports.</p>
    <table id="probable-table"><thead><tr><th>Feeder</th><th>Likely device</th><th class="num">Reports</th>
    <th>First report</th><th>Last report</th><th>Confirm or dismiss</th></tr></thead><tbody>${list.map(p => `
    <tr data-feeder="${esc(p.feeder)}">
      <td><b>${esc(p.feeder)}</b></td><td>${p.device ? esc(p.device) : '<span class="muted">none</span>'}</td>
      <td class="num reports">${num(p.reports)}</td>
      <td>${fmtTime(p.first_at)}<br><span class="muted small">${fmtMinutes((now - new Date(p.first_at)) / 60000)} ago</span></td>
      <td>${fmtTime(p.last_at)}<br><span class="muted small">${fmtMinutes((now - new Date(p.last_at)) / 60000)} ago</span></td>
      <td><form class="inline probable" data-key="probable:${esc(p.feeder)}" data-feeder="${esc(p.feeder)}"
        data-reports="${p.reports}" autocomplete="off">
        <label>Device<input name="device" value="${esc(p.device || '')}" placeholder="none: feeder"
          aria-label="Device on ${esc(p.feeder)} (empty: the whole feeder)"></label>
        <label>Cause<select name="cause">${options}</select></label>
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

function fillSelects() {
  const opts = [...records.values()].map(r =>
    `<option value="${r.id}">#${r.id} ${esc(r.transmission_line || r.feeder)} · ${num(r.members_out_now)} out</option>`).join('');
  $$('.record-select').forEach(s => {
    const keep = s.value;
    s.innerHTML = '<option value="">— pick —</option>' + opts;
    s.value = records.has(+keep) ? keep : (picked && records.has(picked) ? String(picked) : '');
  });
}

function pick(id) {
  picked = id;
  $$('#open tbody tr').forEach(tr => tr.classList.toggle('picked', +tr.dataset.id === id));
  $$('.record-select').forEach(s => s.value = String(id));
  const r = records.get(id);
  if (r) setStatus(`Picked #${id} (${r.transmission_line || r.feeder}, ${num(r.members_out_now)} out).`);
}

function values(form) {
  const out = {};
  for (const el of form.elements) {
    if (!el.name || el.name === 'interruption') continue;
    if (el.type === 'checkbox') { out[el.name] = el.checked; continue; }
    const v = el.value.trim();
    if (v === '') continue;
    out[el.name] = el.type === 'number' ? Number(v) : el.name === 'meters' ? v.split(/[\s,;]+/).filter(Boolean) : v;
  }
  return out;
}

function record(form) {
  const id = +form.elements.interruption.value, r = records.get(id);
  if (!r) { showErrors(form, {body: {detail: 'Pick an open interruption first (click a row in the list).', field: 'interruption'}}); }
  return r;
}

const ACTIONS = {
  'f-log': async form => {
    const body = values(form);
    if (!body.scheduled) { delete body.scheduled; delete body.members_notified; }
    else if (!form.elements.members_notified.checked) body.members_notified = false;
    const key = form.dataset.key || (form.dataset.key = 'console-' + Date.now().toString(36) + '-' + Math.random().toString(36).slice(2));
    const r = await api('POST', '/api/interruptions', body, {headers: {'Idempotency-Key': key}});
    delete form.dataset.key;
    return `Logged #${r.id} on ${r.transmission_line || r.feeder} (incident ${r.incident_id}), ${num(r.members_out)} out.`;
  },
  'f-step': async form => {
    const rec = record(form); if (!rec) return null;
    const b = values(form);
    const r = await api('POST', `/api/interruptions/${rec.id}/restorations`, {version: rec.version, ...b});
    const back = r.steps[r.steps.length - 1].members_restored;
    return `#${r.id}: ${num(back)} restored, ${num(r.members_out_now)} still out${r.status === 'closed' ? ' — closed' : ''}.${heldDark(r)}`;
  },
  'f-etr': async form => {
    const rec = record(form); if (!rec) return null;
    const b = values(form);
    const r = await api('PUT', `/api/interruptions/${rec.id}/etr`, {version: rec.version, etr_at: b.etr_at ?? null, note: b.note});
    return `#${r.id}: ETR ${r.etr_at ? fmtTime(r.etr_at) : 'being assessed'}.`;
  },
  'f-close': async form => {
    const rec = record(form); if (!rec) return null;
    const r = await api('POST', `/api/interruptions/${rec.id}/close`, {version: rec.version, ...values(form)});
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
          if (keep) form.elements.interruption.value = keep;
          await refresh();
        }
      } catch (err) {
        if (err.status === 409) refresh();
        if (err.status !== 401) showErrors(form, err);
      } finally { button.disabled = false; }
    });
    form.addEventListener('input', e => {
      if (e.target.getAttribute('aria-invalid')) {
        e.target.removeAttribute('aria-invalid');
        const slot = $(`.err[data-for="${e.target.name}"]`, form); if (slot) slot.textContent = '';
      }
    });
  }
  // an empty "when" field becomes "now" (cooperative time) when reached; the dispatcher can change it
  document.addEventListener('focusin', e => {
    if (e.target.matches('input[data-now]') && !e.target.value) e.target.value = zoneNow();
  });
  $('#open tbody').addEventListener('click', e => { const tr = e.target.closest('tr'); if (tr) pick(+tr.dataset.id); });
  $('#open tbody').addEventListener('keydown', e => {
    const tr = e.target.closest('tr'); if (!tr) return;
    if (e.key === 'Enter') { pick(+tr.dataset.id); $('#f-step [name=at]').focus(); }
    if (e.key === 'ArrowDown' && tr.nextElementSibling) { e.preventDefault(); tr.nextElementSibling.focus(); }
    if (e.key === 'ArrowUp' && tr.previousElementSibling) { e.preventDefault(); tr.previousElementSibling.focus(); }
  });
  const keys = {n: '#f-log [name=feeder]', r: '#f-step [name=at]', e: '#f-etr [name=etr_at]',
                c: '#f-close [name=restored_at]', l: '#open tbody tr', p: '#probable form [name=device]',
                a: '#calls tr.warn select[name=outcome]'};
  document.addEventListener('keydown', e => {
    if (e.ctrlKey || e.metaKey || e.altKey || e.target.closest('input,select,textarea')) return;
    const target = keys[e.key.toLowerCase()];
    if (target && $(target)) { e.preventDefault(); $(target).focus(); }
  });
}

// the browser's console (and the browser tests) call these by name
Object.assign(window, {refresh, fmtTime});
runPage(page);
