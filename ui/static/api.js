// Shared helpers: boot data, strings, the JSON API client and DOM building.
// Customer text only ever reaches the DOM through textContent or attributes
// set with setAttribute; never through innerHTML.

const bootEl = document.getElementById('boot');
export const boot = bootEl ? JSON.parse(bootEl.textContent || '{}') : {};

export function t(key) {
  return (boot.strings && boot.strings[key]) || key;
}

export function csrfToken() {
  const m = document.querySelector('meta[name="csrf-token"]');
  return m ? m.getAttribute('content') : '';
}

export class APIError extends Error {
  constructor(status, code, message, reason, params, detail) {
    super(message);
    this.status = status;
    this.code = code;
    this.reason = reason || '';
    this.params = params || {};
    this.detail = detail || ''; // the server's English text, for the console
  }
}

// errorText is an API error in the agent's language: the translation of its
// reason (or code) with the {params} filled in. An error the catalogue does
// not know shows a general sentence in the agent's language; the server's
// English text is only used when the agent reads English. opts.setting
// names a setting key in the agent's language (the channel form's labels).
export function errorText(e, opts = {}) {
  const strings = boot.strings || {};
  let msg = strings['error.' + (e.reason || '')] || strings['error.' + (e.code || '')];
  if (!msg) {
    if (boot.lang === 'en' && e.message) return e.message;
    return strings['error.unknown'] || e.message || '';
  }
  for (const [k, v] of Object.entries(e.params || {})) {
    let val = String(v);
    if (k === 'field' && strings['field.' + val]) val = strings['field.' + val];
    if (k === 'setting' && opts.setting) val = opts.setting(val) || val;
    msg = msg.split('{' + k + '}').join(val);
  }
  return msg;
}

// api calls /api/v1 with the session cookie and, for writes, the CSRF token.
// opts.headers adds request headers (an Idempotency-Key).
export async function api(method, path, body, opts = {}) {
  const headers = { Accept: 'application/json', ...(opts.headers || {}) };
  if (method !== 'GET' && method !== 'HEAD') headers['X-CSRF-Token'] = csrfToken();
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch('/api/v1' + path, {
      method, headers, credentials: 'same-origin', keepalive: !!opts.keepalive,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new APIError(0, 'network', t('error.network'), '', {}, String(err));
  }
  let data = null;
  try { data = await res.json(); } catch (_) { /* empty body */ }
  if (!res.ok) {
    const e = (data && data.error) || {};
    if (!e.code) e.code = 'http_' + res.status;
    if (e.message) console.warn('API error', res.status, e.code, e.message);
    throw new APIError(res.status, e.code, errorText(e), e.reason, e.params, e.message);
  }
  return data;
}

// nob drops bidirectional embedding, override and isolate controls
// (U+202A–U+202E, U+2066–U+2069) from a name or title, as the server's
// plaintext.StripBidi does; such strings also go in their own <bdi>.
export function nob(s) {
  return String(s == null ? '' : s).replace(/[\u202A-\u202E\u2066-\u2069]/g, '');
}

// el builds an element; children are nodes or strings (as text).
export function el(tag, attrs, ...children) {
  const n = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k === 'text') n.textContent = v;
    else if (k === 'class') n.className = v;
    else n.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    n.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return n;
}

let toastTimer = 0;
export function toast(msg) {
  const box = document.getElementById('toast');
  if (!box) return;
  box.textContent = msg;
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { box.hidden = true; }, 3500);
}

// showError tells the agent what went wrong, in their language: an API
// error's localized text, else a general sentence (the technical text goes
// to the console, not on screen).
export function showError(err) {
  if (err instanceof APIError) { toast(err.message || t('error.unknown')); return; }
  console.warn(err);
  toast(t('common.error') + '. ' + t('error.unknown'));
}

// refreshRegions re-fetches the current page and swaps the elements with the
// given ids for their fresh versions. The HTML comes from our own templates,
// where html/template escaped every value; it is parsed inert by DOMParser
// (no script runs) and the page's CSP forbids inline script in any case.
export async function refreshRegions(ids) {
  // A refresh of a tab the agent is not looking at says so: the ticket page
  // then does not count as read (the tab marks it when shown again).
  const headers = { Accept: 'text/html' };
  if (document.visibilityState === 'hidden') headers['X-Hanbox-Background'] = '1';
  const res = await fetch(location.pathname + location.search, { credentials: 'same-origin', headers });
  if (res.redirected && new URL(res.url).pathname === '/login') { location.assign(res.url); return null; }
  if (!res.ok) throw new Error('HTTP ' + res.status);
  const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
  const active = document.activeElement;
  for (const id of ids) {
    const fresh = doc.getElementById(id);
    const old = document.getElementById(id);
    if (!fresh || !old) continue;
    // Never pull a field away from an agent who is typing in it; that
    // region catches up on the next refresh.
    if (active && old.contains(active) && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName) && active.type !== 'checkbox') continue;
    old.replaceWith(document.adoptNode(fresh));
  }
  localizeTimes(document);
  return doc;
}

const sameDay = (a, b) => a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();

// localizeTimes shows server UTC times in the agent's time zone.
export function localizeTimes(root) {
  const now = new Date();
  const lang = boot.lang || 'en';
  const timeFmt = new Intl.DateTimeFormat(lang, { hour: '2-digit', minute: '2-digit' });
  const dateFmt = new Intl.DateTimeFormat(lang, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
  for (const node of root.querySelectorAll('time[datetime]')) {
    const d = new Date(node.getAttribute('datetime'));
    if (isNaN(d)) continue;
    node.textContent = sameDay(d, now) ? timeFmt.format(d) : dateFmt.format(d);
    node.title = d.toLocaleString(lang);
  }
}

// typingTarget reports whether a key event belongs to a text field.
export function typingTarget(e) {
  const tg = e.target;
  return tg && (tg.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(tg.tagName));
}
