/* The small kit every page script shares: the page's config, look-ups, escaping, numbers and times, and the
   API's messages shown next to the fields they name. */

/** The page's configuration: the JSON block the server put in the page. */
export const CFG = JSON.parse(document.getElementById('page-config').textContent);

export const $ = (sel, root) => (root || document).querySelector(sel);
export const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));
const ENTITIES = {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'};
export const esc = s => String(s ?? '').replace(/[&<>"']/g, c => ENTITIES[c]);

/** A number with exactly `digits` decimals, '–' for none. */
export const num = (v, digits = 0, locale = 'en-US') => v == null ? '–'
  : Number(v).toLocaleString(locale, {minimumFractionDigits: digits, maximumFractionDigits: digits});

/** How the pages write a moment: weekday, day, time and zone in `zone` ("Tue, Mar 3, 2:05 PM CST"). */
export const timeFormat = (zone, locale = 'en-US', options = {}) => new Intl.DateTimeFormat(locale, {timeZone: zone,
  weekday: 'short', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short',
  ...options});

/** A duration in minutes as "1 d 2 h 5 min". */
export function fmtMinutes(m) {
  if (m == null) return '–';
  const neg = m < 0;
  m = Math.abs(Math.round(m));
  const d = Math.floor(m / 1440), h = Math.floor(m % 1440 / 60), mm = m % 60;
  const s = (d ? d + ' d ' : '') + (d || h ? h + ' h ' : '') + mm + ' min';
  return neg ? '-' + s : s;
}

/** The wall time in `zone` as a datetime-local value (the API reads naive times in the cooperative's zone). */
export function wallTime(zone, date) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-CA', {timeZone: zone, year: 'numeric',
    month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23'})
    .formatToParts(date || new Date()).map(p => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
}

/** An answer of the API that is not 2xx (status 0: the server could not be reached), with the API's body. */
export class ApiError extends Error {
  constructor(status, body) {
    super(body && body.detail || ('HTTP ' + status));
    this.status = status;
    this.body = body || {};
  }
}

/** The staff pages' way to show problem `i` of `count` in its slot: the answer's detail, or each problem's own
    message after its field's name when there are several; slots that get two keep both. */
function appendProblem(slot, err, p, i, count) {
  const text = p.message && count > 1 ? `${p.field}: ${p.message}` : (err.body.detail || err.message);
  slot.textContent = slot.textContent ? slot.textContent + ' ' + text : text;
}

/** Show a 4xx answer next to the field it names (each of `problems`), else at the form's `_form` line, and
    focus the first field named.  `show(slot, err, problem, i, count)` writes problem `i` in its slot (the member
    pages write theirs so that a language switch translates them), `clear(form)` empties the form first; with
    `focusForm`, an answer that names no field puts the focus on the form's first field. */
export function showErrors(form, err, {show = appendProblem, clear = clearErrors, focusForm = true} = {}) {
  clear(form);
  const body = err.body || {};
  const problems = body.problems && body.problems.length ? body.problems : [{field: body.field, message: null}];
  let first = null;
  problems.forEach((p, i) => {
    const input = p.field && form.elements[p.field];
    const usable = input && input.nodeType === 1 && !input.disabled && !input.closest('[hidden]');
    const slot = (usable && $(`.err[data-for="${p.field}"]`, form)) || $('.err[data-for="_form"]', form);
    show(slot, err, p, i, problems.length);
    if (usable) { input.setAttribute('aria-invalid', 'true'); first = first || input; }
  });
  if (first) first.focus();
  else if (focusForm) form.querySelector('input,select').focus();
}

/** Empty a form's message slots (`slots`, each with `empty(slot)`) and drop its fields' invalid marks. */
export function clearErrors(form, {slots = '.err', empty = slot => { slot.textContent = ''; }} = {}) {
  $$(slots, form).forEach(empty);
  $$('[aria-invalid]', form).forEach(e => e.removeAttribute('aria-invalid'));
}
