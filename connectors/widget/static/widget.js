/*! Hanbox chat widget. Embed:
 * <script async src="https://support.example.com/widget.js" data-channel="PUBLIC_KEY"></script>
 * Queue API: window.Hanbox = window.Hanbox || function(){(Hanbox.q=Hanbox.q||[]).push(arguments)};
 *            Hanbox('identify', {user_id, email, name, user_hash, attributes});  Hanbox('open');  Hanbox('close');
 * All visitor and agent text is inserted with textContent, never as HTML. */
(function () {
  'use strict';
  // currentScript is null only in odd loaders; then find our tag by its attribute.
  var script = document.currentScript || document.querySelector('script[data-channel][src*="widget.js"]');
  if (!script || !script.getAttribute('data-channel')) return;
  var prev = window.Hanbox;
  if (prev && prev.loaded) return;

  var CHANNEL = script.getAttribute('data-channel');
  var DEBUG = script.hasAttribute('data-debug');
  var ORIGIN = new URL(script.src, location.href).origin;
  var API = ORIGIN + '/connectors/widget/' + encodeURIComponent(CHANNEL);
  var KEY = 'hanbox:' + CHANNEL + ':';

  var T = {
    en: {
      title: 'Chat with us', placeholder: 'Write a message…', send: 'Send', attach: 'Attach a file',
      open: 'Open chat', close: 'Close chat', dismiss: 'Dismiss', sending: 'Sending…', sent: 'Sent', read: 'Read',
      failed: 'Not sent', retrying: 'Waiting for connection…', typing: 'typing…', you: 'You',
      away: 'We are away right now.', backAt: 'Back {t}.', replyIn: 'Typically replies {t}.',
      askEmail: 'Leave your email and we will answer there if you have left.', emailPh: 'you@example.com', emailLabel: 'Your email address',
      save: 'Save', emailSaved: 'Thanks! We will reply to {e}.', newMsg: 'New message', agent: 'Support',
      tooBig: 'That file is too large.', tooLong: 'That message is too long; please split it.', badType: 'That kind of file cannot be sent here.',
      uploadQuota: 'Too many files are waiting to be sent; send your message first.', storageFull: 'Files cannot be received right now; please try later.',
      slow: 'You are sending messages too fast; retrying shortly.', minutes: 'in about {n} min',
      hours: 'in about {n} h', fewMinutes: 'in a few minutes', offline: 'Reconnecting…', earlier: 'Earlier conversation',
      conversations: 'Your conversations', newConv: 'New conversation', back: 'Back to your conversations',
      viaEmail: 'Conversation by email', viaChat: 'Chat', viaOther: 'Conversation on {c}', byEmail: 'Email', quoted: 'Quoted text',
      closedConv: 'This conversation is closed. What you write now starts a new one.',
      rateComment: 'Anything to add? (optional)', rateSend: 'Send rating', rateClosed: 'This survey has closed.',
      suggested: 'These articles may answer your question:',
      bot: 'Assistant', chatTab: 'Chat', helpTab: 'Help', helpSearch: 'Search our help articles', helpEmpty: 'No articles match your search.',
      helpHint: 'Type a question to find an answer.', helpBack: 'Back to results', helpAsk: 'Did this answer your question?',
      helpYes: 'Yes, thanks', helpNo: 'No, chat with us', helpGlad: 'Glad it helped!', helpAbout: 'About: {t}', helpDrop: 'Remove',
      badEmail: 'That does not look like an email address.', uploadAgain: 'A file could not be attached; please upload it again.',
      notSent: 'This message could not be sent.', queued: 'You are number {n} in the queue.',
      queuedWait: 'You are number {n} in the queue; an agent should answer {t}.',
      st_open: 'Open', st_pending: 'Waiting for you', st_snoozed: 'Open', st_resolved: 'Resolved', st_closed: 'Closed'
    },
    ko: {
      title: '채팅 상담', placeholder: '메시지를 입력하세요…', send: '보내기', attach: '파일 첨부',
      open: '채팅 열기', close: '채팅 닫기', dismiss: '다시 보지 않기', sending: '보내는 중…', sent: '전송됨', read: '읽음',
      failed: '전송 실패', retrying: '연결을 기다리는 중…', typing: '입력 중…', you: '나',
      away: '지금은 상담 시간이 아닙니다.', backAt: '{t}에 돌아옵니다.', replyIn: '보통 {t} 답변드립니다.',
      askEmail: '이메일을 남겨주시면 자리를 비우셔도 이메일로 답변드립니다.', emailPh: 'you@example.com', emailLabel: '이메일 주소',
      save: '저장', emailSaved: '감사합니다! {e}(으)로 답변드리겠습니다.', newMsg: '새 메시지', agent: '상담원',
      tooBig: '파일이 너무 큽니다.', tooLong: '메시지가 너무 깁니다. 나누어 보내주세요.', badType: '이 형식의 파일은 보낼 수 없습니다.',
      uploadQuota: '보내지 않은 파일이 너무 많습니다. 먼저 메시지를 보내주세요.', storageFull: '지금은 파일을 받을 수 없습니다. 잠시 후 다시 시도해 주세요.',
      slow: '메시지를 너무 빨리 보내고 있습니다. 잠시 후 다시 보냅니다.', minutes: '약 {n}분 안에',
      hours: '약 {n}시간 안에', fewMinutes: '몇 분 안에', offline: '다시 연결하는 중…', earlier: '이전 대화',
      conversations: '나의 상담 내역', newConv: '새 대화', back: '상담 목록으로',
      viaEmail: '이메일로 주고받은 대화', viaChat: '채팅 상담', viaOther: '{c}(으)로 나눈 대화', byEmail: '이메일', quoted: '인용된 이전 내용',
      closedConv: '종료된 상담입니다. 지금 쓰시는 메시지는 새 상담으로 시작됩니다.',
      rateComment: '더 하실 말씀이 있나요? (선택)', rateSend: '평가 보내기', rateClosed: '마감된 설문입니다.',
      suggested: '이 문서가 도움이 될 수 있어요:',
      bot: '자동 안내', chatTab: '채팅', helpTab: '도움말', helpSearch: '도움말 문서 검색', helpEmpty: '검색 결과가 없습니다.',
      helpHint: '궁금한 점을 입력하면 답을 찾아 드려요.', helpBack: '검색 결과로', helpAsk: '이 문서로 궁금한 점이 해결되었나요?',
      helpYes: '네, 해결됐어요', helpNo: '아니요, 상담할래요', helpGlad: '도움이 되어 기쁩니다!', helpAbout: '읽던 문서: {t}', helpDrop: '빼기',
      badEmail: '이메일 주소 형식이 아닙니다.', uploadAgain: '파일을 첨부하지 못했습니다. 다시 올려 주세요.',
      notSent: '이 메시지를 보낼 수 없습니다.', queued: '대기 순서: {n}번째입니다.',
      queuedWait: '대기 순서: {n}번째입니다. {t} 상담원이 답변할 예정입니다.',
      st_open: '진행 중', st_pending: '답변 대기', st_snoozed: '진행 중', st_resolved: '해결됨', st_closed: '종료됨'
    }
  };

  // ---- state ----
  var S = {
    session: null, token: '', identity: null, lang: 'en', t: T.en, open: false, unread: 0,
    ws: null, wsOpen: false, backoff: 1000, failures: 0, everOpened: false, polling: false,
    lastId: 0, connId: 0, msgs: {}, pending: {}, outbox: [], refs: [], readAt: 0, agentTypingTimer: 0,
    typingSent: 0, typingTimer: 0, pingTimer: 0, emailAsked: false, lastUrl: '', started: false,
    reconnectTimer: 0, titleTimer: 0, baseTitle: document.title,
    // Places of waiting conversations in their team queue, by id (from the
    // session and "queue" frames; 0: not waiting).
    queue: {},
    // Expected waits of those conversations in seconds (0: not enough data
    // to say; the server computes them from the team's recent pace).
    wait: {},
    // Cross-channel history (a verified customer): conversations by id, the
    // one shown (null: every message in one stream, 'new': a new one).
    multi: false, convs: {}, conv: null
  };

  function store(k, v) {
    try {
      if (v === undefined) { var s = localStorage.getItem(KEY + k); return s ? JSON.parse(s) : null; }
      if (v === null) localStorage.removeItem(KEY + k); else localStorage.setItem(KEY + k, JSON.stringify(v));
    } catch (e) { return null; }
    return null;
  }
  function fmt(s, m) { return s.replace(/\{(\w+)\}/g, function (_, k) { return m[k] == null ? '' : String(m[k]); }); }
  function cid() { return 'c' + Date.now().toString(36) + Math.random().toString(36).slice(2, 8); }
  function page() { return { url: location.href.slice(0, 2000), title: (document.title || '').slice(0, 300), referrer: (document.referrer || '').slice(0, 2000) }; }
  function tz() { try { return Intl.DateTimeFormat().resolvedOptions().timeZone || ''; } catch (e) { return ''; } }
  function log() { if (DEBUG && window.console) console.log.apply(console, ['[hanbox]'].concat([].slice.call(arguments))); }

  // ---- DOM (closed shadow root; host styles cannot reach in) ----
  var host, root, ui = {};
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }
  // nob drops bidirectional embedding/override/isolate controls
  // (U+202A-U+202E, U+2066-U+2069) from a name or file name, so
  // "invoice\u202Egnp.exe" cannot show as "invoiceexe.png"; iso puts such a
  // string in its own <bdi>, so it cannot reorder the text around it.
  function nob(s) { return String(s == null ? '' : s).replace(/[\u202A-\u202E\u2066-\u2069]/g, ''); }
  function iso(s) { return el('bdi', '', nob(s)); }
  var CSS = [
    ':host{all:initial}',
    '*,*::before,*::after{box-sizing:border-box;margin:0;padding:0;border:0;font:inherit;color:inherit;background:none;display:revert}',
    '.root{position:fixed;bottom:20px;z-index:2147483000;font:14px/1.45 -apple-system,BlinkMacSystemFont,"Segoe UI","Apple SD Gothic Neo","Malgun Gothic","Noto Sans KR",sans-serif;color:#1b1f24;-webkit-font-smoothing:antialiased}',
    '.right{right:20px}.left{left:20px}',
    '.launcher{display:flex;align-items:center;justify-content:center;width:56px;height:56px;border-radius:50%;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25);color:#fff;position:relative;transition:transform .15s}',
    '.launcher:hover{transform:scale(1.06)}.launcher svg{width:28px;height:28px;fill:currentColor;display:block}',
    '.badge{position:absolute;top:-4px;right:-4px;min-width:20px;height:20px;border-radius:10px;background:#e5484d;color:#fff;font-size:12px;font-weight:600;display:flex;align-items:center;justify-content:center;padding:0 5px}',
    '.hidden{display:none!important}',
    '.panel{position:absolute;bottom:70px;width:360px;max-width:calc(100vw - 40px);height:540px;max-height:calc(100vh - 110px);background:#fff;border-radius:14px;box-shadow:0 10px 40px rgba(0,0,0,.22);display:flex;flex-direction:column;overflow:hidden}',
    '.right .panel{right:0}.left .panel{left:0}',
    '.head{padding:14px 16px;color:#fff;display:flex;flex-direction:column;gap:2px;position:relative}',
    '.head .h{font-weight:600;font-size:16px;padding-right:28px}.head .s{font-size:12.5px;opacity:.92}',
    '.x{position:absolute;right:10px;top:10px;width:28px;height:28px;border-radius:6px;cursor:pointer;color:#fff;font-size:20px;line-height:28px;text-align:center}',
    '.x:hover{background:rgba(255,255,255,.18)}',
    '.list{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:6px;background:#f6f7f9}',
    '.sep{align-self:center;font-size:11.5px;color:#68707c;margin:6px 0}',
    '.kb-suggest{align-self:stretch;display:flex;flex-direction:column;gap:4px;border:1px solid #e3e6ec;border-radius:10px;padding:8px 10px;margin:6px 0;font-size:13px;background:#fafbfc}',
    '.kb-suggest .kb-title{color:#68707c;font-size:12px}',
    '.kb-suggest a{color:#2f6fed;text-decoration:underline;cursor:pointer}',
    '.m{max-width:82%;display:flex;flex-direction:column;gap:2px}',
    '.bot .b{background:#eef3ff;border:1px solid #cfdcfb}.bot .who::before{content:"\\2699  "}',
    '.qr{display:flex;flex-wrap:wrap;gap:6px;margin-top:4px}',
    '.qr button{border:1px solid #2f6fed;color:#2f6fed;background:#fff;border-radius:14px;padding:4px 12px;cursor:pointer;font-size:13px}',
    '.qr button:hover{background:#eef3ff}',
    '.chatv,.helpv{flex:1;display:flex;flex-direction:column;min-height:0}',
    '.tabs{display:flex;border-bottom:1px solid #e3e6ea;background:#fff}',
    '.tabs button{flex:1;padding:8px 0;cursor:pointer;font-size:13px;color:#4b5563;border-bottom:2px solid transparent}',
    '.tabs button[aria-selected="true"]{color:#1b1f24;font-weight:600;border-bottom-color:currentColor}',
    '.helpv{background:#f6f7f9;overflow-y:auto;padding:10px;gap:8px}',
    '.helpv input{border:1px solid #cfd4da;border-radius:10px;padding:8px 10px;background:#fff;font-size:16px;width:100%}',
    '.hres{display:flex;flex-direction:column;gap:6px}.hres button{text-align:left;background:#fff;border:1px solid #e3e6ea;border-radius:10px;padding:8px 10px;cursor:pointer}',
    '.hres .none{font-size:13px;color:#68707c}',
    '.art{background:#fff;border:1px solid #e3e6ea;border-radius:10px;padding:10px 12px;display:flex;flex-direction:column;gap:8px}',
    '.art h2{font-weight:600;font-size:15px}.art .body{font-size:13.5px;overflow-wrap:anywhere}.art .body p{margin:0 0 6px}.art .body a{color:#2f6fed;text-decoration:underline}',
    '.art .body ul,.art .body ol{padding-left:18px}.art .body img{max-width:100%}',
    '.art .ask{display:flex;flex-direction:column;gap:6px;border-top:1px solid #eef0f3;padding-top:8px;font-size:13px}',
    '.art .ask div{display:flex;gap:6px}.art .ask button{border-radius:8px;padding:6px 10px;cursor:pointer;font-weight:600;border:1px solid #cfd4da;background:#fff}',
    '.hback{align-self:flex-start;font-size:12.5px;color:#2f6fed;cursor:pointer;text-decoration:underline}',
    '.ctx{display:flex;gap:6px;align-items:center;font-size:12px;padding:4px 10px;background:#fff;border-top:1px solid #e3e6ea;color:#4b5563}',
    '.ctx button{color:#c4272d;cursor:pointer;font-size:12px}',
    '.m.v{align-self:flex-end;align-items:flex-end}.m.a{align-self:flex-start;align-items:flex-start}',
    '.who{font-size:11.5px;color:#68707c;padding:0 4px;display:flex;align-items:center;gap:6px}',
    '.av{width:22px;height:22px;border-radius:50%;flex:none;object-fit:cover;display:inline-flex;align-items:center;justify-content:center;background:#dfe7f0;color:#33414f;font-size:11px;font-weight:600}',
    '.av.ini::before{content:attr(data-i)}',
    '.b{padding:8px 12px;border-radius:14px;white-space:pre-wrap;word-wrap:break-word;overflow-wrap:anywhere}',
    '.v .b{color:#fff;border-bottom-right-radius:4px}.a .b{background:#fff;border:1px solid #e3e6ea;border-bottom-left-radius:4px}',
    '.st{font-size:11px;color:#68707c;padding:0 4px}.st.err{color:#c4272d}',
    '.att{display:flex;flex-direction:column;gap:4px;margin-top:4px}',
    '.rate{margin-top:6px;padding:8px;border:1px solid #e3e6ea;border-radius:10px;background:#fff;display:flex;flex-direction:column;gap:6px;max-width:260px}',
    '.faces{display:flex;gap:4px;justify-content:space-between}',
    '.face{font-size:24px;line-height:1;padding:4px;border-radius:8px;cursor:pointer;border:2px solid transparent}',
    '.face[aria-pressed="true"]{border-color:#2f6fed;background:#eef3ff}',
    '.faces.nps{gap:2px}.face.num{font-size:13px;min-width:22px;padding:4px 2px;background:#f4f5f7;text-align:center}',
    '.rate textarea{border:1px solid #d5d9de;border-radius:6px;padding:6px;font-size:13px;resize:vertical;min-height:48px;background:#fff}',
    '.rate .go{align-self:flex-end;padding:6px 10px;border-radius:6px;color:#fff;cursor:pointer;font-size:13px}',
    '.rate .thanks{font-size:13px}',
    '.att img{max-width:220px;max-height:180px;border-radius:8px;display:block;cursor:zoom-in;background:#eee}',
    '.att a{color:inherit;text-decoration:underline;font-size:13px}',
    '.typing{font-size:12px;color:#68707c;padding:2px 16px 6px;background:#f6f7f9;min-height:20px}',
    '.notice{font-size:12.5px;padding:8px 12px;background:#fff8e6;border-top:1px solid #f1e3b5;display:flex;flex-direction:column;gap:6px}',
    '.notice form{display:flex;gap:6px}.notice input{flex:1;border:1px solid #cfd4da;border-radius:8px;padding:6px 8px;background:#fff;min-width:0}',
    '.btn{border-radius:8px;padding:6px 12px;color:#fff;cursor:pointer;font-weight:600}',
    '.comp{display:flex;align-items:flex-end;gap:6px;padding:8px;border-top:1px solid #e3e6ea;background:#fff}',
    '.comp textarea{flex:1;resize:none;max-height:120px;min-height:38px;font-size:16px;border:1px solid #cfd4da;border-radius:10px;padding:8px 10px;background:#fff;outline:none;display:block}',
    '.comp textarea:focus{border-color:#8a94a3}',
    '.ic{width:36px;height:36px;border-radius:8px;cursor:pointer;display:flex;align-items:center;justify-content:center;color:#4b5563}',
    '.ic:hover{background:#f0f2f5}.ic svg{width:20px;height:20px;fill:currentColor;display:block}',
    '.send{color:#fff}.send:hover{filter:brightness(1.08)}',
    '.chips{display:flex;flex-wrap:wrap;gap:4px;padding:0 8px 6px;background:#fff}',
    '.chip{font-size:12px;background:#eef1f4;border-radius:10px;padding:2px 8px}',
    '.pro{position:absolute;bottom:70px;width:260px;background:#fff;border-radius:12px;padding:12px 14px;box-shadow:0 6px 24px rgba(0,0,0,.18);cursor:pointer;white-space:pre-wrap}',
    '.right .pro{right:0}.left .pro{left:0}',
    '.camp{position:absolute;bottom:70px;width:270px;background:#fff;border-radius:12px;padding:12px 30px 12px 14px;box-shadow:0 6px 24px rgba(0,0,0,.18);cursor:pointer;white-space:pre-wrap}',
    '.right .camp{right:0}.left .camp{left:0}',
    '.camp .x{position:absolute;top:4px;right:4px;width:24px;height:24px;border-radius:6px;cursor:pointer;color:#6b7280;font-size:16px;line-height:24px;text-align:center}',
    '.camp .x:hover{background:#f0f2f5}',
    '.convs{flex:1;overflow-y:auto;padding:10px;display:flex;flex-direction:column;gap:8px;background:#f6f7f9}',
    '.card{display:flex;flex-direction:column;gap:2px;text-align:left;background:#fff;border:1px solid #e3e6ea;border-radius:10px;padding:10px 12px;cursor:pointer}',
    '.card:hover{border-color:#b9c0c9}.card .via{font-size:11.5px;color:#68707c;display:flex;justify-content:space-between;gap:8px}',
    '.card .sub{font-weight:600}.card .last{font-size:12.5px;color:#4b5563;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}',
    '.card.unread .sub::after{content:" \\25CF";color:#e5484d}',
    '.newc{align-self:flex-start;border-radius:8px;padding:6px 12px;color:#fff;font-weight:600;cursor:pointer}',
    '.back{position:absolute;left:8px;top:10px;width:28px;height:28px;border-radius:6px;cursor:pointer;color:#fff;font-size:18px;line-height:28px;text-align:center}',
    '.back:hover{background:rgba(255,255,255,.18)}.withback .h,.withback .s{padding-left:28px}',
    '.tag{font-size:10.5px;color:#68707c;background:#eef1f4;border-radius:6px;padding:0 5px;margin-left:4px}',
    '.quoted{font-size:12.5px;color:#52606d;margin-top:2px}.quoted summary{cursor:pointer}.quoted div{white-space:pre-wrap;border-left:3px solid #d5dbe1;padding-left:8px;margin-top:2px}',
    '.closednote{font-size:12px;color:#68707c;padding:6px 12px;background:#fff;border-top:1px solid #e3e6ea}',
    // On a phone the panel fills the screen: the launcher would sit on the
    // composer's send button, so it hides while the panel is open (the
    // header's x closes it). Text fields stay at 16px: iOS zooms into smaller.
    '@media (max-width:480px){.panel{position:fixed;inset:0;width:auto;height:auto;max-width:none;max-height:none;border-radius:0}.isopen .launcher{display:none}}'
  ].join('\n');
  // Dark colours, for the visitor's system choice (theme "auto", in a
  // prefers-color-scheme media query) or always (theme "dark"); the
  // site's colour keeps the launcher, header and the visitor's bubbles.
  var DARK = [
    '{p}{color:#e4e8ee;color-scheme:dark}',
    '{p} .panel{background:#1a1f25;box-shadow:0 10px 40px rgba(0,0,0,.6)}',
    '{p} .list,{p} .typing,{p} .helpv,{p} .convs{background:#111418}',
    '{p} .sep,{p} .who,{p} .st,{p} .typing,{p} .hres .none,{p} .kb-suggest .kb-title,{p} .card .via,{p} .tag,{p} .closednote{color:#a3adb9}',
    '{p} .kb-suggest{background:#161b20;border-color:#2e3640}',
    '{p} .kb-suggest a,{p} .art .body a,{p} .hback{color:#8dbbf0}',
    '{p} .a .b{background:#1f252c;border-color:#2e3640}',
    '{p} .bot .b{background:#1b2a40;border-color:#2f4a70}',
    '{p} .qr button{background:#1a1f25;color:#9cc2f5;border-color:#7fb0e0}{p} .qr button:hover{background:#1f2f42}',
    '{p} .tabs{background:#1a1f25;border-bottom-color:#2e3640}{p} .tabs button{color:#aab4bf}{p} .tabs button[aria-selected="true"]{color:#e4e8ee}',
    '{p} .helpv input,{p} .notice input,{p} .comp textarea,{p} .rate textarea{background:#12161b;border-color:#3a434e}',
    '{p} .comp textarea:focus{border-color:#6b7785}',
    '{p} .hres button,{p} .art,{p} .card{background:#1a1f25;border-color:#2e3640}{p} .card:hover{border-color:#4a5563}',
    '{p} .art .ask{border-top-color:#2e3640}{p} .art .ask button{background:#12161b;border-color:#3a434e}',
    '{p} .ctx,{p} .comp,{p} .chips,{p} .closednote{background:#1a1f25;border-top-color:#2e3640}{p} .ctx{color:#aab4bf}',
    '{p} .ctx button,{p} .st.err{color:#ff8a80}',
    '{p} .rate{background:#161b20;border-color:#2e3640}{p} .face[aria-pressed="true"]{background:#1f2f42}{p} .face.num{background:#2a3139}',
    '{p} .att img{background:#2a3139}',
    '{p} .av.ini{background:#26384c;color:#dce6f0}',
    '{p} .notice{background:#3a2e12;border-top-color:#6b5a1e}',
    '{p} .ic{color:#aab4bf}{p} .ic:hover{background:#242b33}',
    '{p} .chip,{p} .tag{background:#2a3139}',
    '{p} .pro,{p} .camp{background:#1f252c;box-shadow:0 6px 24px rgba(0,0,0,.6)}{p} .camp .x{color:#aab4bf}{p} .camp .x:hover{background:#242b33}',
    '{p} .card .last,{p} .quoted{color:#aab4bf}{p} .quoted div{border-left-color:#3a434e}'
  ];
  function darkCSS(scope) { return DARK.map(function (r) { return r.replace(/\{p\}/g, scope); }).join('\n'); }
  CSS += '\n@media (prefers-color-scheme:dark){' + darkCSS('.root.auto') + '}\n' + darkCSS('.root.dark');

  var ICON_CHAT = 'M12 3C6.5 3 2 6.6 2 11c0 2.4 1.3 4.6 3.4 6.1L4.6 21l4.2-2.3c1 .3 2.1.4 3.2.4 5.5 0 10-3.6 10-8S17.5 3 12 3z';
  var ICON_SEND = 'M3 20.5l18-8.5L3 3.5 3 10l12 2-12 2z';
  var ICON_CLIP = 'M16.5 6.5v10a4.5 4.5 0 01-9 0V5a3 3 0 016 0v10.5a1.5 1.5 0 01-3 0V6.5H9v9a3 3 0 006 0V5a4.5 4.5 0 00-9 0v11.5a6 6 0 0012 0v-10z';
  function icon(d) {
    var ns = 'http://www.w3.org/2000/svg', s = document.createElementNS(ns, 'svg'), p = document.createElementNS(ns, 'path');
    s.setAttribute('viewBox', '0 0 24 24'); s.setAttribute('aria-hidden', 'true'); p.setAttribute('d', d); s.appendChild(p);
    return s;
  }

  function build() {
    host = document.createElement('hanbox-widget');
    // Inline !important beats any host stylesheet rule on the host element.
    var hs = host.style;
    hs.setProperty('all', 'initial', 'important');
    hs.setProperty('display', 'block', 'important');
    hs.setProperty('position', 'fixed', 'important');
    hs.setProperty('z-index', '2147483000', 'important');
    hs.setProperty('width', '0', 'important');
    hs.setProperty('height', '0', 'important');
    hs.setProperty('bottom', '0', 'important');
    hs.setProperty('right', '0', 'important');
    root = host.attachShadow({ mode: 'closed' });
    var style = el('style'); style.textContent = CSS; root.appendChild(style);
    var set = S.session.settings, color = set.color || '#2f6fed';
    // theme: auto follows the visitor's system, light and dark are fixed.
    ui.wrap = el('div', 'root ' + (set.position === 'left' ? 'left' : 'right') + ' ' + (set.theme === 'light' || set.theme === 'dark' ? set.theme : 'auto'));
    ui.launcher = el('button', 'launcher');
    ui.launcher.type = 'button';
    ui.launcher.style.background = color;
    ui.launcher.setAttribute('aria-label', S.t.open);
    ui.launcher.appendChild(icon(ICON_CHAT));
    ui.badge = el('span', 'badge hidden', '0');
    ui.launcher.appendChild(ui.badge);
    ui.launcher.addEventListener('click', function () { S.open ? close() : open(); });

    ui.panel = el('div', 'panel hidden');
    ui.panel.setAttribute('role', 'dialog');
    ui.panel.setAttribute('aria-label', S.t.title);
    var head = el('div', 'head'); head.style.background = color;
    ui.title = el('div', 'h', greeting() || S.t.title);
    ui.status = el('div', 's', '');
    var x = el('button', 'x', '\u00d7'); x.type = 'button'; x.setAttribute('aria-label', S.t.close);
    x.addEventListener('click', close);
    head.appendChild(ui.title); head.appendChild(ui.status); head.appendChild(x);
    ui.head = head;
    ui.back = el('button', 'back hidden', '\u2190'); ui.back.type = 'button'; ui.back.setAttribute('aria-label', S.t.back); ui.back.title = S.t.back;
    ui.back.addEventListener('click', showList);
    head.appendChild(ui.back);
    ui.convs = el('div', 'convs hidden');
    ui.closed = el('div', 'closednote hidden', S.t.closedConv);
    ui.list = el('div', 'list'); ui.list.setAttribute('aria-live', 'polite');
    ui.typing = el('div', 'typing', '');
    ui.notice = el('div', 'notice hidden');
    ui.chips = el('div', 'chips hidden');
    var comp = el('form', 'comp');
    ui.file = el('input'); ui.file.type = 'file'; ui.file.className = 'hidden';
    ui.file.setAttribute('accept', (set.upload_types || []).join(','));
    var clip = el('button', 'ic'); clip.type = 'button'; clip.setAttribute('aria-label', S.t.attach); clip.title = S.t.attach;
    clip.appendChild(icon(ICON_CLIP));
    clip.addEventListener('click', function () { ui.file.click(); });
    ui.file.addEventListener('change', function () { if (ui.file.files[0]) upload(ui.file.files[0]); ui.file.value = ''; });
    ui.input = el('textarea'); ui.input.rows = 1; ui.input.placeholder = S.t.placeholder; ui.input.setAttribute('aria-label', S.t.placeholder);
    ui.input.addEventListener('keydown', function (e) {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); submit(); }
    });
    ui.input.addEventListener('input', onInput);
    var send = el('button', 'ic send'); send.type = 'submit'; send.style.background = color; send.setAttribute('aria-label', S.t.send);
    send.appendChild(icon(ICON_SEND));
    comp.addEventListener('submit', function (e) { e.preventDefault(); submit(); });
    comp.appendChild(ui.file); comp.appendChild(clip); comp.appendChild(ui.input); comp.appendChild(send);
    ui.comp = comp;
    ui.ctx = el('div', 'ctx hidden');
    ui.chat = el('div', 'chatv');
    ui.chat.appendChild(ui.convs); ui.chat.appendChild(ui.list); ui.chat.appendChild(ui.typing);
    ui.chat.appendChild(ui.closed);
    ui.chat.appendChild(ui.notice); ui.chat.appendChild(ui.chips); ui.chat.appendChild(ui.ctx); ui.chat.appendChild(comp);
    ui.panel.appendChild(head); ui.panel.appendChild(buildTabs()); ui.panel.appendChild(ui.chat); ui.panel.appendChild(buildHelp());
    ui.pro = el('div', 'pro hidden');
    ui.pro.addEventListener('click', function () { ui.pro.classList.add('hidden'); open(); });
    buildCampaign();
    ui.wrap.appendChild(ui.pro); ui.wrap.appendChild(ui.camp); ui.wrap.appendChild(ui.panel); ui.wrap.appendChild(ui.launcher);
    root.appendChild(ui.wrap);
    document.body.appendChild(host);
  }

  function greeting() {
    var g = S.session.settings.greeting;
    if (!g) return '';
    return g[S.lang] || g[''] || g.en || g.ko || '';
  }

  // ---- rendering ----
  function attURL(a) { return API + '/attachments/' + a.id + '?token=' + encodeURIComponent(S.token); }
  function renderAtt(box, a) {
    if (a.image) {
      var link = el('a'); link.href = attURL(a); link.target = '_blank'; link.rel = 'noopener noreferrer';
      var img = el('img'); img.alt = nob(a.name); img.loading = 'lazy'; img.src = attURL(a);
      link.appendChild(img); box.appendChild(link);
    } else {
      var f = el('a', '', '\ud83d\udcce '); f.appendChild(iso(a.name || 'file')); f.href = attURL(a); f.rel = 'noopener noreferrer';
      f.setAttribute('download', nob(a.name) || 'file'); box.appendChild(f);
    }
  }
  function statusText(m) {
    if (m.failed) return S.t.failed;
    if (!m.id) return S.wsOpen || S.polling ? S.t.sending : S.t.retrying;
    if (m.at && S.readAt && Date.parse(m.at) <= S.readAt) return S.t.read;
    return S.t.sent;
  }
  function render(m) {
    var key = m.id ? 'id' + m.id : 'c' + m.client_id;
    var node = (m.client_id && S.pending[m.client_id] && S.pending[m.client_id].node) || (m.id && S.msgs[m.id] && S.msgs[m.id].node);
    if (!inView(m)) { if (node) node.remove(); m.node = null; return; }
    var fresh = !node;
    if (fresh) node = el('div');
    node.textContent = '';
    var mine = m.from === 'visitor';
    node.className = 'm ' + (mine ? 'v' : 'a') + (m.from === 'bot' ? ' bot' : '');
    node.setAttribute('data-key', key);
    var who = null;
    if (!mine) {
      who = el('div', 'who');
      if (m.from !== 'bot') who.appendChild(face(m));
      who.appendChild(iso(m.from === 'bot' ? S.t.bot : (m.author || S.t.agent)));
    }
    if (m.channel && m.channel !== 'widget') {
      if (!who) who = el('div', 'who');
      who.appendChild(el('span', 'tag', channelTag(m.channel)));
    }
    if (who) node.appendChild(who);
    if (m.text) {
      var b = el('div', 'b', m.text); b.dir = 'auto';
      if (mine) b.style.background = S.session.settings.color || '#2f6fed';
      node.appendChild(b);
    }
    if (m.quoted) {
      var q = el('details', 'quoted'); q.appendChild(el('summary', '', S.t.quoted)); q.appendChild(el('div', '', m.quoted));
      node.appendChild(q);
    }
    if (m.survey) node.appendChild(rateCard(m));
    if (m.from === 'bot' && m.choices && m.choices.length && !m.answered) node.appendChild(quickReplies(m));
    if (m.attachments && m.attachments.length) {
      var box = el('div', 'att');
      for (var i = 0; i < m.attachments.length; i++) renderAtt(box, m.attachments[i]);
      node.appendChild(box);
    }
    if (mine) { var st = el('div', 'st' + (m.failed ? ' err' : ''), statusText(m)); node.appendChild(st); }
    m.node = node;
    if (fresh) {
      var near = ui.list.scrollHeight - ui.list.scrollTop - ui.list.clientHeight < 80;
      ui.list.appendChild(node);
      if (near || mine) ui.list.scrollTop = ui.list.scrollHeight;
    }
  }
  // face is the agent's avatar next to their name: the picture Hanbox
  // serves (only its own avatar path is accepted), else their initial.
  // Decorative: the name follows it.
  function face(m) {
    var path = String(m.author_avatar || '');
    if (/^\/api\/v1\/avatars\/[0-9a-f]{64}$/.test(path)) {
      var img = el('img', 'av'); img.alt = ''; img.src = ORIGIN + path; img.setAttribute('aria-hidden', 'true');
      return img;
    }
    var n = Array.from(nob(m.author || S.t.agent).trim())[0] || '?';
    // The initial is drawn from an attribute, so the name line's text stays the name.
    var s = el('span', 'av ini'); s.setAttribute('data-i', n.toUpperCase()); s.setAttribute('aria-hidden', 'true');
    return s;
  }
  // quickReplies are a bot question's buttons: a button sends its label as
  // the visitor's message (the bot matches it), and the buttons go away
  // once the visitor has answered.
  function quickReplies(m) {
    var box = el('div', 'qr');
    m.choices.forEach(function (c) {
      var b = el('button', '', String(c)); b.type = 'button';
      b.addEventListener('click', function () { ui.input.value = String(c); submit(); });
      box.appendChild(b);
    });
    return box;
  }
  // answered hides the buttons of bot messages before a visitor's message.
  function answered(upTo) {
    for (var k in S.msgs) {
      var b = S.msgs[k];
      if (b.from === 'bot' && !b.answered && (!upTo || b.id < upTo)) { b.answered = true; if (b.node) render(b); }
    }
  }
  // rateCard is the inline rating card of a survey request: five faces
  // (labelled in the survey's language), an optional comment, a thank-you.
  var FACES = ['\uD83D\uDE1E', '\uD83D\uDE41', '\uD83D\uDE10', '\uD83D\uDE42', '\uD83D\uDE04'];
  function rateCard(m) {
    var sv = m.survey, card = el('div', 'rate');
    card.setAttribute('data-survey', sv.id);
    if (sv.done) { card.appendChild(el('div', 'thanks', sv.thanks || '')); return card; }
    var faces = el('div', 'faces'); faces.setAttribute('role', 'group');
    var n = sv.scale || 5, lo = sv.min === 0 ? 0 : 1, nums = lo === 0 || sv.style === 'numbers', thumbs = sv.style === 'thumbs';
    var choices = sv.choices || [];
    if (!choices.length) for (var c = lo; c <= n; c++) choices.push(c);
    if (lo === 0) faces.className = 'faces nps';
    choices.forEach(function (score) {
      var face = thumbs ? (score <= 2 ? '\uD83D\uDC4E' : '\uD83D\uDC4D') : FACES[Math.min(score, FACES.length) - 1];
      var b = el('button', nums ? 'face num' : 'face', nums ? String(score) : face);
      b.type = 'button';
      var label = (sv.labels && sv.labels[score - 1]) || String(score);
      b.setAttribute('aria-label', label); b.title = label;
      b.setAttribute('data-score', String(score));
      b.setAttribute('aria-pressed', sv.chosen === score ? 'true' : 'false');
      b.onclick = function () { sv.chosen = score; render(m); };
      faces.appendChild(b);
    });
    card.appendChild(faces);
    if (typeof sv.chosen === 'number') {
      var prompt = sv.why || S.t.rateComment;
      var ta = el('textarea'); ta.placeholder = prompt; ta.setAttribute('aria-label', prompt); ta.maxLength = 4000;
      ta.value = sv.comment || ''; ta.oninput = function () { sv.comment = ta.value; };
      var go = el('button', 'go', S.t.rateSend); go.type = 'button';
      go.style.background = (S.session && S.session.settings.color) || '#2f6fed';
      go.onclick = function () {
        if (!S.ws || !S.wsOpen) { showNotice(S.t.offline); return; }
        try { S.ws.send(JSON.stringify({ type: 'survey', survey: { id: sv.id, score: sv.chosen }, text: sv.comment || '' })); } catch (e) { log(e); }
      };
      card.appendChild(ta); card.appendChild(go);
    }
    return card;
  }
  function onSurveyThanks(f) {
    var m = f.id && S.msgs[f.id];
    if (!m || !m.survey || !f.survey) return;
    m.survey.done = true; m.survey.thanks = f.survey.thanks; m.survey.score = f.survey.score;
    render(m);
  }
  function refreshStatuses() {
    for (var k in S.msgs) if (S.msgs[k].from === 'visitor') render(S.msgs[k]);
    for (var c in S.pending) render(S.pending[c]);
  }

  // addMessage takes a server message frame (history, ack, echo or reply).
  function addMessage(m, live) {
    if (!m || !m.id) return;
    if (m.id > S.lastId) S.lastId = m.id;
    noteConversation(m, live);
    if (m.client_id && S.pending[m.client_id] && S.multi && S.conv === 'new' && m.conversation_id) openConversation(m.conversation_id, true);
    if (m.client_id && S.pending[m.client_id]) {
      m.node = S.pending[m.client_id].node;
      delete S.pending[m.client_id];
      dropOutbox(m.client_id);
    }
    if (S.msgs[m.id]) { if (m.node && m.node !== S.msgs[m.id].node) m.node.remove(); m.node = S.msgs[m.id].node; }
    if (S.msgs[m.id] && S.msgs[m.id].answered) m.answered = true;
    S.msgs[m.id] = m;
    render(m);
    if (m.from === 'visitor') answered(m.id);
    if (live && m.from === 'agent') {
      hideTyping();
      if (!S.open || document.hidden) notify(); else sendRead();
    }
  }

  // ---- outbox: unsent messages survive reloads and reconnects ----
  function saveOutbox() {
    store('outbox', S.outbox.length ? S.outbox.map(function (f) {
      return { type: f.type, client_id: f.client_id, text: f.text, refs: f.refs, page: f.page, locale: f.locale, tz: f.tz, conversation_id: f.conversation_id,
        lang: f.lang, article: f.article };
    }) : null);
  }
  function dropOutbox(id) { S.outbox = S.outbox.filter(function (o) { return o.client_id !== id; }); saveOutbox(); }
  function submit() {
    var text = ui.input.value.replace(/\s+$/, '');
    if (!text.trim() && !S.refs.length) return;
    if (new Blob([text]).size > (S.session.settings.max_text_bytes || 8192)) { showNotice(S.t.tooLong); return; }
    if (S.refs.some(function (r) { return !r.ref; })) return; // an upload is still running
    var f = { type: 'message', client_id: cid(), text: text, refs: S.refs.map(function (r) { return r.ref; }), page: page(), locale: navigator.language || '', tz: tz(),
      conversation_id: sendTarget(), lang: S.lang };
    if (S.context) { f.article = { id: S.context.id, title: S.context.title }; setContext(null); }
    ui.input.value = ''; S.refs = []; renderChips(); sendTyping(false);
    answered(0);
    S.outbox.push(f); saveOutbox();
    queue(f);
    flush();
    maybeAskEmail();
    if (text.trim()) suggestArticles(text);
  }
  // suggestArticles shows up to 3 published help articles for the
  // visitor's first message of this page (GET /api/v1/kb/suggest: public,
  // rate-limited, no cookies), while they wait for a person. Titles go in
  // with textContent; only http(s) links are kept.
  function suggestArticles(text) {
    if (S.suggested || !window.fetch) return;
    S.suggested = true;
    var url = ORIGIN + '/api/v1/kb/suggest?limit=3&locale=' + encodeURIComponent(S.lang) + '&q=' + encodeURIComponent(text.slice(0, 500));
    fetch(url, { credentials: 'omit' }).then(function (r) { return r.ok ? r.json() : { items: [] }; }).then(function (j) {
      var items = ((j && j.items) || []).slice(0, 3);
      if (!items.length) return;
      var box = el('div', 'kb-suggest');
      box.appendChild(el('div', 'kb-title', S.t.suggested));
      items.forEach(function (it) {
        var a = el('a', '', String(it.title || ''));
        if (/^https?:\/\//.test(String(it.url || ''))) a.href = it.url;
        a.target = '_blank'; a.rel = 'noopener noreferrer';
        box.appendChild(a);
      });
      ui.list.appendChild(box);
      ui.list.scrollTop = ui.list.scrollHeight;
    }).catch(function (e) { log(e); });
  }
  function queue(f) {
    var p = { client_id: f.client_id, from: 'visitor', text: f.text, attachments: [], at: new Date().toISOString(), conversation_id: f.conversation_id };
    S.pending[f.client_id] = p;
    render(p);
  }
  function flush() {
    for (var i = 0; i < S.outbox.length; i++) {
      var f = S.outbox[i];
      if ((f.wait && f.wait > Date.now()) || f.sentOn === S.connId) continue;
      if (S.wsOpen) { f.sentOn = S.connId; wsSend(f); }
      else if (S.polling) postMessage(f);
    }
  }
  // errText is a server error in the visitor's language, by its code; the
  // server's English text is shown only to visitors reading English.
  function errText(e, fallback) {
    e = e || {};
    switch (e.code) {
      case 'too_large': return S.t.tooBig;
      case 'type_not_allowed': return S.t.badType;
      case 'upload_quota': return S.t.uploadQuota;
      case 'storage_full': return S.t.storageFull;
      case 'rate_limited': return S.t.slow;
      case 'bad_upload': case 'upload_expired': return S.t.uploadAgain;
      case 'unavailable': return S.t.offline;
    }
    if (S.lang === 'en' && e.message) return e.message;
    return fallback || S.t.failed;
  }
  function failMessage(id, why) {
    var p = S.pending[id];
    dropOutbox(id);
    if (p) { p.failed = true; render(p); }
    if (why) showNotice(why);
  }
  function onSendError(f) {
    var id = f.client_id;
    if (!id) { log('error', f.code, f.message); return; }
    if (f.code === 'conversation_closed') {
      // Over since it was opened: the message goes to a new conversation.
      for (var j = 0; j < S.outbox.length; j++) if (S.outbox[j].client_id === id) { S.outbox[j].conversation_id = ''; S.outbox[j].sentOn = 0; }
      if (S.pending[id]) S.pending[id].conversation_id = '';
      if (S.convs[S.conv]) S.convs[S.conv].continuable = false;
      if (S.multi) openConversation('new');
      saveOutbox(); setTimeout(flush, 50);
      return;
    }
    if (f.code === 'rate_limited' || f.code === 'unavailable') {
      for (var i = 0; i < S.outbox.length; i++) {
        if (S.outbox[i].client_id === id) { S.outbox[i].wait = Date.now() + (f.retry_after || 3) * 1000; S.outbox[i].sentOn = 0; }
      }
      if (f.code === 'rate_limited') showNotice(S.t.slow);
      setTimeout(flush, (f.retry_after || 3) * 1000 + 50);
      return;
    }
    failMessage(id, errText(f, S.t.notSent));
  }

  // ---- transport: WebSocket with backoff, long-poll when sockets are blocked ----
  // A page load makes one HTTP request (POST /session: it records the page
  // view, brings history, settings, proactive rules and campaign messages);
  // later pages of a single-page site send POST /view. The live connection
  // waits until it is needed: the visitor opens the panel, has history
  // (an agent may answer), has unsent messages, or a proactive or campaign
  // bubble shows (they may answer it). A site's every page view does not
  // hold a socket open on the server.
  function needLive() {
    var s = S.session || {};
    return S.open || S.wantOpen || S.outbox.length > 0 || (s.conversations || []).length > 0;
  }
  function live() {
    if (S.live || !S.session) return;
    S.live = true;
    connect();
  }
  function connect() {
    clearTimeout(S.reconnectTimer);
    if (S.polling || !window.WebSocket) { startPolling(); return; }
    var url = API.replace(/^http/, 'ws') + '/ws?token=' + encodeURIComponent(S.token) + '&since=' + S.lastId;
    var ws, opened = false;
    try { ws = new WebSocket(url); } catch (e) { return retry(); }
    S.ws = ws;
    ws.onopen = function () {
      opened = true; S.wsOpen = true; S.connId++; S.everOpened = true; S.failures = 0; S.backoff = 1000;
      ws.send(JSON.stringify({ type: 'page', page: page() }));
      clearInterval(S.pingTimer);
      S.pingTimer = setInterval(function () { if (S.wsOpen) ws.send('{"type":"ping"}'); }, 25000);
      refreshStatuses(); flush();
      if (S.open && !document.hidden) sendRead();
    };
    ws.onmessage = function (ev) {
      var f; try { f = JSON.parse(ev.data); } catch (e) { return; }
      onFrame(f);
    };
    ws.onclose = function (ev) {
      if (S.ws !== ws) return;
      S.wsOpen = false; S.ws = null; clearInterval(S.pingTimer);
      refreshStatuses();
      if (!opened) S.failures++;
      if (ev.code === 1008 || ev.code === 4001) return restart();
      retry();
    };
  }
  function retry() {
    if (!S.everOpened && S.failures >= 3) { startPolling(); return; }
    var d = Math.min(S.backoff, 30000) * (0.8 + Math.random() * 0.4);
    S.backoff = Math.min(S.backoff * 2, 30000);
    S.reconnectTimer = setTimeout(function () {
      // The token may have expired while away: a fresh session first.
      startSession().then(connect, retry);
    }, d);
  }
  function restart() { startSession().then(connect, retry); }
  function wsSend(f) {
    try { S.ws.send(JSON.stringify({ type: 'message', client_id: f.client_id, text: f.text, refs: f.refs, page: f.page, locale: f.locale, tz: f.tz, conversation_id: f.conversation_id, lang: f.lang, article: f.article })); } catch (e) { log(e); }
  }
  function onFrame(f) {
    switch (f.type) {
      case 'message': addMessage(f, true); break;
      case 'typing': if (f.from === 'agent' && (!S.multi || !f.conversation_id || f.conversation_id === S.conv)) showTyping(f.typing !== false, f.author); break;
      case 'read': S.readAt = Date.parse(f.at) || Date.now(); refreshStatuses(); break;
      case 'error': if (f.code === 'survey_closed') showNotice(S.t.rateClosed); else onSendError(f); break;
      case 'survey_thanks': onSurveyThanks(f); break;
      case 'queue': S.queue[f.conversation_id] = f.position || 0; S.wait[f.conversation_id] = f.wait_seconds || 0; renderStatus(); break;
    }
  }
  function startPolling() {
    if (S.polling && S.pollRunning) return;
    S.polling = true; S.pollRunning = true;
    log('long-poll fallback');
    refreshStatuses(); flush();
    if (S.open && !document.hidden) sendRead();
    (function loop() {
      api('GET', '/poll?since=' + S.lastId).then(function (r) {
        S.backoff = 1000;
        (r.messages || []).forEach(function (m) { addMessage(m, true); });
        loop();
      }, function (err) {
        if (err && err.status === 401) { startSession().then(loop, function () { setTimeout(loop, 5000); }); return; }
        setTimeout(loop, Math.min(S.backoff *= 2, 30000));
      });
    })();
  }
  function postMessage(f) {
    if (f.inflight) return;
    f.inflight = true;
    api('POST', '/messages', { type: 'message', client_id: f.client_id, text: f.text, refs: f.refs, page: f.page, locale: f.locale, tz: f.tz, conversation_id: f.conversation_id, lang: f.lang, article: f.article })
      .then(function (m) { f.inflight = false; addMessage(m, false); }, function (err) {
        f.inflight = false;
        var e = (err && err.body && err.body.error) || {};
        e.client_id = f.client_id;
        if (!err || !err.status || err.status >= 500) { e.code = 'unavailable'; e.retry_after = 3; }
        onSendError(e);
      });
  }
  function ephemeral(f) {
    if (S.wsOpen) { try { S.ws.send(JSON.stringify(f)); } catch (e) { log(e); } }
    else if (S.polling) api('POST', '/messages', f).catch(function () {});
  }

  function api(method, path, body, raw) {
    var opts = { method: method, headers: {}, credentials: 'omit', mode: 'cors' };
    if (S.token) opts.headers.Authorization = 'Bearer ' + S.token;
    if (raw) opts.body = raw;
    else if (body) { opts.headers['Content-Type'] = 'application/json'; opts.body = JSON.stringify(body); }
    return fetch(API + path, opts).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (!r.ok) throw { status: r.status, body: j };
        return j;
      });
    });
  }

  // ---- session ----
  function startSession() {
    var id = S.identity || {};
    var req = {
      visitor_token: store('vt') || '', user_id: id.user_id || '', email: id.email || '', name: id.name || '',
      user_hash: id.user_hash || '', page: page(), locale: (navigator.languages && navigator.languages[0]) || navigator.language || '', time_zone: tz()
    };
    if (id.attributes && id.user_hash) req.attributes = id.attributes;
    var saved = S.token; S.token = '';
    return api('POST', '/session', req).then(function (s) {
      S.session = s; S.token = s.session_token;
      store('vt', s.visitor_token);
      return s;
    }, function (e) { S.token = saved; throw e; });
  }

  function loadHistory(s) {
    var all = s.conversations || [];
    S.convs = {};
    for (var c = 0; c < all.length; c++) { S.convs[all[c].id] = all[c]; S.queue[all[c].id] = all[c].queue_position || 0; S.wait[all[c].id] = all[c].queue_wait_seconds || 0; }
    // A verified customer with history beyond one chat gets the list of
    // their conversations on every channel; everyone else one stream.
    S.multi = !!(s.contact && s.contact.verified) && (all.length > 1 || all.some(function (cv) { return cv.channel !== 'widget'; }));
    S.conv = null;
    var convs = all.slice().reverse();
    for (var i = 0; i < convs.length; i++) {
      if (i > 0 && !S.multi) ui.list.appendChild(el('div', 'sep', '\u2014 \u2014 \u2014'));
      var ms = convs[i].messages || [];
      for (var j = 0; j < ms.length; j++) addMessage(ms[j], false);
    }
    if (S.multi) showList();
    var seen = store('seen') || 0, n = 0;
    for (var k in S.msgs) if (S.msgs[k].from === 'agent' && S.msgs[k].id > seen) n++;
    setUnread(n);
  }

  // ---- office hours, reply time, email ----
  function whenText(iso) {
    try {
      return new Intl.DateTimeFormat(S.lang === 'ko' ? 'ko-KR' : 'en-US', { weekday: 'short', hour: 'numeric', minute: '2-digit' }).format(new Date(iso));
    } catch (e) { return iso; }
  }
  function replyText(sec) {
    if (!sec) return '';
    if (sec < 300) return S.t.fewMinutes;
    if (sec < 5400) return fmt(S.t.minutes, { n: Math.round(sec / 60) });
    return fmt(S.t.hours, { n: Math.round(sec / 3600) });
  }
  function offHours() { var h = S.session.office_hours || {}; return h.enabled && !h.open; }
  // queuePlace is the shown conversation's place in the team queue (in one
  // stream: the newest waiting conversation's), 0 when it is not waiting.
  function queuePlace() { var id = queueConv(); return id === null ? 0 : S.queue[id] || 0; }
  // queueConv is the id of the conversation queuePlace speaks of (null: none).
  function queueConv() {
    if (S.conv) return S.conv;
    if (S.multi) return null;
    var bestId = -1;
    for (var id in S.queue) if (S.queue[id] > 0 && Number(id) > bestId) bestId = Number(id);
    return bestId < 0 ? null : String(bestId);
  }
  function renderStatus() {
    var s = S.session, h = s.office_hours || {}, parts = [];
    if (offHours()) {
      parts.push(S.t.away);
      if (h.next_open) parts.push(fmt(S.t.backAt, { t: whenText(h.next_open) }));
    } else if (queuePlace() > 0) {
      var wait = S.wait[queueConv()] || 0;
      parts.push(wait ? fmt(S.t.queuedWait, { n: queuePlace(), t: replyText(wait) }) : fmt(S.t.queued, { n: queuePlace() }));
    } else if (s.expected_reply_seconds) {
      parts.push(fmt(S.t.replyIn, { t: replyText(s.expected_reply_seconds) }));
    }
    ui.status.textContent = parts.join(' ');
  }
  function maybeAskEmail() {
    var s = S.session;
    if (S.emailAsked || (s.contact && s.contact.email) || (S.identity && S.identity.email)) return;
    if (!offHours() && s.agents_online) return;
    S.emailAsked = true;
    ui.notice.textContent = '';
    var msg = el('div', '', S.t.askEmail);
    if (!offHours() && s.expected_reply_seconds) msg.textContent = fmt(S.t.replyIn, { t: replyText(s.expected_reply_seconds) }) + ' ' + S.t.askEmail;
    var form = el('form'), input = el('input'), btn = el('button', 'btn', S.t.save);
    input.type = 'email'; input.required = true; input.placeholder = S.t.emailPh; input.autocomplete = 'email';
    input.setAttribute('aria-label', S.t.emailLabel);
    btn.type = 'submit'; btn.style.background = s.settings.color || '#2f6fed';
    form.appendChild(input); form.appendChild(btn);
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      api('POST', '/email', { email: input.value }).then(function (r) {
        if (r.session_token) S.token = r.session_token;
        s.contact = s.contact || {}; s.contact.email = input.value;
        ui.notice.textContent = ''; ui.notice.appendChild(el('div', '', fmt(S.t.emailSaved, { e: input.value })));
      }, function (err) { var e = (err && err.body && err.body.error) || {}; showNotice(e.code === 'invalid' ? S.t.badEmail : errText(e, S.t.failed)); });
    });
    ui.notice.appendChild(msg); ui.notice.appendChild(form);
    ui.notice.classList.remove('hidden');
  }
  function showNotice(text) {
    var n = el('div', '', text);
    ui.notice.appendChild(n);
    ui.notice.classList.remove('hidden');
    setTimeout(function () { n.remove(); if (!ui.notice.childNodes.length) ui.notice.classList.add('hidden'); }, 6000);
  }

  // ---- typing, read receipts, notifications ----
  function onInput() {
    ui.input.style.height = 'auto';
    ui.input.style.height = Math.min(ui.input.scrollHeight, 120) + 'px';
    if (Date.now() - S.typingSent > 3000) { S.typingSent = Date.now(); ephemeral({ type: 'typing', typing: true, conversation_id: sendTarget() }); }
    clearTimeout(S.typingTimer);
    S.typingTimer = setTimeout(function () { sendTyping(false); }, 4000);
  }
  function sendTyping(on) {
    clearTimeout(S.typingTimer);
    if (!on && S.typingSent) { S.typingSent = 0; ephemeral({ type: 'typing', typing: false, conversation_id: sendTarget() }); }
  }
  function showTyping(on, who) {
    clearTimeout(S.agentTypingTimer);
    ui.typing.textContent = '';
    if (on) { ui.typing.appendChild(iso(who || S.t.agent)); ui.typing.appendChild(document.createTextNode(' ' + S.t.typing)); }
    if (on) S.agentTypingTimer = setTimeout(hideTyping, 6000);
  }
  function hideTyping() { ui.typing.textContent = ''; }
  function lastAgentId() { var m = 0; for (var k in S.msgs) if (S.msgs[k].from === 'agent' && S.msgs[k].id > m) m = S.msgs[k].id; return m; }
  function sendRead() {
    var id = lastAgentId();
    store('seen', Math.max(id, store('seen') || 0));
    setUnread(0);
    if (id) ephemeral({ type: 'read', up_to: id, conversation_id: sendTarget() });
  }
  function setUnread(n) {
    S.unread = n;
    ui.badge.textContent = n > 9 ? '9+' : String(n);
    ui.badge.classList.toggle('hidden', !n);
    clearInterval(S.titleTimer);
    if (!n) { if (document.title.indexOf('(') === 0 && S.baseTitle) document.title = S.baseTitle; return; }
    S.baseTitle = S.baseTitle || document.title;
    var flip = false;
    S.titleTimer = setInterval(function () {
      flip = !flip;
      document.title = flip ? '(' + S.unread + ') ' + S.t.newMsg : S.baseTitle;
    }, 1500);
  }
  function notify() {
    setUnread(S.unread + 1);
    try {
      var C = window.AudioContext || window.webkitAudioContext;
      if (!C || !S.interacted) return;
      var ctx = S.audio || (S.audio = new C()), o = ctx.createOscillator(), g = ctx.createGain();
      o.frequency.value = 880; g.gain.setValueAtTime(0.06, ctx.currentTime);
      g.gain.exponentialRampToValueAtTime(0.0001, ctx.currentTime + 0.25);
      o.connect(g); g.connect(ctx.destination); o.start(); o.stop(ctx.currentTime + 0.25);
    } catch (e) { log(e); }
  }

  // ---- conversations: a verified customer's history on every channel ----
  function inView(m) { return !S.multi || S.conv === null || (m.conversation_id || 'new') === S.conv; }
  // sendTarget is the conversation a message continues ('' for the current chat).
  function sendTarget() {
    var cv = S.multi && S.conv && S.convs[S.conv];
    return cv && cv.continuable ? cv.id : '';
  }
  function channelTag(kind) {
    if (kind === 'email') return S.t.byEmail;
    return kind.charAt(0).toUpperCase() + kind.slice(1);
  }
  function viaText(kind) {
    if (kind === 'email') return S.t.viaEmail;
    if (kind === 'widget' || !kind) return S.t.viaChat;
    return fmt(S.t.viaOther, { c: channelTag(kind) });
  }
  function noteConversation(m, live) {
    if (!m.conversation_id) return;
    var cv = S.convs[m.conversation_id];
    if (!cv) cv = S.convs[m.conversation_id] = { id: m.conversation_id, number: Number(m.conversation_id), channel: m.channel || 'widget',
      subject: (m.text || '').slice(0, 80), status: 'open', open: true, continuable: true, messages: [] };
    if (m.at && (!cv.last_message_at || m.at > cv.last_message_at)) cv.last_message_at = m.at;
    if (m.from === 'visitor') { cv.open = true; cv.status = 'open'; }
    if (live && m.from === 'agent' && S.conv !== m.conversation_id) cv.unread = true;
    if (S.multi && S.view === 'list') renderList();
  }
  function sorted(list) {
    return list.sort(function (a, b) { return (Date.parse(a.at) || 0) - (Date.parse(b.at) || 0) || (a.id || 1e18) - (b.id || 1e18); });
  }
  function redraw() {
    ui.list.textContent = '';
    var ms = [];
    for (var k in S.msgs) ms.push(S.msgs[k]);
    for (var c in S.pending) ms.push(S.pending[c]);
    sorted(ms).forEach(function (m) { if (m.node) m.node.remove(); m.node = null; render(m); });
    ui.list.scrollTop = ui.list.scrollHeight;
  }
  function lastOf(id) {
    var last = null;
    for (var k in S.msgs) if (S.msgs[k].conversation_id === id && (!last || S.msgs[k].id > last.id)) last = S.msgs[k];
    return last;
  }
  function renderList() {
    ui.convs.textContent = '';
    var nc = el('button', 'newc', S.t.newConv); nc.type = 'button'; nc.style.background = S.session.settings.color || '#2f6fed';
    nc.addEventListener('click', function () { openConversation('new'); });
    ui.convs.appendChild(nc);
    var list = [];
    for (var k in S.convs) list.push(S.convs[k]);
    list.sort(function (a, b) { return (a.last_message_at < b.last_message_at) - (a.last_message_at > b.last_message_at) || b.number - a.number; });
    list.forEach(function (cv) {
      var card = el('button', 'card' + (cv.unread ? ' unread' : '')); card.type = 'button';
      card.setAttribute('data-conversation', cv.id);
      var via = el('div', 'via'); via.appendChild(el('span', '', viaText(cv.channel))); via.appendChild(el('span', '', S.t['st_' + cv.status] || cv.status));
      card.appendChild(via);
      var sub = el('div', 'sub', nob(cv.subject) || ('#' + cv.number)); sub.dir = 'auto'; card.appendChild(sub);
      var last = lastOf(cv.id);
      if (last) { var ln = el('div', 'last', last.from === 'visitor' ? S.t.you + ': ' : ''); var lt = el('bdi', '', last.text || ''); ln.appendChild(lt); card.appendChild(ln); }
      card.addEventListener('click', function () { openConversation(cv.id); });
      ui.convs.appendChild(card);
    });
  }
  function showList() {
    S.view = 'list'; S.conv = null;
    ui.convs.classList.remove('hidden');
    [ui.list, ui.typing, ui.closed, ui.comp, ui.chips].forEach(function (n) { n.classList.add('hidden'); });
    ui.back.classList.add('hidden'); ui.head.classList.remove('withback');
    ui.title.textContent = S.t.conversations;
    renderList();
  }
  // openConversation shows one conversation (or 'new'); fetch loads its
  // whole history first.
  function openConversation(id, quiet) {
    S.view = 'thread'; S.conv = id;
    var cv = S.convs[id];
    if (cv) cv.unread = false;
    ui.convs.classList.add('hidden');
    [ui.list, ui.typing, ui.comp].forEach(function (n) { n.classList.remove('hidden'); });
    ui.chips.classList.toggle('hidden', !S.refs.length);
    ui.closed.classList.toggle('hidden', id === 'new' || !cv || cv.continuable);
    ui.back.classList.remove('hidden'); ui.head.classList.add('withback');
    ui.title.textContent = id === 'new' ? S.t.newConv : nob(cv && cv.subject) || ('#' + id);
    hideTyping();
    redraw();
    if (quiet || id === 'new') return;
    api('GET', '/conversations/' + encodeURIComponent(id)).then(function (c) {
      if (c && c.id) { S.convs[c.id] = Object.assign(S.convs[c.id] || {}, c); ui.closed.classList.toggle('hidden', S.conv !== c.id || c.continuable); }
      (c.messages || []).forEach(function (m) { addMessage(m, false); });
      if (S.conv === id) { redraw(); sendRead(); }
    }, function (e) { log('conversation', e); });
  }

  // ---- uploads ----
  function upload(file) {
    var set = S.session.settings;
    if (file.size > set.max_upload_bytes) { showNotice(S.t.tooBig); return; }
    if (set.upload_types && set.upload_types.length && file.type && set.upload_types.indexOf(file.type) < 0) { showNotice(S.t.badType); return; }
    var fd = new FormData(); fd.append('file', file, file.name);
    var chip = { name: file.name, ref: '' };
    S.refs.push(chip); renderChips();
    api('POST', '/upload', null, fd).then(function (r) { chip.ref = r.ref; renderChips(); }, function (err) {
      S.refs = S.refs.filter(function (c) { return c !== chip; }); renderChips();
      var e = (err && err.body && err.body.error) || {};
      showNotice(errText(e, S.t.failed));
    });
  }
  function renderChips() {
    ui.chips.textContent = '';
    S.refs = S.refs.filter(function (c) { return c; });
    for (var i = 0; i < S.refs.length; i++) ui.chips.appendChild(el('span', 'chip', (S.refs[i].ref ? '\ud83d\udcce ' : '\u2026 ') + nob(S.refs[i].name)));
    ui.chips.classList.toggle('hidden', !S.refs.length);
  }

  // ---- proactive messages: once per visitor per rule ----
  function globMatch(pattern, s) {
    var re = new RegExp('^' + pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*') + '$');
    return re.test(s);
  }
  function proactive() {
    var rules = S.session.settings.proactive || [];
    rules.forEach(function (r) {
      var target = /^https?:/.test(r.url_pattern) ? location.href : location.pathname + location.search;
      if (!globMatch(r.url_pattern, target) && !globMatch(r.url_pattern, location.pathname)) return;
      var shown = store('pro') || {};
      if (shown[r.id] || (r.office_hours_only && offHours())) return;
      S.proScheduled = (S.proScheduled || 0) + 1;
      setTimeout(function () {
        shown = store('pro') || {};
        if (shown[r.id] || S.open) return;
        shown[r.id] = Date.now(); store('pro', shown);
        var text = (r.message && (r.message[S.lang] || r.message[''] || r.message.en || r.message.ko)) || '';
        ui.pro.textContent = text;
        ui.pro.classList.remove('hidden');
        setUnread(S.unread + 1);
        live();
      }, (r.delay_seconds || 0) * 1000);
    });
  }
  function watchPage() {
    setInterval(function () {
      if (location.href === S.lastUrl) return;
      S.lastUrl = location.href;
      // One small POST tells agents the page and counts it in the visitor's
      // profile (visits, pages viewed), socket or not; the first page came
      // with the session.
      api('POST', '/view', { page: page() }).catch(function () {});
      S.pageAt = performance.now();
      proactive();
      campaigns();
    }, 2000);
  }

  // ---- campaign messages: from the session, on matching pages ----
  // The server lists the messages waiting for this contact; one shows at a
  // time as a bubble. Shown reports "seen"; the bubble opens the chat
  // ("click"); the x dismisses it ("dismiss"); neither shows it again.
  // While the chat panel is open the bubble is hidden (and not reported
  // seen); closing the panel shows it again. A message with a time on page
  // (min_seconds) waits until the visitor has been on the page that long,
  // timed from the page's load (performance.now(); a single-page site's
  // navigation restarts it), and reports the time with "seen": the server
  // does not count it earlier.
  function onPage() { return (performance.now() - (S.pageAt || 0)) / 1000; }
  function buildCampaign() {
    ui.camp = el('div', 'camp hidden'); ui.camp.setAttribute('role', 'status');
    ui.campText = el('div', 'ct');
    var x = el('button', 'x', '\u00d7'); x.type = 'button'; x.setAttribute('aria-label', S.t.dismiss); x.title = S.t.dismiss;
    x.addEventListener('click', function (ev) { ev.stopPropagation(); campaignDone('dismiss'); });
    ui.camp.addEventListener('click', function () { campaignDone('click'); open(); });
    ui.camp.appendChild(ui.campText); ui.camp.appendChild(x);
  }
  function campaignMatch(pattern) {
    if (!pattern) return true;
    var target = /^https?:/.test(pattern) ? location.href : location.pathname + location.search;
    return globMatch(pattern, target) || globMatch(pattern, location.pathname);
  }
  function campaigns() {
    var list = S.session.campaigns || [];
    S.campDone = S.campDone || {};
    var show = null, wait = -1;
    for (var i = 0; i < list.length && !show; i++) {
      var c = list[i];
      if (S.campDone[c.id] || (c.office_hours_only && offHours()) || !campaignMatch(c.url_pattern)) continue;
      var left = (c.min_seconds || 0) - onPage();
      if (left > 0) { if (wait < 0 || left < wait) wait = left; continue; }
      show = c;
    }
    clearTimeout(S.campTimer);
    if (wait >= 0) S.campTimer = setTimeout(campaigns, Math.ceil(wait * 1000) + 20);
    if (!show) { ui.camp.classList.add('hidden'); S.camp = null; return; }
    if (S.open) { ui.camp.classList.add('hidden'); return; }
    if (S.camp === show) { ui.camp.classList.remove('hidden'); return; }
    S.camp = show;
    ui.campText.textContent = show.text;
    ui.camp.setAttribute('data-id', show.id);
    ui.camp.classList.remove('hidden');
    live();
    api('POST', '/campaign', { id: show.id, action: 'seen', seconds_on_page: Math.floor(onPage()) }).catch(function () {});
  }
  function campaignDone(action) {
    var c = S.camp;
    if (!c) return;
    S.campDone[c.id] = true;
    ui.camp.classList.add('hidden'); S.camp = null;
    api('POST', '/campaign', { id: c.id, action: action }).then(function () { campaigns(); }, function () { campaigns(); });
  }

  // ---- help tab: search, read, "did this answer your question?" ----
  // Articles come from the public help API (GET /api/v1/kb/suggest while
  // typing, GET /api/v1/kb/public/{id} to read: published only, sanitized
  // HTML); titles go in with textContent. "Yes" counts the visit as
  // self-served (POST /helped); "no" opens the chat with the article
  // attached to the visitor's next message.
  function buildTabs() {
    var tabs = el('div', 'tabs'); tabs.setAttribute('role', 'tablist');
    ui.tabChat = el('button', '', S.t.chatTab); ui.tabHelp = el('button', '', S.t.helpTab);
    [ui.tabChat, ui.tabHelp].forEach(function (b, i) {
      b.type = 'button'; b.setAttribute('role', 'tab'); b.setAttribute('data-tab', i ? 'help' : 'chat');
      b.addEventListener('click', function () { showTab(i ? 'help' : 'chat'); });
      tabs.appendChild(b);
    });
    ui.tabs = tabs;
    return tabs;
  }
  function buildHelp() {
    ui.help = el('div', 'helpv hidden'); ui.help.setAttribute('role', 'tabpanel');
    ui.hq = el('input'); ui.hq.type = 'search'; ui.hq.placeholder = S.t.helpSearch; ui.hq.setAttribute('aria-label', S.t.helpSearch);
    ui.hq.maxLength = 200;
    ui.hq.addEventListener('input', function () { clearTimeout(S.helpTimer); S.helpTimer = setTimeout(helpSearch, 200); });
    ui.hres = el('div', 'hres'); ui.hres.appendChild(el('div', 'none', S.t.helpHint));
    ui.art = el('div', 'art hidden');
    ui.help.appendChild(ui.hq); ui.help.appendChild(ui.hres); ui.help.appendChild(ui.art);
    return ui.help;
  }
  function showTab(which, quiet) {
    S.tab = which;
    ui.chat.classList.toggle('hidden', which !== 'chat');
    ui.help.classList.toggle('hidden', which !== 'help');
    ui.tabChat.setAttribute('aria-selected', which === 'chat' ? 'true' : 'false');
    ui.tabHelp.setAttribute('aria-selected', which === 'help' ? 'true' : 'false');
    if (!quiet) try { (which === 'help' ? ui.hq : ui.input).focus(); } catch (e) { log(e); }
  }
  function helpSearch() {
    var q = ui.hq.value.trim(), seq = (S.helpSeq = (S.helpSeq || 0) + 1);
    ui.art.classList.add('hidden'); ui.hres.classList.remove('hidden');
    if (!q) { ui.hres.textContent = ''; ui.hres.appendChild(el('div', 'none', S.t.helpHint)); return; }
    var url = ORIGIN + '/api/v1/kb/suggest?limit=5&locale=' + encodeURIComponent(S.lang) + '&q=' + encodeURIComponent(q.slice(0, 200));
    fetch(url, { credentials: 'omit' }).then(function (r) { return r.ok ? r.json() : { items: [] }; }).then(function (j) {
      if (seq !== S.helpSeq) return; // a newer search is on its way
      ui.hres.textContent = '';
      var items = (j && j.items) || [];
      if (!items.length) { ui.hres.appendChild(el('div', 'none', S.t.helpEmpty)); return; }
      items.forEach(function (it) {
        var b = el('button', '', String(it.title || '')); b.type = 'button'; b.dir = 'auto';
        b.setAttribute('data-article', String(it.id));
        b.addEventListener('click', function () { readArticle(it.id); });
        ui.hres.appendChild(b);
      });
    }).catch(function (e) { log(e); });
  }
  function readArticle(id) {
    fetch(ORIGIN + '/api/v1/kb/public/' + encodeURIComponent(id), { credentials: 'omit' }).then(function (r) {
      if (!r.ok) throw r.status;
      return r.json();
    }).then(function (a) {
      ui.hres.classList.add('hidden');
      ui.art.textContent = ''; ui.art.classList.remove('hidden');
      ui.art.setAttribute('data-article', String(a.id));
      var back = el('button', 'hback', S.t.helpBack); back.type = 'button';
      back.addEventListener('click', function () { ui.art.classList.add('hidden'); ui.hres.classList.remove('hidden'); });
      var h = el('h2', '', String(a.title || '')); h.dir = 'auto';
      var body = el('div', 'body'); body.dir = 'auto';
      copyNodes(new DOMParser().parseFromString(String(a.html || ''), 'text/html').body, body);
      var ask = el('div', 'ask'); ask.appendChild(el('span', '', S.t.helpAsk));
      var row = el('div'), yes = el('button', 'yes', S.t.helpYes), no = el('button', 'no', S.t.helpNo);
      yes.type = no.type = 'button';
      yes.addEventListener('click', function () {
        api('POST', '/helped', { article_id: a.id, lang: S.lang }).catch(function (e) { log(e); });
        ask.textContent = ''; ask.appendChild(el('span', 'glad', S.t.helpGlad));
      });
      no.addEventListener('click', function () { setContext({ id: a.id, title: String(a.title || '') }); showTab('chat'); open(); });
      row.appendChild(yes); row.appendChild(no); ask.appendChild(row);
      ui.art.appendChild(back); ui.art.appendChild(h); ui.art.appendChild(body); ui.art.appendChild(ask);
    }).catch(function (e) { log('article', e); });
  }
  // copyNodes rebuilds an article's HTML (sanitized by the server already)
  // from an inert parsed document, keeping only text and plain formatting
  // tags, and links only to http(s): no HTML string ever reaches a sink.
  var KEEP = { P: 1, STRONG: 1, EM: 1, B: 1, I: 1, UL: 1, OL: 1, LI: 1, H1: 1, H2: 1, H3: 1, H4: 1, CODE: 1, PRE: 1, BR: 1, HR: 1,
    BLOCKQUOTE: 1, A: 1, TABLE: 1, THEAD: 1, TBODY: 1, TR: 1, TH: 1, TD: 1 };
  var DROP = { SCRIPT: 1, STYLE: 1, TEMPLATE: 1, IFRAME: 1, OBJECT: 1, SVG: 1, MATH: 1 };
  function copyNodes(src, dst) {
    for (var n = src.firstChild; n; n = n.nextSibling) {
      if (n.nodeType === 3) { dst.appendChild(document.createTextNode(n.nodeValue)); continue; }
      var tag = n.nodeType === 1 ? n.tagName.toUpperCase() : '';
      if (!tag || DROP[tag]) continue;
      if (!KEEP[tag]) { copyNodes(n, dst); continue; }
      var e = document.createElement(tag.toLowerCase());
      if (tag === 'A') {
        var href = n.getAttribute('href') || '';
        if (/^https?:\/\//i.test(href)) { e.href = href; e.target = '_blank'; e.rel = 'noopener noreferrer'; }
      }
      copyNodes(n, e); dst.appendChild(e);
    }
  }
  // setContext attaches a help article to the next message (null: none).
  function setContext(a) {
    S.context = a;
    ui.ctx.textContent = '';
    ui.ctx.classList.toggle('hidden', !a);
    if (!a) return;
    var t = el('span', '', ''); t.appendChild(document.createTextNode(fmt(S.t.helpAbout, { t: '' }))); t.appendChild(iso(a.title));
    var x = el('button', '', S.t.helpDrop); x.type = 'button';
    x.addEventListener('click', function () { setContext(null); });
    ui.ctx.appendChild(t); ui.ctx.appendChild(x);
  }

  // ---- open / close ----
  function open() {
    if (!ui.panel) { S.wantOpen = true; return; }
    S.open = true; S.interacted = true;
    live();
    ui.panel.classList.remove('hidden'); ui.pro.classList.add('hidden'); ui.camp.classList.add('hidden');
    ui.wrap.classList.add('isopen');
    ui.launcher.setAttribute('aria-label', S.t.close);
    ui.list.scrollTop = ui.list.scrollHeight;
    sendRead();
    try { ui.input.focus(); } catch (e) { log(e); }
  }
  function close() {
    S.open = false;
    if (ui.panel) { ui.panel.classList.add('hidden'); ui.wrap.classList.remove('isopen'); ui.launcher.setAttribute('aria-label', S.t.open); }
    if (ui.camp && S.session) campaigns();
  }

  // ---- queue API ----
  function command(name, arg) {
    switch (name) {
      case 'identify':
        S.identity = arg || {};
        if (S.session && ui.panel) restartIdentified();
        else if (S.blocked) { S.blocked = false; init(); }
        break;
      case 'open': open(); break;
      case 'close': close(); break;
      case 'shutdown':
        if (S.ws) S.ws.close(); if (host) host.remove(); store('vt', null); store('outbox', null);
        break;
    }
  }
  function restartIdentified() {
    startSession().then(function () {
      S.msgs = {}; S.lastId = 0; ui.list.textContent = '';
      loadHistory(S.session);
      for (var k in S.pending) { S.pending[k].node = null; render(S.pending[k]); }
      if (S.ws) { var w = S.ws; S.ws = null; S.wsOpen = false; w.close(); }
      if (S.live) connect(); else if (needLive()) live();
    }, function (e) { log('identify failed', e); });
  }
  var api_ = function () { try { command.apply(null, arguments); } catch (e) { log(e); } };
  api_.loaded = true;
  var queued = (prev && prev.q) || [];
  window.Hanbox = api_;
  for (var i = 0; i < queued.length; i++) api_.apply(null, queued[i]);

  function pickLang(setting) {
    if (setting === 'ko' || setting === 'en') return setting;
    var l = (navigator.languages && navigator.languages[0]) || navigator.language || 'en';
    return /^ko/i.test(l) ? 'ko' : 'en';
  }

  function init() {
    S.started = true;
    S.lastUrl = location.href;
    startSession().then(function (s) {
      S.lang = pickLang(s.settings.locale); S.t = T[S.lang];
      build();
      showTab('chat', true);
      loadHistory(s);
      renderStatus();
      S.outbox = store('outbox') || [];
      S.outbox.forEach(function (f) { delete f.inflight; delete f.wait; if (!S.pending[f.client_id]) queue(f); });
      if (needLive()) live();
      proactive();
      campaigns();
      watchPage();
      document.addEventListener('visibilitychange', function () { if (!document.hidden && S.open) sendRead(); });
      window.addEventListener('online', function () { if (S.live && !S.wsOpen && !S.polling) connect(); });
      if (S.wantOpen) open();
      if (DEBUG) {
        window.__hanboxWidget = {
          root: root, state: S, open: open, close: close,
          send: function (text) { ui.input.value = text; submit(); },
          tab: showTab,
          launcher: function () { return ui.launcher; }
        };
      }
    }, function (e) {
      log('session failed', e);
      // Refused (origin, verification required): wait for identify; else retry.
      if (e && e.status === 403) { S.blocked = true; return; }
      setTimeout(init, 5000 + Math.random() * 5000);
    });
  }

  try {
    if (document.body) init();
    else document.addEventListener('DOMContentLoaded', init);
  } catch (e) { log(e); }
})();
