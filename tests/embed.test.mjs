// How the widget sits on a host page: it costs nothing before the visitor interacts,
// and hostile page CSS under a strict CSP can neither break it nor be broken by it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

import { artifacts, eventually, openWidget, startStack, visitorSends } from './support/browser.mjs';
import { nextFrame, openSocket, signInOperator, wsBase } from './support/sockets.mjs';

let stack, relay, host, browser;

/** The strict policy from the foundation issue, for the edge at `relay.url`. */
function strictCsp(relay) {
  return [
    "default-src 'self'",
    `script-src 'self' ${relay.url} 'wasm-unsafe-eval'`,
    `connect-src ${relay.url} ws://${new URL(relay.url).host}`,
    "style-src 'self'",
    `img-src 'self' ${relay.url} data:`,
  ].join('; ');
}

before(async () => {
  stack = await startStack((relay) => ({ 'hostile.html': { 'Content-Security-Policy': strictCsp(relay) } }));
  ({ relay, host, browser } = stack);
});

after(async () => {
  await stack?.stop();
});

test('before any interaction the page fetches only the loader and its settings: no Wasm, no socket, no storage', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const requests = [];
  const sockets = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('websocket', (ws) => sockets.push(ws.url()));
  await page.goto(`${host.url}/host.html`, { waitUntil: 'load' });
  await page.getByRole('button', { name: 'Open chat' }).waitFor();
  await page.waitForTimeout(1500);

  await page.screenshot({ path: path.join(artifacts, 'launcher.png') });
  const fetched = requests.filter((u) => !u.endsWith('/favicon.ico'));
  assert.deepEqual(fetched, [`${host.url}/host.html`, `${relay.url}/natter.js`, `${relay.url}/v1/sites/demo/widget`]);
  assert.deepEqual(sockets, []);
  const stored = await page.evaluate(() => [localStorage.length, sessionStorage.length, document.cookie]);
  assert.deepEqual(stored, [0, 0, '']);

  // A hover starts loading the widget, still without a socket or storage…
  await page.getByRole('button', { name: 'Open chat' }).hover();
  await eventually(() => requests.some((u) => u.endsWith('.wasm')), 'the Wasm fetched on hover');
  await page.waitForTimeout(500);
  assert.deepEqual(sockets, []);
  // …a click opens the chat, still without a socket or a visitor token (nothing to
  // talk in yet)…
  await openWidget(page);
  await page.waitForTimeout(1000);
  assert.deepEqual(sockets, []);
  assert.ok(!requests.some((u) => u.endsWith('/visitors')), 'no visitor token yet');

  // Opening the window created nothing in the operators' inbox: only a message does.
  const operator = await signInOperator(relay.url);
  const inboxUrl = `${wsBase(relay.url)}/v1/console/sites/demo/inbox/ws?v=1&token=${encodeURIComponent(operator.token)}`;
  const inbox = await openSocket(inboxUrl);
  assert.deepEqual((await nextFrame(inbox, (f) => f.type === 'inbox')).conversations, []);
  // …and the first message makes them: a token, the socket and the conversation.
  await visitorSends(page, 'now I exist');
  const created = await nextFrame(inbox, (f) => f.type === 'conversation');
  assert.equal(created.last_text, 'now I exist');
  assert.equal(sockets.length, 1);
  inbox.close();
  await context.close();
});

test('hostile page CSS under a strict CSP neither breaks the widget nor is broken by it', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(`${host.url}/hostile.html`);

  // The page's CSS is in force on the page itself…
  assert.equal(await page.locator('div').first().isHidden(), true);
  assert.equal(await page.evaluate(() => getComputedStyle(document.querySelector('p')).fontSize), '40px');

  // …but not inside the widget: the launcher keeps its size and place.
  const launcher = page.getByRole('button', { name: 'Open chat' });
  const box = await launcher.boundingBox();
  assert.ok(box, 'the launcher is visible');
  assert.equal(Math.round(box.height), 48);
  assert.ok(1280 - (box.x + box.width) <= 32 && 800 - (box.y + box.height) <= 32, `bottom-right: ${JSON.stringify(box)}`);
  assert.equal(await launcher.evaluate((el) => getComputedStyle(el).fontSize), '15px');

  await openWidget(page);
  const dialog = page.getByRole('dialog', { name: 'Chat' });
  await page.waitForTimeout(300); // the opening animation
  const win = await dialog.boundingBox();
  assert.ok(win.x >= 0 && win.y >= 0 && win.x + win.width <= 1280 && win.y + win.height <= 800, `inside: ${JSON.stringify(win)}`);
  assert.equal(Math.round(win.width), 360);
  const input = page.getByRole('textbox', { name: 'Message' });
  assert.equal(await input.evaluate((el) => getComputedStyle(el).fontSize), '14px');

  await visitorSends(page, 'hello from a hostile page');
  await eventually(
    async () => (await page.getByRole('log').locator('.delivery').allTextContents()).includes('Sent'),
    'the message acked under the strict CSP',
  );
  await page.screenshot({ path: path.join(artifacts, 'hostile-page.png') });
  assert.deepEqual(problems.filter((p) => /Content Security Policy|natter/i.test(p)), []);
  await page.close();
});

test('on a phone the window takes the whole screen and can be closed', async () => {
  const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
  await page.goto(`${host.url}/host.html`);
  await openWidget(page);
  const dialog = page.getByRole('dialog', { name: 'Chat' });
  // The opening animation rises from 12 px below; wait until it settles.
  const full = async () => JSON.stringify(Object.values(await dialog.boundingBox()).map(Math.round));
  await eventually(async () => (await full()) === '[0,0,390,844]', 'a full-screen window');
  await page.screenshot({ path: path.join(artifacts, 'phone.png') });
  await page.getByRole('button', { name: 'Close chat' }).click();
  await page.getByRole('button', { name: 'Open chat' }).waitFor();
  await page.close();
});

test('a stalled settings request still gets a launcher, with the defaults, after 4 s', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  // Hold the settings request (never answered) to play a stalled edge.
  await page.route('**/v1/sites/demo/widget', () => {});
  const started = Date.now();
  await page.goto(`${host.url}/host.html`);
  const launcher = page.getByRole('button', { name: 'Open chat' });
  await launcher.waitFor({ timeout: 8_000 });
  const waited = Date.now() - started;
  assert.ok(waited >= 3_500, `waited for the settings first (${waited} ms)`);
  const box = await launcher.boundingBox();
  assert.ok(1280 - (box.x + box.width) <= 32 && 800 - (box.y + box.height) <= 32, 'the default place');
  await page.close();
});
