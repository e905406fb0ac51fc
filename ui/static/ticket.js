// The conversation page: composer, sidebar actions, live thread, presence
// of other agents and the collision guard.
import { api, boot, el, t, toast, showError, refreshRegions, typingTarget, APIError, nob } from './api.js';
import { connect, pulse } from './live.js';
import { attach, mentionsIn } from './suggest.js';

const tk = boot.ticket || {};
const me = boot.agent || {};
const path = '/tickets/' + encodeURIComponent(tk.id);
// version is the ticket version the agent has seen; replies carry it so the
// server can refuse them when the ticket changed meanwhile.
let version = tk.version;
let files = [];
// draftKey is the Idempotency-Key of the message being composed: every send
// of one draft (a retry after a lost answer) carries the same key, so the
// server stores it once; a sent draft or a change of mode starts a new one.
let draftKey = '';
// agents can be mentioned in notes; replies are the saved replies.
let agents = [];
let replies = [];

// expand fills a saved reply's placeholders. A customer who gave no name
// is the configured word ("고객"), never their address.
function expand(body) {
  return body
    .replaceAll('{{contact.name}}', (tk.contact && tk.contact.name) || tk.contact_fallback || '')
    .replaceAll('{{agent.name}}', me.name || '');
}

function newKey() {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

const $ = (id) => document.getElementById(id);
const composer = () => $('composer');
const bodyField = () => $('body');
const mode = () => composer().querySelector('input[name="mode"]:checked').value;

function setMode(m) {
  if (composer().dataset.mode !== m) draftKey = '';
  const r = composer().querySelector(`input[name="mode"][value="${m}"]`);
  if (r) r.checked = true;
  composer().dataset.mode = m;
  const ta = bodyField();
  ta.placeholder = m === 'note' ? ta.dataset.phNote : ta.dataset.phReply;
  const send = $('send');
  send.textContent = m === 'note' ? send.dataset.labelNote : send.dataset.labelReply;
  $('channel').disabled = m === 'note';
}

function draft() {
  return bodyField().value.trim() !== '' || files.length > 0;
}

// Drafts are kept in the browser per agent and ticket (localStorage), so a
// reply survives navigating away, a reload or a crashed tab; a sent reply
// clears it. Attached files are not kept (too big): leaving with files
// pending still asks first.
const draftStore = 'hanbox.draft.' + (me.id || 0) + '.' + tk.id;

function saveDraft() {
  try {
    const text = bodyField().value;
    if (text.trim() === '') localStorage.removeItem(draftStore);
    else localStorage.setItem(draftStore, JSON.stringify({ text, mode: mode(), saved: Date.now() }));
  } catch (_) { /* storage full or disabled: the warning on leaving still holds */ }
}

function restoreDraft() {
  let d = null;
  try { d = JSON.parse(localStorage.getItem(draftStore) || 'null'); } catch (_) { d = null; }
  if (!d || typeof d.text !== 'string' || d.text === '') return;
  if (d.mode === 'note' || d.mode === 'reply') setMode(d.mode);
  bodyField().value = d.text;
  $('draft-restored').hidden = false;
}

function clearDraft() {
  try { localStorage.removeItem(draftStore); } catch (_) { /* nothing kept */ }
  $('draft-restored').hidden = true;
}

// refresh re-renders the thread, header and sidebar from the server. The
// agent's draft stays. The seen version only moves when there is no draft
// (or force): with a draft, a reply must first pass the collision guard.
// imagesShown holds the messages whose remote images the agent asked for;
// they stay shown when the thread is re-rendered.
const imagesShown = new Set();

function showImages(msg) {
  const frame = msg.querySelector('iframe.mailframe');
  if (!frame) return;
  frame.removeAttribute('srcdoc');
  frame.setAttribute('src', frame.dataset.bodyUrl);
  const bar = msg.querySelector('.imgbar');
  if (bar) bar.hidden = true;
}

async function refresh(force = false) {
  const doc = await refreshRegions(['thread', 'side', 'convbar']);
  if (!doc) return;
  for (const id of imagesShown) {
    const msg = document.querySelector(`#thread [data-message="${CSS.escape(id)}"]`);
    if (msg) showImages(msg);
  }
  const conv = doc.getElementById('conv');
  if (conv) {
    const v = Number(conv.dataset.version);
    $('conv').dataset.version = String(v);
    $('conv').dataset.status = conv.dataset.status;
    if (force || !draft()) version = v;
  }
}

let timer = 0;
function soon() {
  clearTimeout(timer);
  timer = setTimeout(() => refresh().catch((e) => console.warn(e)), 200);
}

function renderFiles() {
  const list = $('pending-files');
  list.replaceChildren(...files.map((f, i) => el('li', {}, f.name + ' ',
    el('button', { type: 'button', class: 'linkish', 'data-unfile': i, 'aria-label': t('composer.remove') + ' ' + f.name, text: '×' }))));
}

function readFile(f) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => {
      const s = String(r.result);
      resolve({ name: f.name, content_type: f.type || 'application/octet-stream', data: s.slice(s.indexOf(',') + 1) });
    };
    r.onerror = () => reject(r.error);
    r.readAsDataURL(f);
  });
}

async function send(anyway = false) {
  const text = bodyField().value;
  if (!text.trim() && !files.length) { bodyField().focus(); return; }
  const m = mode();
  const btn = $('send');
  btn.disabled = true;
  $('composer-error').hidden = true;
  try {
    const body = { text, attachments: files };
    if (m === 'reply') {
      body.version = anyway ? Number($('conv').dataset.version) : version;
      const ch = $('channel').value;
      if (ch) body.channel = ch;
    }
    if (m === 'note') {
      const mentions = mentionsIn(text, agents);
      if (mentions.length) body.mentions = mentions;
    }
    if (!draftKey) draftKey = newKey();
    await api('POST', path + (m === 'note' ? '/notes' : '/replies'), body, { headers: { 'Idempotency-Key': draftKey } });
    draftKey = '';
    bodyField().value = '';
    clearDraft();
    files = [];
    renderFiles();
    $('stale').hidden = true;
    await refresh(true);
    toast(t('composer.sent'));
  } catch (err) {
    if (err instanceof APIError && err.code === 'stale') {
      // Show what changed, keep the draft, let the agent decide.
      await refresh(false).catch(() => {});
      $('stale').hidden = false;
      $('send-anyway').focus();
    } else {
      if (err instanceof APIError && err.code === 'idempotency_key_reused') {
        // An earlier send of this draft arrived before it was edited: show
        // it; sending the edited text again makes a new message.
        draftKey = '';
        await refresh(false).catch(() => {});
      }
      const box = $('composer-error');
      box.textContent = t('composer.error') + ': ' + err.message;
      box.hidden = false;
    }
  } finally {
    btn.disabled = false;
  }
}

async function patch(body) {
  try {
    const res = await api('PATCH', path, body);
    await refresh(!draft());
    if (res && (res.warnings || []).includes('over_cap')) toast(t('side.overCap'));
  } catch (err) {
    showError(err);
  }
}

// --- presence of this agent ---

let lastTyping = 0;
let lastHello = 0;
function announce(state, keepalive = false) {
  return api('POST', path + '/presence', { state }, { keepalive }).catch(() => {});
}

// --- presence of others ---

const others = new Map(); // agent id -> {name, state, until}

function renderPresence() {
  const now = Date.now();
  for (const [id, p] of others) if (p.until < now) others.delete(id);
  const chips = [];
  for (const p of others.values()) {
    const state = p.typingUntil > now ? 'typing' : 'viewing';
    const label = state === 'typing' ? t('ticket.agentTyping') : t('ticket.agentViewing');
    chips.push(el('span', { class: 'chip', 'data-agent-presence': state }, el('span', { class: 'avatar sm', 'aria-hidden': 'true', text: (nob(p.name) || '?').slice(0, 1).toUpperCase() }), el('bdi', { text: nob(p.name) }), ' ' + label));
  }
  $('presence').replaceChildren(...chips);
}

let customerTypingTimer = 0;

function onEvent(type, e) {
  // Announce ourselves only once we can hear the answers: other viewers
  // reply to a newcomer with their own presence.
  // Either way, re-fetch: something may have changed before the stream opened.
  if (type === 'connected' || type === 'reconnected') { announce('viewing'); soon(); return; }
  const data = e.data || {};
  const mine = e.ticket_id === tk.tid || data.ticket === tk.id;
  if (!mine) return;
  switch (type) {
    case 'message.created':
    case 'message.updated':
    case 'ticket.updated':
    case 'ticket.sla':
    case 'sla.warning':
    case 'sla.breached':
      pulse();
      soon();
      break;
    case 'contact.typing': {
      const on = data.typing !== false;
      $('typing').hidden = !on;
      clearTimeout(customerTypingTimer);
      if (on) customerTypingTimer = setTimeout(() => { $('typing').hidden = true; }, 6000);
      break;
    }
    case 'visitor.page': {
      const v = $('visiting');
      const title = data.title || data.url || '';
      v.replaceChildren(...(title ? [t('ticket.viewingPage') + ': ', el('bdi', { text: nob(title) })] : []));
      v.hidden = !title;
      break;
    }
    case 'agent.viewing':
    case 'agent.typing': {
      if (e.agent_id === me.id) break;
      if (data.state === 'left') others.delete(e.agent_id);
      else {
        // A newcomer learns of us now rather than at our next heartbeat.
        if (!others.has(e.agent_id) && Date.now() - lastHello > 3000) { lastHello = Date.now(); announce('viewing'); }
        const prev = others.get(e.agent_id) || {};
        const now = Date.now();
        others.set(e.agent_id, { name: data.agent_name || '#' + e.agent_id, until: now + 50000,
          typingUntil: data.state === 'typing' ? now + 8000 : (prev.typingUntil || 0) });
      }
      renderPresence();
      break;
    }
    default:
  }
}

export function init() {
  setMode('reply');
  restoreDraft();
  composer().addEventListener('change', (e) => {
    if (e.target.name === 'mode') { setMode(e.target.value); saveDraft(); }
  });
  // Leaving with unsent text (or files) asks first; the text is kept either way.
  window.addEventListener('beforeunload', (e) => {
    if (!draft()) return;
    saveDraft();
    e.preventDefault();
    e.returnValue = '';
  });
  composer().addEventListener('submit', (e) => { e.preventDefault(); send(false); });
  $('send-anyway').addEventListener('click', () => send(true));
  bodyField().addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); send(false); }
    if (e.key === 'Escape') bodyField().blur();
  });
  bodyField().addEventListener('input', () => {
    saveDraft();
    const now = Date.now();
    if (mode() === 'reply' && now - lastTyping > 3000) { lastTyping = now; announce('typing'); }
  });
  $('files').addEventListener('change', async (e) => {
    try {
      for (const f of e.target.files) files.push(await readFile(f));
    } catch (err) { showError(err); }
    e.target.value = '';
    renderFiles();
  });
  $('pending-files').addEventListener('click', (e) => {
    const i = e.target.getAttribute('data-unfile');
    if (i !== null) { files.splice(Number(i), 1); renderFiles(); }
  });

  // Saved replies with placeholders: from the menu, or by typing "/" and
  // part of the name; "@" in a note names an agent (a mention).
  Promise.allSettled([
    api('GET', '/saved-replies').then((res) => {
      replies = res.items || [];
      const sel = $('saved');
      for (const r of replies) sel.append(el('option', { value: r.id, text: r.name, 'data-body': r.body }));
    }),
    // Only agents who can see this ticket (its team's, and admins): the
    // server drops mentions of anyone else, so the picker never offers them.
    api('GET', path + '/mentionable').then((res) => {
      agents = (res.items || []).filter((a) => a.active && a.name);
    }),
  ]).then(() => { composer().dataset.suggest = 'ready'; });
  $('saved').addEventListener('change', (e) => {
    const opt = e.target.selectedOptions[0];
    if (!opt || !opt.dataset.body) return;
    const text = expand(opt.dataset.body);
    const ta = bodyField();
    const at = ta.selectionStart ?? ta.value.length;
    ta.value = ta.value.slice(0, at) + text + ta.value.slice(ta.selectionEnd ?? at);
    e.target.value = '';
    ta.focus();
    saveDraft();
  });
  const has = (q) => (s) => s.toLowerCase().includes(q.toLowerCase());
  attach(bodyField(), $('suggest'), [
    { pattern: /(?:^|\s)@([^\s@]{0,30})$/, enabled: () => mode() === 'note',
      items: (q) => agents.filter((a) => a.id !== me.id && (has(q)(a.name) || has(q)(a.email)))
        .map((a) => ({ label: a.name, hint: a.email, value: a })),
      insert: (it) => '@' + it.value.name + ' ' },
    { pattern: /(?:^|\s)\/([^\s/]{0,30})$/,
      items: (q) => replies.filter((r) => has(q)(r.name)).map((r) => ({ label: r.name, hint: r.body.slice(0, 40), value: r })),
      insert: (it) => expand(it.value.body) },
  ]);

  // Actions in regions that are re-rendered: delegate from the document.
  document.addEventListener('click', async (e) => {
    const a = e.target.closest('[data-action],[data-retry],[data-resend-email],[data-show-images],[data-revoke-link]');
    if (!a) return;
    if (a.dataset.action === 'assign-me') patch({ assignee: 'me' });
    else if (a.dataset.action === 'resolve') patch({ status: 'resolved' });
    else if (a.dataset.action === 'reopen') patch({ status: 'open' });
    else if (a.dataset.action === 'unmerge') {
      try { await api('POST', path + '/unmerge'); await refresh(true); } catch (err) { showError(err); }
    } else if (a.hasAttribute('data-revoke-link')) {
      // Revoking stops the customer's page at once: the first click says
      // so next to the button, the second revokes.
      if (!a.dataset.armed) {
        a.dataset.armed = '1';
        a.before(el('span', { class: 'small revoke-hint', role: 'alert', text: t('side.linkRevokeConfirm') + ' ' }));
        return;
      }
      try { await api('DELETE', path + '/links/' + encodeURIComponent(a.dataset.revokeLink)); await refresh(); } catch (err) { showError(err); }
    }
    else if (a.hasAttribute('data-resend-email')) {
      // The fix for a reply the chat could not deliver: the same text in the
      // composer, going by email; the agent reviews it and sends.
      const msg = a.closest('[data-message]');
      const text = msg && msg.querySelector('.body') ? msg.querySelector('.body').textContent : '';
      setMode('reply');
      $('channel').value = 'email';
      const ta = bodyField();
      if (text && !ta.value.includes(text)) ta.value = ta.value ? ta.value + '\n\n' + text : text;
      saveDraft();
      ta.focus();
    } else if (a.hasAttribute('data-retry')) {
      try { await api('POST', '/messages/' + encodeURIComponent(a.dataset.retry) + '/retry'); await refresh(); } catch (err) { showError(err); }
    } else if (a.hasAttribute('data-show-images')) {
      const msg = a.closest('[data-message]');
      imagesShown.add(msg.dataset.message);
      showImages(msg);
    }
  });
  document.addEventListener('change', (e) => {
    const f = e.target.getAttribute && e.target.getAttribute('data-patch');
    if (!f) return;
    const v = e.target.value;
    if (f === 'assignee') patch({ assignee: v === '' ? null : Number(v) });
    else if (f === 'status' && v !== 'snoozed') patch({ status: v });
    else if (f === 'priority') patch({ priority: v });
    else if (f === 'team') patch({ team_id: v === '' ? 0 : Number(v) });
  });
  document.addEventListener('submit', async (e) => {
    const id = e.target.id;
    if (!['tags-form', 'snooze-form', 'merge-ticket-form', 'merge-contact-form'].includes(id)) return;
    e.preventDefault();
    if (id === 'tags-form') {
      const tags = $('f-tags').value.split(',').map((s) => s.trim().replace(/^#/, '')).filter(Boolean);
      patch({ tags });
    } else if (id === 'snooze-form') {
      const d = new Date($('f-snooze').value);
      if (isNaN(d)) return;
      patch({ status: 'snoozed', snoozed_until: d.toISOString() });
    } else if (id === 'merge-ticket-form') {
      try {
        await api('POST', path + '/merge', { from: $('f-merge-ticket').value.trim() });
        await refresh(true);
      } catch (err) { showError(err); }
    } else if (id === 'merge-contact-form') {
      try {
        await api('POST', '/contacts/' + encodeURIComponent(tk.contact.id) + '/merge', { from: $('f-merge-contact').value.trim() });
        await refresh(true);
      } catch (err) { showError(err); }
    }
  });

  document.addEventListener('keydown', (e) => {
    if (typingTarget(e) || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === 'r') { e.preventDefault(); setMode('reply'); bodyField().focus(); }
    else if (e.key === 'n') { e.preventDefault(); setMode('note'); bodyField().focus(); }
    else if (e.key === 'e') { e.preventDefault(); patch({ status: 'resolved' }); }
    else if (e.key === 'a') { e.preventDefault(); patch({ assignee: 'me' }); }
    else if (e.key === 'u' || e.key === 'Backspace') { location.assign('/'); }
  });

  // Collision guard: tell others we are here, refresh every 20 s, say goodbye.
  setInterval(() => { if (document.visibilityState === 'visible') announce('viewing'); }, 20000);
  setInterval(renderPresence, 2000);
  window.addEventListener('pagehide', () => { announce('left', true); });
  // Shown again after refreshes in the background: now it is read.
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') api('POST', path + '/read').catch(() => {});
  });

  connect(onEvent);
  window.__hanboxTicket = { get version() { return version; } };
}
