// Entry point: page-independent behaviour (help overlay, global keys, local
// times), then the module of the current page.
import { localizeTimes, typingTarget } from './api.js';

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

localizeTimes(document);
if (page === 'ticket') import('./kb.js').then((m) => m.initComposerLink());
if (page === 'inbox' && new URLSearchParams(location.search).get('focus') === 'search') document.getElementById('q')?.focus();

if (page === 'inbox') import('./inbox.js').then((m) => m.init());
else if (page === 'ticket') import('./ticket.js').then((m) => m.init());
else if (page === 'kb_edit') import('./kb.js').then((m) => m.init());
else if (['channels', 'agents', 'saved_replies', 'password', 'quarantine', 'deliveries'].includes(page)) import('./admin.js').then((m) => m.init(page));
