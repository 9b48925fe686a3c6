// Natter loader: the only script a host page runs before the visitor interacts.
// It reads the site's widget settings (one small request, revalidated by ETag), draws
// the launcher in a shadow root, and loads the Wasm widget only when it is needed: the
// first hover, focus or click, a call from page code, just before one of the site's
// rules could fire, or at idle time for a visitor who chatted in this visit. A
// returning visitor's unread replies show on the launcher from one small request. No
// token, socket or record at the edge before the visitor writes; stored before that:
// the visit's counts and times, for the rules, and (a site showing live visitors) a
// random id for the page view the edge holds open while the tab is visible.
// The launcher's styles, bundled here as text by scripts/build.sh (the console's
// preview adopts the same file).
import css from './launcher.css';

(() => {
  const script = document.currentScript;
  const site = script && script.dataset.site;
  if (!site) return console.error('natter: the script tag needs data-site="YOUR_SITE"');
  const edge = new URL(script.src).origin;
  const siteUrl = (path) => edge + '/v1/sites/' + encodeURIComponent(site) + path;
  // shared::settings::Position, as the class names of widget/launcher.css.
  const positions = /^(round_bottom_right|hidden|tab_(bottom_(right|center|left)|(right|left)_center))$/;
  const colour = (v, d) => (/^#[0-9a-f]{6}$/i.test(v) ? v : d);
  const host = document.createElement('natter-widget');
  const root = host.attachShadow({ mode: 'open' });
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(css);
  root.adoptedStyleSheets = [sheet];
  // A fixed string, no page or visitor data: safe as markup. The label is set as text.
  root.innerHTML = '<button class="launcher"><svg class="icon" viewBox="0 0 24 24" aria-hidden="true"><path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"/></svg><span class="label"></span></button>';
  const launcher = root.firstChild;

  const key = (name) => 'natter.' + site + '.' + name;
  const raw = (name) => { try { return localStorage.getItem(key(name)); } catch (_) {} };
  const read = (name) => { try { return JSON.parse(raw(name)); } catch (_) {} };
  const write = (name, value) => { try { localStorage.setItem(key(name), JSON.stringify(value)); } catch (_) {} };
  // A visit ends after 30 minutes without activity (shared::rules::VISIT_GAP_MS).
  const GAP = 30 * 60 * 1000;
  // The widget loads this long before a rule could fire, so it shows on time.
  const LEAD = 2500;
  const started = (window.performance && performance.timeOrigin) || Date.now();
  // This page in the visit's counts (shared::rules::Visit::page_view): the rules need
  // them on every page, whether the widget loads or not. Counts and times only.
  const pageView = () => {
    const now = Date.now();
    const v = read('visit') || { visits: 0 };
    if (!v.visits || now - v.last_activity >= GAP) Object.assign(v, { visits: v.visits + 1, started: now, pages_viewed: 0 });
    v.pages_viewed += 1;
    v.last_activity = now;
    write('visit', v);
    return v;
  };
  // The unread count on the launcher until the widget takes over. The button's name
  // starts with what it shows (WCAG 2.5.3): "Chat 2: unread messages, open chat".
  let unread = 0, unreadWords = '';
  const badge = (n) => {
    unread = n;
    if (!n) return;
    let b = launcher.querySelector('.badge');
    // (The space, not drawn in the flex box, keeps "Chat 1" two words for the name check.)
    if (!b) launcher.append(' ', (b = Object.assign(document.createElement('span'), { className: 'badge' })));
    b.textContent = n;
    launcher.setAttribute('aria-label', launcher.querySelector('.label').textContent + ' ' + n + unreadWords);
  };

  let settings = '{}';
  // The launcher as page code asked (`show`/`hide`); the settings' place otherwise.
  const place = () => shown == null || launcher.classList.toggle('hidden', !shown);
  // Mirrors shared::settings (lenient) and shared::i18n for what the launcher needs.
  const draw = (text) => {
    let s = {};
    try { s = JSON.parse(text); settings = text; } catch (_) {}
    if (!s || typeof s !== 'object') s = {};
    const browser = (navigator.languages || [navigator.language]).map((t) => String(t).slice(0, 2).toLowerCase());
    const lang = s.language === 'ru' || s.language === 'en' ? s.language
      : browser.find((l) => l === 'ru' || l === 'en') || (s.default_language === 'ru' ? 'ru' : 'en');
    const own = s.texts && s.texts[lang] && s.texts[lang].launcher_label;
    launcher.lastChild.textContent = typeof own === 'string' && own.trim() ? own : lang === 'ru' ? 'Чат' : 'Chat';
    // Named by what it shows first (WCAG 2.5.3), as shared::i18n's `launcher_name`.
    launcher.setAttribute('aria-label', launcher.lastChild.textContent + (lang === 'ru' ? ': открыть чат' : ': open chat'));
    unreadWords = lang === 'ru' ? ': непрочитанные сообщения, открыть чат' : ': unread messages, open chat';
    launcher.classList.add(positions.test(s.position) ? s.position : 'tab_bottom_right');
    place();
    host.style.setProperty('--natter-header', colour(s.header_color, '#2f6fed'));
    host.style.setProperty('--natter-text', colour(s.text_color, '#ffffff'));
    const show = () => (document.body ? Promise.resolve() : new Promise((r) => addEventListener('DOMContentLoaded', r))).then(() => document.body.append(host));
    // A site that hides the widget while no operator is online: show it only when one is.
    if (s.offline_mode !== 'hide') show();
    else fetch(siteUrl('/status')).then((r) => r.json()).then((r) => r.online && show(), () => {});
    const idle = () => (window.requestIdleCallback || setTimeout)(() => mount(false));
    const afterLoad = (f) => (document.readyState === 'complete' ? f() : addEventListener('load', f, { once: true }));
    // Auto-action rules (absent means the defaults) and live visitors count the visit
    // on every page.
    const rules = s.rules === undefined || (Array.isArray(s.rules) && s.rules.some((r) => r && r.enabled !== false));
    const visit = (rules || s.live_visitors !== false) && pageView();
    if (s.live_visitors !== false) live(visit);
    // A visitor who chatted in this visit gets the widget at idle time (replies come
    // live), and so does one whose message has not gone yet (it goes now).
    const session = read('session');
    const chatted = read('chatted');
    const outbox = read('outbox');
    if ((session && Date.now() - chatted < GAP) || (Array.isArray(outbox) && outbox.some((p) => p && !p.rule))) return afterLoad(idle);
    // Otherwise the launcher shows what is unread: rules' messages the widget showed
    // while it was closed, and the operators' replies since the visitor last read.
    const unseen = read('unseen');
    const pending = Array.isArray(unseen) ? unseen.length : 0;
    badge(pending);
    if (session && session.conversation && session.token) {
      fetch(edge + '/v1/conversations/' + encodeURIComponent(session.conversation) + '/unread?token=' + encodeURIComponent(session.token))
        .then((r) => (r.ok ? r.json() : {}))
        .then((r) => !api && badge(pending + (r.unread > 0 ? r.unread : 0)), () => {});
    }
    if (!visit) return;
    // The edge says when each rule could first fire (`wake`): the widget loads just
    // before the first, and not for a rule that waits for a message or fired in this
    // visit (the widget's memory holds `["name",{"visit":start}]` then, as JSON).
    const fired = raw('fired') || '';
    const due = (Array.isArray(s.wake) ? s.wake : [])
      .filter((w) => !(w.visit && fired.includes(JSON.stringify([w.rule, { visit: visit.started }]))))
      .map((w) => Math.max(started + w.page, visit.started + w.site));
    if (due.length) setTimeout(() => afterLoad(idle), Math.max(0, Math.min(...due) - LEAD - Date.now()));
  };
  // The launcher waits for the settings (no flash of the wrong place or colour), but
  // never long: a slow edge gets the defaults after 4 s, as the widget would read them.
  const wait = window.AbortSignal && AbortSignal.timeout ? { signal: AbortSignal.timeout(4000) } : {};
  // A site switched off, or a page its owner did not allow, gets nothing but a warning.
  let refused;
  const drawn = fetch(siteUrl('/widget'), wait)
    .then((r) => (r.ok ? r.text() : r.status == 403 || r.status == 404 ? r.json().then((e) => { refused = e; }) : '{}'))
    .catch(() => '{}')
    .then((text) => (refused ? console.warn('natter: ' + refused.message) : draw(text)));

  // Live visitors (shared::presence): this page view, which the edge holds open while
  // the tab is visible (one request a minute) and answers at once when an operator
  // starts a chat. Then the widget loads and shows their message.
  const live = (visit) => {
    const hex = () => [...crypto.getRandomValues(new Uint8Array(16))].map((b) => (b + 256).toString(16).slice(1)).join('');
    let id = read('presence'), held;
    if (!/^[0-9a-f]{32}$/.test(id)) write('presence', (id = hex()));
    const tab = hex();
    const ask = () => {
      if (document.hidden || held) return;
      held = new AbortController();
      // (The visit as the rules count it: shared::presence::PageView.)
      const body = JSON.stringify({ id, tab, url: location.href, title: document.title, referrer: document.referrer, visit, conversation: (read('session') || {}).conversation });
      fetch(siteUrl('/presence'), { method: 'POST', signal: held.signal, body })
        .then((r) => (r.ok ? r.json() : Promise.reject()))
        .then((a) => {
          held = null;
          if (a.chat) mount(false).then(() => widget.then((m) => m.invited(a.chat)));
          ask();
        }, () => { held = null; setTimeout(ask, 60000); });
    };
    document.addEventListener('visibilitychange', () => (document.hidden ? held && held.abort() : ask()));
    ask();
  };

  let widget;
  // WIDGET_BUILD, put in by scripts/build.sh: the widget's files are under a directory
  // named by their content (cached for good; its optional parts load from beside it).
  const build = edge + '/widget/' + WIDGET_BUILD;
  const load = () => widget || (widget = import(build + '/natter_widget.js').then(async (m) => {
    await m.default({ module_or_path: build + '/natter_widget_bg.wasm' });
    return m;
  }));
  // A click while an idle-time mount is loading still opens the window.
  let mounted, api, shown, opening = false;
  // What the visitor types after asking for the window, before its message box can
  // take it, goes into that box.
  let typed = '';
  const keep = (e) => {
    const at = document.activeElement;
    if ((at == host || at == document.body) && e.key.length == 1 && !e.ctrlKey && !e.metaKey && !e.altKey) {
      typed += e.key;
      e.preventDefault();
    }
  };
  const mount = (open) => {
    if (open && !opening) addEventListener('keydown', keep, true);
    opening = opening || open;
    // After the settings, which a call from page code may have come before.
    return mounted || (mounted = drawn.then(() => refused || load()).then((m) => {
      if (refused) return;
      removeEventListener('keydown', keep, true);
      api = m.mount(root, site, edge, opening, settings, waiting, typed);
      launcher.remove();
    }).catch((e) => { mounted = null; console.error('natter: the widget failed to load', e); }));
  };

  // The JS API (docs/js-api.md): `Natter.open()` or `Natter('open')`. Calls wait, in
  // order, until the widget has loaded; all but on, off, show and hide load it. Calls
  // made before this script ran wait in the snippet's stub, `Natter.q`.
  const early = (window.Natter && window.Natter.q) || [];
  const waiting = [];
  const call = (name, args) => {
    if (api) return api(name, args);
    if (name == 'isOpen') return false;
    if (name == 'unreadCount') return unread;
    if (name == 'show' || name == 'hide') {
      shown = name == 'show';
      place();
    }
    // These wait without loading the widget (and give no promise that would wait too).
    if (/^(on|off|show|hide)$/.test(name)) {
      waiting.push([name, args, () => {}]);
      return name == 'on' ? () => call('off', args) : undefined;
    }
    mount(false);
    return new Promise((done) => waiting.push([name, args, done]));
  };
  const Natter = (window.Natter = (name, ...args) => call(name, args));
  'open close toggle isOpen show hide sendMessage unreadCount setVisitor setAttributes identify reset setLocale configure runAction on off'
    .split(' ').forEach((name) => (Natter[name] = (...args) => call(name, args)));
  [].forEach.call(early, (args) => call(args[0], [].slice.call(args, 1)));

  launcher.addEventListener('pointerenter', load, { once: true });
  launcher.addEventListener('focus', load, { once: true });
  // On the press too: a mount that lands between press and release would otherwise
  // swallow the click (the pressed element is gone by then).
  const open = () => mount(true);
  launcher.addEventListener('pointerdown', open);
  launcher.addEventListener('click', open);
})();
