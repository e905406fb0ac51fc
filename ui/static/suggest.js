// Suggestions while typing in a textarea: "@" names an agent (notes),
// "/" inserts a saved reply. The textarea is an ARIA combobox over one
// listbox: ArrowDown/ArrowUp move, Enter or Tab takes the suggestion,
// Escape closes the list; the mouse works too. Text typed through an IME
// (Korean) is left alone until its composition ends.
import { el } from './api.js';

// attach wires ta to the listbox list. Each source is
// { pattern: RegExp matching the text before the caret, its last group the
//   query; items(query) → [{ label, hint, value }]; insert(item) → text;
//   enabled() → bool, picked(item) optional }.
export function attach(ta, list, sources) {
  let open = null; // { source, items, at, start, end }
  let active = 0;

  ta.setAttribute('role', 'combobox');
  ta.setAttribute('aria-autocomplete', 'list');
  ta.setAttribute('aria-expanded', 'false');
  ta.setAttribute('aria-controls', list.id);

  function close() {
    open = null;
    list.hidden = true;
    list.replaceChildren();
    ta.setAttribute('aria-expanded', 'false');
    ta.removeAttribute('aria-activedescendant');
  }

  function render() {
    list.replaceChildren(...open.items.map((it, i) => el('li', {
      id: list.id + '-' + i, role: 'option', class: 'suggestion' + (i === active ? ' active' : ''),
      'aria-selected': String(i === active), 'data-index': String(i),
    }, el('bdi', { text: it.label }), it.hint ? el('span', { class: 'muted small', text: ' ' + it.hint }) : '')));
    list.hidden = false;
    ta.setAttribute('aria-expanded', 'true');
    ta.setAttribute('aria-activedescendant', list.id + '-' + active);
    const a = list.children[active];
    if (a && a.scrollIntoView) a.scrollIntoView({ block: 'nearest' });
  }

  async function update() {
    const caret = ta.selectionStart;
    if (caret !== ta.selectionEnd) { close(); return; }
    const before = ta.value.slice(0, caret);
    for (const src of sources) {
      if (src.enabled && !src.enabled()) continue;
      const m = src.pattern.exec(before);
      if (!m) continue;
      const query = m[m.length - 1];
      const items = await src.items(query);
      // The text may have moved on while the items loaded.
      if (ta.selectionStart !== caret || ta.value.slice(0, caret) !== before) return;
      if (!items.length) { close(); return; }
      const start = caret - query.length - 1;
      if (!open || open.start !== start || open.source !== src) active = 0;
      open = { source: src, items: items.slice(0, 8), start, end: caret };
      active = Math.min(active, open.items.length - 1);
      render();
      return;
    }
    close();
  }

  function take(i) {
    if (!open) return;
    const it = open.items[i];
    const src = open.source;
    const text = src.insert(it);
    ta.value = ta.value.slice(0, open.start) + text + ta.value.slice(open.end);
    const at = open.start + text.length;
    ta.setSelectionRange(at, at);
    close();
    if (src.picked) src.picked(it);
    ta.dispatchEvent(new Event('input', { bubbles: true }));
    ta.focus();
  }

  ta.addEventListener('input', (e) => { if (!e.isComposing) update(); });
  ta.addEventListener('compositionend', () => update());
  ta.addEventListener('click', () => update());
  ta.addEventListener('blur', () => setTimeout(() => { if (document.activeElement !== ta) close(); }, 0));
  // Capture on the form, so the list's keys come before the composer's own
  // (Enter to send, Escape to leave the field).
  (ta.form || ta.parentElement).addEventListener('keydown', (e) => {
    if (e.target !== ta || !open || e.isComposing) return;
    const n = open.items.length;
    let handled = true;
    if (e.key === 'ArrowDown') { active = (active + 1) % n; render(); }
    else if (e.key === 'ArrowUp') { active = (active - 1 + n) % n; render(); }
    else if ((e.key === 'Enter' && !e.ctrlKey && !e.metaKey && !e.shiftKey) || e.key === 'Tab') take(active);
    else if (e.key === 'Escape') close();
    else handled = false;
    if (handled) { e.preventDefault(); e.stopPropagation(); swallow = e.key === 'Enter'; }
  }, true);
  // A keypress can follow a cancelled keydown (synthetic and some IME
  // input): the Enter that took a suggestion must not also break the line.
  let swallow = false;
  (ta.form || ta.parentElement).addEventListener('keypress', (e) => {
    if (e.target === ta && swallow) { e.preventDefault(); e.stopPropagation(); }
    swallow = false;
  }, true);
  ta.addEventListener('keyup', () => { swallow = false; });
  list.addEventListener('mousedown', (e) => {
    const li = e.target.closest('[data-index]');
    if (!li) return;
    e.preventDefault(); // keep the focus in the textarea
    take(Number(li.dataset.index));
  });
  return { close };
}

// mentionsIn returns the ids of the agents text mentions ("@name" followed
// by the end, a space or punctuation). Longer names are matched first, so
// "@김 민지" is not also "@김".
export function mentionsIn(text, agents) {
  const out = [];
  let rest = text;
  for (const a of [...agents].sort((x, y) => y.name.length - x.name.length)) {
    if (!a.name) continue;
    const tag = '@' + a.name;
    let i = rest.indexOf(tag);
    let found = false;
    while (i >= 0) {
      const next = rest.charAt(i + tag.length);
      const prev = i > 0 ? rest.charAt(i - 1) : '';
      if ((next === '' || /[\s.,!?:;)\]}'"]/.test(next)) && (prev === '' || /\s|[(\[{]/.test(prev))) {
        found = true;
        rest = rest.slice(0, i) + ' '.repeat(tag.length) + rest.slice(i + tag.length);
      }
      i = rest.indexOf(tag, i + 1);
    }
    if (found) out.push(a.id);
  }
  return out.sort((x, y) => x - y);
}
