// The ticket list: keyboard navigation, bulk actions and live refresh.
import { api, t, toast, showError, refreshRegions, typingTarget } from './api.js';
import { connect, pulse } from './live.js';

const rows = () => Array.from(document.querySelectorAll('#ticket-list .trow'));
let cursor = -1;

function setCursor(i, scroll = true) {
  const list = rows();
  if (!list.length) { cursor = -1; return; }
  cursor = Math.max(0, Math.min(i, list.length - 1));
  list.forEach((r, j) => r.classList.toggle('cursor', j === cursor));
  if (scroll) list[cursor].scrollIntoView({ block: 'nearest' });
}

function selected() {
  return Array.from(document.querySelectorAll('#ticket-list .pick:checked')).map((c) => c.value);
}

function updateBulk() {
  const ids = selected();
  document.getElementById('bulk').hidden = ids.length === 0;
  document.getElementById('bulk-count').textContent = String(ids.length);
  const all = document.getElementById('select-all');
  const n = rows().length;
  all.checked = n > 0 && ids.length === n;
  all.indeterminate = ids.length > 0 && ids.length < n;
}

let refreshing = false;
let again = false;

// refresh re-renders the list and the view counts, keeping the selection,
// the keyboard cursor and marking rows that are new.
async function refresh() {
  if (refreshing) { again = true; return; }
  refreshing = true;
  try {
    const before = new Set(rows().map((r) => r.dataset.ticket));
    const keep = new Set(selected());
    const cursorID = cursor >= 0 && rows()[cursor] ? rows()[cursor].dataset.ticket : null;
    await refreshRegions(['ticket-list', 'viewnav']);
    rows().forEach((r, i) => {
      if (!before.has(r.dataset.ticket)) r.classList.add('fresh');
      const box = r.querySelector('.pick');
      if (box && keep.has(r.dataset.ticket)) box.checked = true;
      if (r.dataset.ticket === cursorID) cursor = i;
    });
    if (cursor >= 0) setCursor(cursor, false);
    updateBulk();
  } catch (err) {
    console.warn('refresh failed', err);
  } finally {
    refreshing = false;
    if (again) { again = false; setTimeout(refresh, 50); }
  }
}

// Refresh timing: a burst is coalesced into one refresh DEBOUNCE ms after
// its last event, but never later than MAX_WAIT ms after its first one, so
// a steady stream of events (which would restart a plain debounce forever)
// still refreshes the list about twice a second.
const DEBOUNCE = 250;
const MAX_WAIT = 500;
let timer = 0;
let pendingSince = 0; // performance.now() of the first event not yet refreshed
let stale = false;
// soon refreshes shortly, coalescing bursts; a hidden tab only remembers
// that it is stale and refreshes when the agent comes back.
function soon() {
  if (document.visibilityState === 'hidden') { stale = true; return; }
  const now = performance.now();
  if (!pendingSince) pendingSince = now;
  clearTimeout(timer);
  const wait = Math.max(0, Math.min(DEBOUNCE, pendingSince + MAX_WAIT - now));
  timer = setTimeout(() => { pendingSince = 0; window.__hanboxRefreshes = (window.__hanboxRefreshes || 0) + 1; refresh(); }, wait);
}
// Coming back also refreshes: tickets opened in another tab are read now
// (bold is per agent, and opening a ticket publishes nothing).
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') { stale = false; soon(); }
});

async function bulk(patch) {
  const ids = selected();
  if (!ids.length) return;
  const results = await Promise.allSettled(ids.map((id) => api('PATCH', '/tickets/' + encodeURIComponent(id), patch)));
  const failed = results.filter((r) => r.status === 'rejected');
  if (failed.length) showError(failed[0].reason);
  else toast(t('bulk.done'));
  document.querySelectorAll('#ticket-list .pick:checked').forEach((c) => { c.checked = false; });
  await refresh();
}

export function init() {
  setCursor(0, false);
  document.addEventListener('change', (e) => {
    if (e.target.id === 'select-all') {
      document.querySelectorAll('#ticket-list .pick').forEach((c) => { c.checked = e.target.checked; });
    }
    if (e.target.id === 'select-all' || e.target.classList.contains('pick')) updateBulk();
  });
  document.querySelector('[data-bulk="assign"]').addEventListener('click', () => bulk({ assignee: 'me' }));
  document.querySelector('[data-bulk="resolve"]').addEventListener('click', () => bulk({ status: 'resolved' }));
  document.getElementById('bulk-tag-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const input = document.getElementById('bulk-tag');
    const tag = input.value.trim();
    if (!tag) { input.focus(); return; }
    input.value = '';
    bulk({ add_tags: [tag] });
  });

  document.addEventListener('keydown', (e) => {
    if (typingTarget(e) || e.ctrlKey || e.metaKey || e.altKey) return;
    const list = rows();
    if (e.key === 'j') { setCursor(cursor + 1); e.preventDefault(); }
    else if (e.key === 'k') { setCursor(cursor - 1); e.preventDefault(); }
    else if (e.key === 'Enter' && list[cursor]) { location.assign(list[cursor].querySelector('.tlink').getAttribute('href')); }
    else if (e.key === 'x' && list[cursor]) { const c = list[cursor].querySelector('.pick'); c.checked = !c.checked; updateBulk(); }
    else if ((e.key === 'e' || e.key === 'a') && list[cursor]) {
      // Act on the selection, or on the ticket under the cursor.
      if (!selected().length) list[cursor].querySelector('.pick').checked = true;
      bulk(e.key === 'e' ? { status: 'resolved' } : { assignee: 'me' });
    }
  });

  connect((type) => {
    switch (type) {
      case 'connected':
        soon(); // catch up on what happened between render and connect
        break;
      case 'ticket.created':
      case 'ticket.updated':
      case 'message.created':
      case 'team.updated':
      case 'ticket.sla':
      case 'sla.warning':
      case 'sla.breached':
      case 'reconnected': {
        pulse();
        const dot = document.getElementById('new-activity');
        if (dot) { dot.hidden = false; setTimeout(() => { dot.hidden = true; }, 2500); }
        soon();
        break;
      }
      default:
    }
  });
}
