// Knowledge base: the article form (save, preview, publish, delete) and the
// composer's "insert article link" picker on the ticket page.
import { api, boot, t, toast, el } from './api.js';

const $ = (id) => document.getElementById(id);

function formError(form, err) {
  const box = form.querySelector('[data-error]');
  box.textContent = err ? err.message : '';
  box.hidden = !err;
}

// showHTML replaces node's children with server-rendered, sanitized HTML,
// parsed inert first (as refreshRegions does).
function showHTML(node, html) {
  const doc = new DOMParser().parseFromString('<div>' + html + '</div>', 'text/html');
  node.replaceChildren(...doc.body.firstChild.childNodes);
}

// humanSize is the size as the server's template shows it.
function humanSize(n) {
  if (n < 1024) return n + ' B';
  if (n < 1024 * 1024) return (n / 1024).toFixed(1) + ' KB';
  return (n / (1024 * 1024)).toFixed(1) + ' MB';
}

// fileRow is a just-uploaded file's row in the editor's file list.
function fileRow(f) {
  const name = t('kb.deleteFile');
  return el('li', { 'data-kb-file': f.id },
    el('bdi', { text: f.name }), ' ', el('span', { class: 'muted small', text: f.content_type + ' · ' + humanSize(f.size) }), ' ',
    el('button', { type: 'button', class: 'btn small danger', 'data-kb-file-delete': f.id, 'aria-label': name + ': ' + f.name, text: name }));
}

export function init() {
  const form = $('kb-form');
  if (!form) return;
  const id = boot.article && boot.article.id;
  const fields = () => {
    const b = {
      title: $('kb-title').value,
      body: $('kb-body').value,
      category: $('kb-category').value,
      locale: $('kb-locale-field').value,
    };
    if ($('kb-slug')) b.slug = $('kb-slug').value;
    return b;
  };
  const save = async (status) => {
    formError(form, null);
    const body = fields();
    if (status) body.status = status;
    try {
      const a = id ? await api('PATCH', '/kb/articles/' + id, body) : await api('POST', '/kb/articles', body);
      toast(t('kb.saved'));
      location.assign('/kb/' + a.id);
    } catch (err) {
      formError(form, err);
    }
  };
  form.addEventListener('submit', (e) => { e.preventDefault(); save(id ? '' : 'draft'); });
  $('kb-publish').addEventListener('click', () => save('published'));
  $('kb-unpublish')?.addEventListener('click', () => save('draft'));
  $('kb-delete')?.addEventListener('click', async () => {
    if (!confirm(t('kb.confirmDelete'))) return;
    try {
      await api('DELETE', '/kb/articles/' + id);
      location.assign('/kb');
    } catch (err) {
      formError(form, err);
    }
  });
  // An image or file goes up at once; its Markdown lands at the cursor.
  $('kb-file')?.addEventListener('change', async (e) => {
    const f = e.target.files[0];
    e.target.value = '';
    if (!f) return;
    formError(form, null);
    try {
      const data = await new Promise((resolve, reject) => {
        const r = new FileReader();
        r.onload = () => { const s = String(r.result); resolve(s.slice(s.indexOf(',') + 1)); };
        r.onerror = () => reject(r.error);
        r.readAsDataURL(f);
      });
      const res = await api('POST', '/kb/articles/' + id + '/files', { name: f.name, data });
      const ta = $('kb-body');
      const at = ta.selectionStart ?? ta.value.length;
      const before = ta.value.slice(0, at);
      const sep = before && !before.endsWith('\n') ? '\n\n' : '';
      ta.value = before + sep + res.markdown + '\n' + ta.value.slice(at);
      $('kb-file-list')?.append(fileRow(res));
      if ($('kb-files-empty')) $('kb-files-empty').hidden = true;
      toast(t('kb.fileAdded'));
    } catch (err) {
      formError(form, err);
    }
  });
  // Deleting a file asks twice: the first click turns the button into
  // its confirmation, the second deletes.
  $('kb-file-list')?.addEventListener('click', async (e) => {
    const b = e.target.closest('[data-kb-file-delete]');
    if (!b) return;
    if (b.dataset.confirming !== 'true') {
      b.dataset.confirming = 'true';
      b.textContent = t('kb.deleteFileConfirm');
      return;
    }
    formError(form, null);
    try {
      await api('DELETE', '/kb/articles/' + id + '/files/' + b.dataset.kbFileDelete);
      b.closest('[data-kb-file]').remove();
      if (!$('kb-file-list').children.length) $('kb-files-empty').hidden = false;
      toast(t('kb.fileDeleted'));
    } catch (err) {
      formError(form, err);
    }
  });
  $('kb-preview-btn').addEventListener('click', async () => {
    try {
      const res = await api('POST', '/kb/preview', { body: $('kb-body').value });
      showHTML($('kb-preview'), res.html);
      $('kb-preview-card').hidden = false;
    } catch (err) {
      formError(form, err);
    }
  });
}

// initComposerLink wires the composer's article picker: search published
// articles as the agent types; a click inserts "title: URL" at the cursor.
export function initComposerLink() {
  const btn = $('kb-link');
  if (!btn) return;
  const picker = $('kb-picker');
  const q = $('kb-q');
  const list = $('kb-results');
  let seq = 0;
  btn.addEventListener('click', () => {
    picker.hidden = !picker.hidden;
    btn.setAttribute('aria-expanded', String(!picker.hidden));
    if (!picker.hidden) q.focus();
  });
  const search = async () => {
    const mine = ++seq;
    const text = q.value.trim();
    if (!text) { list.replaceChildren(); return; }
    let res;
    try {
      res = await api('GET', '/kb/search?limit=8&q=' + encodeURIComponent(text));
    } catch (_) { return; }
    if (mine !== seq) return;
    const items = (res.items || []).filter((a) => a.status === 'published');
    if (!items.length) { list.replaceChildren(el('li', { class: 'muted small', text: t('kb.noMatch') })); return; }
    list.replaceChildren(...items.map((a) => el('li', {},
      el('button', { type: 'button', class: 'linkish', 'data-kb-insert': a.url, 'data-title': a.title, text: a.title + ' (' + a.locale + ')' }))));
  };
  q.addEventListener('input', search);
  list.addEventListener('click', (e) => {
    const b = e.target.closest('[data-kb-insert]');
    if (!b) return;
    const ta = $('body');
    const text = b.dataset.title + ': ' + b.dataset.kbInsert;
    const at = ta.selectionStart ?? ta.value.length;
    const before = ta.value.slice(0, at);
    const sep = before && !before.endsWith('\n') && !before.endsWith(' ') ? ' ' : '';
    ta.value = before + sep + text + ta.value.slice(ta.selectionEnd ?? at);
    ta.dispatchEvent(new Event('input', { bubbles: true }));
    picker.hidden = true;
    btn.setAttribute('aria-expanded', 'false');
    ta.focus();
  });
}

// initComposerDraft wires "draft a reply": the provider drafts from the
// retrieved articles and this conversation; the draft goes into the
// composer (never sent by itself) with the articles it cites listed below
// it. When there is no draft the reason and the retrieved articles show
// instead, each insertable as a link.
export function initComposerDraft() {
  const btn = $('ai-draft');
  if (!btn) return;
  const box = $('ai-draft-result');
  const status = $('ai-draft-status');
  const list = $('ai-draft-sources');
  const ticket = (boot.ticket || {}).id;
  const label = btn.textContent;
  const item = (c) => el('li', {}, el('a', { href: c.url, target: '_blank', rel: 'noopener', text: c.title, 'data-article': String(c.id) }), ' ',
    el('button', { type: 'button', class: 'linkish small', 'data-draft-insert': c.url, 'data-title': c.title, text: t('kb.insertLink') }));
  btn.addEventListener('click', async () => {
    btn.disabled = true;
    btn.textContent = t('assist.drafting');
    box.dataset.state = 'busy';
    try {
      const res = await api('POST', '/tickets/' + encodeURIComponent(ticket) + '/draft');
      box.hidden = false;
      if (res.text) {
        const ta = $('body');
        ta.value = ta.value.trim() ? ta.value.replace(/\s*$/, '\n\n') + res.text : res.text;
        ta.dispatchEvent(new Event('input', { bubbles: true }));
        status.textContent = t('assist.drafted');
        list.replaceChildren(...res.citations.map(item));
        box.dataset.state = 'drafted';
        ta.focus();
      } else {
        status.textContent = t('draftwhy.' + res.fallback);
        list.replaceChildren(...(res.suggestions || []).map(item));
        box.dataset.state = 'fallback';
        box.dataset.fallback = res.fallback;
      }
    } catch (err) {
      box.hidden = false;
      status.textContent = err.message;
      list.replaceChildren();
      box.dataset.state = 'error';
    } finally {
      btn.disabled = false;
      btn.textContent = label;
    }
  });
  list.addEventListener('click', (e) => {
    const b = e.target.closest('[data-draft-insert]');
    if (!b) return;
    const ta = $('body');
    const sep = ta.value && !ta.value.endsWith('\n') ? '\n' : '';
    ta.value = ta.value + sep + b.dataset.title + ': ' + b.dataset.draftInsert;
    ta.dispatchEvent(new Event('input', { bubbles: true }));
  });
}

// initHelpCategories saves the help center's category restriction (the
// admin's form on the article list).
export function initHelpCategories() {
  const form = $('help-cats-form');
  if (!form) return;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    formError(form, null);
    const categories = [...form.querySelectorAll('input[name=category]:checked')].map((c) => c.value);
    try {
      await api('PUT', '/kb/help-settings', { restricted: $('help-restricted').checked, categories });
      toast(t('common.saved'));
      location.reload();
    } catch (err) { formError(form, err); }
  });
}
