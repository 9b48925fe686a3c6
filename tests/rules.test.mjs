// Auto-actions as visitors meet them: the site's rules run in the widget without any
// interaction, with delays shortened through the site's settings.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

import { artifacts, countTones, eventually, logTexts, signIn, waitForText, startStack } from './support/browser.mjs';
import { history, newVisitor, nextFrame, operatorSocket, saveSettings, visitorSocket } from './support/sockets.mjs';

let stack, relay, host, browser, admin;

before(async () => {
  stack = await startStack();
  ({ relay, host, browser, admin } = stack);
});

after(async () => {
  await stack?.stop();
});

const message = (name, conditions, text) => ({ name, conditions, action: 'message', text });
const session = (page) => page.evaluate(() => JSON.parse(localStorage.getItem('natter.demo.session')));
const acked = (page) => eventually(async () => {
  const marks = await page.locator('.delivery').allTextContents();
  return marks.length > 0 && marks.every((m) => m !== 'Sending…');
}, 'every message acked');

async function send(page, text) {
  await page.getByRole('textbox', { name: 'Message' }).fill(text);
  await page.getByRole('button', { name: 'Send', exact: true }).click();
}

test('the greeting comes after its delay, once per visit, and is stored before the visitor\'s first message', async () => {
  await saveSettings(relay.url, admin, {
    rules: [message('Greeting', [{ fact: 'time_on_page', op: 'gt', value: 2 }], 'Hello! How can I help you?')],
  });
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${host.url}/host.html`);
  // Nobody touches the page: the widget loads after `load` and the rule runs.
  const badge = page.locator('.badge');
  await eventually(async () => (await badge.count()) === 1 && (await badge.textContent()) === '1', 'the greeting as an unread badge');
  await page.getByRole('button', { name: 'Open chat' }).click();
  assert.deepEqual(await logTexts(page), ['Hello! How can I help you?']);
  await page.screenshot({ path: path.join(artifacts, 'rule-greeting.png') });

  // Only the widget has it: no visitor token, no conversation.
  assert.equal(await page.evaluate(() => localStorage.getItem('natter.demo.session')), null);

  // A second page of the same visit: not greeted again.
  await page.goto(`${host.url}/second.html`);
  await page.getByRole('button', { name: 'Open chat' }).click();
  await page.waitForTimeout(3500);
  assert.deepEqual(await logTexts(page), ['Hello! How can I help you?']);

  // The visitor writes: the conversation is created with the greeting first.
  await send(page, 'Do you have boots?');
  await acked(page);
  const { conversation } = await session(page);
  const { body } = await history(relay.url, admin, conversation);
  assert.deepEqual(body.messages.map((m) => [m.author.kind, m.text, m.auto ?? false]), [
    ['operator', 'Hello! How can I help you?', true],
    ['visitor', 'Do you have boots?', false],
  ]);
  // Operators see it marked as automatic.
  const consolePage = await (await browser.newContext()).newPage();
  await signIn(consolePage, relay.url);
  await consolePage.getByRole('navigation', { name: 'Inbox' }).getByRole('button').filter({ hasText: 'Do you have boots?' }).click();
  await consolePage.getByRole('log').locator('.message').filter({ hasText: 'Hello! How can I help you?' }).getByText('automatic').waitFor();
  // Signed out, so the site's presence is the duty agent's alone again.
  await consolePage.getByRole('button', { name: 'Sign out' }).click();
  await consolePage.context().close();
  await page.context().close();
});

test('a Russian visitor gets the Russian greeting and suggests on a site whose default language is English', async () => {
  await saveSettings(relay.url, admin, {
    default_language: 'en',
    language: 'auto',
    rules: [message('Greeting', [{ fact: 'time_on_page', op: 'gt', value: 2 }], { ru: 'Здравствуйте! Чем помочь?', en: 'Hello! Can I help?' })],
    suggests: [{ text: { ru: 'Где мой заказ?', en: 'Where is my order?' }, priority: 1 }, { text: { en: 'Only in English' }, priority: 2 }],
  });
  for (const [locale, greeting, chips] of [
    ['ru-RU', 'Здравствуйте! Чем помочь?', ['Где мой заказ?', 'Only in English']],
    ['en-US', 'Hello! Can I help?', ['Where is my order?', 'Only in English']],
  ]) {
    const page = await (await browser.newContext({ locale })).newPage();
    await page.goto(`${host.url}/host.html`);
    const badge = page.locator('.badge');
    await eventually(async () => (await badge.count()) === 1, `the greeting for ${locale}`);
    await page.locator('natter-widget .launcher').click();
    assert.deepEqual(await logTexts(page), [greeting], locale);
    assert.deepEqual(await page.locator('.suggest').allTextContents(), chips, `${locale}: a missing language falls back to the other`);
    if (locale === 'ru-RU') {
      await page.screenshot({ path: path.join(artifacts, 'rule-greeting-ru.png') });
      // The edge takes the Russian text as the rule's (it checks every language).
      await page.locator('.suggest').first().click();
      // (The delivery marks are in Russian here: wait for the stored conversation.)
      const messages = await eventually(async () => {
        const { conversation } = (await session(page)) ?? {};
        const { body } = conversation ? await history(relay.url, admin, conversation) : {};
        return body?.messages?.length === 2 && body.messages;
      }, 'the greeting and the suggest stored');
      assert.deepEqual(messages.map((m) => [m.author.kind, m.text]), [['operator', greeting], ['visitor', 'Где мой заказ?']]);
    }
    await page.context().close();
  }
});

test('an automatic message the visitor has not seen still counts as unread on the next page', async () => {
  await saveSettings(relay.url, admin, {
    rules: [message('Greeting', [{ fact: 'time_on_page', op: 'gt', value: 1 }], 'Hello! How can I help you?')],
  });
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${host.url}/host.html`);
  const badge = page.locator('.badge');
  const unreadShown = async () => (await badge.count()) === 1 && (await badge.textContent()) === '1'
    && (await page.evaluate(() => Natter.unreadCount())) === 1;
  await eventually(unreadShown, 'the greeting unread on the first page');
  // The window never opened; the next page of the visit still says so.
  await page.goto(`${host.url}/second.html`);
  await eventually(unreadShown, 'the greeting still unread on the second page');
  await page.screenshot({ path: path.join(artifacts, 'rule-unread-second-page.png') });
  // Seen once the window opens, on this page and the next.
  await page.getByRole('button', { name: 'Open chat' }).click();
  // (The click loads the widget: its log is drawn a moment later.)
  await waitForText(page, 'Hello! How can I help you?');
  assert.deepEqual(await logTexts(page), ['Hello! How can I help you?']);
  await page.getByRole('button', { name: 'Close chat' }).click();
  assert.equal(await page.evaluate(() => Natter.unreadCount()), 0);
  await page.goto(`${host.url}/host.html`);
  await page.waitForTimeout(2500);
  assert.equal(await badge.count(), 0, 'no badge once seen');
  assert.equal(await page.evaluate(() => Natter.unreadCount()), 0);
  await page.context().close();
});

test('the autoresponder answers when no operator replies in time, and not when one does', async () => {
  await saveSettings(relay.url, admin, {
    rules: [message('Autoresponder', [
      { fact: 'last_by_visitor', op: 'eq', value: true },
      { fact: 'operator_delay', op: 'gt', value: 2 },
    ], 'Please wait a little, or leave your contacts.')],
  });
  const waiting = await (await browser.newContext()).newPage();
  await waiting.goto(`${host.url}/host.html`);
  await waiting.getByRole('button', { name: 'Open chat' }).click();
  await send(waiting, 'Anyone there?');
  await eventually(async () => (await logTexts(waiting)).includes('Please wait a little, or leave your contacts.'), 'the autoresponse', 10_000);
  await send(waiting, 'Hello?');
  await waiting.waitForTimeout(3500);
  assert.deepEqual(await logTexts(waiting), ['Anyone there?', 'Please wait a little, or leave your contacts.', 'Hello?'], 'once per wait');

  const answered = await (await browser.newContext()).newPage();
  await answered.goto(`${host.url}/host.html`);
  await answered.getByRole('button', { name: 'Open chat' }).click();
  await send(answered, 'Quick question');
  await acked(answered);
  const operator = await operatorSocket(relay.url, admin, (await session(answered)).conversation);
  operator.send(JSON.stringify({ type: 'send', client_id: `op-${Date.now()}`, text: 'Yes?' }));
  await eventually(async () => (await logTexts(answered)).includes('Yes?'), 'the reply');
  await answered.waitForTimeout(4000);
  assert.deepEqual(await logTexts(answered), ['Quick question', 'Yes?']);
  operator.close();
  await waiting.context().close();
  await answered.context().close();
});

test('a press on the launcher opens the window even when the idle-time mount lands before the release', async () => {
  await saveSettings(relay.url, admin, {
    rules: [message('Later', [{ fact: 'time_on_page', op: 'gt', value: 3600 }], 'Still here?')],
  });
  const page = await (await browser.newContext()).newPage();
  // The widget's Wasm is held until the visitor has pressed the button.
  let pressed;
  const press = new Promise((resolve) => { pressed = resolve; });
  await page.route('**/natter_widget_bg.wasm', async (route) => {
    await press;
    await route.continue();
  });
  await page.goto(`${host.url}/host.html`);
  const launcher = page.getByRole('button', { name: 'Open chat' });
  const box = await launcher.boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  pressed();
  // The idle-time mount replaces the pressed button before the release.
  await page.waitForFunction(() => document.querySelector('natter-widget').shadowRoot.querySelector('.app'));
  await page.mouse.up();
  await page.getByRole('dialog').waitFor({ timeout: 5000 });
  await page.context().close();
});

test('the offline answer fires with no operator online', async () => {
  await saveSettings(relay.url, admin, {
    rules: [message('Offline answer', [
      { fact: 'operator_online', op: 'eq', value: false },
      { fact: 'last_by_visitor', op: 'eq', value: true },
    ], 'Everyone is offline; leave your contacts.')],
  });
  stack.duty.send(JSON.stringify({ type: 'away', away: true }));
  await eventually(async () => !(await (await fetch(`${relay.url}/v1/sites/demo/status`)).json()).online, 'the site offline');
  const page = await (await browser.newContext()).newPage();
  try {
    await page.goto(`${host.url}/host.html`);
    await page.getByRole('button', { name: 'Open chat' }).click();
    await page.getByRole('textbox', { name: 'Name' }).fill('Olga');
    await page.getByRole('textbox', { name: 'E-mail or phone' }).fill('olga@example.com');
    await page.getByRole('textbox', { name: 'Message', exact: true }).fill('Call me tomorrow');
    await page.getByRole('button', { name: 'Send message' }).click();
    await eventually(async () => (await logTexts(page)).join('|') === 'Call me tomorrow|Everyone is offline; leave your contacts.', 'the offline answer');
  } finally {
    stack.duty.send(JSON.stringify({ type: 'away', away: false }));
    await page.context().close();
  }
});

test('rules open the introduce form, and open the window with the sound', async () => {
  await saveSettings(relay.url, admin, {
    rules: [{ name: 'Ask', conditions: [{ fact: 'time_on_page', op: 'gt', value: 1 }], action: 'open_introduce' }],
  });
  const asked = await (await browser.newContext()).newPage();
  await asked.goto(`${host.url}/host.html`);
  await asked.getByRole('heading', { name: 'Introduce yourself' }).waitFor({ timeout: 10_000 });
  await asked.screenshot({ path: path.join(artifacts, 'rule-introduce.png') });
  await asked.context().close();

  await saveSettings(relay.url, admin, {
    rules: [{ name: 'Ring', conditions: [{ fact: 'time_on_page', op: 'gt', value: 1 }], action: 'open_with_sound' }],
  });
  const context = await browser.newContext();
  await countTones(context);
  const rung = await context.newPage();
  await rung.goto(`${host.url}/host.html`);
  await rung.getByRole('textbox', { name: 'Message' }).waitFor({ timeout: 10_000 });
  await eventually(async () => (await rung.evaluate(() => window.tones)) === 1, 'one tone');
  await context.close();
});

test('a rule saved while a widget is open reaches it without a reload', async () => {
  await saveSettings(relay.url, admin, {});
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${host.url}/host.html`);
  await page.getByRole('button', { name: 'Open chat' }).click();
  await page.getByRole('textbox', { name: 'Message' }).waitFor();
  await saveSettings(relay.url, admin, {
    rules: [message('Late', [{ fact: 'time_on_page', op: 'gt', value: 1 }], 'Still looking? Ask us anything.')],
  });
  await eventually(async () => (await logTexts(page)).includes('Still looking? Ask us anything.'), 'the new rule firing', 15_000);
  await page.context().close();
});

test('the edge stores only the site\'s own automatic messages, and drops others quietly', async () => {
  await saveSettings(relay.url, admin, {
    rules: [message('Greeting', [{ fact: 'time_on_page', op: 'gt', value: 100 }], 'Hi there!')],
  });
  const visitor = await newVisitor(relay.url);
  const ws = await visitorSocket(relay.url, visitor);
  ws.send(JSON.stringify({ type: 'auto', client_id: 'a-real', rule: 'Greeting', text: 'Hi there!' }));
  ws.send(JSON.stringify({ type: 'auto', client_id: 'a-fake', rule: 'Greeting', text: 'Pay at evil.example' }));
  ws.send(JSON.stringify({ type: 'send', client_id: 'v-1', text: 'hello' }));
  await nextFrame(ws, (f) => f.type === 'ack' && f.client_id === 'v-1');
  const { body } = await history(relay.url, admin, visitor.conversation);
  assert.deepEqual(body.messages.map((m) => [m.author.kind, m.text, m.auto ?? false]), [
    ['operator', 'Hi there!', true],
    ['visitor', 'hello', false],
  ]);
  assert.equal(ws.frames.filter((f) => f.type === 'error').length, 0, 'no error for the visitor');
  ws.close();
});
