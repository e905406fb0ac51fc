// Live events from /api/v1/events (server-sent events) with a small status
// indicator. EventSource reconnects by itself; after a reconnect the page
// re-fetches what it shows, since events are not replayed. Durable events
// carry typed fields (changes, message, contact); ephemeral ones a data
// object (see the Event schema in /api/v1/openapi.json).
import { t } from './api.js';

const TYPES = ['ticket.created', 'ticket.updated', 'message.created', 'message.updated', 'contact.updated',
  'contact.typing', 'visitor.page', 'agent.viewing', 'agent.typing', 'presence', 'ticket.sla', 'sla.warning', 'sla.breached'];

let pulseTimer = 0;

function indicator(state) {
  const box = document.getElementById('live');
  if (!box) return;
  box.hidden = false;
  box.dataset.state = state;
  const label = box.querySelector('.live-label');
  if (label) label.textContent = state === 'off' ? t('live.off') : t('live.on');
}

// pulse flashes the indicator when something arrived.
export function pulse() {
  indicator('pulse');
  clearTimeout(pulseTimer);
  pulseTimer = setTimeout(() => indicator('on'), 1200);
}

// One stream per page, shared by every module that listens (the page's own
// and notify.js): connect opens it on first use and adds onEvent to its
// listeners. Each listener gets onEvent(type, event) for each event,
// onEvent('connected') once the stream is open (at once when it already
// is) and onEvent('reconnected') after a reconnect.
let es = null;
let opened = false;
const listeners = [];

function dispatch(type, data) {
  for (const l of listeners) {
    try { l(type, data); } catch (err) { console.warn('event listener failed', err); }
  }
}

export function connect(onEvent) {
  if (!window.EventSource) return null;
  listeners.push(onEvent);
  if (es) {
    if (opened && es.readyState === EventSource.OPEN) onEvent('connected', {});
    return es;
  }
  es = new EventSource('/api/v1/events', { withCredentials: true });
  es.onopen = () => {
    indicator('on');
    const type = opened ? 'reconnected' : 'connected';
    opened = true;
    dispatch(type, {});
  };
  es.onerror = () => indicator('off');
  for (const type of TYPES) {
    es.addEventListener(type, (msg) => {
      let data;
      try { data = JSON.parse(msg.data); } catch (_) { return; }
      dispatch(type, data);
    });
  }
  // The server ends the stream when this session is no longer valid
  // (signed out elsewhere, password changed, deactivated): stop, and let a
  // reload lead to the sign-in page.
  es.addEventListener('end', () => {
    es.close();
    indicator('off');
    location.reload();
  });
  window.__hanboxEvents = es;
  return es;
}
