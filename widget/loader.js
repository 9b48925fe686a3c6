// Natter loader: the only script a host page runs before the visitor interacts.
// It draws the launcher inside a shadow root at once and loads the Wasm widget on the
// first hover, focus or click. Nothing is stored and no socket is opened before that.
(() => {
  const script = document.currentScript;
  const site = script && script.dataset.site;
  if (!site) return console.error('natter: the script tag needs data-site="YOUR_SITE"');
  const edge = new URL(script.src).origin;
  const css = `
:host{all:initial!important;display:block!important;position:static!important}
.launcher{all:initial;position:fixed;right:20px;bottom:20px;z-index:2147483647;display:flex;align-items:center;gap:8px;height:48px;padding:0 18px;border-radius:24px;background:#2f6fed;color:#fff;font:600 15px/20px system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;box-shadow:0 6px 20px rgba(20,24,40,.25);cursor:pointer;transition:transform .15s}
.launcher:hover,.launcher:focus-visible{transform:translateY(-2px)}
.launcher:focus-visible{outline:3px solid #9bbcff;outline-offset:2px}
.launcher .icon{width:22px;height:22px;fill:none;stroke:currentColor;stroke-width:2px;stroke-linejoin:round}
.badge{position:absolute;top:-6px;right:-6px;min-width:20px;height:20px;padding:0 6px;border-radius:10px;background:#e5374a;color:#fff;font:700 12px/20px system-ui,sans-serif;text-align:center}`;
  const host = document.createElement('natter-widget');
  const root = host.attachShadow({ mode: 'open' });
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(css);
  root.adoptedStyleSheets = [sheet];
  // A fixed string, no page or visitor data: safe as markup.
  root.innerHTML = '<button class="launcher" aria-label="Open chat"><svg class="icon" viewBox="0 0 24 24" aria-hidden="true"><path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"/></svg><span>Chat</span></button>';
  const launcher = root.firstChild;

  let widget;
  const load = () => widget || (widget = import(edge + '/widget/natter_widget.js').then(async (m) => {
    await m.default({ module_or_path: edge + '/widget/natter_widget_bg.wasm' });
    return m;
  }));
  let mounted;
  const mount = (open) => mounted || (mounted = load().then((m) => {
    m.mount(root, site, edge, open);
    launcher.remove();
  }).catch((e) => { mounted = null; console.error('natter: the widget failed to load', e); }));

  launcher.addEventListener('pointerenter', load, { once: true });
  launcher.addEventListener('focus', load, { once: true });
  launcher.addEventListener('click', () => mount(true));
  // A visitor who has chatted here before gets the widget at idle time, so operator
  // replies that came while they were away show on the launcher's badge.
  let returning = false;
  try { returning = localStorage.getItem('natter.' + site + '.session') !== null; } catch (_) {}
  if (returning) (window.requestIdleCallback || setTimeout)(() => mount(false));

  (document.body ? Promise.resolve() : new Promise((r) => addEventListener('DOMContentLoaded', r))).then(() => document.body.append(host));
})();
