// Admin pages: channels, agents, saved replies; and the password form.
import { api, boot, t, toast, showError, refreshRegions } from './api.js';

function formError(form, err) {
  const box = form.querySelector('[data-error]');
  if (!box) { showError(err); return; }
  box.textContent = err ? err.message : '';
  box.hidden = !err;
}

function parseJSON(text, label) {
  const s = text.trim();
  if (!s) return {};
  try {
    const v = JSON.parse(s);
    if (v && typeof v === 'object' && !Array.isArray(v)) return v;
  } catch (_) { /* fall through */ }
  throw new Error(label + ': JSON object expected');
}

// Starting points for each kind's settings; admins edit them in place.
const presets = {
  api: { settings: { webhook_url: 'https://example.com/hanbox-webhook' }, secrets: {} },
  widget: {
    settings: { allowed_origins: ['https://www.example.com'], greeting: { ko: '무엇을 도와드릴까요?', en: 'How can we help?' }, grace_seconds: 120,
      office_hours: { time_zone: 'Asia/Seoul', weekly: { mon: [['09:00', '18:00']], tue: [['09:00', '18:00']], wed: [['09:00', '18:00']], thu: [['09:00', '18:00']], fri: [['09:00', '18:00']] } } },
    secrets: { identity_secret: '' },
  },
  email: {
    settings: { address: 'support@example.com', from_name: 'Support', reply_to_token: true,
      imap: { host: 'imap.example.com', port: 993, tls: 'implicit', username: 'support@example.com', folder: 'INBOX', after_import: 'seen' },
      smtp: { host: 'smtp.example.com', port: 587, tls: 'starttls', username: 'support@example.com' } },
    secrets: { imap_password: '', smtp_password: '' },
  },
  slack: { settings: { notify_channel: 'C0123456789', customer_channels: [], note_prefix: 'note:', mode: 'events' }, secrets: { bot_token: '', signing_secret: '' } },
  discord: { settings: { guild_id: '', support_channels: [], open_threads: true, allow_dms: true }, secrets: { bot_token: '' } },
};

function initCopy() {
  document.addEventListener('click', async (e) => {
    const b = e.target.closest('[data-copy]');
    if (!b) return;
    const src = document.getElementById(b.dataset.copy);
    try {
      await navigator.clipboard.writeText(src.textContent);
      b.textContent = t('channels.copied');
    } catch (_) {
      const range = document.createRange();
      range.selectNodeContents(src);
      const sel = getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
    }
  });
}

function initChannels() {
  const form = document.getElementById('channel-form');
  const kind = document.getElementById('ch-kind');
  const fill = () => {
    const p = presets[kind.value] || { settings: {}, secrets: {} };
    document.getElementById('ch-settings').value = JSON.stringify(p.settings, null, 2);
    document.getElementById('ch-secrets').value = JSON.stringify(p.secrets, null, 2);
  };
  kind.addEventListener('change', fill);
  fill();
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    formError(form, null);
    try {
      const body = {
        kind: kind.value, name: document.getElementById('ch-name').value.trim(),
        settings: parseJSON(document.getElementById('ch-settings').value, t('channels.settings')),
        secrets: parseJSON(document.getElementById('ch-secrets').value, t('channels.secrets')),
      };
      const res = await api('POST', '/channels', body);
      const ch = res.channel;
      const box = document.getElementById('channel-created');
      document.getElementById('created-token').textContent = res.token || '';
      document.getElementById('created-inbound').textContent = ch.inbound_url ? (boot.base_url || location.origin) + ch.inbound_url : '';
      document.getElementById('created-secret').textContent = res.webhook_secret || '';
      document.getElementById('created-snippet').textContent =
        `<script src="${boot.base_url || location.origin}/widget.js" data-channel="${ch.public_key}" async></script>`;
      for (const p of box.querySelectorAll('[data-for]')) p.hidden = p.dataset.for !== ch.kind;
      box.hidden = false;
      await refreshRegions(['channels']);
    } catch (err) {
      formError(form, err);
    }
  });
  document.addEventListener('click', async (e) => {
    const b = e.target.closest('[data-toggle-channel]');
    if (!b) return;
    try {
      await api('PATCH', '/channels/' + b.dataset.toggleChannel, { enabled: b.dataset.enabled !== 'true' });
      await refreshRegions(['channels']);
    } catch (err) { showError(err); }
  });
}

function initAgents() {
  const form = document.getElementById('agent-form');
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    formError(form, null);
    try {
      await api('POST', '/agents', {
        email: form.email.value.trim(), name: form.elements.name.value.trim(), role: form.role.value, password: form.password.value,
      });
      location.reload();
    } catch (err) { formError(form, err); }
  });
  document.addEventListener('change', async (e) => {
    const id = e.target.getAttribute('data-agent-role');
    if (!id) return;
    try { await api('PATCH', '/agents/' + id, { role: e.target.value }); toast(t('common.saved')); } catch (err) { showError(err); }
  });
  document.addEventListener('click', async (e) => {
    const b = e.target.closest('[data-agent-active]');
    if (!b) return;
    try { await api('PATCH', '/agents/' + b.dataset.agentActive, { active: b.dataset.value === 'true' }); location.reload(); } catch (err) { showError(err); }
  });
}

function initSavedReplies() {
  const form = document.getElementById('reply-form');
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    formError(form, null);
    try {
      await api('POST', '/saved-replies', { name: form.elements.name.value.trim(), body: form.body.value });
      location.reload();
    } catch (err) { formError(form, err); }
  });
  document.addEventListener('click', async (e) => {
    const b = e.target.closest('[data-delete-reply]');
    if (!b) return;
    try { await api('DELETE', '/saved-replies/' + b.dataset.deleteReply); location.reload(); } catch (err) { showError(err); }
  });
}

function initQuarantine() {
  document.addEventListener('click', async (e) => {
    const b = e.target.closest('[data-retry-quarantine]');
    if (!b) return;
    b.disabled = true;
    try { await api('POST', '/quarantine/' + b.dataset.retryQuarantine + '/retry'); toast(t('quarantine.retried')); location.reload(); } catch (err) { showError(err); b.disabled = false; }
  });
}

function initDeliveries() {
  document.addEventListener('click', async (e) => {
    const b = e.target.closest('[data-retry-delivery], [data-retry-parked]');
    if (!b) return;
    b.disabled = true;
    const path = b.dataset.retryDelivery ? '/deliveries/' + b.dataset.retryDelivery + '/retry' : '/parked-events/' + b.dataset.retryParked + '/retry';
    try {
      await api('POST', path);
      toast(t('deliveries.retried'));
      b.closest('tr').remove();
    } catch (err) { showError(err); b.disabled = false; }
  });
}

function initPassword() {
  const form = document.getElementById('password-form');
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    formError(form, null);
    form.querySelector('[data-ok]').hidden = true;
    try {
      await api('POST', '/auth/password', { current: form.current.value, new: form.elements.new.value });
      form.reset();
      form.querySelector('[data-ok]').hidden = false;
    } catch (err) { formError(form, err); }
  });
}

export function init(page) {
  initCopy();
  if (page === 'channels') initChannels();
  if (page === 'agents') initAgents();
  if (page === 'saved_replies') initSavedReplies();
  if (page === 'password') initPassword();
  if (page === 'quarantine') initQuarantine();
  if (page === 'deliveries') initDeliveries();
}
