// Natter loader: the only script a host page runs before the visitor interacts.
// It reads the site's widget settings (one small request, revalidated by ETag), draws
// the launcher in a shadow root, and loads the Wasm widget on the first hover, focus or
// click. Nothing is stored and no socket is opened before that.
// The launcher's styles, bundled here as text by scripts/build.sh (the console's
// preview adopts the same file).
import css from './launcher.css';

(() => {
  const script = document.currentScript;
  const site = script && script.dataset.site;
  if (!site) return console.error('natter: the script tag needs data-site="YOUR_SITE"');
  const edge = new URL(script.src).origin;
  const positions = ['round_bottom_right', 'hidden', 'tab_bottom_right', 'tab_bottom_center', 'tab_bottom_left', 'tab_right_center', 'tab_left_center'];
  const colour = (v, d) => (/^#[0-9a-f]{6}$/i.test(v) ? v : d);
  const host = document.createElement('natter-widget');
  const root = host.attachShadow({ mode: 'open' });
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(css);
  root.adoptedStyleSheets = [sheet];
  // A fixed string, no page or visitor data: safe as markup. The label is set as text.
  root.innerHTML = '<button class="launcher"><svg class="icon" viewBox="0 0 24 24" aria-hidden="true"><path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"/></svg><span class="label"></span></button>';
  const launcher = root.firstChild;

  // The notification sound: a short synthesized tone (no file to download), when an
  // operator writes while the window is closed or the tab hidden; one per burst.
  let lastDing = 0;
  let sound = true;
  // `force`: a rule opened the window "with the sound".
  const ding = (force) => {
    if (!sound) return;
    const closed = !root.querySelector('[role=dialog]:not(.hidden)');
    if (!(force === true || closed || document.hidden) || Date.now() - lastDing < 1500) return;
    lastDing = Date.now();
    try {
      const audio = new AudioContext();
      const tone = audio.createOscillator();
      const gain = audio.createGain();
      tone.frequency.value = 880;
      gain.gain.setValueAtTime(0.15, audio.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.3);
      tone.connect(gain).connect(audio.destination);
      tone.onended = () => audio.close();
      tone.start();
      tone.stop(audio.currentTime + 0.3);
    } catch (_) { /* no audio here: stay silent */ }
  };

  let settings = '{}';
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
    launcher.setAttribute('aria-label', lang === 'ru' ? 'Открыть чат' : 'Open chat');
    launcher.classList.add(positions.includes(s.position) ? s.position : 'tab_bottom_right');
    host.style.setProperty('--natter-header', colour(s.header_color, '#2f6fed'));
    host.style.setProperty('--natter-text', colour(s.text_color, '#ffffff'));
    sound = s.sound !== false;
    const show = () => (document.body ? Promise.resolve() : new Promise((r) => addEventListener('DOMContentLoaded', r))).then(() => document.body.append(host));
    // A site that hides the widget while no operator is online: show it only when one is.
    if (s.offline_mode !== 'hide') show();
    else fetch(edge + '/v1/sites/' + encodeURIComponent(site) + '/status').then((r) => r.json()).then((r) => r.online && show(), () => {});
    // A visitor who has chatted here before gets the widget at idle time, so operator
    // replies that came while they were away show on the launcher's badge.
    let returning = false;
    try { returning = localStorage.getItem('natter.' + site + '.session') !== null; } catch (_) {}
    // Auto-action rules run without any interaction: with enabled rules (absent means
    // the defaults), the widget loads at idle time after the page's load event.
    const rules = s.rules === undefined || (Array.isArray(s.rules) && s.rules.some((r) => r && r.enabled !== false));
    const idle = () => (window.requestIdleCallback || setTimeout)(() => mount(false));
    if (returning) idle();
    else if (rules) document.readyState === 'complete' ? idle() : addEventListener('load', idle, { once: true });
  };
  // The launcher waits for the settings (no flash of the wrong place or colour), but
  // never long: a slow edge gets the defaults after 4 s, as the widget would read them.
  const wait = window.AbortSignal && AbortSignal.timeout ? { signal: AbortSignal.timeout(4000) } : {};
  fetch(edge + '/v1/sites/' + encodeURIComponent(site) + '/widget', wait)
    .then((r) => (r.ok ? r.text() : '{}'))
    .catch(() => '{}')
    .then(draw);

  let widget;
  const load = () => widget || (widget = import(edge + '/widget/natter_widget.js').then(async (m) => {
    await m.default({ module_or_path: edge + '/widget/natter_widget_bg.wasm' });
    return m;
  }));
  // A click while an idle-time mount is loading still opens the window.
  let mounted, opening = false;
  const mount = (open) => {
    opening = opening || open;
    return mounted || (mounted = load().then((m) => {
      m.mount(root, site, edge, opening, settings, ding);
      launcher.remove();
    }).catch((e) => { mounted = null; console.error('natter: the widget failed to load', e); }));
  };

  launcher.addEventListener('pointerenter', load, { once: true });
  launcher.addEventListener('focus', load, { once: true });
  launcher.addEventListener('click', () => mount(true));
})();
