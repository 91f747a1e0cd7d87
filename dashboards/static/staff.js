/* The staff pages' shell: log in for a bearer token kept in sessionStorage, call the JSON API with it, refuse
   the wrong role, download protected files, poll.  The pages hold no data and no business logic: the API's
   role checks are the only ones that matter.  A page module calls `runPage(page)` with its own `start(me)` and
   `stop()`. */
import {$, CFG, ApiError, esc, timeFormat, wallTime} from './kit.js';

const TIME = timeFormat(CFG.zone, 'en-US', {hour: '2-digit', hour12: false});
/** A moment in the cooperative's zone, '–' for none. */
export const fmtTime = iso => iso ? TIME.format(new Date(iso)) : '–';
/** Now (or `date`) in the cooperative's zone, as a datetime-local value. */
export const zoneNow = date => wallTime(CFG.zone, date);

const Auth = {
  get token() { return sessionStorage.getItem('outages.token'); },
  save(t) { sessionStorage.setItem('outages.token', t.access_token); },
  clear() { sessionStorage.removeItem('outages.token'); },
};

/** Call the API with the token.  401 shows the login form; other 4xx/5xx throw ApiError with the API's body. */
export async function api(method, url, body, {raw = false, headers: extra = {}} = {}) {
  const headers = {'Accept': 'application/json', ...extra};
  if (Auth.token) headers['Authorization'] = 'Bearer ' + Auth.token;
  let payload;
  if (body instanceof URLSearchParams) payload = body;
  else if (body !== undefined) { headers['Content-Type'] = 'application/json'; payload = JSON.stringify(body); }
  const res = await fetch(url, {method, headers, body: payload});
  if (res.status === 401 && url !== '/api/auth/token') { showLogin('Your session has ended. Log in again.'); }
  if (!res.ok) {
    let data = null;
    try { data = await res.json(); } catch { /* not JSON */ }
    throw new ApiError(res.status, data);
  }
  if (raw) return res;
  return res.status === 204 ? null : res.json();
}

/** Download a protected file (links cannot carry the bearer token). */
export async function download(url) {
  const res = await api('GET', url, undefined, {raw: true});
  const name = (/filename="([^"]+)"/.exec(res.headers.get('Content-Disposition') || '') || [])[1] || url.split('/').pop();
  const a = document.createElement('a');
  a.href = URL.createObjectURL(await res.blob());
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

/** Run fn now and every `seconds`, skipping a round while the previous one is still running. */
export function poll(fn, seconds) {
  let busy = false;
  const run = async () => { if (busy) return; busy = true; try { await fn(); } finally { busy = false; } };
  run();
  return setInterval(run, seconds * 1000);
}

/** Map with at most `limit` requests in flight. */
export async function pmap(items, fn, limit = 6) {
  const out = new Array(items.length);
  let i = 0;
  await Promise.all(Array.from({length: Math.min(limit, items.length)}, async () => {
    while (i < items.length) { const k = i++; try { out[k] = await fn(items[k]); } catch (e) { out[k] = e; } }
  }));
  return out;
}

let page = null, started = false;

function showLogin(message) {
  Auth.clear();
  if (page && started) page.stop();
  started = false;
  $('#app').hidden = true; $('#refused').hidden = true; $('#login').hidden = false; $('#who').textContent = '';
  $('#login-error').textContent = message || '';
  $('#login [name=username]').focus();
}

function refuse(me) {
  $('#app').hidden = true; $('#login').hidden = true;
  const r = $('#refused');
  r.hidden = false;
  r.innerHTML = `<p>This page is for ${esc(CFG.roles.join(' or '))} accounts. You are logged in as
    ${esc(me.username)} (${esc(me.role)}), which may not use it.</p>
    <button type=button id=other-user>Log in as another user</button>`;
  $('#other-user').onclick = () => showLogin('');
}

async function boot() {
  if (!Auth.token) return showLogin('');
  // the page's first data, asked for while the account is checked (the API decides who may read it)
  const early = page.prefetch && !started ? page.prefetch().catch(() => null) : null;
  let me;
  try { me = await api('GET', '/api/auth/me'); } catch (e) { if (e.status !== 401) showLogin(e.message); return; }
  $('#who').textContent = `${me.username} (${me.role})`;
  if (!CFG.roles.includes(me.role)) return refuse(me);
  $('#login').hidden = true; $('#refused').hidden = true; $('#app').hidden = false;
  if (!started) { started = true; page.start(me, early); }
}

/** Run the page: `start(me, early)` once a user of one of the page's roles is logged in, `stop()` when they
 *  leave; `early`: what its optional `prefetch()` answered (null if it failed), asked for during the log-in check. */
export function runPage(pageModule) {
  page = pageModule;
  document.addEventListener('click', e => {
    const a = e.target.closest('a[data-download]');
    if (!a) return;
    e.preventDefault();
    download(a.getAttribute('href')).catch(err => alert('Download failed: ' + err.message));
  });
  $('#login form').addEventListener('submit', async e => {
    e.preventDefault();
    const f = e.target;
    try {
      Auth.save(await api('POST', '/api/auth/token', new URLSearchParams(new FormData(f))));
      f.reset(); $('#login-error').textContent = ''; boot();
    } catch (err) { $('#login-error').textContent = err.message; }
  });
  $('#logout').onclick = () => showLogin('Logged out.');
  boot();
}
