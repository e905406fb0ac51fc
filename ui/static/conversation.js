// The conversation page's live part. The page is complete without it: the
// server renders the whole thread. With it, the page speaks the widget's
// protocol to the channel that hosts pages (boot.api): a page session from
// the link token, then a WebSocket (long-poll when sockets are blocked) for
// the agent's replies, typing and read receipts, and the composer with
// uploads. Every text is inserted with textContent, never as HTML.

const boot = JSON.parse(document.getElementById('boot').textContent || '{}');
const S = { token: '', ws: null, open: false, failures: 0, backoff: 1000, lastId: boot.last_id || 0, refs: [], pending: {}, typingSent: 0, typingTimer: 0, polling: false };
const list = document.getElementById('cthread');
const form = document.getElementById('ccompose');
const input = document.getElementById('ctext');
const fileInput = document.getElementById('cfile');
const chips = document.getElementById('cchips');
const status = document.getElementById('cstatus');
const typing = document.getElementById('ctyping');

function t(key) { return (boot.strings && boot.strings[key]) || key; }
// nob drops bidirectional embedding, override and isolate controls
// (U+202A–U+202E, U+2066–U+2069) from names and file names; they are also
// shown in their own <bdi> (dir=auto for message text).
const nob = (s) => String(s == null ? '' : s).replace(/[\u202A-\u202E\u2066-\u2069]/g, '');
function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text != null) e.textContent = text;
  return e;
}
// errText is an error in the customer's language by its code, never the
// server's English text.
function errText(e) {
  const code = (e && e.code) || '';
  return code === 'too_large' ? t('conv.tooBig') : code === 'type_not_allowed' ? t('conv.badType') : t('conv.failed');
}
function pad(n) { return String(n).padStart(2, '0'); }
// The server renders times as "01-02 15:04" in UTC; live messages match.
function short(iso) {
  const d = new Date(iso || Date.now());
  return pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate()) + ' ' + pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes());
}
function byLabel(kind) {
  if (kind === 'email') return t('conv.by.email');
  if (kind === 'widget') return t('conv.by.widget');
  return kind || '';
}
function fileURL(a) { return '/c/' + boot.token + '/files/' + a.id; }

function render(m, node) {
  const mine = m.from === 'visitor';
  const li = node || el('li');
  li.textContent = '';
  li.className = 'cmsg ' + (mine ? 'mine' : 'theirs');
  if (m.id) li.setAttribute('data-message', m.id);
  const head = el('div', 'chead');
  const author = el('strong', 'cauthor');
  author.appendChild(el('bdi', '', mine ? t('conv.you') : (nob(m.author) || t('conv.support'))));
  head.appendChild(author);
  head.appendChild(document.createTextNode(' '));
  head.appendChild(el('span', 'cvia', byLabel(m.channel)));
  head.appendChild(document.createTextNode(' '));
  const time = el('time', '', short(m.at));
  if (m.at) time.dateTime = m.at;
  head.appendChild(time);
  li.appendChild(head);
  if (m.text) { const b = el('div', 'cbody', m.text); b.dir = 'auto'; li.appendChild(b); }
  if (m.quoted) {
    const q = el('details', 'cquoted');
    q.appendChild(el('summary', '', t('conv.quoted')));
    q.appendChild(el('div', 'cbody', m.quoted));
    li.appendChild(q);
  }
  if (m.attachments && m.attachments.length) {
    const ul = el('ul', 'cfiles');
    ul.setAttribute('aria-label', t('conv.attachments'));
    for (const a of m.attachments) {
      const item = el('li');
      if (a.image) {
        const link = el('a'); link.href = fileURL(a); link.target = '_blank'; link.rel = 'noopener noreferrer';
        const img = el('img'); img.src = fileURL(a); img.alt = nob(a.name); img.loading = 'lazy';
        link.appendChild(img); item.appendChild(link);
      }
      const f = el('a', 'cfile'); f.appendChild(el('bdi', '', nob(a.name) || 'file')); f.href = fileURL(a) + '?download=1'; f.setAttribute('download', nob(a.name) || 'file');
      item.appendChild(f);
      ul.appendChild(item);
    }
    li.appendChild(ul);
  }
  if (m.state) li.appendChild(el('div', 'cst' + (m.state === 'failed' ? ' err' : ''), t(m.state === 'failed' ? 'conv.failed' : m.state === 'read' ? 'conv.read' : 'conv.sending')));
  return li;
}

// add places a server message once, in the one order (time, then id).
function add(m) {
  if (!m || m.type !== 'message' || !m.id) return;
  if (boot.number && m.conversation_id && m.conversation_id !== String(boot.number)) return;
  S.lastId = Math.max(S.lastId, m.id);
  const empty = list.querySelector('.cempty');
  if (empty) empty.remove();
  let node = list.querySelector('[data-message="' + m.id + '"]');
  if (m.client_id && S.pending[m.client_id]) {
    const p = S.pending[m.client_id];
    delete S.pending[m.client_id];
    if (node && node !== p) p.remove(); else node = p;
  }
  if (node) { render(m, node); return; }
  node = render(m);
  const at = Date.parse(m.at) || Date.now();
  let before = null;
  for (const li of list.querySelectorAll('li.cmsg[data-message]')) {
    const lt = Date.parse(li.querySelector('time').dateTime) || 0;
    const lid = Number(li.getAttribute('data-message'));
    if (lt > at || (lt === at && lid > m.id)) { before = li; break; }
  }
  list.insertBefore(node, before);
  if (m.from === 'agent') {
    typing.hidden = true;
    read();
  }
  node.scrollIntoView({ block: 'nearest' });
}

function read() {
  if (document.hidden) return;
  let up = 0;
  for (const li of list.querySelectorAll('li.cmsg.theirs[data-message]')) up = Math.max(up, Number(li.getAttribute('data-message')));
  if (up) send({ type: 'read', up_to: up, conversation_id: String(boot.number) });
}

function api(method, path, body, raw) {
  const opts = { method, headers: {}, credentials: 'omit' };
  if (S.token) opts.headers.Authorization = 'Bearer ' + S.token;
  if (raw) opts.body = raw;
  else if (body) { opts.headers['Content-Type'] = 'application/json'; opts.body = JSON.stringify(body); }
  return fetch(boot.api + path, opts).then((r) => r.json().catch(() => ({})).then((j) => {
    if (!r.ok) throw { status: r.status, body: j };
    return j;
  }));
}

function session() {
  S.token = '';
  return api('POST', '/page/session', { token: boot.token, locale: navigator.language || '' }).then((s) => { S.token = s.session_token; return s; });
}

function onFrame(f) {
  switch (f.type) {
    case 'message': add(f); break;
    case 'typing':
      if (f.from === 'agent') {
        typing.hidden = f.typing === false;
        typing.textContent = t('conv.typing').replace('{name}', nob(f.author) || t('conv.support'));
      }
      break;
    case 'read':
      for (const li of list.querySelectorAll('li.cmsg.mine .cst')) li.textContent = t('conv.read');
      break;
    case 'error':
      if (f.client_id && S.pending[f.client_id]) {
        const p = S.pending[f.client_id];
        render({ from: 'visitor', text: p.dataset.text, at: p.dataset.at, state: 'failed' }, p);
        delete S.pending[f.client_id];
      }
      if (f.code || f.message) status.textContent = errText(f);
      break;
    case 'closed': location.reload(); break;
  }
}

function connect() {
  const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + boot.api + '/ws?token=' + encodeURIComponent(S.token) + '&since=' + S.lastId;
  let opened = false;
  let ws;
  try { ws = new WebSocket(url); } catch (e) { retry(); return; }
  S.ws = ws;
  ws.onopen = () => { opened = true; S.open = true; S.failures = 0; S.backoff = 1000; status.textContent = t('conv.live'); };
  ws.onmessage = (ev) => { let f; try { f = JSON.parse(ev.data); } catch (e) { return; } onFrame(f); };
  ws.onclose = (ev) => {
    if (S.ws !== ws) return;
    S.open = false; S.ws = null;
    if (!opened) S.failures++;
    if (ev.code === 1008) { location.reload(); return; }
    status.textContent = t('conv.offline');
    retry();
  };
}

function retry() {
  if (S.failures >= 3) { poll(); return; }
  const d = Math.min(S.backoff, 30000) * (0.8 + Math.random() * 0.4);
  S.backoff = Math.min(S.backoff * 2, 30000);
  setTimeout(() => session().then(connect, (e) => { if (e && e.status === 410) location.reload(); else retry(); }), d);
}

function poll() {
  if (S.polling) return;
  S.polling = true;
  status.textContent = t('conv.live');
  const loop = () => api('GET', '/poll?since=' + S.lastId).then((r) => {
    (r.messages || []).forEach(add);
    loop();
  }, (e) => {
    if (e && (e.status === 401 || e.status === 410)) { location.reload(); return; }
    setTimeout(loop, 5000);
  });
  loop();
}

function send(f) {
  if (S.open) { try { S.ws.send(JSON.stringify(f)); return true; } catch (e) { /* fall through */ } }
  if (S.polling || f.type === 'message') {
    api('POST', '/messages', f).then((m) => { if (m && m.type === 'message') add(m); }, (e) => onFrame({ type: 'error', client_id: f.client_id, code: (e && e.body && e.body.error && e.body.error.code) || 'failed' }));
    return true;
  }
  return false;
}

function submit(ev) {
  ev.preventDefault();
  const text = input.value.replace(/\s+$/, '');
  if (S.refs.some((r) => !r.ref)) return;
  if (!text.trim() && !S.refs.length) return;
  const cid = 'p' + Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
  const f = { type: 'message', client_id: cid, conversation_id: String(boot.number), text, refs: S.refs.map((r) => r.ref), locale: navigator.language || '' };
  const at = new Date().toISOString();
  const node = render({ from: 'visitor', text, at, state: 'sending' });
  node.dataset.text = text; node.dataset.at = at;
  const empty = list.querySelector('.cempty');
  if (empty) empty.remove();
  list.appendChild(node);
  S.pending[cid] = node;
  input.value = ''; S.refs = []; renderChips(); stopTyping();
  send(f);
}

function renderChips() {
  chips.textContent = '';
  for (const r of S.refs) chips.appendChild(el('li', '', (r.ref ? '\u{1F4CE} ' : '\u2026 ') + nob(r.name)));
}

function upload() {
  const file = fileInput.files[0];
  fileInput.value = '';
  if (!file) return;
  const set = S.settings || {};
  if (set.max_upload_bytes && file.size > set.max_upload_bytes) { status.textContent = t('conv.tooBig'); return; }
  const chip = { name: file.name, ref: '' };
  S.refs.push(chip); renderChips();
  const fd = new FormData(); fd.append('file', file, file.name);
  api('POST', '/upload', null, fd).then((r) => { chip.ref = r.ref; renderChips(); }, (e) => {
    S.refs = S.refs.filter((c) => c !== chip); renderChips();
    const err = (e && e.body && e.body.error) || {};
    status.textContent = errText(err);
  });
}

function onInput() {
  if (Date.now() - S.typingSent > 3000) { S.typingSent = Date.now(); send({ type: 'typing', typing: true, conversation_id: String(boot.number) }); }
  clearTimeout(S.typingTimer);
  S.typingTimer = setTimeout(stopTyping, 4000);
}
function stopTyping() {
  clearTimeout(S.typingTimer);
  if (S.typingSent) { S.typingSent = 0; send({ type: 'typing', typing: false, conversation_id: String(boot.number) }); }
}

if (boot.api && boot.token) {
  session().then((s) => {
    S.settings = s.settings;
    if (form && boot.continuable) {
      form.hidden = false;
      form.addEventListener('submit', submit);
      input.addEventListener('input', onInput);
      input.addEventListener('keydown', (e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) submit(e); });
      fileInput.addEventListener('change', upload);
      if (set(s.settings.upload_types)) fileInput.setAttribute('accept', s.settings.upload_types.join(','));
    }
    for (const c of s.conversations || []) for (const m of c.messages || []) add(m);
    connect();
    document.addEventListener('visibilitychange', read);
    window.__hanboxConversation = { state: S };
  }, (e) => { if (e && e.status === 410) location.reload(); });
}

function set(a) { return Array.isArray(a) && a.length > 0; }
