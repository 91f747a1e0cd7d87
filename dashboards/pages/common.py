"""The staff pages' shared shell: one HTML frame, the house CSS and the small JS kit every page uses
(log in for a bearer token kept in sessionStorage, call the JSON API with it, refuse the wrong role,
show the API's ``detail`` next to the field it names, format times in the cooperative's zone).

The pages hold no data and no business logic: they are served to anyone and fetch everything from
the JSON API with the token, so the API's role checks are the only ones that matter.  Everything is
inline or same-origin (a Content-Security-Policy forbids anything else), so a control room with no
internet sees the same page.
"""

from __future__ import annotations

import html
import json

from fastapi.responses import HTMLResponse

from dashboards.settings import get_settings
from outages.settings import get_rule_settings

# Same-origin only: a page that works offline cannot depend on a CDN, and this makes sure it doesn't.
CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
       "frame-ancestors 'none'")

CSS = """
:root{--ink:#1b1f24;--muted:#5b6470;--line:#d5dae0;--bg:#f5f6f8;--card:#fff;--accent:#0b5394;--bad:#b3261e;
--warn:#8a5a00;--warnbg:#fff4d6;--badbg:#fde7e6;--ok:#1e6b35;--okbg:#e3f4e8}
*{box-sizing:border-box}
body{margin:0;font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--ink);
background:var(--bg)}
header.top{display:flex;gap:1em;align-items:center;flex-wrap:wrap;padding:.5em 1em;background:#16324f;color:#fff}
header.top h1{font-size:1.15em;margin:0;flex:1}
header.top button{background:transparent;color:#fff;border:1px solid #fff8}
main,#login,#refused{padding:1em;max-width:1500px;margin:0 auto}
section.card{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:.75em 1em;margin:0 0 1em}
section.card h2{font-size:1.05em;margin:.1em 0 .6em}
table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid var(--line);padding:.3em .45em;text-align:left;vertical-align:top}
th{font-weight:600;color:var(--muted);font-size:.9em}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
label{display:inline-flex;flex-direction:column;font-size:.85em;color:var(--muted);margin:0 .6em .5em 0}
input,select,button,textarea{font:inherit;padding:.3em .45em;border:1px solid #9aa4ae;border-radius:4px;
background:#fff;color:var(--ink)}
button{cursor:pointer;background:var(--accent);color:#fff;border-color:var(--accent)}
button.plain{background:#fff;color:var(--accent)}
:focus-visible{outline:3px solid #f0a500;outline-offset:1px}
[aria-invalid=true]{border-color:var(--bad);background:var(--badbg)}
.err{display:block;color:var(--bad);font-size:.85em;min-height:0}
.err:empty{display:none}
.badge{display:inline-block;padding:.05em .45em;border-radius:3px;font-size:.8em;font-weight:600;
background:#e6e9ed;color:var(--muted)}
.badge.bad{background:var(--bad);color:#fff}.badge.warn{background:var(--warnbg);color:var(--warn)}
.badge.ok{background:var(--okbg);color:var(--ok)}
.warn{color:var(--warn);background:var(--warnbg)}.bad{color:var(--bad)}
.muted{color:var(--muted)}.small{font-size:.85em}
.status{margin:.3em 0;min-height:1.3em}
#login form{max-width:22em;background:var(--card);border:1px solid var(--line);padding:1em;border-radius:6px}
#login label{display:flex;margin:0 0 .7em}
#refused{color:var(--bad);font-weight:600}
@media print{header.top button,#login,.noprint{display:none!important}body{background:#fff}
section.card{border:none;padding:0}}
"""

JS = r"""
'use strict';
const CFG = JSON.parse(document.getElementById('page-config').textContent);
const $ = (sel, root) => (root || document).querySelector(sel);
const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));
const esc = s => String(s ?? '').replace(/[&<>"']/g, c => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c]));
const num = (v, d = 0) => v == null ? '–' : Number(v).toLocaleString('en-US', {minimumFractionDigits: d, maximumFractionDigits: d});
const TIME = new Intl.DateTimeFormat('en-US', {timeZone: CFG.zone, weekday: 'short', month: 'short', day: 'numeric',
  hour: '2-digit', minute: '2-digit', hour12: false, timeZoneName: 'short'});
const fmtTime = iso => iso ? TIME.format(new Date(iso)) : '–';
function fmtMinutes(m) {
  if (m == null) return '–';
  const neg = m < 0; m = Math.abs(Math.round(m));
  const d = Math.floor(m / 1440), h = Math.floor(m % 1440 / 60), mm = m % 60;
  const s = (d ? d + ' d ' : '') + (d || h ? h + ' h ' : '') + mm + ' min';
  return neg ? '-' + s : s;
}
/** Local wall time in the cooperative's zone as a datetime-local value (the API reads naive times there). */
function zoneNow(date) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-CA', {timeZone: CFG.zone, year: 'numeric',
    month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23'})
    .formatToParts(date || new Date()).map(p => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
}
const Auth = {
  get token() { return sessionStorage.getItem('outages.token'); },
  save(t) { sessionStorage.setItem('outages.token', t.access_token); },
  clear() { sessionStorage.removeItem('outages.token'); },
};
class ApiError extends Error {
  constructor(status, body) { super(body && body.detail || ('HTTP ' + status)); this.status = status; this.body = body || {}; }
}
/** Call the API with the token.  401 shows the login form; other 4xx/5xx throw ApiError with the API's body. */
async function api(method, url, body, {raw = false, headers: extra = {}} = {}) {
  const headers = {'Accept': 'application/json', ...extra};
  if (Auth.token) headers['Authorization'] = 'Bearer ' + Auth.token;
  let payload;
  if (body instanceof URLSearchParams) payload = body;
  else if (body !== undefined) { headers['Content-Type'] = 'application/json'; payload = JSON.stringify(body); }
  const res = await fetch(url, {method, headers, body: payload});
  if (res.status === 401 && url !== '/api/auth/token') { showLogin('Your session has ended. Log in again.'); }
  if (!res.ok) {
    let data = null; try { data = await res.json(); } catch (e) { /* not JSON */ }
    throw new ApiError(res.status, data);
  }
  if (raw) return res;
  return res.status === 204 ? null : res.json();
}
/** Download a protected file (links cannot carry the bearer token). */
async function download(url) {
  const res = await api('GET', url, undefined, {raw: true});
  const name = (/filename="([^"]+)"/.exec(res.headers.get('Content-Disposition') || '') || [])[1] || url.split('/').pop();
  const a = document.createElement('a');
  a.href = URL.createObjectURL(await res.blob()); a.download = name;
  document.body.appendChild(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}
document.addEventListener('click', e => {
  const a = e.target.closest('a[data-download]');
  if (!a) return;
  e.preventDefault();
  download(a.getAttribute('href')).catch(err => alert('Download failed: ' + err.message));
});
/** Show a 4xx answer's detail next to the field it names (else at the form's own message line). */
function showErrors(form, err) {
  clearErrors(form);
  const body = err.body || {};
  const problems = body.problems && body.problems.length ? body.problems : [{field: body.field, message: null}];
  let first = null;
  for (const p of problems) {
    const input = p.field && form.elements[p.field];
    const slot = (input && $(`.err[data-for="${p.field}"]`, form)) || $('.err[data-for="_form"]', form);
    const text = p.message && problems.length > 1 ? `${p.field}: ${p.message}` : (body.detail || err.message);
    slot.textContent = slot.textContent ? slot.textContent + ' ' + text : text;
    if (input && input.setAttribute) { input.setAttribute('aria-invalid', 'true'); first = first || input; }
  }
  (first || form.querySelector('input,select')).focus();
}
function clearErrors(form) {
  $$('.err', form).forEach(e => e.textContent = '');
  $$('[aria-invalid]', form).forEach(e => e.removeAttribute('aria-invalid'));
}
let started = false;
function showLogin(message) {
  Auth.clear();
  if (window.PAGE && PAGE.stop) PAGE.stop();
  started = false;
  $('#app').hidden = true; $('#refused').hidden = true; $('#login').hidden = false; $('#who').textContent = '';
  $('#login-error').textContent = message || '';
  $('#login [name=username]').focus();
}
function refuse(me) {
  $('#app').hidden = true; $('#login').hidden = true;
  const r = $('#refused'); r.hidden = false;
  r.innerHTML = `<p>This page is for ${esc(CFG.roles.join(' or '))} accounts. You are logged in as
    ${esc(me.username)} (${esc(me.role)}), which may not use it.</p>
    <button type=button id=other-user>Log in as another user</button>`;
  $('#other-user').onclick = () => showLogin('');
}
async function boot() {
  if (!Auth.token) return showLogin('');
  let me;
  try { me = await api('GET', '/api/auth/me'); }
  catch (e) { if (e.status !== 401) showLogin(e.message); return; }
  $('#who').textContent = `${me.username} (${me.role})`;
  if (!CFG.roles.includes(me.role)) return refuse(me);
  $('#login').hidden = true; $('#refused').hidden = true; $('#app').hidden = false;
  if (!started) { started = true; PAGE.start(me); }
}
$('#login form').addEventListener('submit', async e => {
  e.preventDefault();
  const f = e.target;
  try {
    Auth.save(await api('POST', '/api/auth/token', new URLSearchParams(new FormData(f))));
    f.reset(); $('#login-error').textContent = ''; boot();
  } catch (err) { $('#login-error').textContent = err.message; }
});
$('#logout').onclick = () => showLogin('Logged out.');
/** Run fn now and every `seconds`, skipping a round while the previous one is still running. */
function poll(fn, seconds) {
  let busy = false;
  const run = async () => { if (busy) return; busy = true; try { await fn(); } finally { busy = false; } };
  run();
  return setInterval(run, seconds * 1000);
}
document.addEventListener('DOMContentLoaded', boot);
/** Map with at most `limit` requests in flight. */
async function pmap(items, fn, limit = 6) {
  const out = new Array(items.length); let i = 0;
  await Promise.all(Array.from({length: Math.min(limit, items.length)}, async () => {
    while (i < items.length) { const k = i++; try { out[k] = await fn(items[k]); } catch (e) { out[k] = e; } }
  }));
  return out;
}
"""


def render(*, title: str, roles: tuple[str, ...], body: str, script: str, css: str = "", head: str = "") -> HTMLResponse:
    """A staff page: the shell with the login form, the refusal line and the page's own body and script."""
    config = json.dumps({"roles": list(roles), "zone": get_rule_settings().timezone}).replace("</", "<\\/")
    full = f"{title} · {get_settings().cooperative_name}"
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(full)}</title>{head}
<style>{CSS}{css}</style></head>
<body>
<header class="top"><h1>{html.escape(full)}</h1><span id="who"></span>
<button type="button" id="logout" class="plain">Log out</button></header>
<section id="login" hidden aria-label="Log in"><form>
<h2>Log in</h2>
<label>User name<input name="username" autocomplete="username" required></label>
<label>Password<input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Log in</button> <span class="err" id="login-error" role="alert"></span>
</form></section>
<section id="refused" hidden role="alert"></section>
<main id="app" hidden>{body}</main>
<script type="application/json" id="page-config">{config}</script>
<script>{JS}</script>
<script>{script}</script>
</body></html>"""
    return HTMLResponse(page, headers={"Content-Security-Policy": CSP, "Cache-Control": "no-cache"})

