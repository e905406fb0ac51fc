// Customer profiles: the contact page's attribute form, the attribute
// definitions screen and the segment editor with its live count.
import { api, boot, t, toast, showError, el } from './api.js';

function formError(form, err) {
  const box = form.querySelector('[data-error]');
  if (!box) { showError(err); return; }
  box.textContent = err ? (err.message || t('error.unknown')) : '';
  box.hidden = !err;
}

// ---- contact page: typed inputs become typed JSON values ----

function initContact() {
  const unmerge = document.querySelector('[data-unmerge]');
  if (unmerge) {
    unmerge.addEventListener('click', async () => {
      if (unmerge.dataset.confirming !== 'true') {
        unmerge.dataset.confirming = 'true';
        unmerge.textContent = t('contact.unmergeConfirm');
        return;
      }
      try { await api('POST', '/contacts/' + unmerge.dataset.unmerge + '/unmerge'); location.reload(); } catch (err) { showError(err); }
    });
  }
  const form = document.getElementById('profile-form');
  if (!form) return;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    formError(form, null);
    const attributes = {};
    for (const input of form.querySelectorAll('[data-type]')) {
      const v = input.value.trim();
      switch (input.dataset.type) {
        case 'boolean': attributes[input.name] = input.checked; break;
        case 'number': attributes[input.name] = v === '' ? null : Number(v); break;
        default: attributes[input.name] = v === '' ? null : v;
      }
    }
    try {
      await api('PATCH', '/contacts/' + form.dataset.contact, { attributes });
      toast(t('common.saved'));
      form.dataset.saved = String(Date.now());
    } catch (err) { formError(form, err); }
  });
}

// ---- attribute definitions ----

function initAttributes() {
  document.addEventListener('submit', async (e) => {
    const form = e.target.closest('[data-attr-form]');
    if (!form) return;
    e.preventDefault();
    formError(form, null);
    const key = form.dataset.attrForm;
    const labels = { label_ko: form.elements.label_ko.value.trim(), label_en: form.elements.label_en.value.trim() };
    try {
      if (key === '') await api('POST', '/attributes', { key: form.elements.key.value.trim(), type: form.elements.type.value, ...labels });
      else await api('PATCH', '/attributes/' + encodeURIComponent(key), labels);
      toast(t('common.saved'));
      location.reload();
    } catch (err) { formError(form, err); }
  });
  document.addEventListener('click', async (e) => {
    const b = e.target.closest('[data-attr-delete]');
    if (!b) return;
    if (b.dataset.confirming !== 'true') {
      b.dataset.confirming = 'true';
      b.textContent = t('attrs.deleteConfirm');
      return;
    }
    try { await api('DELETE', '/attributes/' + encodeURIComponent(b.dataset.attrDelete)); location.reload(); } catch (err) { showError(err); }
  });
}

// ---- segment editor ----

const needsValue = { eq: 1, ne: 1, contains: 1, gt: 1, gte: 1, lt: 1, lte: 1, before: 1, after: 1 };
const needsDays = { older_than: 1, within_days: 1 };

// fitRow shows the inputs the row's kind and operator use, offers only the
// operators of the chosen attribute's type, and types the value input.
function fitRow(row) {
  const kind = row.querySelector('[name=kind]').value;
  const keySel = row.querySelector('[name=key]');
  const type = keySel.selectedOptions[0] ? keySel.selectedOptions[0].dataset.type : 'text';
  const opSel = row.querySelector('[name=op]');
  const ops = (boot.segment.ops || {})[type] || [];
  for (const o of opSel.options) o.hidden = o.disabled = !ops.includes(o.value);
  if (!ops.includes(opSel.value)) opSel.value = ops[0];
  const op = opSel.value;
  const show = {
    attribute: kind === 'attribute', tag: kind === 'tag', event: kind === 'event', page: kind === 'page',
    value: (kind === 'attribute' && !!needsValue[op]) || kind === 'page',
    days: (kind === 'attribute' && !!needsDays[op]) || kind === 'event' || kind === 'page',
  };
  for (const n of row.querySelectorAll('[data-for]')) {
    n.hidden = !n.dataset.for.split(' ').some((k) => show[k]);
  }
  const value = row.querySelector('[name=value]');
  const want = kind === 'page' ? 'text' : type === 'number' ? 'number' : type === 'date' ? 'date' : 'text';
  value.placeholder = kind === 'page' ? '/pricing*' : '';
  if (value.type !== want) { value.type = want; if (want === 'number') value.step = 'any'; }
}

function addRow(c) {
  const tpl = document.getElementById('seg-row');
  const row = tpl.content.firstElementChild.cloneNode(true);
  document.getElementById('seg-rows').append(row);
  if (c) {
    row.querySelector('[name=kind]').value = c.kind || 'attribute';
    if (c.key) row.querySelector('[name=key]').value = c.key;
    fitRow(row);
    if (c.op && c.kind === 'page') row.querySelector('[name=pageop]').value = c.op;
    else if (c.op) row.querySelector('[name=op]').value = c.op;
    row.querySelector('[name=not]').value = c.not ? '1' : '';
    row.querySelector('[name=tag]').value = c.tag || '';
    row.querySelector('[name=name]').value = c.name || '';
    row.querySelector('[name=value]').value = c.value || '';
    row.querySelector('[name=days]').value = c.days ? String(c.days) : '';
  }
  fitRow(row);
  return row;
}

function readDefinition(form) {
  const conditions = [];
  for (const row of form.querySelectorAll('.seg-row')) {
    const v = (n) => row.querySelector('[name=' + n + ']').value.trim();
    const kind = v('kind');
    const days = parseInt(v('days') || '0', 10) || 0;
    if (kind === 'tag') conditions.push({ kind, tag: v('tag'), not: v('not') === '1' });
    else if (kind === 'event') conditions.push({ kind, name: v('name'), days, not: v('not') === '1' });
    else if (kind === 'page') conditions.push({ kind, op: v('pageop'), value: v('value'), days, not: v('not') === '1' });
    else {
      const op = v('op');
      const c = { kind, key: v('key'), op };
      if (needsValue[op]) c.value = v('value');
      if (needsDays[op]) c.days = days;
      conditions.push(c);
    }
  }
  return { match: form.querySelector('[name=match]:checked').value, conditions };
}

// complete says whether every row has what it needs, so the live count
// does not flash an error while a row is being filled in.
function complete(def) {
  return def.conditions.every((c) => (c.kind === 'tag' ? c.tag : c.kind === 'event' ? c.name : c.kind === 'page' ? c.value : (!needsValue[c.op] || c.value !== '')));
}

function initSegments() {
  const form = document.getElementById('segment-form');
  const count = document.getElementById('seg-count');
  const preview = document.getElementById('seg-preview');
  let seq = 0;
  let timer = 0;
  const refresh = async () => {
    const def = readDefinition(form);
    if (!complete(def)) return;
    const mine = ++seq;
    count.dataset.state = 'counting';
    try {
      const res = await api('POST', '/segments/preview?limit=10', def);
      if (mine !== seq) return; // a newer edit is being counted
      formError(form, null);
      count.textContent = res.count.toLocaleString(boot.lang === 'ko' ? 'ko-KR' : 'en-US');
      count.dataset.count = String(res.count);
      count.dataset.state = 'done';
      preview.replaceChildren(...res.items.map((c) => el('li', {}, el('a', { href: '/contacts/' + c.id, text: c.name || c.email || ('#' + c.id) }))));
    } catch (err) {
      if (mine !== seq) return;
      count.dataset.state = 'error';
      formError(form, err);
    }
  };
  const soon = () => { clearTimeout(timer); timer = setTimeout(refresh, 250); };
  for (const c of (boot.segment.definition || {}).conditions || []) addRow(c);
  document.getElementById('seg-add').addEventListener('click', () => { addRow(); soon(); });
  form.addEventListener('change', (e) => {
    const row = e.target.closest('.seg-row');
    if (row) fitRow(row);
    soon();
  });
  form.addEventListener('input', (e) => { if (e.target.id !== 'seg-name') soon(); });
  form.addEventListener('click', (e) => {
    const b = e.target.closest('[data-seg-remove]');
    if (!b) return;
    b.closest('.seg-row').remove();
    soon();
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    formError(form, null);
    const body = { name: document.getElementById('seg-name').value.trim(), definition: readDefinition(form) };
    const id = Number(form.dataset.segmentId || '0');
    try {
      const sg = id ? await api('PUT', '/segments/' + id, body) : await api('POST', '/segments', body);
      toast(t('common.saved'));
      location.assign('/admin/segments?id=' + sg.id);
    } catch (err) { formError(form, err); }
  });
  document.addEventListener('click', async (e) => {
    const b = e.target.closest('[data-segment-delete]');
    if (!b) return;
    if (b.dataset.confirming !== 'true') {
      b.dataset.confirming = 'true';
      b.textContent = t('seg.deleteConfirm');
      return;
    }
    try { await api('DELETE', '/segments/' + b.dataset.segmentDelete); location.assign('/admin/segments'); } catch (err) { showError(err); }
  });
  refresh();
}

export function init(page) {
  if (page === 'contact') initContact();
  if (page === 'attributes') initAttributes();
  if (page === 'segments') initSegments();
}
