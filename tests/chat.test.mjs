// The foundation, end to end, as people use it: a visitor on a host page of another
// origin chats with an operator in the console through the real `wrangler dev`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

import {
  artifacts, eventually, logTexts, openWidget, signIn, startStack, visitorSends, waitForText,
} from './support/browser.mjs';

let stack, relay, host, browser, visitorContext, visitor, operator;

before(async () => {
  stack = await startStack();
  ({ relay, host, browser } = stack);
  visitorContext = await browser.newContext();
  visitor = await visitorContext.newPage();
  operator = await (await browser.newContext()).newPage();
});

after(async () => {
  await stack?.stop();
});

/** The visitor's conversation id, from the widget's storage on the host origin. */
async function conversationOf(page) {
  return page.evaluate(() => JSON.parse(localStorage.getItem('natter.demo.session')).conversation);
}

async function operatorToken(page) {
  return page.evaluate(() => JSON.parse(localStorage.getItem('natter.console.session')).token);
}

async function history(conversation) {
  const res = await fetch(`${relay.url}/v1/console/sites/demo/conversations/${conversation}/messages`, {
    headers: { Authorization: `Bearer ${await operatorToken(operator)}` },
  });
  assert.equal(res.status, 200);
  return (await res.json()).messages;
}

test('a visitor on another origin and an operator chat live, both ways', async () => {
  await signIn(operator, relay.url);
  const online = operator.getByRole('status', { name: 'Operators online' });
  await eventually(async () => (await online.textContent()) === 'Online: Demo Agent, Demo Operator', 'the operator shown online');
  await visitor.goto(`${host.url}/host.html`);
  await openWidget(visitor);
  await visitorSends(visitor, 'hello');
  await waitForText(visitor, 'hello');
  await eventually(
    async () => (await visitor.getByRole('log').locator('.delivery').allTextContents()).includes('Sent'),
    'the message marked Sent on ack',
  );

  // It appears in the console's inbox live, with its unread count, without a reload.
  const entry = operator.getByRole('navigation', { name: 'Inbox' }).getByRole('button', { name: /Visitor/ });
  await entry.waitFor({ timeout: 15_000 });
  assert.match(await entry.textContent(), /hello/);
  assert.match(await entry.locator('.unread').textContent(), /^1$/);
  await entry.click();
  await waitForText(operator, 'hello');

  // The visitor panel tells who and where the visitor is.
  const panel = operator.getByRole('complementary', { name: 'Visitor' });
  await eventually(async () => (await panel.textContent()).includes(`${host.url}/host.html`), 'the page URL');
  const info = await panel.textContent();
  assert.match(info, /Host shop — home/);
  assert.match(info, /Chrome \d+ on Linux/);
  assert.match(info, /en-US|en/);

  // Typing shows on the visitor's side, then the reply arrives live.
  await operator.getByRole('textbox', { name: 'Reply' }).fill('Hi! How can I help?');
  await eventually(async () => (await visitor.locator('.typing').textContent()).includes('Demo Operator is typing'),
    'the typing indicator in the widget');
  await operator.getByRole('button', { name: 'Send', exact: true }).click();
  await waitForText(visitor, 'Hi! How can I help?');
  assert.deepEqual(await logTexts(visitor), ['hello', 'Hi! How can I help?']);

  // The visitor typing shows in the console.
  await visitor.getByRole('textbox', { name: 'Message' }).fill('thanks');
  const consoleTyping = operator.locator('.typing');
  await eventually(async () => /^Visitor \w+ is typing…$/.test(await consoleTyping.textContent()),
    'the typing indicator in the console');
  await visitor.screenshot({ path: path.join(artifacts, 'visitor-chat.png') });
  await operator.screenshot({ path: path.join(artifacts, 'console-chat.png') });
  // The visitor stopped typing without sending: the indicator goes away by itself.
  await eventually(async () => (await consoleTyping.textContent()) === '', 'the typing indicator expiring', 10_000);
});

test('while the window is closed, a reply shows as an unread badge on the launcher', async () => {
  await visitor.getByRole('button', { name: 'Close chat' }).click();
  await operator.getByRole('textbox', { name: 'Reply' }).fill('Are you still there?');
  await operator.getByRole('button', { name: 'Send', exact: true }).click();
  const badge = visitor.getByRole('button', { name: 'Open chat' }).locator('.badge');
  await eventually(async () => (await badge.textContent()) === '1', 'an unread badge of 1');
  await openWidget(visitor);
  await waitForText(visitor, 'Are you still there?');
  await eventually(async () => (await badge.count()) === 0, 'the badge gone once read');
});

test('the history is there after a reload and on a second page of the site', async () => {
  const expected = ['hello', 'Hi! How can I help?', 'Are you still there?'];
  await visitor.reload();
  await openWidget(visitor);
  await eventually(async () => JSON.stringify(await logTexts(visitor)) === JSON.stringify(expected), 'the history after reload');
  await visitor.goto(`${host.url}/second.html`);
  await openWidget(visitor);
  await eventually(async () => JSON.stringify(await logTexts(visitor)) === JSON.stringify(expected), 'the history on page two');
  // The operator sees the visitor has moved.
  const panel = operator.getByRole('complementary', { name: 'Visitor' });
  await eventually(async () => (await panel.textContent()).includes('second.html'), 'the new page in the visitor panel');
});

test('the history survives a restart of wrangler dev', async () => {
  const conversation = await conversationOf(visitor);
  await relay.stop();
  await relay.start();
  await visitor.reload();
  await openWidget(visitor);
  await waitForText(visitor, 'Are you still there?', 20_000);
  assert.deepEqual((await history(conversation)).map((m) => m.text), ['hello', 'Hi! How can I help?', 'Are you still there?']);
});

test('messages typed while the relay is down arrive exactly once after it is back', async () => {
  const conversation = await conversationOf(visitor);
  const before = await history(conversation);
  await relay.stop();
  const typed = ['offline one', 'offline two', 'offline three'];
  for (const text of typed) await visitorSends(visitor, text);
  assert.deepEqual(
    (await visitor.getByRole('log').locator('.delivery').allTextContents()).slice(-3),
    ['Sending…', 'Sending…', 'Sending…'],
  );
  // A reload while offline keeps them: the outbox is in storage.
  await visitor.reload();
  await openWidget(visitor);
  await eventually(async () => (await logTexts(visitor)).slice(-3).join() === typed.join(), 'pending messages after reload');

  // The operator replies while the relay is down too, then closes the console tab.
  await operator.getByRole('textbox', { name: 'Reply' }).fill('Sorry for the wait');
  await operator.getByRole('button', { name: 'Send', exact: true }).click();
  await eventually(async () => (await operator.getByRole('log').locator('.meta').allTextContents()).includes('Sending…'),
    'the reply pending in the console');
  const operatorContext = operator.context();
  await operator.close();

  await relay.start();
  operator = await operatorContext.newPage();
  await operator.goto(`${relay.url}/console/`);
  await eventually(
    async () => (await visitor.getByRole('log').locator('.delivery').allTextContents()).every((d) => d !== 'Sending…'),
    'every pending message acked', 30_000,
  );
  await operator.getByRole('navigation', { name: 'Inbox' }).getByRole('button', { name: /Visitor/ }).click();
  await waitForText(visitor, 'Sorry for the wait', 20_000);
  const messages = await history(conversation);
  // Each side's in its own order; the console sent its reply as soon as it connected,
  // so which side's came first is the race of two reconnects.
  const texts = messages.map((m) => m.text);
  assert.deepEqual(texts.slice(0, before.length), before.map((m) => m.text));
  const since = texts.slice(before.length);
  assert.deepEqual(since.filter((t) => typed.includes(t)), typed);
  assert.deepEqual(since.filter((t) => !typed.includes(t)), ['Sorry for the wait']);
  assert.deepEqual(messages.map((m) => m.seq), messages.map((_, i) => i + 1), 'seq is 1..n without gaps');
  assert.equal(new Set(messages.map((m) => m.client_id)).size, messages.length, 'each client id once');
  await waitForText(operator, 'offline three', 20_000);
  const shown = await logTexts(operator);
  for (const text of typed) assert.equal(shown.filter((t) => t === text).length, 1, `${text} shown once to the operator`);
  assert.equal((await logTexts(visitor)).filter((t) => t === 'Sorry for the wait').length, 1, 'the reply shown once');
});
