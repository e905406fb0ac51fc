// Desktop notifications and a sound, for the agent who opted in on their
// profile page: a new ticket filed to one of my teams, a ticket assigned to
// me, a customer's reply on my ticket, a mention in a note. Driven from the
// page's event stream (live.js); the events name the team, the assignee and
// the mentions, so nothing is fetched unless a notification is due.
//
// Several open tabs hear the same event: the first to claim it (in
// localStorage, by event id) notifies; the notification's tag also makes
// the system show one per ticket and kind.
import { api, boot, t, nob } from './api.js';
import { connect } from './live.js';

const me = boot.agent || {};
const cfg = me.notify || null;

// Every notification shown (or sounded) is recorded here: the browser
// tests read it, and it helps when asking why something did not show.
window.__hanboxNotifications = window.__hanboxNotifications || [];

// The notification titles, by kind.
const TITLES = {
  new_ticket: 'notify.title.new_ticket', assigned: 'notify.title.assigned', replied: 'notify.title.replied',
  mention: 'notify.title.mention', test: 'notify.title.test',
};

// kindOf says which notification event e is for this agent, or ''.
export function kindOf(type, e, agentID, teams) {
  const ch = e.changes || {};
  const msg = e.message || {};
  if (type === 'ticket.created' && e.team_id && teams.includes(e.team_id)) return 'new_ticket';
  if (type === 'ticket.updated') {
    if (ch.assignee && ch.assignee.new && ch.assignee.new.id === agentID && e.agent_id !== agentID) return 'assigned';
    if (ch.team_id && ch.team_id.new && !ch.team_id.old && teams.includes(ch.team_id.new)) return 'new_ticket';
  }
  if (type === 'message.created') {
    if (msg.direction === 'inbound' && msg.assignee_id === agentID) return 'replied';
    if (msg.direction === 'note' && (msg.mentions || []).includes(agentID) && e.agent_id !== agentID) return 'mention';
  }
  return '';
}

function claim(key) {
  try {
    const k = 'hanbox.notified.' + key;
    if (localStorage.getItem(k)) return false;
    localStorage.setItem(k, String(Date.now()));
    // Forget old claims now and then.
    if (Math.random() < 0.05) {
      for (let i = localStorage.length - 1; i >= 0; i--) {
        const n = localStorage.key(i);
        if (n && n.startsWith('hanbox.notified.') && Date.now() - Number(localStorage.getItem(n)) > 3600e3) localStorage.removeItem(n);
      }
    }
  } catch (_) { /* no storage: every tab notifies */ }
  return true;
}

let audio = null;
function beep() {
  try {
    audio = audio || new (window.AudioContext || window.webkitAudioContext)();
    const o = audio.createOscillator();
    const g = audio.createGain();
    o.frequency.value = 880;
    g.gain.setValueAtTime(0.15, audio.currentTime);
    g.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.25);
    o.connect(g).connect(audio.destination);
    o.start();
    o.stop(audio.currentTime + 0.25);
    return true;
  } catch (_) { return false; }
}

// show puts up one notification (and the sound) of kind for the ticket.
export async function show(kind, ticketID, opts = {}) {
  const desktop = opts.desktop ?? (cfg && cfg.desktop);
  const sound = opts.sound ?? (cfg && cfg.sound);
  let title = t(TITLES[kind] || TITLES.test);
  let body = '';
  let href = '';
  if (ticketID) {
    const number = ticketID + ((cfg && cfg.number_base) || 1000);
    body = '#' + number;
    try {
      const tk = await api('GET', '/tickets/' + number);
      const who = tk.contact ? nob(tk.contact.name || tk.contact.email || '') : '';
      body = '#' + number + (tk.subject ? ' ' + nob(tk.subject) : '') + (who ? ' · ' + who : '');
      href = '/tickets/' + encodeURIComponent(tk.id);
    } catch (_) { /* the number alone */ }
  }
  if (opts.title) title = opts.title;
  const rec = { kind, ticket: ticketID || 0, title, body, desktop: false, sound: false };
  if (desktop && window.Notification && Notification.permission === 'granted') {
    try {
      const n = new Notification(title, { body, tag: kind + ':' + (ticketID || 0), lang: boot.lang || 'ko' });
      n.onclick = () => { window.focus(); if (href) location.assign(href); n.close(); };
      rec.desktop = true;
    } catch (err) { rec.error = String(err); }
  }
  if (sound) rec.sound = beep();
  window.__hanboxNotifications.push(rec);
  return rec;
}

function onEvent(type, e) {
  if (!e || !e.type) return;
  const kind = kindOf(type, e, me.id, cfg.teams || []);
  if (!kind || !(cfg.on || []).includes(kind)) return;
  // The agent looking at that very ticket needs no notification.
  const here = boot.ticket && boot.ticket.tid === e.ticket_id && document.visibilityState === 'visible' && document.hasFocus();
  if (here) return;
  if (!claim(kind + ':' + (e.id || [e.ticket_id, e.message_id, e.at].join(':')))) return;
  show(kind, e.ticket_id);
}

// start listens when the agent opted in.
export function start() {
  if (!cfg || !(cfg.desktop || cfg.sound)) return;
  connect(onEvent);
}
