// Admin pages: channels, agents, saved replies; and the password form.
import { api, boot, t, toast, showError, refreshRegions, el, APIError, errorText, csrfToken } from './api.js';

function formError(form, err) {
  const box = form.querySelector('[data-error]');
  if (!box) { showError(err); return; }
  box.textContent = err ? err.message : '';
  box.hidden = !err;
}

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

// ---- channels: forms built from each kind's description (GET /channel-kinds) ----

// tx picks the page's language from a {ko, en} text.
function tx(text) {
  if (!text) return '';
  return (boot.lang === 'ko' ? (text.ko || text.en) : (text.en || text.ko)) || '';
}

function getPath(obj, key) {
  return key.split('.').reduce((o, k) => (o && typeof o === 'object' && !Array.isArray(o) ? o[k] : undefined), obj);
}

function setPath(obj, key, value) {
  const parts = key.split('.');
  let o = obj;
  for (const p of parts.slice(0, -1)) {
    if (!o[p] || typeof o[p] !== 'object' || Array.isArray(o[p])) o[p] = {};
    o = o[p];
  }
  o[parts[parts.length - 1]] = value;
}

function deletePath(obj, key) {
  const parts = key.split('.');
  const stack = [];
  let o = obj;
  for (const p of parts.slice(0, -1)) {
    if (!o || typeof o !== 'object' || Array.isArray(o)) return;
    stack.push([o, p]);
    o = o[p];
  }
  if (o && typeof o === 'object') delete o[parts[parts.length - 1]];
  // Drop objects left empty by the deletion.
  for (let i = stack.length - 1; i >= 0; i--) {
    const [parent, k] = stack[i];
    const v = parent[k];
    if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0) delete parent[k];
  }
}

// extraSettings returns the settings a description does not cover, for the
// raw "other settings" box.
function extraSettings(desc, settings) {
  const rest = JSON.parse(JSON.stringify(settings || {}));
  for (const f of desc.fields) {
    if (f.type === 'secret') continue;
    deletePath(rest, f.key);
    // A localized text stored as one plain string ("greeting": "Hi") is
    // shown in the described fields; drop the string form too.
    const parent = f.key.split('.').slice(0, -1).join('.');
    if (parent && typeof getPath(rest, parent) === 'string') deletePath(rest, parent);
  }
  return rest;
}

function fieldError(f, key) {
  return new Error('"' + tx(f.label) + '" ' + t(key));
}

function spanLine(v) { return Array.isArray(v) && v.length === 2 ? v[0] + '-' + v[1] : String(v); }

// control builds the input of one field; read() returns the value to store
// (undefined: leave the key out) and throws a readable error.
function control(f, value, id, secretSet) {
  const def = f.default;
  const ph = def !== undefined && def !== null && typeof def !== 'boolean' ? t('channels.defaultIs') + ' ' + (Array.isArray(def) ? def.join(', ') : String(def)) : '';
  let input;
  let read;
  switch (f.type) {
    case 'bool': {
      input = el('input', { type: 'checkbox', id, name: f.key });
      input.checked = value === undefined || value === null ? def === true : value === true;
      read = () => input.checked;
      break;
    }
    case 'select': {
      input = el('select', { id, name: f.key });
      for (const o of f.options || []) input.append(el('option', { value: o.value, text: tx(o.label) }));
      input.value = value !== undefined && value !== null && value !== '' ? String(value) : (def !== undefined ? String(def) : (f.options[0] || {}).value);
      read = () => input.value;
      break;
    }
    case 'number': {
      input = el('input', { type: 'text', inputmode: 'decimal', id, name: f.key, placeholder: ph });
      if (value !== undefined && value !== null) input.value = String(value);
      read = () => {
        const s = input.value.trim();
        if (!s) return undefined;
        const n = Number(s);
        if (!Number.isFinite(n)) throw fieldError(f, 'channels.badNumber');
        return n;
      };
      break;
    }
    case 'list': {
      input = el('textarea', { id, name: f.key, rows: 3, placeholder: ph, spellcheck: 'false' });
      if (Array.isArray(value)) input.value = value.map(f.item === 'span' ? spanLine : String).join('\n');
      read = () => {
        const lines = input.value.split('\n').map((l) => l.trim()).filter(Boolean);
        if (!lines.length) return undefined;
        if (f.item === 'number') {
          return lines.map((l) => { const n = Number(l); if (!Number.isFinite(n)) throw fieldError(f, 'channels.badNumber'); return n; });
        }
        if (f.item === 'span') {
          return lines.map((l) => {
            const m = /^(\d{1,2}:\d{2})\s*[-~–]\s*(\d{1,2}:\d{2})$/.exec(l);
            if (!m) throw fieldError(f, 'channels.badSpan');
            return [m[1].padStart(5, '0'), m[2].padStart(5, '0')];
          });
        }
        return lines;
      };
      break;
    }
    case 'text': {
      input = el('textarea', { id, name: f.key, rows: 2, placeholder: ph });
      if (typeof value === 'string') input.value = value;
      read = () => (input.value.trim() ? input.value : undefined);
      break;
    }
    case 'secret': {
      input = el('input', { type: 'password', id, name: f.key, autocomplete: 'new-password', spellcheck: 'false',
        placeholder: secretSet ? t('channels.secretSet') : (f.generated ? t('channels.generated') : t('channels.secretNew')) });
      read = () => (input.value ? input.value : undefined);
      break;
    }
    default: { // string, url
      input = el('input', { type: f.type === 'url' ? 'url' : 'text', id, name: f.key, placeholder: ph, spellcheck: 'false' });
      if (value !== undefined && value !== null) input.value = String(value);
      read = () => (input.value.trim() ? input.value.trim() : undefined);
    }
  }
  return { input, read };
}

// fieldBox wraps a control with its label and help.
function fieldBox(f, ctl, id, extra) {
  const label = el('label', { for: id, text: tx(f.label) + (f.required ? ' *' : '') });
  const box = el('div', { class: 'field' + (f.type === 'bool' ? ' check' : '') + (f.type === 'groups' ? ' wide' : ''), 'data-field': f.key });
  if (f.type === 'bool') box.append(ctl.input, ' ', label);
  else box.append(label, ctl.input);
  if (extra) box.append(extra);
  if (f.help && tx(f.help)) box.append(el('p', { class: 'hint small muted', text: tx(f.help) }));
  return box;
}

function fieldID(key) { return 'cf-' + key.replace(/[^A-Za-z0-9_]/g, '-'); }

// groupsControl is a list of objects, each with the field's sub-fields.
function groupsControl(f, value, id) {
  const wrap = el('div', { class: 'groups', id });
  const list = el('div', { class: 'group-list' });
  const items = [];
  const addItem = (obj) => {
    const n = items.length;
    const card = el('fieldset', { class: 'group', 'data-group-item': String(n) });
    card.append(el('legend', { text: tx(f.label) + ' ' + (n + 1) }));
    const reads = [];
    for (const sub of f.fields) {
      const sid = id + '-' + n + '-' + sub.key.replace(/[^A-Za-z0-9_]/g, '-');
      const ctl = control(sub, getPath(obj, sub.key), sid, false);
      reads.push([sub, ctl.read]);
      card.append(fieldBox(sub, ctl, sid));
    }
    const item = { card, reads, removed: false };
    const rm = el('button', { type: 'button', class: 'btn small', text: t('channels.removeItem') });
    rm.addEventListener('click', () => { item.removed = true; card.remove(); });
    card.append(rm);
    items.push(item);
    list.append(card);
  };
  for (const obj of Array.isArray(value) ? value : []) addItem(obj || {});
  const add = el('button', { type: 'button', class: 'btn small', 'data-add-group': f.key, text: t('channels.addItem') });
  add.addEventListener('click', () => addItem({}));
  wrap.append(list, add);
  const read = () => {
    const out = [];
    for (const it of items) {
      if (it.removed) continue;
      const obj = {};
      let any = false;
      for (const [sub, r] of it.reads) {
        const v = r();
        if (v === undefined || (sub.type === 'bool' && v === false && sub.default !== true)) continue;
        setPath(obj, sub.key, v);
        any = true;
      }
      if (!any) continue;
      for (const [sub] of it.reads) {
        if (sub.required && getPath(obj, sub.key) === undefined) throw fieldError(sub, 'channels.required');
      }
      out.push(obj);
    }
    return out.length ? out : undefined;
  };
  return { input: wrap, read };
}

// renderKindForm fills the form for desc; settings and secretKeys are the
// channel's when editing. It returns collect(), which builds the body.
function renderKindForm(desc, settings, secretKeys) {
  const box = document.getElementById('ch-fields');
  box.textContent = '';
  document.getElementById('ch-summary').textContent = tx(desc.summary);
  const main = el('div', { class: 'kind-main' });
  const more = el('details', { class: 'kind-more' }, el('summary', { text: t('channels.more') }));
  const reads = [];
  for (const f of desc.fields) {
    const id = fieldID(f.key);
    const has = f.type === 'secret' && (secretKeys || []).includes(f.key);
    let ctl;
    let extra = null;
    if (f.type === 'groups') {
      ctl = groupsControl(f, getPath(settings, f.key), id);
    } else {
      ctl = control(f, f.type === 'secret' ? undefined : getPath(settings, f.key), id, has);
    }
    if (has) {
      const rm = el('input', { type: 'checkbox', id: id + '-remove', 'data-remove-secret': f.key });
      extra = el('label', { class: 'small', for: id + '-remove' }, rm, ' ' + t('channels.secretRemove'));
      reads.push([f, ctl.read, () => rm.checked]);
    } else {
      reads.push([f, ctl.read, () => false]);
    }
    (f.advanced ? more : main).append(fieldBox(f, ctl, id, extra));
  }
  box.append(main);
  if (more.children.length > 1) box.append(more);
  const extra = extraSettings(desc, settings);
  const raw = document.getElementById('ch-extra');
  raw.value = JSON.stringify(extra, null, 2);
  document.getElementById('ch-raw').open = Object.keys(extra).length > 0;
  const notes = document.getElementById('ch-notes');
  notes.textContent = '';
  for (const n of desc.notes || []) notes.append(el('li', { text: tx(n) }));
  for (const l of desc.links || []) notes.append(el('li', {}, el('a', { href: l.url, target: '_blank', rel: 'noopener noreferrer', text: tx(l.label) })));
  return () => {
    let base;
    try { base = JSON.parse(raw.value.trim() || '{}'); } catch (_) { base = null; }
    if (!base || typeof base !== 'object' || Array.isArray(base)) throw new Error('"' + t('channels.raw') + '" ' + t('channels.badJSON'));
    const out = { settings: base, secrets: {} };
    for (const [f, read, removed] of reads) {
      const v = read();
      if (f.type === 'secret') {
        if (removed()) out.secrets[f.key] = null;
        else if (v !== undefined) out.secrets[f.key] = v;
        else if (f.required && !(secretKeys || []).includes(f.key)) throw fieldError(f, 'channels.required');
        continue;
      }
      if (v === undefined) {
        if (f.required) throw fieldError(f, 'channels.required');
        continue;
      }
      setPath(out.settings, f.key, v);
    }
    return out;
  };
}

function initChannels() {
  const form = document.getElementById('channel-form');
  const kind = document.getElementById('ch-kind');
  const name = document.getElementById('ch-name');
  const heading = document.getElementById('ch-heading');
  const submit = document.getElementById('ch-submit');
  const cancel = document.getElementById('ch-cancel');
  let kinds = {};
  let collect = null;
  let editing = null; // the channel being edited

  const setMode = (ch) => {
    editing = ch;
    heading.textContent = ch ? heading.dataset.edit + ' — ' + ch.name : heading.dataset.new;
    submit.textContent = ch ? submit.dataset.save : submit.dataset.create;
    cancel.hidden = !ch;
    kind.disabled = !!ch;
    form.dataset.mode = ch ? 'edit' : 'create';
  };
  const fill = () => {
    const desc = kinds[kind.value];
    if (!desc) return;
    collect = renderKindForm(desc, editing ? editing.settings : {}, editing ? editing.secret_keys : []);
  };
  kind.addEventListener('change', () => { formError(form, null); fill(); });
  cancel.addEventListener('click', () => { setMode(null); name.value = ''; fill(); });
  api('GET', '/channel-kinds').then((res) => {
    for (const d of res.items) kinds[d.kind] = d;
    fill();
    form.dataset.ready = 'true';
  }, showError);

  const showCreated = (res) => {
    const ch = res.channel;
    document.getElementById('created-token').textContent = res.token || '';
    const box = document.getElementById('created-extra');
    box.textContent = '';
    const desc = kinds[ch.kind] || { endpoints: [], fields: [] };
    for (const e of desc.endpoints || []) {
      const id = 'created-' + e.name;
      box.append(el('p', {}, el('strong', { text: tx(e.label) }), ' ', el('code', { class: 'code', id, text: (ch.endpoints || {})[e.name] || '' }), ' ',
        el('button', { type: 'button', class: 'btn small', 'data-copy': id, text: t('channels.copy') })));
    }
    for (const [key, value] of Object.entries(res.generated_secrets || {})) {
      const f = desc.fields.find((x) => x.key === key);
      const id = 'created-secret-' + key;
      box.append(el('p', {}, el('strong', { text: (f ? tx(f.label) : key) + ' ' + t('channels.shownOnce') }), ' ', el('code', { class: 'code', id, text: value }), ' ',
        el('button', { type: 'button', class: 'btn small', 'data-copy': id, text: t('channels.copy') })));
    }
    document.getElementById('channel-created').hidden = false;
  };

  // A setting the server refused (reason bad_setting) is named in the
  // agent's language and the message is shown next to its field too.
  const settingError = (err) => {
    const desc = kinds[editing ? editing.kind : kind.value];
    if (!(err instanceof APIError) || err.reason !== 'bad_setting' || !desc) return;
    const key = err.params.setting;
    const f = (desc.fields || []).find((x) => x.key === key);
    err.message = errorText({ reason: err.reason, code: err.code, params: err.params }, { setting: () => (f ? tx(f.label) : key) });
    const box = form.querySelector(`[data-field="${CSS.escape(key)}"]`);
    if (!box) return;
    box.append(el('p', { class: 'alert small field-error', role: 'alert', text: err.message }));
    const input = box.querySelector('input, select, textarea');
    if (input) { input.setAttribute('aria-invalid', 'true'); input.focus(); }
  };

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    formError(form, null);
    form.querySelectorAll('.field-error').forEach((n) => n.remove());
    form.querySelectorAll('[aria-invalid]').forEach((n) => n.removeAttribute('aria-invalid'));
    try {
      if (!collect) return;
      const body = collect();
      body.name = name.value.trim();
      if (!body.name) throw new Error('"' + t('channels.name') + '" ' + t('channels.required'));
      if (editing) {
        await api('PATCH', '/channels/' + editing.id, body);
        toast(t('common.saved'));
        setMode(null);
        name.value = '';
        fill();
      } else {
        body.kind = kind.value;
        for (const k of Object.keys(body.secrets)) if (body.secrets[k] === null) delete body.secrets[k];
        showCreated(await api('POST', '/channels', body));
      }
      await refreshRegions(['channels']);
    } catch (err) {
      settingError(err);
      formError(form, err);
    }
  });
  document.addEventListener('click', async (e) => {
    const edit = e.target.closest('[data-edit-channel]');
    if (edit) {
      try {
        const ch = await api('GET', '/channels/' + edit.dataset.editChannel);
        document.getElementById('channel-created').hidden = true;
        formError(form, null);
        setMode(ch);
        kind.value = ch.kind;
        name.value = ch.name;
        fill();
        form.scrollIntoView({ block: 'start' });
      } catch (err) { showError(err); }
      return;
    }
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
    const capID = e.target.getAttribute('data-agent-cap');
    if (capID) {
      try { await api('PATCH', '/agents/' + capID, { chat_cap: Number(e.target.value) }); toast(t('common.saved')); } catch (err) { showError(err); }
      return;
    }
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

// ---- teams: one form per team, plus the create form ----

function teamBody(form) {
  const ids = (name) => [...form.querySelectorAll('input[name="' + name + '"]:checked')].map((i) => Number(i.value));
  const cap = form.chat_cap.value.trim();
  return {
    name_ko: form.name_ko.value.trim(), name_en: form.name_en.value.trim(),
    auto_assign: form.auto_assign.checked, count_email: form.count_email.checked, restricted: form.restricted.checked,
    chat_cap: cap === '' ? 0 : Number(cap), member_ids: ids('member'), channel_ids: ids('channel'),
    business_hours: teamHours(form),
  };
}

// teamHours reads the hours fields: "09:00-18:00, 22:00-24:00" per day,
// one holiday date per line.
function teamHours(form) {
  const weekly = {};
  for (const day of ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']) {
    const v = form.elements['day_' + day].value.trim();
    if (!v) continue;
    weekly[day] = v.split(',').map((p) => p.trim()).filter(Boolean).map((p) => {
      const [from, to] = p.split('-').map((x) => x.trim());
      return [from || '', to || ''];
    });
  }
  const holidays = form.holidays.value.split('\n').map((l) => l.trim()).filter(Boolean);
  return { time_zone: form.time_zone.value.trim(), weekly, holidays };
}

function initTeams() {
  document.addEventListener('submit', async (e) => {
    const form = e.target.closest('[data-team-form]');
    if (!form) return;
    e.preventDefault();
    formError(form, null);
    const id = form.dataset.teamForm;
    try {
      if (id === 'new') await api('POST', '/teams', teamBody(form));
      else await api('PATCH', '/teams/' + id, teamBody(form));
      toast(t('common.saved'));
      location.reload();
    } catch (err) { formError(form, err); }
  });
  document.addEventListener('click', async (e) => {
    const b = e.target.closest('[data-team-delete]');
    if (!b) return;
    if (b.dataset.confirming !== 'true') {
      b.dataset.confirming = 'true';
      b.textContent = t('teams.deleteConfirm');
      return;
    }
    try { await api('DELETE', '/teams/' + b.dataset.teamDelete); location.reload(); } catch (err) { showError(err); }
  });
}

// ---- SLA policies: one form per policy, plus the create form ----

function slaBody(form) {
  const num = (name) => Math.max(0, parseInt(form.elements[name].value || '0', 10) || 0);
  const team = form.elements.team.value;
  const minutes = form.elements.warn_mode.value === 'minutes';
  return {
    name: form.elements.name.value.trim(), enabled: form.elements.enabled.checked,
    priority: form.elements.priority.value, team_id: team === '' ? null : Number(team),
    first_response_minutes: num('first_response'), resolution_minutes: num('resolution'),
    warn_percent: minutes ? 0 : num('warn_value'), warn_minutes: minutes ? num('warn_value') : 0,
  };
}

function initSLA() {
  document.addEventListener('submit', async (e) => {
    const form = e.target.closest('[data-sla-form]');
    if (!form) return;
    e.preventDefault();
    formError(form, null);
    const id = form.dataset.slaForm;
    try {
      if (id === 'new') await api('POST', '/sla-policies', slaBody(form));
      else await api('PUT', '/sla-policies/' + id, slaBody(form));
      toast(t('common.saved'));
      location.reload();
    } catch (err) { formError(form, err); }
  });
  document.addEventListener('click', async (e) => {
    const b = e.target.closest('[data-sla-delete]');
    if (!b) return;
    if (b.dataset.confirming !== 'true') {
      b.dataset.confirming = 'true';
      b.textContent = t('slaAdmin.deleteConfirm');
      return;
    }
    try { await api('DELETE', '/sla-policies/' + b.dataset.slaDelete); location.reload(); } catch (err) { showError(err); }
  });
}

// ---- answer bot: one flow form per widget channel ----

// botBody reads a flow form: the filled step rows in order; every
// department step gets the filled button rows.
function botBody(form) {
  const f = form.elements;
  const options = [];
  for (let i = 0; f['opt_ko_' + i]; i++) {
    const ko = f['opt_ko_' + i].value.trim(), en = f['opt_en_' + i].value.trim(), team = f['opt_team_' + i].value;
    if (ko || en || team) options.push({ label_ko: ko, label_en: en, team_id: Number(team) || 0 });
  }
  const steps = [];
  for (let i = 0; f['step_kind_' + i]; i++) {
    const kind = f['step_kind_' + i].value;
    if (!kind) continue;
    const s = { kind, required: f['step_required_' + i].checked, prompt_ko: f['step_prompt_ko_' + i].value.trim(), prompt_en: f['step_prompt_en_' + i].value.trim() };
    if (kind === 'department') s.options = options;
    steps.push(s);
  }
  return { channel_id: Number(form.dataset.botForm), enabled: f.enabled.checked, greeting_ko: f.greeting_ko.value.trim(), greeting_en: f.greeting_en.value.trim(), steps,
    hold_minutes: Number(f.hold_minutes.value) || 0 };
}

function initBot() {
  document.addEventListener('submit', async (e) => {
    const form = e.target.closest('[data-bot-form]');
    if (!form) return;
    e.preventDefault();
    formError(form, null);
    const id = Number(form.dataset.flow);
    try {
      if (id) await api('PUT', '/bot/flows/' + id, botBody(form));
      else await api('POST', '/bot/flows', botBody(form));
      toast(t('common.saved'));
      location.reload();
    } catch (err) { formError(form, err); }
  });
  document.addEventListener('click', async (e) => {
    const b = e.target.closest('[data-bot-delete]');
    if (!b) return;
    if (b.dataset.confirming !== 'true') {
      b.dataset.confirming = 'true';
      b.textContent = t('bot.deleteConfirm');
      return;
    }
    try { await api('DELETE', '/bot/flows/' + b.dataset.botDelete); location.reload(); } catch (err) { showError(err); }
  });
}

// initAssist saves the AI provider form. The key field is write-only: an
// empty one keeps the stored key.
function initAssist() {
  const form = document.getElementById('assist-form');
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    formError(form, null);
    const f = form.elements;
    const body = {
      enabled: f.enabled.checked, base_url: f.base_url.value.trim(), model: f.model.value.trim(),
      timeout_ms: Number(f.timeout_ms.value) || 0, clear_api_key: !!(f.clear_api_key && f.clear_api_key.checked),
    };
    if (f.api_key.value) body.api_key = f.api_key.value;
    try {
      await api('PUT', '/assist/settings', body);
      toast(t('common.saved'));
      location.reload();
    } catch (err) { formError(form, err); }
  });
}

// initAssistChannels saves the handoff team of each channel whose select
// changed since the page was drawn.
function initAssistChannels() {
  const form = document.getElementById('assist-channels');
  if (!form) return;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    formError(form, null);
    try {
      for (const sel of form.querySelectorAll('select[data-channel]')) {
        if (sel.value === sel.dataset.saved) continue;
        await api('PUT', '/assist/channels/' + sel.dataset.channel, { handoff_team_id: Number(sel.value) || null });
        sel.dataset.saved = sel.value;
      }
      toast(t('common.saved'));
    } catch (err) { formError(form, err); }
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
  initSavedReplyEdit();
}

// Saved replies: edit in place (PATCH /saved-replies/{id}) and a search
// that narrows the list by name and text as the admin types.
function initSavedReplyEdit() {
  const toggle = (li, open) => {
    li.querySelector('[data-reply-form]').hidden = !open;
    li.querySelector('[data-reply-body]').hidden = open;
    const b = li.querySelector('[data-edit-reply]');
    b.setAttribute('aria-expanded', String(open));
    if (open) li.querySelector('[data-reply-form] input[name="name"]').focus(); else b.focus();
  };
  document.addEventListener('click', (e) => {
    const b = e.target.closest('[data-edit-reply], [data-cancel-reply]');
    if (!b) return;
    const li = b.closest('[data-reply]');
    toggle(li, b.hasAttribute('data-edit-reply') && li.querySelector('[data-reply-form]').hidden);
  });
  document.addEventListener('submit', async (e) => {
    const form = e.target.closest('[data-reply-form]');
    if (!form) return;
    e.preventDefault();
    formError(form, null);
    try {
      const r = await api('PATCH', '/saved-replies/' + form.dataset.replyForm, { name: form.elements.name.value.trim(), body: form.body.value });
      const li = form.closest('[data-reply]');
      li.querySelector('[data-reply-name]').textContent = r.name;
      li.querySelector('[data-reply-body]').textContent = r.body;
      toggle(li, false);
      toast(t('common.saved'));
    } catch (err) { formError(form, err); }
  });
  const q = document.getElementById('sr-search');
  q.addEventListener('input', () => {
    const words = q.value.toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    for (const li of document.querySelectorAll('#sr-list [data-reply]')) {
      const text = (li.querySelector('[data-reply-name]').textContent + ' ' + li.querySelector('[data-reply-body]').textContent).toLowerCase();
      li.hidden = !words.every((w) => text.includes(w));
      if (!li.hidden) shown++;
    }
    document.getElementById('sr-none').hidden = shown > 0 || !words.length;
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
    const b = e.target.closest('[data-retry-delivery], [data-retry-parked], [data-retry-job]');
    if (!b) return;
    b.disabled = true;
    const path = b.dataset.retryDelivery ? '/deliveries/' + b.dataset.retryDelivery + '/retry'
      : b.dataset.retryParked ? '/parked-events/' + b.dataset.retryParked + '/retry'
      : '/jobs/' + b.dataset.retryJob + '/retry';
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
      await api('POST', '/auth/password', {
        current: form.current.value, new: form.elements.new.value, revoke_tokens: form.elements.revoke_tokens.checked,
      });
      form.reset();
      form.querySelector('[data-ok]').hidden = false;
    } catch (err) { formError(form, err); }
  });
}

// ---- The agent's own profile and notifications (/agents/me/profile) ----
// initAvatar sends the chosen picture as the body of PUT
// /agents/me/avatar (the server re-encodes it); remove goes back to
// initials. The page reloads to show the new picture everywhere.
function initAvatar() {
  const form = document.getElementById('avatar-form');
  if (!form) return;
  const send = async (method, file) => {
    formError(form, null);
    form.querySelector('[data-ok]').hidden = true;
    let res;
    try {
      res = await fetch('/api/v1/agents/me/avatar', { method, credentials: 'same-origin', body: file,
        headers: { Accept: 'application/json', 'X-CSRF-Token': csrfToken(), ...(file ? { 'Content-Type': file.type || 'application/octet-stream' } : {}) } });
    } catch (err) { formError(form, new APIError(0, 'network', t('error.network'))); return; }
    if (!res.ok) {
      let e = {};
      try { e = ((await res.json()) || {}).error || {}; } catch (_) { /* not JSON */ }
      if (!e.code) e.code = 'http_' + res.status;
      formError(form, new APIError(res.status, e.code, errorText(e), e.reason, e.params, e.message));
      return;
    }
    location.reload();
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const file = form.elements.avatar.files[0];
    if (!file) { form.elements.avatar.focus(); return; }
    send('PUT', file);
  });
  const rm = form.querySelector('[data-avatar-remove]');
  if (rm) rm.addEventListener('click', () => send('DELETE'));
}

function initProfile() {
  const form = document.getElementById('profile-form');
  const nform = document.getElementById('notify-form');
  if (!form || !nform) return;
  const ok = (f, on) => { f.querySelector('[data-ok]').hidden = !on; };
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    formError(form, null);
    ok(form, false);
    const locale = form.locale.value;
    try {
      await api('PATCH', '/agents/me/profile', {
        name: form.elements.name.value.trim(), locale, signature: form.signature.value, signature_mode: form.signature_mode.value,
      });
      // The header's language switch is a cookie: follow the new choice.
      if (locale && locale !== (boot.lang || '')) { location.assign('/lang/' + locale + '?next=/password'); return; }
      ok(form, true);
    } catch (err) { formError(form, err); }
  });
  initAvatar();
  const perm = nform.querySelector('[data-permission]');
  const permText = { default: 'notify.permission.default', denied: 'notify.permission.denied', granted: 'notify.permission.granted' };
  const showPermission = () => {
    if (!window.Notification) { perm.textContent = t('notify.permission.unsupported'); perm.hidden = false; return; }
    perm.hidden = Notification.permission === 'granted' || !nform.notify_desktop.checked;
    perm.textContent = t(permText[Notification.permission] || permText.default);
  };
  showPermission();
  nform.notify_desktop.addEventListener('change', showPermission);
  nform.addEventListener('submit', async (e) => {
    e.preventDefault();
    formError(nform, null);
    ok(nform, false);
    const desktop = nform.notify_desktop.checked;
    // Asking needs the click that submitted the form; the choice is saved
    // either way and the line below says what the browser allows.
    if (desktop && window.Notification && Notification.permission === 'default') {
      try { await Notification.requestPermission(); } catch (_) { /* shown below */ }
    }
    showPermission();
    try {
      await api('PATCH', '/agents/me/profile', {
        notify_desktop: desktop, notify_sound: nform.notify_sound.checked,
        notify_on: Array.from(nform.querySelectorAll('input[name="notify_on"]:checked'), (c) => c.value),
      });
      ok(nform, true);
    } catch (err) { formError(nform, err); }
  });
  nform.querySelector('[data-notify-test]').addEventListener('click', async () => {
    if (nform.notify_desktop.checked && window.Notification && Notification.permission === 'default') {
      try { await Notification.requestPermission(); } catch (_) { /* shown below */ }
    }
    showPermission();
    const m = await import('./notify.js');
    m.show('test', 0, { desktop: nform.notify_desktop.checked, sound: nform.notify_sound.checked });
  });
}

// ---- CSAT survey per channel (GET/PUT /channels/{id}/csat) ----
function initCSAT() {
  const form = document.getElementById('csat-form');
  if (!form) return;
  const ch = form.elements.channel;
  const load = async () => {
    formError(form, null);
    if (!ch.value) return;
    try {
      const s = await api('GET', '/channels/' + ch.value + '/csat');
      form.elements.enabled.checked = !!s.enabled;
      form.elements.scale.value = s.scale || 'faces';
      form.elements.delay.value = String(Math.round((s.delay_seconds || 0) / 60));
      form.elements.cap_days.value = String(s.cap_days ?? 30);
      for (const k of ['question_ko', 'question_en', 'thanks_ko', 'thanks_en']) form.elements[k].value = s[k] || '';
      form.dataset.ready = ch.value;
    } catch (err) { formError(form, err); }
  };
  ch.addEventListener('change', load);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    formError(form, null);
    try {
      await api('PUT', '/channels/' + ch.value + '/csat', {
        enabled: form.elements.enabled.checked, scale: form.elements.scale.value, delay_seconds: Math.max(0, parseInt(form.elements.delay.value || '0', 10)) * 60,
        cap_days: Math.max(0, parseInt(form.elements.cap_days.value || '0', 10)),
        question_ko: form.elements.question_ko.value, question_en: form.elements.question_en.value,
        thanks_ko: form.elements.thanks_ko.value, thanks_en: form.elements.thanks_en.value,
      });
      toast(t('common.saved'));
      form.dataset.saved = ch.value;
    } catch (err) { formError(form, err); }
  });
  load();
}

// ---- automation rules: condition and action rows, order, dry run ----

// showFor shows, in a row, the value controls meant for the chosen field
// or action type (data-for lists them) and disables the others, so only
// the visible ones are read.
function showFor(row, kind) {
  for (const c of row.querySelectorAll('[data-for]')) {
    const on = c.dataset.for.split(' ').includes(kind);
    c.hidden = !on;
    c.disabled = !on;
  }
}

const textFields = ['text', 'subject', 'page_url'];

function syncCondRow(row) {
  const field = row.querySelector('[name=field]').value;
  showFor(row, field);
  const op = row.querySelector('[name=op]');
  const textual = textFields.includes(field);
  for (const o of op.options) {
    const ok = textual ? (o.value === 'contains' || o.value === 'not_contains') : (o.value === 'is' || o.value === 'is_not');
    o.hidden = !ok;
    o.disabled = !ok;
  }
  if (op.selectedOptions[0] && op.selectedOptions[0].disabled) op.value = textual ? 'contains' : 'is';
}

function syncActionRow(row) {
  showFor(row, row.querySelector('[name=type]').value);
}

function syncRuleForm(form) {
  form.querySelectorAll('[data-cond-row]').forEach(syncCondRow);
  form.querySelectorAll('[data-action-row]').forEach(syncActionRow);
  form.querySelector('[data-hours-field]').hidden = form.elements.trigger.value !== 'no_customer_reply';
  form.querySelector('[data-no-conds]').hidden = !!form.querySelector('[data-cond-row]');
}

function addRow(form, templateID, list) {
  const frag = document.getElementById(templateID).content.cloneNode(true);
  form.querySelector(list).append(frag);
  syncRuleForm(form);
}

// ruleBody reads a rule form into the API's RuleBody.
function ruleBody(form) {
  const val = (row, name) => {
    const c = [...row.querySelectorAll('[name="' + name + '"]')].find((x) => !x.disabled);
    return c ? c.value.trim() : '';
  };
  const conditions = [...form.querySelectorAll('[data-cond-row]')].map((row) => ({
    field: row.querySelector('[name=field]').value, op: row.querySelector('[name=op]').value, value: val(row, 'value'), key: val(row, 'key'),
  }));
  const actions = [...form.querySelectorAll('[data-action-row]')].map((row) => {
    const a = { type: row.querySelector('[name=type]').value, value: val(row, 'value'), target: val(row, 'target'), secret: val(row, 'secret') };
    const ch = val(row, 'channel_id');
    if (ch) a.channel_id = Number(ch);
    return a;
  });
  return {
    name: form.elements.name.value.trim(), enabled: form.elements.enabled.checked, stop_after: form.elements.stop_after.checked,
    trigger: form.elements.trigger.value, trigger_hours: Number(form.elements.trigger_hours.value || 0),
    match: form.elements.match.value, conditions, actions,
  };
}

function fill(key, params) {
  let s = t(key);
  for (const [k, v] of Object.entries(params)) s = s.split('{' + k + '}').join(String(v));
  return s;
}

// showDryRun lists the tickets an unsaved rule would act on, and what it
// would do to each.
function showDryRun(form, res) {
  const box = form.querySelector('[data-dry-results]');
  box.replaceChildren();
  box.hidden = false;
  box.append(el('p', { class: 'dry-summary', 'data-dry-summary': '', text: res.matched > 0
    ? fill('rules.dryResult', { matched: res.matched, tried: res.tried }) : fill('rules.dryNone', { tried: res.tried }) }));
  const list = el('ul', { class: 'dry-list' });
  const rows = [...form.querySelectorAll('[data-action-row]')];
  // The name the form shows for an action's team, agent or saved reply.
  const chosen = (k, type) => {
    const s = rows[k] && rows[k].querySelector('select[data-for~="' + type + '"]');
    return s && s.selectedOptions[0] ? s.selectedOptions[0].textContent : '';
  };
  for (const it of res.items.filter((x) => x.matched)) {
    const effects = (it.effects || []).map((f, k) => {
      let what = t('ruleaction.' + f.type);
      if (['assign_team', 'assign_agent', 'saved_reply'].includes(f.type) && chosen(k, f.type)) what += ': ' + chosen(k, f.type);
      if (f.type === 'add_tag' || f.type === 'remove_tag') what += ' #' + f.value;
      if (f.type === 'set_priority') what += ': ' + t('priority.' + f.value);
      if (f.type === 'set_status') what += ': ' + t('status.' + f.value);
      if (f.noop) what += ' ' + t('rules.dryNoop');
      return what;
    });
    list.append(el('li', { 'data-dry-ticket': it.public_id },
      el('a', { href: '/tickets/' + it.public_id }, '#' + it.number + ' '), el('bdi', { text: it.subject }), ' — ' + effects.join(', ')));
  }
  box.append(list);
}

function initRules() {
  document.querySelectorAll('[data-rule-form]').forEach(syncRuleForm);
  const saved = document.querySelectorAll('.rule-list [data-rule-form]');
  if (saved.length) saved[saved.length - 1].querySelector('[data-rule-move="1"]').disabled = true;
  document.addEventListener('change', (e) => {
    const form = e.target.closest('[data-rule-form]');
    if (form) syncRuleForm(form);
  });
  document.addEventListener('click', async (e) => {
    const form = e.target.closest('[data-rule-form]');
    if (!form) return;
    const id = form.dataset.ruleForm;
    if (e.target.closest('[data-add-cond]')) { addRow(form, 'rule-cond-row', '[data-cond-rows]'); return; }
    if (e.target.closest('[data-add-action]')) { addRow(form, 'rule-action-row', '[data-action-rows]'); return; }
    const rm = e.target.closest('[data-remove-row]');
    if (rm) { rm.closest('li').remove(); syncRuleForm(form); return; }
    if (e.target.closest('[data-rule-dry-run]')) {
      formError(form, null);
      try { showDryRun(form, await api('POST', '/rules/dry-run', { rule: ruleBody(form), limit: 50 })); } catch (err) { formError(form, err); }
      return;
    }
    const mv = e.target.closest('[data-rule-move]');
    if (mv) {
      const ids = [...document.querySelectorAll('[data-rule-form]')].map((f) => f.dataset.ruleForm).filter((x) => x !== 'new').map(Number);
      const at = ids.indexOf(Number(id));
      const to = at + Number(mv.dataset.ruleMove);
      if (to < 0 || to >= ids.length) return;
      [ids[at], ids[to]] = [ids[to], ids[at]];
      try { await api('POST', '/rules/order', { ids }); location.reload(); } catch (err) { formError(form, err); }
      return;
    }
    const del = e.target.closest('[data-rule-delete]');
    if (del) {
      if (del.dataset.confirming !== 'true') { del.dataset.confirming = 'true'; del.textContent = t('rules.deleteConfirm'); return; }
      try { await api('DELETE', '/rules/' + id); location.reload(); } catch (err) { formError(form, err); }
    }
  });
  document.addEventListener('submit', async (e) => {
    const form = e.target.closest('[data-rule-form]');
    if (!form) return;
    e.preventDefault();
    formError(form, null);
    const id = form.dataset.ruleForm;
    try {
      if (id === 'new') await api('POST', '/rules', ruleBody(form));
      else await api('PUT', '/rules/' + id, ruleBody(form));
      toast(t('common.saved'));
      location.reload();
    } catch (err) { formError(form, err); }
  });
}

// ---- event webhooks (/webhooks) ----
function webhookBody(form) {
  return {
    name: form.elements.name.value.trim(), url: form.elements.url.value.trim(),
    events: [...form.querySelectorAll('input[name=event]:checked')].map((c) => c.value),
    enabled: form.elements.enabled.checked,
  };
}

function showSecret(secret) {
  document.getElementById('webhook-secret').textContent = secret || '';
  document.getElementById('webhook-created').hidden = false;
}

function initWebhooks() {
  const form = document.getElementById('webhook-new');
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    formError(form, null);
    try {
      const sub = await api('POST', '/webhooks', webhookBody(form));
      form.querySelector('button[type=submit]').hidden = true;
      document.getElementById('webhook-open').href = '/admin/webhooks/' + sub.id;
      showSecret(sub.secret);
    } catch (err) { formError(form, err); }
  });
}

function initWebhook() {
  const form = document.getElementById('webhook-edit');
  const base = '/webhooks/' + form.dataset.id;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    formError(form, null);
    try { await api('PATCH', base, webhookBody(form)); toast(t('common.saved')); } catch (err) { formError(form, err); }
  });
  document.getElementById('webhook-test').addEventListener('click', async () => {
    try { await api('POST', base + '/test'); toast(t('webhooks.testQueued')); } catch (err) { formError(form, err); }
  });
  document.getElementById('webhook-regenerate').addEventListener('click', async () => {
    if (!confirm(t('webhooks.regenerateConfirm'))) return;
    try { showSecret((await api('POST', base + '/secret')).secret); } catch (err) { formError(form, err); }
  });
  document.getElementById('webhook-delete').addEventListener('click', async () => {
    if (!confirm(t('webhooks.deleteConfirm'))) return;
    try { await api('DELETE', base); location.href = '/admin/webhooks'; } catch (err) { formError(form, err); }
  });
  document.getElementById('webhook-refresh').addEventListener('click', () => location.reload());
  document.addEventListener('click', async (e) => {
    const b = e.target.closest('[data-redeliver]');
    if (!b) return;
    b.disabled = true;
    try {
      await api('POST', base + '/deliveries/' + b.dataset.redeliver + '/redeliver');
      toast(t('webhooks.redelivered'));
    } catch (err) { showError(err); b.disabled = false; }
  });
}

// ---- NPS surveys (/nps-surveys): the definition form with a live preview ----
function initNPS() {
  const form = document.getElementById('nps-form');
  if (!form) return;
  const f = form.elements;
  const defaults = boot.npsDefaults || {};
  const heading = document.getElementById('nps-form-h');
  const preview = () => {
    const lang = document.getElementById('nps-preview-lang').value;
    document.getElementById('nps-preview-q').textContent = f['question_' + lang].value.trim() || defaults['question_' + lang] || '';
    document.getElementById('nps-preview-why').textContent = f['why_' + lang].value.trim() || defaults['why_' + lang] || '';
  };
  const anchor = () => form.querySelector('input[name=anchor]:checked').value;
  const sync = () => {
    f.audience_tag.disabled = form.querySelector('input[name=audience]:checked').value !== 'tag';
    f.repeat_days.disabled = form.querySelector('input[name=repeat]:checked').value !== 'custom';
    for (const box of form.querySelectorAll('[data-anchor-for]')) {
      const on = box.dataset.anchorFor === anchor();
      box.hidden = !on;
      for (const c of box.querySelectorAll('input, select')) c.disabled = !on;
    }
  };
  const fill = (s) => {
    f.id.value = s.id ? String(s.id) : '';
    f.name.value = s.name || '';
    f.enabled.checked = !!s.enabled;
    for (const k of ['question_ko', 'question_en', 'why_ko', 'why_en', 'thanks_ko', 'thanks_en']) f[k].value = s[k] || '';
    document.getElementById(s.audience_tag ? 'nps-aud-tag' : 'nps-aud-all').checked = true;
    f.audience_tag.value = s.audience_tag || '';
    const a = s.anchor || 'first_conversation';
    document.getElementById({ attribute: 'nps-anchor-attr', date: 'nps-anchor-date' }[a] || 'nps-anchor-first').checked = true;
    if (s.anchor_attribute) f.anchor_attribute.value = s.anchor_attribute;
    f.anchor_date.value = s.anchor_date || '';
    f.first_days.value = String(s.first_days ?? 7);
    const rep = (s.repeat_days || []).join(', ');
    const preset = (defaults.repeat || []).join(', ');
    document.getElementById(!s.id || rep === preset ? 'nps-rep-preset' : rep ? 'nps-rep-custom' : 'nps-rep-none').checked = true;
    f.repeat_days.value = rep && rep !== preset ? rep : '';
    f.by_email.checked = s.id ? !!s.by_email : true;
    f.by_widget.checked = s.id ? !!s.by_widget : true;
    f.cap_any_days.value = String(s.cap_any_days || 30);
    f.cap_nps_days.value = String(s.cap_nps_days || 90);
    f.quiet_start.value = s.quiet_start || '21:00';
    f.quiet_end.value = s.quiet_end || '09:00';
    f.time_zone.value = s.time_zone || 'Asia/Seoul';
    heading.textContent = s.id ? heading.dataset.editing : heading.dataset.new;
    sync(); preview();
  };
  const repeatDays = () => {
    const mode = form.querySelector('input[name=repeat]:checked').value;
    if (mode === 'preset') return defaults.repeat || [];
    if (mode === 'none') return [];
    const parts = f.repeat_days.value.split(',').map((x) => x.trim()).filter((x) => x !== '');
    if (parts.some((x) => !/^\d+$/.test(x))) throw new Error(t('nps.badDays'));
    return parts.map((x) => parseInt(x, 10));
  };
  form.addEventListener('input', () => { sync(); preview(); });
  form.addEventListener('change', () => { sync(); preview(); });
  document.getElementById('nps-reset').addEventListener('click', () => { formError(form, null); fill({}); });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    formError(form, null);
    try {
      const body = {
        name: f.name.value, enabled: f.enabled.checked,
        question_ko: f.question_ko.value, question_en: f.question_en.value, why_ko: f.why_ko.value, why_en: f.why_en.value,
        thanks_ko: f.thanks_ko.value, thanks_en: f.thanks_en.value,
        audience_tag: form.querySelector('input[name=audience]:checked').value === 'tag' ? f.audience_tag.value.trim() : '',
        anchor: anchor(), anchor_attribute: anchor() === 'attribute' ? f.anchor_attribute.value : '',
        anchor_date: anchor() === 'date' ? f.anchor_date.value : '',
        first_days: parseInt(f.first_days.value || '0', 10), repeat_days: repeatDays(),
        by_email: f.by_email.checked, by_widget: f.by_widget.checked,
        cap_any_days: parseInt(f.cap_any_days.value || '0', 10), cap_nps_days: parseInt(f.cap_nps_days.value || '0', 10),
        quiet_start: f.quiet_start.value, quiet_end: f.quiet_end.value, time_zone: f.time_zone.value.trim(),
      };
      const saved = f.id.value ? await api('PUT', '/nps-surveys/' + f.id.value, body) : await api('POST', '/nps-surveys', body);
      toast(t('common.saved'));
      form.dataset.saved = String(saved.id);
      location.reload();
    } catch (err) { formError(form, err); }
  });
  document.addEventListener('click', async (e) => {
    const ed = e.target.closest('[data-nps-edit]');
    const del = e.target.closest('[data-nps-delete]');
    try {
      if (ed) { fill(await api('GET', '/nps-surveys/' + ed.dataset.npsEdit)); form.dataset.ready = ed.dataset.npsEdit; form.scrollIntoView(); }
      if (del && confirm(t('nps.deleteConfirm'))) { await api('DELETE', '/nps-surveys/' + del.dataset.npsDelete); location.reload(); }
    } catch (err) { formError(form, err); }
  });
  fill({});
  form.dataset.ready = 'new';
}

// ---- Contacts import (/contacts/import): preview (a dry run), column mapping, import, report ----
function initContactsIO() {
  const form = document.getElementById('import-form');
  const preview = document.getElementById('cio-preview');
  const result = document.getElementById('cio-result');
  const rejectedBox = document.getElementById('cio-rejected-box');
  const fill = (msg, params) => {
    for (const [k, v] of Object.entries(params || {})) msg = msg.split('{' + k + '}').join(String(v));
    return msg;
  };
  let mapping = null; // null: the server maps by header
  const send = async (dryRun) => {
    const file = form.elements.file.files[0];
    if (!file) throw new APIError(400, 'no_file', t('error.no_file'));
    const q = new URLSearchParams({ encoding: form.elements.encoding.value });
    if (dryRun) q.set('dry_run', 'true');
    if (mapping) q.set('mapping', mapping.map((m) => m || '-').join(','));
    let res;
    try {
      res = await fetch('/api/v1/contacts/import?' + q, {
        method: 'POST', credentials: 'same-origin', body: file,
        headers: { Accept: 'application/json', 'Content-Type': 'text/csv', 'X-CSRF-Token': csrfToken() },
      });
    } catch (err) {
      throw new APIError(0, 'network', t('error.network'), '', {}, String(err));
    }
    let data = null;
    try { data = await res.json(); } catch (_) { /* empty body */ }
    if (!res.ok) {
      const e = (data && data.error) || { code: 'http_' + res.status };
      throw new APIError(res.status, e.code, errorText(e), e.reason, e.params, e.message);
    }
    return data;
  };
  const counts = (dl, r) => {
    dl.replaceChildren();
    for (const k of ['rows', 'created', 'updated', 'merged', 'rejected']) {
      dl.append(el('div', { 'data-count': k }, el('dt', { text: t('ciocount.' + k) }), el('dd', { text: String(r[k]) })));
    }
  };
  const rejected = (r) => {
    const body = document.querySelector('#cio-rejected tbody');
    body.replaceChildren();
    for (const x of r.rejected_rows) {
      const known = boot.strings && boot.strings['cioreject.' + x.code];
      body.append(el('tr', { 'data-line': x.line }, el('td', { text: String(x.line) }), el('td', {}, el('bdi', { text: x.email || '' })),
        el('td', { text: known ? fill(known, { ...x.params, type: t('attrtype.' + (x.params && x.params.type)) }) : x.reason })));
    }
    if (r.rejected > r.rejected_rows.length) {
      body.append(el('tr', {}, el('td', { colspan: 3, class: 'muted', text: fill(t('cio.rejectedMore'), { shown: r.rejected_rows.length, total: r.rejected }) })));
    }
    rejectedBox.hidden = r.rejected === 0;
  };
  const showPreview = (r) => {
    document.getElementById('cio-detected').textContent = fill(t('cio.detected'), {
      encoding: r.encoding.toUpperCase(), delimiter: r.delimiter === '\t' ? 'TAB' : r.delimiter, rows: r.rows,
    });
    counts(document.getElementById('cio-would'), r);
    const mbody = document.querySelector('#cio-mapping tbody');
    mbody.replaceChildren();
    for (const c of r.columns) {
      const sel = el('select', { 'data-column': c.index, 'aria-label': c.header || String(c.index + 1) });
      for (const o of boot.importTargets || []) sel.append(el('option', { value: o.Value, selected: o.Value === c.target, text: o.Label }));
      mbody.append(el('tr', {}, el('th', { scope: 'row' }, el('bdi', { text: c.header })), el('td', {}, sel)));
    }
    const rbody = document.querySelector('#cio-rows tbody');
    rbody.replaceChildren();
    for (const p of r.preview) {
      const attrs = Object.entries(p.attributes || {}).map(([k, v]) => k + ': ' + v).join(', ');
      rbody.append(el('tr', { 'data-action': p.action, 'data-line': p.line }, el('td', { text: String(p.line) }),
        el('td', {}, el('bdi', { text: p.email })), el('td', {}, el('bdi', { text: p.name })), el('td', { class: 'small', text: attrs }),
        el('td', { text: (p.tags || []).join(', ') }),
        el('td', {}, el('span', { class: p.action === 'reject' ? 'badge bad' : 'badge', text: t('cioaction.' + p.action) }))));
    }
    rejected(r);
    preview.hidden = false;
    result.hidden = true;
    form.dataset.state = 'previewed';
  };
  const doPreview = async () => {
    formError(form, null);
    form.dataset.state = 'busy';
    try { showPreview(await send(true)); } catch (err) { form.dataset.state = 'error'; formError(form, err); }
  };
  form.addEventListener('submit', (e) => { e.preventDefault(); mapping = null; doPreview(); });
  form.elements.file.addEventListener('change', () => { preview.hidden = true; result.hidden = true; rejectedBox.hidden = true; });
  document.getElementById('cio-mapping').addEventListener('change', () => {
    mapping = [...document.querySelectorAll('#cio-mapping select')].map((s) => s.value);
    doPreview();
  });
  document.getElementById('cio-cancel').addEventListener('click', () => { preview.hidden = true; rejectedBox.hidden = true; form.reset(); mapping = null; });
  const commit = document.getElementById('cio-commit');
  commit.addEventListener('click', async () => {
    formError(form, null);
    mapping = [...document.querySelectorAll('#cio-mapping select')].map((s) => s.value);
    commit.disabled = true;
    commit.textContent = t('cio.importing');
    form.dataset.state = 'busy';
    try {
      const r = await send(false);
      counts(document.getElementById('cio-done'), r);
      rejected(r);
      preview.hidden = true;
      result.hidden = false;
      form.dataset.state = 'imported';
      toast(t('cio.resultTitle'));
    } catch (err) { form.dataset.state = 'error'; formError(form, err); result.hidden = true; }
    commit.disabled = false;
    commit.textContent = t('cio.commit');
  });
  form.dataset.state = 'ready';
}

// ---- campaigns: life-cycle messages (GET/POST/PUT/DELETE /campaigns) ----
// One form for every trigger: the fields of the chosen trigger and channel
// show; the preview renders the content server-side (placeholders and
// fallbacks as a nameless contact gets them).
function initCampaigns() {
  const form = document.getElementById('camp-form');
  if (!form) return;
  const f = form.elements;
  const heading = document.getElementById('camp-form-h');
  const channel = () => form.querySelector('input[name=channel]:checked').value;
  const sync = () => {
    const kind = f.trigger.value;
    for (const sec of form.querySelectorAll('[data-trigger]')) sec.hidden = sec.dataset.trigger !== kind;
    for (const sec of form.querySelectorAll('[data-show]')) sec.hidden = sec.dataset.show !== channel();
    const fixed = form.querySelector('input[name=sched_mode]:checked').value === 'fixed';
    f.date_attribute.disabled = fixed; f.days.disabled = fixed; f.at.disabled = !fixed;
  };
  const days = () => {
    const parts = f.days.value.split(',').map((x) => x.trim()).filter((x) => x !== '');
    if (parts.some((x) => !/^\d+$/.test(x))) throw new Error(t('camp.badDays'));
    return parts.map((x) => parseInt(x, 10));
  };
  const int = (el) => parseInt(el.value || '0', 10);
  const body = () => {
    const kind = f.trigger.value;
    const tc = {};
    if (kind === 'event') Object.assign(tc, { event: f.event.value.trim(), delay_minutes: int(f.delay_minutes), stop_event: f.stop_event.value.trim(), repeat: f.repeat.checked });
    if (kind === 'milestone') Object.assign(tc, { attribute: f.attribute.value, value: parseFloat(f.value.value || '0') });
    if (kind === 'schedule') {
      if (form.querySelector('input[name=sched_mode]:checked').value === 'fixed') tc.at = f.at.value;
      else Object.assign(tc, { date_attribute: f.date_attribute.value, days: days() });
    }
    if (kind === 'inactivity') tc.inactive_days = int(f.inactive_days);
    if (kind === 'page') tc.min_seconds = int(f.min_seconds);
    if (channel() === 'widget') Object.assign(tc, { url_pattern: f.url_pattern.value.trim(), office_hours_only: f.office_hours_only.checked });
    return {
      name: f.name.value, enabled: f.enabled.checked, channel: channel(), channel_id: int(f.channel_id),
      segment_id: f.segment_id.value ? parseInt(f.segment_id.value, 10) : null, trigger: kind, trigger_config: tc,
      goal_event: f.goal_event.value.trim(), subject_ko: f.subject_ko.value, subject_en: f.subject_en.value,
      body_ko: f.body_ko.value, body_en: f.body_en.value, require_consent: f.require_consent.checked, cap_days: int(f.cap_days),
      track_opens: channel() === 'email' && f.track_opens.checked,
      quiet_start: f.quiet_start.value, quiet_end: f.quiet_end.value, time_zone: f.time_zone.value.trim(),
    };
  };
  let timer = 0;
  let seq = 0;
  const preview = () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const n = ++seq;
      const out = document.getElementById('camp-preview-body');
      try {
        const b = { subject_ko: f.subject_ko.value, subject_en: f.subject_en.value, body_ko: f.body_ko.value, body_en: f.body_en.value,
          locale: document.getElementById('camp-preview-lang').value };
        const r = await api('POST', '/campaigns/preview', b);
        if (n !== seq) return;
        document.getElementById('camp-preview-subject').textContent = r.subject;
        out.textContent = r.body;
        out.dataset.state = 'ready';
      } catch (err) { if (n === seq) out.textContent = err.message; }
    }, 200);
  };
  const fill = (c) => {
    const tc = c.trigger_config || {};
    f.id.value = c.id ? String(c.id) : '';
    f.name.value = c.name || '';
    f.enabled.checked = !!c.enabled;
    f.segment_id.value = c.segment_id ? String(c.segment_id) : '';
    document.getElementById(c.channel === 'widget' ? 'camp-ch-widget' : 'camp-ch-email').checked = true;
    f.channel_id.value = String(c.channel_id || 0);
    f.trigger.value = c.trigger || 'event';
    f.event.value = tc.event || ''; f.delay_minutes.value = String(tc.delay_minutes || 0); f.stop_event.value = tc.stop_event || ''; f.repeat.checked = !!tc.repeat;
    if (tc.attribute) f.attribute.value = tc.attribute;
    f.value.value = String(tc.value || 100);
    document.getElementById(tc.at ? 'camp-sched-fixed' : 'camp-sched-after').checked = true;
    if (tc.date_attribute) f.date_attribute.value = tc.date_attribute;
    f.days.value = (tc.days || []).join(', '); f.at.value = (tc.at || '').slice(0, 10);
    f.inactive_days.value = String(tc.inactive_days || 30);
    f.min_seconds.value = String(tc.min_seconds || 0);
    f.track_opens.checked = c.id ? !!c.track_opens : true;
    f.url_pattern.value = tc.url_pattern || ''; f.office_hours_only.checked = !!tc.office_hours_only;
    f.goal_event.value = c.goal_event || '';
    for (const k of ['subject_ko', 'subject_en', 'body_ko', 'body_en']) f[k].value = c[k] || '';
    f.require_consent.checked = c.id ? !!c.require_consent : true;
    f.cap_days.value = String(c.id ? c.cap_days : 7);
    f.quiet_start.value = c.quiet_start || '21:00'; f.quiet_end.value = c.quiet_end || '09:00'; f.time_zone.value = c.time_zone || 'Asia/Seoul';
    heading.textContent = c.id ? heading.dataset.editing : heading.dataset.new;
    sync(); preview();
  };
  form.addEventListener('input', () => { sync(); preview(); });
  form.addEventListener('change', () => { sync(); preview(); });
  document.getElementById('camp-preview-lang').addEventListener('change', preview);
  document.getElementById('camp-reset').addEventListener('click', () => { formError(form, null); fill({}); });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    formError(form, null);
    try {
      const b = body();
      const saved = f.id.value ? await api('PUT', '/campaigns/' + f.id.value, b) : await api('POST', '/campaigns', b);
      toast(t('common.saved'));
      form.dataset.saved = String(saved.id);
      location.reload();
    } catch (err) { formError(form, err); }
  });
  document.addEventListener('click', async (e) => {
    const ed = e.target.closest('[data-camp-edit]');
    const del = e.target.closest('[data-camp-delete]');
    try {
      if (ed) { fill(await api('GET', '/campaigns/' + ed.dataset.campEdit)); form.dataset.ready = ed.dataset.campEdit; form.scrollIntoView(); }
      if (del && confirm(t('camp.deleteConfirm'))) { await api('DELETE', '/campaigns/' + del.dataset.campDelete); location.reload(); }
    } catch (err) { formError(form, err); }
  });
  fill({});
  form.dataset.ready = 'new';
}

export function init(page) {
  initCopy();
  if (page === 'channels') { initChannels(); initCSAT(); }
  if (page === 'agents') initAgents();
  if (page === 'teams') initTeams();
  if (page === 'bot') initBot();
  if (page === 'assist') { initAssist(); initAssistChannels(); }
  if (page === 'sla') initSLA();
  if (page === 'rules') initRules();
  if (page === 'saved_replies') initSavedReplies();
  if (page === 'password') { initPassword(); initProfile(); }
  if (page === 'quarantine') initQuarantine();
  if (page === 'deliveries') initDeliveries();
  if (page === 'surveys') initNPS();
  if (page === 'campaigns') initCampaigns();
  if (page === 'webhooks') initWebhooks();
  if (page === 'webhook') initWebhook();
  if (page === 'contacts_io') initContactsIO();
}
