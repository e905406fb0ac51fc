// Entry point: page-independent behaviour (help overlay, global keys, local
// times), then the module of the current page.
import { localizeTimes, typingTarget, api, t, showError, boot } from './api.js';

const page = document.body.dataset.page;

function toggleHelp(show) {
  const help = document.getElementById('help');
  if (!help) return;
  help.hidden = show === undefined ? !help.hidden : !show;
  if (!help.hidden) help.querySelector('[data-close-help]').focus();
}

document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape') toggleHelp(false);
  if (typingTarget(e) || e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.key === '?') { e.preventDefault(); toggleHelp(); }
  else if (e.key === '/') {
    const q = document.getElementById('q');
    e.preventDefault();
    if (q) q.focus(); else location.assign('/tickets?focus=search');
  }
});
document.addEventListener('click', (e) => {
  if (e.target.closest('[data-close-help]') || e.target.id === 'help') toggleHelp(false);
});
// Reports: a print button (the page has a print stylesheet).
document.addEventListener('click', (e) => {
  if (e.target.closest('[data-print]')) window.print();
});
window.addEventListener('beforeprint', () => {
  for (const d of document.querySelectorAll('details.report-table')) d.open = true;
});

// The status menu in the header: the agent's own availability.
document.addEventListener('click', async (e) => {
  const b = e.target.closest('[data-availability]');
  if (!b) return;
  const v = b.dataset.availability;
  try {
    const me = await api('PUT', '/agents/me/availability', { availability: v });
    const now = document.getElementById('my-availability');
    if (now) {
      now.className = 'avail av-' + me.availability;
      now.dataset.availabilityNow = me.availability;
      now.textContent = t('availability.' + me.availability);
    }
    for (const o of document.querySelectorAll('[data-availability]')) o.setAttribute('aria-pressed', String(o.dataset.availability === me.availability));
  } catch (err) { showError(err); }
});

localizeTimes(document);
// Desktop notifications and sound, on every page, for an agent who opted in.
if (boot.agent && boot.agent.notify) import('./notify.js').then((m) => m.start());
if (page === 'ticket') import('./kb.js').then((m) => { m.initComposerLink(); m.initComposerDraft(); });
if (page === 'inbox' && new URLSearchParams(location.search).get('focus') === 'search') document.getElementById('q')?.focus();

// body[data-scripts=ready] once the page's module has attached its handlers
// (before that a form would submit natively); tests wait for it.
const ready = () => { document.body.dataset.scripts = 'ready'; };
if (page === 'inbox') import('./inbox.js').then((m) => m.init()).then(ready);
else if (page === 'ticket') import('./ticket.js').then((m) => m.init()).then(ready);
else if (page === 'kb_edit') import('./kb.js').then((m) => m.init()).then(ready);
else if (page === 'kb') import('./kb.js').then((m) => m.initHelpCategories()).then(ready);
else if (['channels', 'agents', 'teams', 'sla', 'rules', 'saved_replies', 'password', 'quarantine', 'deliveries', 'webhooks', 'webhook', 'surveys', 'bot', 'contacts_io', 'campaigns', 'assist'].includes(page)) import('./admin.js').then((m) => m.init(page)).then(ready);
else if (['contact', 'attributes', 'segments'].includes(page)) import('./profiles.js').then((m) => m.init(page)).then(ready);
else ready();
