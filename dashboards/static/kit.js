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

/** A field's name as its form shows it: the input's `data-label`, else its label's own text, else the name. */
export function fieldLabel(form, name) {
  const input = form && name && form.elements[name];
  const el = input && input.nodeType === 1 ? input : null;
  if (!el) return name || '';
  if (el.dataset.label) return el.dataset.label;
  const label = el.closest('label');
  const text = label && [...label.childNodes].filter(n => n.nodeType === 3).map(n => n.textContent).join(' ').trim();
  return text || name;
}

/** The staff pages' way to show problem `i` of `count` in its slot: the answer's detail, or each problem's own
    message after its field's label when there are several; slots that get two keep both. */
function appendProblem(slot, err, p, i, count) {
  const text = p.message && count > 1 ? `${fieldLabel(slot.closest('form'), p.field)}: ${p.message}`
    : (err.body.detail || err.message);
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

// --- times typed by people -----------------------------------------------------------------------------

const WALL = new Map();
function wallParts(zone, date) {
  if (!WALL.has(zone)) {
    WALL.set(zone, new Intl.DateTimeFormat('en-US', {timeZone: zone, year: 'numeric', month: 'numeric', day: 'numeric',
      hour: 'numeric', minute: 'numeric', second: 'numeric', weekday: 'short', hourCycle: 'h23', timeZoneName: 'short'}));
  }
  const p = Object.fromEntries(WALL.get(zone).formatToParts(date).map(x => [x.type, x.value]));
  return {year: +p.year, month: +p.month, day: +p.day, hour: +p.hour % 24, minute: +p.minute, second: +p.second,
          weekday: p.weekday, zone: p.timeZoneName};
}

/** The instant of a wall time in `zone` (month 1-12); a wall time a DST change skips is read an hour later, one
    it repeats as the first of the two. */
export function zonedInstant(zone, year, month, day, hour, minute) {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  const offset = t => { const p = wallParts(zone, new Date(t));
    return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(t / 1000) * 1000; };
  const first = wall - offset(wall - 36e5 * 3);
  const second = wall - offset(wall + 36e5 * 3);
  const fits = t => { const p = wallParts(zone, new Date(t)); return p.hour === hour && p.minute === minute; };
  if (fits(first)) return new Date(Math.min(first, fits(second) ? second : first));
  return new Date(fits(second) ? second : Math.max(first, second));
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** A moment as the console writes what it understood: "Tue 1 Dec 14:05 CST" (the year when not this one). */
export function fmtWhen(date, zone, now = new Date()) {
  const p = wallParts(zone, date), year = p.year !== wallParts(zone, now).year ? ` ${p.year}` : '';
  return `${p.weekday} ${p.day} ${MONTHS[p.month - 1]}${year} ${String(p.hour).padStart(2, '0')}:${String(p.minute).padStart(2, '0')} ${p.zone}`;
}

const UNITS = {m: 1, min: 1, mins: 1, minute: 1, minutes: 1, h: 60, hr: 60, hrs: 60, hour: 60, hours: 60, d: 1440,
               day: 1440, days: 1440};
const CLOCK = /^(\d{1,2})(?:[:.h](\d{2}))?\s*(am|pm|a|p|a\.m\.|p\.m\.)?$/;

/** [hour, minute] of a clock time ("14:05", "14.05", "1405", "2:05 pm", "2pm"), or null. */
function clock(text) {
  let m = CLOCK.exec(text);
  if (!m) {
    const digits = /^(\d{1,2})(\d{2})$/.exec(text);  // "1405", "905"
    if (digits) m = [text, digits[1], digits[2], undefined];
  }
  if (!m || (m[2] === undefined && !m[3])) return null;  // a bare number is not a time ("15" could be minutes)
  let hour = +m[1];
  const minute = m[2] === undefined ? 0 : +m[2];
  if (m[3]) {
    if (hour < 1 || hour > 12) return null;
    hour = hour % 12 + (m[3][0] === 'p' ? 12 : 0);
  }
  return hour > 23 || minute > 59 ? null : [hour, minute];
}

/** Read a time typed in a console field, in `zone`: "now", "14:05" (today), "2:05 pm", "-15m", "-2h", "+1h30m",
    "yesterday 23:10", "tomorrow 08:00", "12/1 14:05" (month/day), "2026-12-01 14:05" (or with a T, or full ISO
    8601 with its offset).  Returns the Date, or null when the text is not a time (empty text: null too). */
export function parseWhen(text, zone, now = new Date()) {
  const t = String(text ?? '').trim().toLowerCase().replace(/\s+/g, ' ');
  if (!t) return null;
  if (t === 'now') return new Date(now.getTime());
  const rel = /^([+-])\s*((?:\d+\s*[a-z]+\s*)+)$/.exec(t);
  if (rel) {
    let minutes = 0;
    for (const [, n, unit] of rel[2].matchAll(/(\d+)\s*([a-z]+)/g)) {
      if (!(unit in UNITS)) return null;
      minutes += +n * UNITS[unit];
    }
    return new Date(now.getTime() + (rel[1] === '-' ? -1 : 1) * minutes * 60000);
  }
  if (/^\d{4}-\d{2}-\d{2}t\d{2}:\d{2}(:\d{2}(\.\d+)?)?(z|[+-]\d{2}:?\d{2})$/.test(t)) {
    const d = new Date(t.toUpperCase());
    return isNaN(d) ? null : d;
  }
  const today = wallParts(zone, now);
  const dayOf = shift => { const d = new Date(Date.UTC(today.year, today.month - 1, today.day + shift));
    return [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()]; };
  let date = null, rest = t, m;
  if ((m = /^(today|yesterday|tomorrow)\b\s*(?:at\s+)?(.*)$/.exec(t))) {
    date = dayOf({today: 0, yesterday: -1, tomorrow: 1}[m[1]]); rest = m[2];
  } else if ((m = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:t|\s+)(.*)$/.exec(t))) {
    date = [+m[1], +m[2], +m[3]]; rest = m[4];
  } else if ((m = /^(\d{1,2})\/(\d{1,2})(?:\/(\d{4}))?\s+(.*)$/.exec(t))) {
    date = [m[3] ? +m[3] : today.year, +m[1], +m[2]]; rest = m[4];
  }
  rest = rest.trim().replace(/^(\d{1,2}:\d{2}):\d{2}(\.\d+)?$/, '$1');  // seconds are dropped
  const hm = clock(rest.trim());
  if (!hm) return null;
  const [y, mo, d] = date || dayOf(0);
  const check = new Date(Date.UTC(y, mo - 1, d));
  if (mo < 1 || mo > 12 || check.getUTCDate() !== d || check.getUTCMonth() !== mo - 1) return null;
  return zonedInstant(zone, y, mo, d, hm[0], hm[1]);
}
