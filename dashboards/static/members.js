/* Member pages (/members…): one script for all of them; the page-config JSON says which page this is and
   carries the texts of both languages.  The pages hold no data: everything comes from /api/members/…,
   signed-in calls with the bearer token kept in sessionStorage.  A 4xx answer's `detail` is shown next to
   the field it names (`field`, or each of `problems`), else at the form's own message line. */
import {$, $$, ApiError, CFG, clearErrors as clearSlots, esc, showErrors as showSlots, timeFormat} from './kit.js';

// --- language -----------------------------------------------------------------------------------
// The device's choice wins (see dashboards/pages/members.py): the language toggled here, else the browser's;
// never the account's.  Toggling while signed in saves it on the account too (its e-mails and alerts).
const stored = () => { try { return localStorage.getItem(CFG.lang_key); } catch { return null; } };
let lang = stored() || ((navigator.language || '').toLowerCase().startsWith('es') ? 'es' : 'en');
if (!CFG.texts[lang]) lang = 'en';
const t = (key, vars) => {
  const s = CFG.texts[lang][key] ?? CFG.texts.en[key] ?? key;
  return vars ? s.replace(/\{(\w+)\}/g, (m, k) => vars[k] ?? m) : s;
};
const has = key => key in CFG.texts.en;
/** The API's bilingual answers read "English. / Español."; show the half for the page's language. */
const pick = detail => {
  const parts = String(detail ?? '').split(' / ');
  return parts.length === 2 ? parts[lang === 'es' ? 1 : 0] : String(detail ?? '');
};
const locale = () => lang === 'es' ? 'es-US' : 'en-US';
/** The zone's name as the co-op's members read it in both languages: CST or CDT (never "GMT-6"). */
const zoneName = d => new Intl.DateTimeFormat('en-US', {timeZone: CFG.zone, timeZoneName: 'short'})
  .formatToParts(d).find(p => p.type === 'timeZoneName').value;
const fmtTime = iso => {
  if (!iso) return '';
  const d = new Date(iso);
  return timeFormat(CFG.zone, locale()).formatToParts(d)
    .map(p => p.type === 'timeZoneName' ? zoneName(d) : p.value).join('');
};
const fmtClock = iso => new Intl.DateTimeFormat(locale(), {timeZone: CFG.zone, hour: 'numeric', minute: '2-digit'})
  .format(new Date(iso));
const langName = code => has('lang_' + code) ? t('lang_' + code) : code;

/** Put a text in `el` and remember how it was made, so that a language switch redraws it. */
function say(el, key, vars) {
  if (!el) return;
  delete el.dataset.raw;
  el.dataset.i18n = key;
  if (vars) el.dataset.vars = JSON.stringify(vars); else delete el.dataset.vars;
  el.textContent = t(key, vars);
}
function sayRaw(el, detail) {
  if (!el) return;
  delete el.dataset.i18n; delete el.dataset.vars;
  el.dataset.raw = detail;
  el.textContent = pick(detail);
}
function hush(el) {
  if (!el) return;
  delete el.dataset.i18n; delete el.dataset.vars; delete el.dataset.raw;
  el.textContent = '';
}
function applyLang() {
  document.documentElement.lang = lang;
  $$('[data-i18n]').forEach(el => { el.textContent = t(el.dataset.i18n, el.dataset.vars && JSON.parse(el.dataset.vars)); });
  $$('[data-raw]').forEach(el => { el.textContent = pick(el.dataset.raw); });
  $$('[data-i18n-aria]').forEach(el => el.setAttribute('aria-label', t(el.dataset.i18nAria)));
  $$('[data-i18n-html]').forEach(el => { el.innerHTML = linked(t(el.dataset.i18nHtml)); });
  $('#lang').lang = lang === 'es' ? 'en' : 'es';
  document.title = t(CFG.title_key) + ' · ' + CFG.coop;
  if (PAGE.redraw) PAGE.redraw();
}
/** A text with {911} and {phone} as tel: links (the safety banner). */
const linked = text => esc(text)
  .replace('{911}', '<a href="tel:911">911</a>')
  .replace('{phone}', `<a href="tel:${esc(CFG.phone_tel)}">${esc(CFG.phone)}</a>`);
$('#lang').addEventListener('click', () => {
  lang = lang === 'es' ? 'en' : 'es';
  try { localStorage.setItem(CFG.lang_key, lang); } catch { /* private mode: not remembered */ }
  applyLang();
  if (PAGE.toggled) PAGE.toggled();
});

// --- the API ------------------------------------------------------------------------------------
const Auth = {
  get token() { return sessionStorage.getItem(CFG.token_key); },
  save(token) { sessionStorage.setItem(CFG.token_key, token); },
  clear() { sessionStorage.removeItem(CFG.token_key); },
};
/** Call the API (`auth`: with the member's token).  Non-2xx answers throw ApiError with the API's body;
    status 0 means the server could not be reached. */
async function api(method, url, body, {auth = false} = {}) {
  const headers = {Accept: 'application/json'};
  if (auth && Auth.token) headers.Authorization = 'Bearer ' + Auth.token;
  let payload;
  if (body instanceof URLSearchParams) payload = body;
  else if (body !== undefined) { headers['Content-Type'] = 'application/json'; payload = JSON.stringify(body); }
  let res;
  try {
    res = await fetch(url, {method, headers, body: payload, cache: 'no-store', credentials: 'same-origin'});
  } catch {
    throw new ApiError(0, null);
  }
  if (!res.ok) {
    let data = null;
    try { data = await res.json(); } catch { /* not JSON */ }
    if (auth && res.status === 401 && PAGE.expired) PAGE.expired();
    throw new ApiError(res.status, data);
  }
  return res.status === 204 ? null : res.json();
}
/** An error's words: the API's detail, or ours when the server could not be reached. */
function showError(el, err) {
  if (err.status === 0) say(el, 'network');
  else sayRaw(el, (err.body && err.body.detail) || err.message);
}
/** Show a 4xx answer next to the field it names (each of `problems`), else at the form's message line: the
    first in the words of showError, the others' own messages where their slot is still empty. */
function showErrors(form, err) {
  showSlots(form, err, {clear: clearErrors, focusForm: false, show: (slot, e, p, i) => {
    if (i === 0) showError(slot, e);
    else if (!slot.textContent) sayRaw(slot, p.message || '');
  }});
}
const clearErrors = form => clearSlots(form, {slots: '.err, [data-ok]', empty: hush});
document.addEventListener('input', e => {  // typing again clears that field's complaint
  const input = e.target;
  if (!input.getAttribute || !input.getAttribute('aria-invalid')) return;
  input.removeAttribute('aria-invalid');
  if (input.form && input.name) hush($(`.err[data-for="${input.name}"]`, input.form));
});
/** Submit `form` through `handler`; the button shows "Sending…" meanwhile; API errors land next to fields. */
function onSubmit(form, handler) {
  form.addEventListener('submit', async e => {
    e.preventDefault();
    const button = $('button[type=submit]', form);
    if (button.disabled) return;
    const label = button.dataset.i18n;
    clearErrors(form);
    button.disabled = true; say(button, 'sending');
    try { await handler(form); } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      if (err.status !== 401 || !PAGE.expired || form.id === 'f-signin') showErrors(form, err);
    } finally { button.disabled = false; say(button, label); }
  });
}
function ok(form, key, vars) { say($('[data-ok]', form), key, vars); }
/** The API's answer followed by a hint of ours, in one success line. */
function okWith(form, detail, key) {
  const el = $('[data-ok]', form);
  el.innerHTML = '<span></span> <span></span>';
  sayRaw(el.firstChild, detail); say(el.lastChild, key);
}
const trimmed = form => Object.fromEntries(Array.from(new FormData(form)).map(([k, v]) => [k, String(v).trim()]));
const param = name => new URLSearchParams(location.search).get(name);

// --- /members: sign in, register, my outages, alert settings -----------------------------------
const KINDS = ['outage', 'etr', 'restored', 'planned', 'crew'];
const STATUSES = ['on', 'out', 'possibly_out'];
const STAGES = ['reported', 'crew_assigned', 'crew_on_site'];  // what is known of an outage (D17): the map's words
const HAZARDS = ['wire_down', 'tree_on_line'];
const home = {
  view: null, timer: null,
  state: {me: null, updated: null, confirming: new Set(), acks: {}, hazards: {}, partial: {}, recipients: null, missing: false,
    removing: null},
  reset() { this.state = {me: null, updated: null, confirming: new Set(), acks: {}, hazards: {}, partial: {}, recipients: null,
    missing: false, removing: null}; },
  start() {
    const VIEWS = ['signin', 'register', 'forgot', 'resend', 'outages', 'alerts'];
    const PRIVATE = ['outages', 'alerts'];
    this.route = (focus) => {
      let v = location.hash.slice(1);
      if (!VIEWS.includes(v)) v = Auth.token ? 'outages' : 'signin';
      if (PRIVATE.includes(v) && !Auth.token) v = 'signin';
      if (v === 'signin' && Auth.token) v = 'outages';
      if (location.hash.slice(1) !== v) history.replaceState(null, '', '#' + v);
      this.show(v, focus);
    };
    window.addEventListener('hashchange', () => this.route(true));
    $('#f-register').language.value = lang;
    this.forms();
    this.route(false);
  },
  go(v) { if (location.hash === '#' + v) this.route(true); else location.hash = v; },
  show(v, focus) {
    this.view = v;
    $$('.view').forEach(s => { s.hidden = s.id !== 'v-' + v; });
    const signed = !!Auth.token;
    $('#mb-signed').hidden = !signed;
    $$('#mb-tabs a').forEach(a => a.setAttribute('aria-current', a.dataset.view === v ? 'page' : 'false'));
    clearInterval(this.timer); this.timer = null;
    if (v === 'outages') {
      this.loadMe();
      this.timer = setInterval(() => { if (!document.hidden && !this.state.confirming.size) this.loadMe(); },
        CFG.refresh * 1000);
    }
    if (v === 'alerts') this.loadAlerts();
    if (focus) $('#h-' + v).focus();
  },
  /** An explicit toggle while signed in: the account's e-mails and alerts follow it. */
  async toggled() {
    if (!Auth.token) return;
    try {
      const me = await api('PATCH', '/api/members/me', {language: lang}, {auth: true});
      home.state.me = me;
      $('#f-lang').language.value = me.language;
    } catch (err) {
      if (err.status !== 401) showError($('#mb-status'), err);
    }
  },
  expired() {
    Auth.clear(); home.reset();
    say($('#mb-status'), 'session_ended');
    home.go('signin');
  },
  redraw() {
    if (home.state.me) say($('#who'), 'signed_in_as', {email: home.state.me.email});
    if (home.view === 'outages') home.drawCards();
    if (home.view === 'alerts') { home.drawPoints(); home.drawRecipients(); }
    const reg = $('#f-register');
    if (!reg.dataset.touched) reg.language.value = lang;
  },
  forms() {
    onSubmit($('#f-signin'), async f => {
      const answer = await api('POST', '/api/members/token',
        new URLSearchParams({username: f.username.value.trim(), password: f.password.value}));
      Auth.save(answer.access_token);
      f.reset(); hush($('#mb-status'));
      this.go('outages');
    });
    $('#f-register').language.addEventListener('change', e => { e.target.form.dataset.touched = '1'; });
    onSubmit($('#f-register'), async f => {
      const answer = await api('POST', '/api/members/register', {...trimmed(f), password: f.password.value});
      f.reset(); delete f.dataset.touched; f.language.value = lang;
      okWith(f, answer.detail, 'check_mail');
    });
    onSubmit($('#f-forgot'), async f => {
      const answer = await api('POST', '/api/members/password-reset', trimmed(f));
      f.reset(); okWith(f, answer.detail, 'check_mail');
    });
    onSubmit($('#f-resend'), async f => {
      const answer = await api('POST', '/api/members/resend-activation', trimmed(f));
      f.reset(); okWith(f, answer.detail, 'check_mail');
    });
    $('#signout').addEventListener('click', () => {
      Auth.clear(); this.reset(); hush($('#who'));
      say($('#mb-status'), 'signed_out');
      this.go('signin');
    });
    $('#refresh').addEventListener('click', () => this.loadMe());
    // my outages
    $('#cards').addEventListener('click', e => this.cardAction(e));
    $('#cards').addEventListener('change', e => this.chooseHazard(e));
    onSubmit($('#f-add'), async f => {
      this.state.me = await api('POST', '/api/members/me/service-points', trimmed(f), {auth: true});
      f.reset(); ok(f, 'point_added');
      this.drawCards();
    });
    // alert settings
    $('#f-lang').addEventListener('submit', e => e.preventDefault());
    $('#f-lang').language.addEventListener('change', e => this.saveLanguage(e.target));
    $('#alert-points').addEventListener('change', e => this.saveAlerts(e.target));
    $('#recipients').addEventListener('click', e => this.recipientAction(e));
    const rf = $('#f-recipient');
    rf.channel.addEventListener('change', () => this.channelChanged());
    rf.language.value = lang;
    onSubmit(rf, async f => {
      const made = await api('POST', '/api/members/me/alert-recipients', trimmed(f), {auth: true});
      const channel = made.channel || f.channel.value;
      f.reset(); f.language.value = lang; this.channelChanged();
      ok(f, channel === 'sms' ? 'recipient_added_sms' : 'recipient_added_email', {address: made.address});
      hush($('#recipients-status'));
      await this.loadRecipients();
    });
  },

  // my outages
  async loadMe() {
    const err = $('#outages-err');
    try {
      this.state.me = await api('GET', '/api/members/me', undefined, {auth: true});
      this.state.updated = new Date().toISOString();
      hush(err);
    } catch (e) {
      if (e.status !== 401) showError(err, e);
      return;
    }
    say($('#who'), 'signed_in_as', {email: this.state.me.email});
    if (this.view === 'outages') this.drawCards();
  },
  drawCards() {
    const me = this.state.me;
    if (!me) return;
    if (this.state.updated) say($('#updated'), 'updated', {time: fmtClock(this.state.updated)});
    const box = $('#cards');
    const active = document.activeElement && box.contains(document.activeElement) ?
      [document.activeElement.dataset.act, document.activeElement.dataset.meter] : null;
    box.innerHTML = me.service_points.length ? me.service_points.map(sp => this.card(sp)).join('')
      : `<p class="note">${esc(t('no_points'))}</p>`;
    if (active && active[0]) {
      const again = $$('button[data-act]', box).find(b => b.dataset.act === active[0] && b.dataset.meter === active[1]);
      if (again) again.focus();
    }
  },
  card(sp) {
    const status = STATUSES.includes(sp.status) ? sp.status : 'on';
    const meter = sp.meter_number;
    const rows = [];
    if (status === 'out' && STAGES.includes(sp.outage_status)) {
      rows.push([t('outage_status'), `<span class="stage ${esc(sp.outage_status)}">${esc(t('stage_' + sp.outage_status))}</span>
        <span class="about">${esc(t('about_' + sp.outage_status))}</span>`]);
    }
    if (status !== 'on' || sp.etr_at) {
      rows.push([t('etr'), sp.etr_at ? `<time datetime="${esc(sp.etr_at)}">${esc(fmtTime(sp.etr_at))}</time>`
        : esc(t('etr_assessing'))]);
    }
    if (sp.cause) rows.push([t('cause'), esc(has('cause_' + sp.cause) ? t('cause_' + sp.cause) : sp.cause)]);
    if (sp.out_since) rows.push([t('out_since'), `<time datetime="${esc(sp.out_since)}">${esc(fmtTime(sp.out_since))}</time>`]);
    if (sp.report) {
      const rs = has('report_' + sp.report.status) ? t('report_' + sp.report.status) : sp.report.status;
      rows.push([t('your_report'), esc(t('report_line', {status: rs, time: fmtTime(sp.report.created_at)}))]);
    } else if ('report' in sp) rows.push([t('your_report'), esc(t('report_none'))]);
    const m = esc(meter);
    const action = this.state.confirming.has(meter)
      ? `<div class="confirm" role="group" aria-label="${esc(t('report_q', {meter}))}">
           <p class="q">${esc(t('report_q', {meter}))}</p>${this.partialChoice(meter)}${this.hazardChoice(meter)}
           <button type="button" class="wide big danger" data-act="confirm" data-meter="${m}">${esc(t('report_yes'))}</button>
           <button type="button" class="wide plain" data-act="cancel" data-meter="${m}">${esc(t('cancel'))}</button></div>`
      : `<button type="button" class="wide big" data-act="report" data-meter="${m}">${esc(t('report_btn'))}</button>`;
    const ack = this.state.acks[meter];
    const ackHtml = !ack ? '' : ack.error
      ? `<p class="err ack" role="alert" tabindex="-1">${esc(ack.error.status === 0 ? t('network') : pick(ack.error.message))}</p>`
      : `<p class="ok ack" role="status" tabindex="-1">${esc(pick(ack.detail))}</p>` +
        (ack.safety ? `<p class="safety" role="alert">${esc(pick(ack.safety))}</p>` : '');
    return `<article class="sp ${status}" data-meter="${m}" data-status="${esc(sp.status)}">
      <h3>${esc(t('meter', {meter}))}</h3><div class="acct">${esc(t('account', {account: sp.account_number}))}</div>
      <p class="state"><span class="dot" aria-hidden="true"></span><span>${esc(t('status_' + status))}</span></p>
      <p class="explain">${esc(t('explain_' + status))}</p>
      ${rows.length ? `<dl>${rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('')}</dl>` : ''}
      ${action}${ackHtml}</article>`;
  },
  /** "How much power do you have?" for one meter's report (partial power), kept across redraws. */
  partialChoice(meter) {
    const some = Boolean(this.state.partial[meter]), m = esc(meter);
    const option = (value, key) => `<label class="check"><input type="radio" name="partial-${m}" value="${value}"
      data-partial-for="${m}"${some === Boolean(value) ? ' checked' : ''}><span>${esc(t(key))}</span></label>`;
    return `<fieldset class="choice partial"><legend>${esc(t('partial_q'))}</legend>${option('', 'partial_none')}` +
      `${option('some', 'partial_some')}</fieldset>`;
  },
  /** "Is anything dangerous?" for one meter's report, kept across redraws, with the safety text once chosen. */
  hazardChoice(meter) {
    const chosen = this.state.hazards[meter] || '', m = esc(meter);
    const option = (value, key) => `<label class="check"><input type="radio" name="hazard-${m}" value="${value}"
      data-hazard-for="${m}"${chosen === value ? ' checked' : ''}><span>${esc(t(key))}</span></label>`;
    return `<fieldset class="choice hazard"><legend>${esc(t('hazard_q'))}</legend>${option('', 'hazard_none')}` +
      HAZARDS.map(h => option(h, 'hazard_' + h)).join('') + '</fieldset>' +
      (chosen ? `<p class="safety" role="alert">${esc(t('hazard_safety'))}</p>` : '');
  },
  chooseHazard(e) {
    const some = e.target.closest('input[data-partial-for]');
    if (some) { this.state.partial[some.dataset.partialFor] = Boolean(some.value); return; }
    const input = e.target.closest('input[data-hazard-for]');
    if (!input) return;
    const meter = input.dataset.hazardFor;
    this.state.hazards[meter] = input.value;
    this.drawCards();
    const again = $$('#cards input[data-hazard-for]').find(x => x.dataset.hazardFor === meter && x.value === input.value);
    if (again) again.focus();
  },
  async cardAction(e) {
    const b = e.target.closest('button[data-act]');
    if (!b || b.disabled) return;
    const meter = b.dataset.meter;
    const find = act => $$('#cards button[data-act]').find(x => x.dataset.act === act && x.dataset.meter === meter);
    if (b.dataset.act === 'report') {
      this.state.confirming.add(meter); delete this.state.acks[meter];
      this.drawCards(); find('confirm').focus();
    } else if (b.dataset.act === 'cancel') {
      this.state.confirming.delete(meter); delete this.state.hazards[meter]; delete this.state.partial[meter];
      this.drawCards(); find('report').focus();
    } else if (b.dataset.act === 'confirm') {
      b.disabled = true; b.textContent = t('sending');
      try {
        const hazard = this.state.hazards[meter];
        const body = {meter_number: meter, ...(hazard ? {hazard} : {}),
          ...(this.state.partial[meter] ? {partial_power: true} : {})};
        const answer = await api('POST', '/api/members/me/outage-reports', body, {auth: true});
        this.state.acks[meter] = {detail: answer.detail, safety: answer.safety};
        delete this.state.hazards[meter]; delete this.state.partial[meter];
      } catch (err) {
        if (err.status === 401) return;
        this.state.acks[meter] = {error: err};
      }
      this.state.confirming.delete(meter);
      this.drawCards();
      await this.loadMe();
      const ack = $$('#cards article').find(a => a.dataset.meter === meter);
      if (ack && $('.ack', ack)) $('.ack', ack).focus();
    }
  },

  // alert settings
  async loadAlerts() {
    const err = $('#alerts-err');
    hush(err);
    try { this.state.me = await api('GET', '/api/members/me', undefined, {auth: true}); } catch (e) {
      if (e.status !== 401) showError(err, e);
      return;
    }
    say($('#who'), 'signed_in_as', {email: this.state.me.email});
    $('#f-lang').language.value = this.state.me.language;
    this.drawPoints();
    await this.loadRecipients();
  },
  async saveLanguage(select) {
    const form = select.form;
    clearErrors(form);
    try {
      this.state.me = await api('PATCH', '/api/members/me', {language: select.value}, {auth: true});
      ok(form, 'saved');
    } catch (err) {
      if (err.status === 401) return;
      if (this.state.me) select.value = this.state.me.language;
      showErrors(form, err);
    }
  },
  drawPoints() {
    const me = this.state.me, box = $('#alert-points');
    if (!me) return;
    box.innerHTML = !me.service_points.length ? `<p class="note">${esc(t('no_points'))}</p>`
      : me.service_points.map(sp => {
        const m = esc(sp.meter_number);
        const legend = `<legend>${esc(t('meter', {meter: sp.meter_number}))}</legend>`;
        if (!sp.alerts) return `<fieldset class="alerts">${legend}<p class="muted">${esc(t('alerts_unavailable'))}</p></fieldset>`;
        return `<fieldset class="alerts" data-meter="${m}">${legend}<div>` + KINDS.map(k =>
          `<label class="check"><input type="checkbox" name="${k}"${sp.alerts[k] ? ' checked' : ''}>
           <span>${esc(t('alert_' + k))}</span></label>`).join('') +
          '</div><p class="err" role="alert"></p><p class="ok" role="status"></p></fieldset>';
      }).join('');
  },
  async saveAlerts(input) {
    const box = input.closest('fieldset[data-meter]');
    if (!box) return;
    const meter = box.dataset.meter;
    const choice = Object.fromEntries(KINDS.map(k => [k, $(`[name=${k}]`, box).checked]));
    const err = $('.err', box), done = $('.ok', box);
    hush(err); hush(done);
    try {
      const sp = await api('PUT', `/api/members/me/service-points/${encodeURIComponent(meter)}/alerts`, choice,
        {auth: true});
      const mine = this.state.me.service_points.find(p => p.meter_number === meter);
      if (mine) Object.assign(mine, sp && sp.alerts ? sp : {alerts: choice});
      say(done, 'saved');
    } catch (e) {
      if (e.status === 401) return;
      input.checked = !input.checked;
      showError(err, e);
    }
  },
  async loadRecipients() {
    try {
      this.state.recipients = await api('GET', '/api/members/me/alert-recipients', undefined, {auth: true});
      this.state.missing = false;
    } catch (e) {
      if (e.status === 404 || e.status === 405) { this.state.recipients = null; this.state.missing = true; }
      else if (e.status !== 401) showError($('#recipients-status'), e);
    }
    this.drawRecipients();
  },
  drawRecipients() {
    const ul = $('#recipients'), list = this.state.recipients;
    $('#f-recipient').hidden = $('#h-add-recipient').hidden = this.state.missing;
    if (this.state.missing) { ul.innerHTML = `<li class="muted">${esc(t('alerts_unavailable'))}</li>`; return; }
    if (!list) { ul.innerHTML = ''; return; }
    if (!list.length) { ul.innerHTML = `<li class="muted">${esc(t('recipients_none'))}</li>`; return; }
    ul.innerHTML = list.map(r => {
      const id = esc(r.id), status = has('rstatus_' + r.status) ? t('rstatus_' + r.status) : r.status;
      let action = '';
      if (!r.owner) {
        action = String(this.state.removing) === String(r.id)
          ? `<div class="confirm" role="group"><p class="q">${esc(t('remove_q', {address: r.address}))}</p>
             <button type="button" class="wide danger" data-act="remove-yes" data-id="${id}">${esc(t('remove_yes'))}</button>
             <button type="button" class="wide plain" data-act="remove-no" data-id="${id}">${esc(t('cancel'))}</button></div>`
          : `<button type="button" class="plain" data-act="remove" data-id="${id}">${esc(t('remove'))}</button>`;
      }
      return `<li data-id="${id}" data-status="${esc(r.status)}"><div class="addr">${esc(r.address)}</div>
        <div class="meta">${esc(t('channel_' + r.channel))} · ${esc(langName(r.language))}
        <span class="badge ${esc(r.status)}">${esc(status)}</span>
        ${r.owner ? `<span class="badge owner">${esc(t('owner'))}</span>` : ''}</div>${action}
        <p class="err" role="alert"></p></li>`;
    }).join('');
  },
  async recipientAction(e) {
    const b = e.target.closest('button[data-act]');
    if (!b || b.disabled) return;
    const id = b.dataset.id;
    const find = act => $$('#recipients button[data-act]').find(x => x.dataset.act === act && x.dataset.id === id);
    if (b.dataset.act === 'remove') { this.state.removing = id; this.drawRecipients(); find('remove-yes').focus(); }
    else if (b.dataset.act === 'remove-no') { this.state.removing = null; this.drawRecipients(); find('remove').focus(); }
    else if (b.dataset.act === 'remove-yes') {
      b.disabled = true;
      try {
        await api('DELETE', `/api/members/me/alert-recipients/${encodeURIComponent(id)}`, undefined, {auth: true});
        this.state.removing = null;
        await this.loadRecipients();  // the list shows the removal before the status announces it
        say($('#recipients-status'), 'removed');
      } catch (err) {
        if (err.status === 401) return;
        b.disabled = false;
        showError($('.err', b.closest('li')), err);
      }
    }
  },
  channelChanged() {
    const f = $('#f-recipient'), sms = f.channel.value === 'sms';
    f.address.type = sms ? 'tel' : 'email';
    f.address.inputMode = sms ? 'tel' : 'email';
    f.address.autocomplete = sms ? 'tel' : 'email';
    say($('label[for="f-recipient-address"]'), sms ? 'address_sms' : 'address_email');
  },
};

// --- /members/activate?token= -------------------------------------------------------------------
const activate = {
  async start() {
    const result = $('#result'), token = param('token');
    onSubmit($('#f-resend'), async f => {
      const answer = await api('POST', '/api/members/resend-activation', trimmed(f));
      f.reset(); okWith(f, answer.detail, 'check_mail');
    });
    if (!token) { say(result, 'act_invalid'); result.className = 'note bad'; $('#ask-new').hidden = false; return; }
    try {
      const answer = await api('POST', '/api/members/activate', {token});
      result.dataset.status = answer.status;
      if (answer.status === 'activated') say(result, 'act_activated');
      else if (answer.status === 'already_active') say(result, 'act_already');
      else sayRaw(result, answer.detail);
      result.className = 'note good';
      $('#go-signin').hidden = false;
    } catch (err) {
      result.className = 'note bad';
      result.dataset.status = String(err.status);
      if (err.status === 409) { say(result, 'act_expired'); showError($('#detail'), err); $('#resend').hidden = false; }
      else if (err.status === 422) { say(result, 'act_invalid'); showError($('#detail'), err); $('#ask-new').hidden = false; }
      else showError(result, err);
    }
  },
};

// --- /members/reset?token= ----------------------------------------------------------------------
const reset = {
  start() {
    const form = $('#f-reset'), token = param('token');
    const finish = () => { $$('.field, label.check, button[type=submit]', form).forEach(e => { e.hidden = true; }); };
    $('#show-password').addEventListener('change', e => { form.password.type = e.target.checked ? 'text' : 'password'; });
    if (!token) { finish(); say($('.err[data-for=_form]', form), 'reset_invalid'); $('#ask-new').hidden = false; return; }
    onSubmit(form, async f => {
      try {
        await api('POST', '/api/members/password-reset/confirm', {token, password: f.password.value});
      } catch (err) {
        if (err.body && err.body.field === 'token') $('#ask-new').hidden = false;
        throw err;
      }
      f.reset(); finish(); ok(f, 'reset_done');
      $('#go-signin').hidden = false;
    });
  },
};

// --- /members/report ----------------------------------------------------------------------------
const report = {
  start() {
    const form = $('#f-report');
    const choose = () => {
      const phone = form.elements.with.value === 'phone';
      $('[data-field=meter_number]', form).hidden = phone; form.meter_number.required = !phone;
      $('[data-field=phone]', form).hidden = !phone; form.phone.required = phone;
    };
    $$('[name=with]', form).forEach(r => r.addEventListener('change', choose));
    choose();
    const safety = $('#f-report-safety');
    const danger = () => { safety.hidden = !form.elements.hazard.value; };
    $$('[name=hazard]', form).forEach(r => r.addEventListener('change', danger));
    danger();
    onSubmit(form, async f => {
      const proof = {account_number: f.account_number.value.trim()};
      if (f.elements.with.value === 'phone') proof.phone = f.phone.value.trim();
      else proof.meter_number = f.meter_number.value.trim();
      const data = {...proof};
      if (f.elements.hazard.value) data.hazard = f.elements.hazard.value;
      if (f.elements.partial_power.value) data.partial_power = true;
      const answer = await api('POST', '/api/members/outage-reports', data);
      this.proof = proof; this.ack = answer;
      this.redraw();
      if (answer.safety) { sayRaw(safety, answer.safety); safety.hidden = false; }  // stay away, call 911
      $('#updates').hidden = false;
      if (answer.known) $('#known').focus();
    });
    const uf = $('#f-updates');
    uf.language.value = lang;
    uf.language.addEventListener('change', () => { uf.dataset.touched = '1'; });
    uf.channel.addEventListener('change', () => {
      const sms = uf.channel.value === 'sms';
      uf.address.type = sms ? 'tel' : 'email';
      uf.address.inputMode = sms ? 'tel' : 'email';
      uf.address.autocomplete = sms ? 'tel' : 'email';
      say($('label[for="f-updates-address"]'), sms ? 'address_sms' : 'address_email');
    });
    onSubmit(uf, async f => {
      const answer = await api('POST', '/api/members/updates', {...this.proof, ...trimmed(f)});
      f.address.value = '';
      sayRaw($('[data-ok]', f), answer.detail);
    });
  },
  /** What the answer to the report says is known: the outage's status, ETR and since when; else its words. */
  redraw() {
    const ack = report.ack, box = $('#known');
    const uf = $('#f-updates');
    if (uf && !uf.dataset.touched) uf.language.value = lang;
    if (!ack) return;
    const done = $('#f-report [data-ok]');
    box.hidden = !ack.known;
    if (!ack.known) { sayRaw(done, ack.detail); $('#known-facts').innerHTML = ''; return; }
    hush(done);
    const stage = STAGES.includes(ack.outage_status) ? ack.outage_status : 'reported';
    const rows = [
      [t('outage_status'), `<span class="stage ${esc(stage)}">${esc(t('stage_' + stage))}</span>
        <span class="about">${esc(t('about_' + stage))}</span>`],
      [t('etr'), ack.etr_at ? `<time datetime="${esc(ack.etr_at)}">${esc(fmtTime(ack.etr_at))}</time>`
        : esc(t('etr_assessing'))],
    ];
    if (ack.out_since) rows.push([t('out_since'), `<time datetime="${esc(ack.out_since)}">${esc(fmtTime(ack.out_since))}</time>`]);
    $('#known-facts').innerHTML = rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('');
  },
};

// --- /members/confirm?token= (an extra alert recipient) -----------------------------------------
const confirm = {
  async start() {
    const result = $('#result'), token = param('token');
    if (!token) { say(result, 'link_invalid'); result.className = 'note bad'; return; }
    try {
      const answer = await api('POST', '/api/members/alerts/confirm', {token});
      result.dataset.status = answer.status;
      if (answer.status === 'confirmed') say(result, 'confirm_done');
      else if (answer.status === 'already_confirmed') say(result, 'confirm_already');
      else sayRaw(result, answer.detail);
      result.className = 'note good';
    } catch (err) {
      result.className = 'note bad';
      result.dataset.status = String(err.status);
      if (err.status >= 400 && err.status < 500 && err.status !== 429) { say(result, 'link_invalid'); showError($('#detail'), err); }
      else showError(result, err);
    }
  },
};

// --- /members/unsubscribe?key= ------------------------------------------------------------------
const unsubscribe = {
  start() {
    const form = $('#f-unsub'), key = param('key');
    const button = $('button[type=submit]', form);
    if (!key) { button.hidden = true; say($('.err[data-for=_form]', form), 'link_invalid'); return; }
    onSubmit(form, async f => {
      // the key goes in the query (how the API reads it, as in a one-click List-Unsubscribe POST) and in the body
      const answer = await api('POST', '/api/members/alerts/unsubscribe?key=' + encodeURIComponent(key), {key});
      button.hidden = true;
      if (answer && answer.detail) sayRaw($('[data-ok]', f), answer.detail); else ok(f, 'unsub_done');
    });
  },
};

const PAGE = {home, activate, reset, report, confirm, unsubscribe}[CFG.page] || {start() {}};
applyLang();
PAGE.start();
