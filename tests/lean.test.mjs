// Nothing before it is needed (issue 15, part 1): on a site with the default rules, a
// first-time visitor who does not touch the widget downloads no Wasm, gets no token,
// opens no socket and has nothing stored but the visit's counts until just before the
// greeting; the greeting itself makes no token or socket; the first message does. A
// returning visitor's unread reply shows on the launcher from one small request,
// without the widget; a visitor who chatted in this visit gets it at once (live).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

import { artifacts, eventually, logTexts, openWidget, startStack, visitorSends } from './support/browser.mjs';
import { history, nextFrame, operatorSocket, saveSettings } from './support/sockets.mjs';
import { axeViolations } from './support/axe.mjs';

let stack;
before(async () => {
  stack = await startStack();
  // As a new site gets them: no `rules` means the three default rules.
  await saveSettings(stack.relay.url, stack.admin, { rules: undefined });
});
after(async () => {
  await stack?.stop();
});

/** A page that records what it asks of the edge, from its navigation on. */
async function watchedPage(context) {
  const page = await context.newPage();
  const seen = { requests: [], sockets: [] };
  page.on('request', (r) => seen.requests.push({ url: r.url(), method: r.method(), at: Date.now() }));
  page.on('websocket', (ws) => seen.sockets.push({ url: ws.url(), at: Date.now() }));
  return { page, seen };
}

const wasm = (seen) => seen.requests.filter((r) => r.url.endsWith('.wasm'));
// The widget's main module (its optional parts are other .wasm files beside it).
const core = (seen) => wasm(seen).filter((r) => r.url.endsWith('/natter_widget_bg.wasm'));
const tokens = (seen) => seen.requests.filter((r) => r.method === 'POST' && /\/v1\/sites\/demo\/(visitors|identify)$/.test(r.url));
const storedKeys = (page) => page.evaluate(() => Object.keys(localStorage).sort());

test('a first-time visitor gets nothing but visit counts until the greeting is due; the greeting makes no token; the first message does', async () => {
  const { relay, host, browser, admin } = stack;
  const { page, seen } = await watchedPage(await browser.newContext());
  const opened = Date.now();
  await page.goto(`${host.url}/host.html`);
  await page.waitForTimeout(8_000 - (Date.now() - opened));
  assert.deepEqual(wasm(seen).map((r) => r.url), [], 'no Wasm in the first 8 s');
  assert.deepEqual(tokens(seen), [], 'no visitor token');
  assert.deepEqual(seen.sockets, [], 'no socket');
  assert.deepEqual(await storedKeys(page), ['natter.demo.visit'], 'only the visit counts');
  const visit = await page.evaluate(() => JSON.parse(localStorage.getItem('natter.demo.visit')));
  assert.deepEqual(Object.keys(visit).sort(), ['last_activity', 'pages_viewed', 'started', 'visits']);
  assert.equal(visit.visits, 1);

  // The greeting ("more than 10 s on the page") shows as an unread badge on time.
  const badge = page.locator('.badge');
  await eventually(async () => (await badge.count()) === 1 && (await badge.textContent()) === '1', 'the greeting as a badge');
  const greetedAfter = Date.now() - opened;
  console.log(`Wasm asked at ${wasm(seen)[0].at - opened} ms, greeting shown by ${greetedAfter} ms`);
  assert.ok(wasm(seen)[0].at - opened >= 8_000, 'the widget loaded just before the greeting, not earlier');
  assert.ok(greetedAfter >= 10_000 && greetedAfter < 14_000, `greeting at ${greetedAfter} ms`);
  assert.deepEqual(tokens(seen), [], 'the greeting made no token');
  assert.deepEqual(seen.sockets, [], 'nor a socket');
  await page.getByRole('button', { name: 'Open chat' }).click();
  await page.getByRole('textbox', { name: 'Message' }).waitFor();
  assert.deepEqual(await logTexts(page), ['Hello! How can I help you?']);
  assert.equal(await page.evaluate(() => localStorage.getItem('natter.demo.session')), null);
  assert.equal(await page.locator('.status').textContent(), 'We reply in a few minutes', 'nothing to be connecting to yet');
  await page.waitForTimeout(200); // the window's 160 ms rise, for a still picture
  await page.screenshot({ path: path.join(artifacts, 'lean-greeting-before-first-message.png') });

  // The first message: a token, a socket and the conversation, the greeting stored first.
  await visitorSends(page, 'Do you ship to Riga?');
  await eventually(async () => (await page.getByRole('log').locator('.delivery').allTextContents()).includes('Sent'), 'sent');
  assert.equal(tokens(seen).length, 1, 'one token');
  assert.equal(seen.sockets.length, 1, 'one socket');
  const { conversation } = await page.evaluate(() => JSON.parse(localStorage.getItem('natter.demo.session')));
  const { body } = await history(relay.url, admin, conversation);
  assert.deepEqual(body.messages.map((m) => [m.author.kind, m.text]), [
    ['operator', 'Hello! How can I help you?'],
    ['visitor', 'Do you ship to Riga?'],
  ]);
  await page.context().close();
});

test('a second page of a visit already greeted loads nothing; a visitor who chatted in this visit gets the widget at once', async () => {
  const { host, browser } = stack;
  const context = await browser.newContext();
  const { page, seen } = await watchedPage(context);
  await page.goto(`${host.url}/host.html`);
  await eventually(async () => (await page.locator('.badge').textContent().catch(() => '')) === '1', 'the greeting', 20_000);
  // The next page of the same visit: the greeting fired in this visit, nothing is due.
  const next = await watchedPage(context);
  await next.page.goto(`${host.url}/second.html`);
  // The greeting the visitor has not seen still counts, shown by the loader alone.
  await eventually(async () => (await next.page.locator('.badge').textContent().catch(() => '')) === '1', 'the unseen greeting on the launcher');
  await next.page.waitForTimeout(12_000);
  assert.deepEqual(wasm(next.seen), [], 'no Wasm on a page where no rule can fire');
  assert.equal(await next.page.evaluate(() => window.Natter.unreadCount()), 1);
  const visit = await next.page.evaluate(() => JSON.parse(localStorage.getItem('natter.demo.visit')));
  assert.equal(visit.visits, 1);
  assert.equal(visit.pages_viewed, 2);

  // The visitor writes there; on the page after, the widget loads at idle time and
  // connects, so a reply comes live.
  await openWidget(next.page);
  await visitorSends(next.page, 'Still there?');
  await eventually(async () => (await next.page.getByRole('log').locator('.delivery').allTextContents()).includes('Sent'), 'sent');
  await next.page.close();
  await page.close();
  const third = await watchedPage(context);
  await third.page.goto(`${host.url}/host.html`);
  await eventually(async () => third.seen.sockets.length === 1, 'the socket, without any interaction', 10_000);
  assert.equal(core(third.seen).length, 1);
  await context.close();
  assert.equal(core(seen).length, 1);
});

test('a returning visitor sees an unread reply on the launcher from one small request, without the widget', async () => {
  const { relay, host, browser, admin } = stack;
  await saveSettings(relay.url, admin, {});
  const first = await (await browser.newContext()).newPage();
  await first.goto(`${host.url}/host.html`);
  await openWidget(first);
  await visitorSends(first, 'Is the shop open on Sunday?');
  await eventually(async () => (await first.getByRole('log').locator('.delivery').allTextContents()).includes('Sent'), 'sent');
  const session = await first.evaluate(() => JSON.parse(localStorage.getItem('natter.demo.session')));
  await first.context().close();
  const operator = await operatorSocket(relay.url, admin, session.conversation);
  operator.send(JSON.stringify({ type: 'send', client_id: 'sunday', text: 'Yes, from 10 to 16.' }));
  await nextFrame(operator, (f) => f.type === 'ack');
  operator.close();

  // Days later, in the same browser: the session is kept, the visit is over.
  const context = await browser.newContext();
  await context.addInitScript((kept) => {
    if (!localStorage.getItem('natter.demo.session')) localStorage.setItem('natter.demo.session', kept);
  }, JSON.stringify(session));
  const { page, seen } = await watchedPage(context);
  await page.goto(`${host.url}/host.html`);
  const badge = page.locator('.badge');
  await eventually(async () => (await badge.count()) === 1 && (await badge.textContent()) === '1', 'the reply as a badge');
  assert.equal(await page.evaluate(() => window.Natter.unreadCount()), 1);
  // Its name starts with what it shows, the count too (WCAG 2.5.3).
  assert.equal(await page.locator('natter-widget').locator('button').getAttribute('aria-label'), 'Chat 1: unread messages, open chat');
  assert.deepEqual(await axeViolations(page), []);
  const asked = seen.requests.filter((r) => r.url.includes('/unread'));
  assert.equal(asked.length, 1);
  await page.waitForTimeout(3_000);
  assert.deepEqual(wasm(seen), [], 'no Wasm');
  assert.deepEqual(seen.sockets, [], 'no socket');
  await page.screenshot({ path: path.join(artifacts, 'lean-returning-badge.png') });

  // The answer: the count, kept by the browser a few seconds; a token is needed.
  const res = await fetch(asked[0].url);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('cache-control'), 'private, max-age=5');
  assert.deepEqual(await res.json(), { unread: 1 });
  const refused = await fetch(asked[0].url.replace(/token=[^&]+/, 'token=nope'));
  assert.equal(refused.status, 401);

  // Opened, the widget loads and shows the reply; read, the count is 0.
  await page.getByRole('button', { name: 'Open chat' }).click();
  await eventually(async () => (await logTexts(page)).includes('Yes, from 10 to 16.'), 'the reply');
  await eventually(async () => (await (await fetch(asked[0].url)).json()).unread === 0, 'read at the edge');
  await context.close();
});

test('the widget comes in parts: an optional part that does not download is a clear, retryable error while chatting goes on', async () => {
  const { relay, host, browser } = stack;
  await saveSettings(relay.url, stack.admin, {});
  const context = await browser.newContext();
  let blocked = true;
  const asked = [];
  await context.route('**/split_forms.wasm', (route) => {
    asked.push(route.request().url());
    return blocked ? route.abort('internetdisconnected') : route.continue();
  });
  const { page, seen } = await watchedPage(context);
  await page.goto(`${host.url}/host.html`);
  await openWidget(page);
  // The chat needs no part: only the main module came.
  assert.deepEqual(wasm(seen).map((r) => path.basename(r.url)), ['natter_widget_bg.wasm']);

  // The introduce form lives in the `forms` part, which cannot download.
  await page.getByRole('button', { name: 'Your details' }).click();
  const problem = page.getByRole('alert').filter({ hasText: 'This part of the chat did not load.' });
  await problem.waitFor();
  assert.equal(asked.length >= 1, true);
  assert.deepEqual(await axeViolations(page), []);
  await page.screenshot({ path: path.join(artifacts, 'lean-part-failed.png') });

  // Chatting goes on meanwhile.
  await page.getByRole('button', { name: 'Your details' }).click();
  await visitorSends(page, 'Still here without the forms');
  await eventually(async () => (await page.getByRole('log').locator('.delivery').allTextContents()).includes('Sent'), 'sent');

  // A JS API method whose part cannot download is refused, saying so; the window's
  // methods answer without it.
  await context.route('**/split_api.wasm', (route) => route.abort('internetdisconnected'));
  const refused = await page.evaluate(() => new Promise((done) => {
    Natter.on('error', (e) => done(e.message));
    Natter.setVisitor({ name: 'Ann' });
  }));
  assert.equal(refused, 'Natter.setVisitor did not run: a part of the widget did not download (call it again)');
  assert.equal(await page.evaluate(() => Natter.isOpen()), true);

  // Back in the form once the network is: "Try again" loads it.
  await page.getByRole('button', { name: 'Your details' }).click();
  await problem.waitFor();
  blocked = false;
  await problem.getByRole('button', { name: 'Try again' }).click();
  await page.getByRole('textbox', { name: 'Name' }).waitFor();
  assert.equal(await problem.count(), 0);

  // The files come from a directory named by their content, cached for good.
  const core = wasm(seen).find((r) => r.url.endsWith('/natter_widget_bg.wasm')).url;
  assert.match(core, /\/widget\/[0-9a-f]{16}\/natter_widget_bg\.wasm$/);
  const res = await fetch(core);
  assert.equal(res.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  await context.close();
});
