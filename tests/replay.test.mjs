// Replay is bounded (issue 14, item 6): `hello` and `resume` answer at most a page (the
// newest 50 for `hello`), clients page back with `earlier`, and a socket asking for
// more than its share is refused for a while, so one greedy socket cannot slow down
// other conversations. The widget and the console page back on scroll or by button.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

import { artifacts, eventually, logTexts, openWidget, signIn, startStack } from './support/browser.mjs';
import { newVisitor, nextFrame, operatorSocket, openSocket, visitorSocket, wsBase } from './support/sockets.mjs';
import { axeViolations } from './support/axe.mjs';

let stack;
before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack?.stop();
});

/** Sends `n` messages on `ws` without waiting, then waits for the last ack. */
async function fill(ws, n, prefix) {
  for (let i = 1; i <= n; i += 1) ws.send(JSON.stringify({ type: 'send', client_id: `${prefix}-${i}`, text: `${prefix} ${i}` }));
  await nextFrame(ws, (f) => f.type === 'ack' && f.client_id === `${prefix}-${n}`, 120_000);
}

/** A socket that counts what it receives. */
async function countingSocket(url) {
  const ws = await openSocket(url);
  ws.bytes = 0;
  ws.on('message', (data) => { ws.bytes += data.length; });
  return ws;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function roundTrips(ws, n, prefix) {
  const times = [];
  for (let i = 0; i < n; i += 1) {
    const started = performance.now();
    ws.send(JSON.stringify({ type: 'send', client_id: `${prefix}-${i}`, text: `ping ${i}` }));
    await nextFrame(ws, (f) => f.type === 'ack' && f.client_id === `${prefix}-${i}`, 30_000);
    times.push(performance.now() - started);
  }
  return times;
}

test('on 5,000 messages: hello answers the newest 50, earlier pages back, and 20 resume {after: 0} neither flood the socket nor slow another conversation', async () => {
  const { relay, admin } = stack;
  const big = await newVisitor(relay.url);
  const writer = await visitorSocket(relay.url, big);
  const filling = performance.now();
  await fill(writer, 5_000, 'big');
  console.log(`5,000 messages stored in ${Math.round(performance.now() - filling)} ms`);
  writer.close();

  const url = `${wsBase(relay.url)}/v1/console/sites/demo/conversations/${big.conversation}/ws?v=1&token=${encodeURIComponent(admin.token)}`;
  const reader = await countingSocket(url);
  reader.send(JSON.stringify({ type: 'hello', protocol: 1, after: 0 }));
  const welcome = await nextFrame(reader, (f) => f.type === 'welcome');
  assert.equal(welcome.last_seq, 5_000);
  assert.equal(welcome.from, 4_950);
  await nextFrame(reader, (f) => f.type === 'message' && f.seq === 5_000);
  const caughtUp = reader.frames.filter((f) => f.type === 'message').map((f) => f.seq);
  assert.deepEqual(caughtUp, Array.from({ length: 50 }, (_, i) => 4_951 + i), 'the newest page, in order');

  reader.send(JSON.stringify({ type: 'earlier', before: 4_951 }));
  const page = await nextFrame(reader, (f) => f.type === 'earlier');
  assert.equal(page.before, 4_951);
  assert.deepEqual(page.messages.map((m) => m.seq), Array.from({ length: 50 }, (_, i) => 4_901 + i));
  reader.send(JSON.stringify({ type: 'earlier', before: 30 }));
  const first = await nextFrame(reader, (f) => f.type === 'earlier' && f.before === 30);
  assert.deepEqual(first.messages.map((m) => m.seq), Array.from({ length: 29 }, (_, i) => 1 + i), 'the first page ends at seq 1');

  // Another conversation's round trip, quiet and while a greedy socket asks for replays.
  const other = await newVisitor(relay.url);
  const ping = await visitorSocket(relay.url, other);
  const quiet = await roundTrips(ping, 20, 'quiet');
  const greedy = await countingSocket(url);
  greedy.send(JSON.stringify({ type: 'hello', protocol: 1, after: 0 }));
  await nextFrame(greedy, (f) => f.type === 'message' && f.seq === 5_000);
  const before = greedy.bytes;
  const busy = roundTrips(ping, 20, 'busy');
  for (let i = 0; i < 20; i += 1) greedy.send(JSON.stringify({ type: 'resume', after: 0 }));
  const during = await busy;
  // Each resume is answered by a page of 50 or refused by one error frame.
  const answered = () => {
    const pages = (greedy.frames.filter((f) => f.type === 'message').length - 50) / 50;
    return greedy.frames.filter((f) => f.type === 'error').length + pages;
  };
  await eventually(() => answered() === 20, 'every resume answered or refused', 10_000);
  const refused = greedy.frames.filter((f) => f.type === 'error');
  const replayed = greedy.frames.filter((f) => f.type === 'message').length - 50;
  const bytes = greedy.bytes - before;
  console.log(`20 resume {after: 0}: ${replayed} messages (${bytes} bytes) replayed, ${refused.length} refused; round trip p50 ${median(quiet).toFixed(1)} ms quiet, ${median(during).toFixed(1)} ms during`);
  // hello took one of the ten at once: nine pages answered, eleven refused with when to retry.
  assert.equal(replayed, 9 * 50);
  assert.equal(refused.length, 11);
  assert.ok(refused.every((f) => f.code === 'rate_limited' && f.retry_after >= 1), JSON.stringify(refused[0]));
  assert.ok(bytes < 200_000, `${bytes} bytes (unbounded, 21 MB)`);
  assert.ok(median(during) < Math.max(50, 5 * median(quiet)), `p50 ${median(during)} ms during vs ${median(quiet)} ms quiet`);
  for (const ws of [reader, greedy, ping]) ws.close();
});

test('the widget shows the newest page and pages back by button and by scrolling; the console pages back too', async () => {
  const { relay, host, browser } = stack;
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${host.url}/host.html`);
  await openWidget(page);
  await page.getByRole('textbox', { name: 'Message' }).fill('hello there');
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  await eventually(async () => (await page.getByRole('log').locator('.delivery').allTextContents()).includes('Sent'), 'sent');
  const session = await page.evaluate(() => JSON.parse(localStorage.getItem('natter.demo.session')));
  const writer = await visitorSocket(relay.url, session);
  await fill(writer, 119, 'w');
  writer.close();
  const expected = ['hello there', ...Array.from({ length: 119 }, (_, i) => `w ${i + 1}`)];

  await page.reload();
  await openWidget(page);
  let shown = [];
  await eventually(async () => (shown = await logTexts(page)).length === 50,
    () => `the newest 50 (${shown.length} shown: ${JSON.stringify([...shown.slice(0, 2), '…', ...shown.slice(-2)])})`);
  assert.deepEqual(await logTexts(page), expected.slice(70));
  const earlier = page.getByRole('button', { name: 'Show earlier messages' });
  await earlier.click();
  await eventually(async () => (await logTexts(page)).length === 100, 'a page more');
  assert.deepEqual(await logTexts(page), expected.slice(20));
  // The list scrolls inside the live region (as in the console).
  const list = page.getByRole('log').locator('ol');
  assert.ok(await list.evaluate((log) => log.scrollTop > 0), 'what was read stays in view, not thrown to the top');
  await page.screenshot({ path: path.join(artifacts, 'replay-widget.png') });
  await list.evaluate((log) => { log.scrollTop = 0; });
  await eventually(async () => (await logTexts(page)).length === 120, 'scrolling to the top');
  assert.deepEqual(await logTexts(page), expected, 'every message once, in order');
  assert.equal(await earlier.count(), 0, 'nothing earlier');

  const admin = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  await signIn(admin, relay.url);
  await admin.getByRole('navigation', { name: 'Inbox' }).getByRole('button').filter({ hasText: 'w 119' }).click();
  const messages = admin.getByRole('log', { name: 'Messages' }).locator('.text');
  await eventually(async () => (await messages.count()) === 50, 'the console shows the newest 50');
  await admin.getByRole('button', { name: 'Show earlier messages' }).click();
  await eventually(async () => (await messages.count()) === 100, 'a page more in the console');
  await admin.screenshot({ path: path.join(artifacts, 'replay-console.png') });
  assert.deepEqual(await axeViolations(admin), []);
  await admin.getByRole('log', { name: 'Messages' }).locator('ol').evaluate((log) => { log.scrollTop = 0; });
  await eventually(async () => (await messages.count()) === 120, 'the console scrolled to the top');
  assert.deepEqual(await messages.allTextContents(), expected);
  await page.context().close();
  await admin.context().close();
});
