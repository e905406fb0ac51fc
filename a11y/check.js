// Hanbox's accessibility check, run in the page by the Chromium tests
// (package a11y). It is a small subset of what axe-core checks, written
// here: images without alt, form controls without an accessible label,
// buttons and links without a name, duplicate ids, and text whose
// contrast with its background is below WCAG AA (4.5:1; 3:1 for large
// text). It returns a list of {rule, node, detail}. root is a document or
// a shadow root; hidden elements are skipped.
(function (root) {
  root = root || document;
  var out = [];
  var doc = root.ownerDocument || root;
  function desc(e) {
    var s = e.tagName.toLowerCase();
    if (e.id) s += '#' + e.id;
    if (e.className && typeof e.className === 'string') s += '.' + e.className.trim().split(/\s+/).slice(0, 3).join('.');
    var t = (e.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 40);
    return t ? s + ' "' + t + '"' : s;
  }
  function report(rule, e, detail) { out.push({ rule: rule, node: desc(e), detail: detail || '' }); }
  function shown(e) {
    if (e.closest('[hidden],[aria-hidden="true"],template,noscript')) return false;
    for (var n = e; n && n.nodeType === 1; n = n.parentElement || (n.getRootNode && n.getRootNode().host)) {
      var cs = getComputedStyle(n);
      if (cs.display === 'none' || cs.visibility === 'hidden') return false;
    }
    return e.getClientRects().length > 0 || e.tagName === 'INPUT' && e.type === 'file';
  }
  function byId(id) { return root.getElementById ? root.getElementById(id) : root.querySelector('#' + CSS.escape(id)); }
  function labelledBy(e) {
    var ids = (e.getAttribute('aria-labelledby') || '').split(/\s+/).filter(Boolean);
    return ids.map(function (id) { var n = byId(id); return n ? n.textContent : ''; }).join(' ').trim();
  }
  // name is a simplified accessible name: aria-labelledby, aria-label,
  // the element's labels, its text (with images' alt), title.
  function name(e) {
    var n = labelledBy(e) || (e.getAttribute('aria-label') || '').trim();
    if (n) return n;
    if (e.labels && e.labels.length) {
      n = Array.prototype.map.call(e.labels, function (l) { return l.textContent; }).join(' ').trim();
      if (n) return n;
    }
    if (!/^(INPUT|SELECT|TEXTAREA)$/.test(e.tagName)) {
      n = (e.textContent || '').trim();
      if (!n) {
        var imgs = e.querySelectorAll('img[alt]');
        for (var i = 0; i < imgs.length && !n; i++) n = imgs[i].alt.trim();
      }
      if (n) return n;
    }
    if (e.tagName === 'INPUT' && /^(submit|reset|button)$/.test(e.type)) return (e.value || '').trim();
    return (e.getAttribute('title') || '').trim();
  }

  root.querySelectorAll('img').forEach(function (e) {
    if (e.getAttribute('role') === 'presentation' || !shown(e)) return;
    if (!e.hasAttribute('alt')) report('image-alt', e, e.getAttribute('src') || '');
  });
  root.querySelectorAll('input, select, textarea').forEach(function (e) {
    if (/^(hidden|submit|reset|button|image)$/.test(e.type) || !shown(e)) return;
    if (!name(e)) report('label', e);
  });
  root.querySelectorAll('button, [role="button"], a[href], [role="tab"], summary').forEach(function (e) {
    if (!shown(e)) return;
    if (!name(e)) report(e.tagName === 'A' ? 'link-name' : 'button-name', e);
  });
  var seen = {};
  root.querySelectorAll('[id]').forEach(function (e) {
    var id = e.id;
    if (!id) return;
    if (seen[id]) report('duplicate-id', e, id);
    seen[id] = true;
  });

  // ---- contrast ----
  function rgba(s) {
    var m = (s || '').match(/[\d.]+/g);
    if (!m || m.length < 3) return null;
    return [Number(m[0]), Number(m[1]), Number(m[2]), m.length > 3 ? Number(m[3]) : 1];
  }
  function over(top, under) {
    var a = top[3];
    return [top[0] * a + under[0] * (1 - a), top[1] * a + under[1] * (1 - a), top[2] * a + under[2] * (1 - a), 1];
  }
  function parentOf(n) { return n.parentElement || (n.getRootNode && n.getRootNode().host) || null; }
  // background is the colour behind e (null: an image or gradient is
  // there, so the contrast cannot be known and is not checked).
  function background(e) {
    var layers = [];
    for (var n = e; n; n = parentOf(n)) {
      var cs = getComputedStyle(n);
      if (cs.backgroundImage && cs.backgroundImage !== 'none') return null;
      var c = rgba(cs.backgroundColor);
      if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    var base = [255, 255, 255, 1];
    var dark = getComputedStyle(doc.documentElement).colorScheme === 'dark';
    if (!layers.length || layers[layers.length - 1][3] < 1) base = dark ? [18, 18, 18, 1] : base;
    for (var i = layers.length - 1; i >= 0; i--) base = over(layers[i], base);
    return base;
  }
  function lum(c) {
    function f(v) { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  }
  var walker = doc.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  var done = new Set();
  for (var t = walker.nextNode(); t; t = walker.nextNode()) {
    if (!t.nodeValue.trim()) continue;
    var e = t.parentElement;
    if (!e || done.has(e)) continue;
    done.add(e);
    if (/^(SCRIPT|STYLE|OPTION|TITLE)$/.test(e.tagName) || !shown(e)) continue;
    if (e.closest('[disabled], [aria-disabled="true"]')) continue; // WCAG exempts inactive controls
    var cs = getComputedStyle(e);
    var fg = rgba(cs.color), bg = background(e);
    if (!fg || !bg) continue;
    var op = 1;
    for (var p = e; p; p = parentOf(p)) op *= Number(getComputedStyle(p).opacity);
    fg = over([fg[0], fg[1], fg[2], fg[3] * op], bg);
    var l1 = lum(fg), l2 = lum(bg);
    var ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    var size = parseFloat(cs.fontSize), bold = Number(cs.fontWeight) >= 700;
    var need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    if (ratio < need - 0.005) report('color-contrast', e, ratio.toFixed(2) + ' < ' + need + ' (' + cs.color + ' on rgb(' + bg.slice(0, 3).map(Math.round).join(', ') + '))');
  }
  return out;
})
