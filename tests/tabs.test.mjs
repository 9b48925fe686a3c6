// One socket per browser (issue 14, item 12): the visitor's tabs on one conversation
// share one WebSocket (the tab holding a Web Lock has it; the others talk to it over a
// BroadcastChannel), stay in sync (messages, typing, what was read, the badge), and a
// leader tab closing hands the socket over without losing a message.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

import { artifacts, eventually, logTexts, openWidget, startStack, visitorSends, waitForText } from './support/browser.mjs';
import { history, operatorSocket } from './support/sockets.mjs';

let stack;
before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack?.stop();
});

/** A tab of the host site that records page events and counts the sockets it opens. */
async function tab(context) {
  const page = await context.newPage();
  page.sockets = [];
  page.on('websocket', (ws) => {
    if (ws.url().includes('/v1/conversations/')) page.sockets.push(ws);
  });
  await page.goto(`${stack.host.url}/api.html`);
  await page.waitForFunction(() => typeof window.Natter.open === 'function');
  return page;
}

const openSockets = (page) => page.sockets.filter((ws) => !ws.isClosed()).length;
const conversationOf = (page) => page.evaluate(() => JSON.parse(localStorage.getItem('natter.demo.session'))?.conversation);
const sentEvents = (page) => page.evaluate(() => window.events.filter((e) => e.event === 'message:sent').map((e) => e.detail.text));
const badge = (page) => page.getByRole('button', { name: 'Open chat' }).locator('.badge');

async function storedTexts(conversation) {
  const { status, body } = await history(stack.relay.url, stack.admin, conversation);
  assert.equal(status, 200);
  return body.messages.map((m) => m.text);
}

/**
 * A fresh browser whose first tab opens the widget and sends `text`, then `followers`
 * more tabs that open it and show `text`: the tabs (the first leads) and the conversation.
 */
async function tabsOf(text, followers) {
  const context = await stack.browser.newContext();
  const tabs = [await tab(context)];
  await openWidget(tabs[0]);
  await visitorSends(tabs[0], text);
  await waitForText(tabs[0], text);
  for (let i = 0; i < followers; i += 1) {
    const page = await tab(context);
    await openWidget(page);
    await waitForText(page, text);
    tabs.push(page);
  }
  return { context, tabs, conversation: await conversationOf(tabs[0]) };
}

async function operatorSays(ws, text) {
  ws.send(JSON.stringify({ type: 'send', client_id: `op-${text.replace(/\W+/g, '-')}-${Date.now()}`, text }));
}

test('two tabs share one socket: both show both sides, typing and the badge, and each tab hears of its own sends', async () => {
  const { context, tabs: [a, b], conversation } = await tabsOf('from tab A', 1);
  await eventually(() => openSockets(a) === 1, 'tab A holding the socket');
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(b.sockets.length, 0, 'the second tab opens no socket of its own');

  // A follower's message goes out through the leader, shows in both, is stored once.
  await visitorSends(b, 'from tab B');
  await waitForText(b, 'from tab B');
  await waitForText(a, 'from tab B');
  await eventually(async () => (await storedTexts(conversation)).join('|') === 'from tab A|from tab B', 'both stored once, in order');
  // Page code hears of a message in the tab that sent it, not in the other.
  await eventually(async () => (await sentEvents(b)).includes('from tab B'), 'message:sent in tab B');
  assert.deepEqual(await sentEvents(a), ['from tab A']);
  assert.deepEqual(await sentEvents(b), ['from tab B']);

  // The operator's typing and message reach both tabs.
  const operator = await operatorSocket(stack.relay.url, stack.admin, conversation);
  operator.send(JSON.stringify({ type: 'typing', typing: true }));
  for (const page of [a, b]) {
    await eventually(async () => (await page.locator('.typing').textContent()).includes('is typing'), 'the typing indicator in both tabs');
  }
  await operatorSays(operator, 'Hello both tabs');
  await waitForText(a, 'Hello both tabs');
  await waitForText(b, 'Hello both tabs');
  assert.equal(b.sockets.length, 0);
  await b.screenshot({ path: path.join(artifacts, 'tabs-follower.png') });

  // Both windows closed: a reply is unread in both; read in one, the other's badge goes.
  for (const page of [a, b]) await page.getByRole('button', { name: 'Close chat' }).click();
  await operatorSays(operator, 'Unread in both?');
  for (const page of [a, b]) await eventually(async () => (await badge(page).textContent()) === '1', 'a badge of 1 in both tabs');
  await openWidget(a);
  await waitForText(a, 'Unread in both?');
  await eventually(async () => (await badge(b).count()) === 0, 'tab B\'s badge gone once tab A read it');
  operator.close();
  await context.close();
});

// CI once saw tab B hear of tab A's first message: tab B opened while that message still
// waited for its ack in the shared outbox, and took it for its own.
test('a tab opened while another\'s message waits for its ack does not hear of it; the tab that typed it does, also after a reload', async () => {
  const context = await stack.browser.newContext();
  const a = await tab(context);
  // Tab A's socket passes through here, so that what the edge says can be held back.
  const held = [];
  let holding = false;
  await a.routeWebSocket(/\/v1\/conversations\//, (ws) => {
    const server = ws.connectToServer();
    ws.onMessage((message) => server.send(message));
    server.onMessage((message) => (holding ? held.push(() => ws.send(message)) : ws.send(message)));
  });
  const release = () => {
    holding = false;
    for (const send of held.splice(0)) send();
  };
  const pending = (page) => page.locator('.delivery', { hasText: 'Sending…' }).count();
  await openWidget(a);
  await visitorSends(a, 'first from A');
  await eventually(async () => (await sentEvents(a)).includes('first from A'), 'message:sent in tab A');

  holding = true;
  await visitorSends(a, 'held from A');
  await eventually(async () => (await pending(a)) === 1, 'tab A waiting for the ack');
  const b = await tab(context);
  await openWidget(b);
  await waitForText(b, 'held from A');
  assert.equal(b.sockets.length, 0, 'tab B follows tab A');
  release();
  await eventually(async () => (await sentEvents(a)).includes('held from A'), 'message:sent in tab A, which typed it');
  await eventually(async () => (await pending(b)) === 0, 'tab B hearing the ack');
  assert.deepEqual(await sentEvents(b), [], 'tab B typed nothing');
  const conversation = await conversationOf(b);
  await b.close();

  // Typed, then the tab reloads before the ack: the reloaded tab tells page code.
  holding = true;
  await visitorSends(a, 'typed before a reload');
  await eventually(async () => (await pending(a)) === 1, 'tab A waiting for the ack again');
  held.length = 0;
  holding = false;
  await a.reload();
  await a.waitForFunction(() => typeof window.Natter.open === 'function');
  await eventually(async () => (await sentEvents(a)).includes('typed before a reload'), 'message:sent in the reloaded tab A');
  assert.deepEqual(await storedTexts(conversation), ['first from A', 'held from A', 'typed before a reload']);
  await context.close();
});

test('closing the tab that holds the socket hands it over: messages typed and received meanwhile are all there, once', async () => {
  const { context, tabs: [a, b, c], conversation } = await tabsOf('before the handover', 2);
  assert.equal(b.sockets.length + c.sockets.length, 0, 'one socket for three tabs');
  const operator = await operatorSocket(stack.relay.url, stack.admin, conversation);

  // Tab B types while the leader closes, and the operator writes on.
  const typed = ['typed during handover 1', 'typed during handover 2', 'typed during handover 3'];
  const replies = ['reply during handover 1', 'reply during handover 2', 'reply during handover 3'];
  await visitorSends(b, typed[0]);
  const closing = a.close();
  await operatorSays(operator, replies[0]);
  await visitorSends(b, typed[1]);
  await closing;
  await operatorSays(operator, replies[1]);
  await visitorSends(b, typed[2]);
  await operatorSays(operator, replies[2]);

  // One of the two left takes the socket over; the other keeps following.
  await eventually(() => openSockets(b) + openSockets(c) === 1, 'one tab holding the socket again');
  for (const page of [b, c]) {
    for (const text of [...typed, ...replies]) await waitForText(page, text, 20_000);
  }
  const stored = await storedTexts(conversation);
  for (const text of [...typed, ...replies]) {
    assert.equal(stored.filter((t) => t === text).length, 1, `"${text}" stored once`);
  }
  assert.deepEqual(stored.filter((t) => typed.includes(t)), typed, 'tab B\'s messages in the order typed');
  // Nothing is left pending in either tab, and the shared outbox is empty.
  for (const page of [b, c]) {
    await eventually(async () => (await page.locator('.delivery', { hasText: 'Sending…' }).count()) === 0, 'nothing pending');
  }
  assert.deepEqual(await b.evaluate(() => JSON.parse(localStorage.getItem('natter.demo.outbox') || '[]')), []);
  assert.deepEqual(await logTexts(b), await logTexts(c));
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(openSockets(b) + openSockets(c), 1, 'still one socket');
  operator.close();
  await context.close();
});

test('when one tab starts another conversation (page code\'s reset), the other tabs follow it onto the same socket', async () => {
  const { context, tabs: [a, b], conversation: old } = await tabsOf('the old conversation', 1);
  await b.evaluate(() => Natter.setVisitor({ name: 'Signed Out Person' }));
  await eventually(async () => (await b.evaluate(() => localStorage.getItem('natter.demo.details') || '')).includes('Signed Out Person'), 'the details kept');

  // The new visitor has no conversation until they write; tab B forgets the old one.
  await a.evaluate(() => Natter.reset());
  await eventually(async () => (await conversationOf(a)) === undefined, 'no visitor in tab A');
  await eventually(async () => (await logTexts(b)).length === 0, 'tab B leaving the old conversation');
  await eventually(() => openSockets(a) + openSockets(b) === 0, 'the old socket closed');
  await visitorSends(b, 'the new conversation, from tab B');
  await eventually(async () => (await conversationOf(a)) !== undefined, 'the new visitor in tab A too');
  const fresh = await conversationOf(a);
  assert.notEqual(fresh, old);
  await waitForText(a, 'the new conversation, from tab B');
  assert.deepEqual(await storedTexts(fresh), ['the new conversation, from tab B']);
  assert.deepEqual(await storedTexts(old), ['the old conversation']);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(openSockets(a) + openSockets(b), 1, 'one socket, on the new conversation');
  assert.ok(a.sockets.concat(b.sockets).filter((ws) => !ws.isClosed()).every((ws) => ws.url().includes(fresh)));
  // Tab B forgot the person before too: its details are empty, and the new
  // conversation is not told their name even when tab B takes the socket over.
  await a.close();
  await eventually(() => openSockets(b) === 1, 'tab B holding the socket');
  await visitorSends(b, 'after the handover');
  await waitForText(b, 'after the handover');
  await b.getByRole('button', { name: 'Your details' }).click();
  assert.equal(await b.getByRole('textbox', { name: 'Name' }).inputValue(), '');
  const { body } = await history(stack.relay.url, stack.admin, fresh);
  assert.ok(body.messages.every((m) => m.author.name !== 'Signed Out Person'), 'the new conversation does not have the old name');
  await context.close();
});
