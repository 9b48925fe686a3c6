// Natter's widget beside a peer's, measured the same way: a host page with the
// widget's snippet in Chromium; every file it downloads counted by its body,
// brotli-compressed here (as a CDN would send it, whatever the local server does),
// before any interaction and once the window is open.
//
// The peer is Rocket.Chat's open-source Livechat widget (npm `@rocket.chat/livechat`,
// pinned in package.json): its loader draws a launcher and an iframe holding the
// widget app, served here from its own build directory. It has no Rocket.Chat server
// behind it, so it asks for its configuration in vain; that only leaves out what the
// configuration would add.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';

const brotli = (b) => zlib.brotliCompressSync(b, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
const rocketBuild = path.resolve(import.meta.dirname, '../../node_modules/@rocket.chat/livechat/build');

const config = {
  success: true,
  config: {
    enabled: true, online: true, settings: { registrationForm: false, nameFieldRegistrationForm: false, emailFieldRegistrationForm: false, displayOfflineForm: true },
    theme: { title: 'Chat with us', color: '#2f6fed' }, messages: {}, departments: [], resources: {}, triggers: [],
  },
};

const types = { '.js': 'text/javascript', '.html': 'text/html; charset=utf-8', '.png': 'image/png', '.svg': 'image/svg+xml', '.css': 'text/css' };

/** Rocket.Chat's server as far as the widget's files go: the app at `/livechat`, its files under it. */
async function startRocketHost() {
  const server = http.createServer((req, res) => {
    const pathname = new URL(req.url, 'http://x').pathname;
    const page = `<!doctype html><html lang="en"><head><title>My shop</title></head><body><main><h1>My shop</h1></main>
<script>(function(w, d, s, u) {
  w.RocketChat = function(c) { w.RocketChat._.push(c) }; w.RocketChat._ = []; w.RocketChat.url = u;
  var h = d.getElementsByTagName(s)[0], j = d.createElement(s); j.async = true; j.src = '/livechat/rocketchat-livechat.min.js';
  h.parentNode.insertBefore(j, h);
})(window, document, 'script', '/livechat?serverUrl=' + encodeURIComponent(location.origin));</script></body></html>`;
    if (pathname === '/') return res.writeHead(200, { 'Content-Type': types['.html'] }).end(page);
    // The part of Rocket.Chat's API the widget asks before it shows itself: one
    // department, online, no triggers.
    if (pathname === '/api/v1/livechat/config') return res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(config));
    const name = pathname === '/livechat' ? 'index.html' : pathname.replace(/^\/livechat\//, '');
    if (!/^[\w.~-]+$/.test(name)) return res.writeHead(404).end();
    try {
      const body = readFileSync(path.join(rocketBuild, name));
      res.writeHead(200, { 'Content-Type': types[path.extname(name)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"success":false}');
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }) };
}

/**
 * What a page with a widget downloads: `{ before, open }`, each `{ requests, bytes,
 * sockets }`
 * (brotli of every successful response body but the page's own), 3 s after load and
 * 3 s after `open(page)`.
 */
async function downloads(browser, url, open) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const seen = [];
  let sockets = 0;
  page.on('websocket', () => { sockets += 1; });
  page.on('response', async (response) => {
    if (response.url() === url || response.status() >= 300) return;
    const body = await response.body().catch(() => null);
    if (body) seen.push(brotli(body));
  });
  const tally = () => ({ requests: seen.length, bytes: seen.reduce((n, b) => n + b, 0), sockets });
  await page.goto(url);
  await page.waitForTimeout(3_000);
  const before = tally();
  await open(page);
  await page.waitForTimeout(3_000);
  const opened = tally();
  await context.close();
  return { before, open: opened };
}

/** The side-by-side rows: Natter (its demo site at `natterUrl`) and Rocket.Chat. */
export async function comparePeers(browser, natterUrl) {
  const natter = await downloads(browser, natterUrl, async (page) => {
    await page.getByRole('button', { name: 'Open chat' }).click();
    await page.getByRole('textbox', { name: 'Message' }).waitFor();
  });
  const rocket = await startRocketHost();
  try {
    const peer = await downloads(browser, `${rocket.url}/`, async (page) => {
      // Its launcher is drawn inside the widget's iframe, which is no bigger than it.
      await page.locator('#rocketchat-iframe').click();
    });
    return { natter, rocket: peer };
  } finally {
    await rocket.close();
  }
}
