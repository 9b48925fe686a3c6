// E-mail from a site, as `wrangler dev`'s `send_email` binding would have sent it (it
// writes each letter to a file and logs where; the tests read them): a visitor asks
// for the transcript from the window's menu and the letter holds every message, from
// the site's name; a site that turned transcripts off offers none; bad requests are
// refused clearly and a conversation sends at most three an hour; the owner's
// notification address gets a closed conversation (with its rating) and an offline
// message, each once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

import { artifacts, eventually, openWidget, startStack, visitorSends } from './support/browser.mjs';
import { axeViolations } from './support/axe.mjs';
import { operatorAnswers as sharedOperatorAnswers, saveSettings, visitorWrites as sharedVisitorWrites } from './support/sockets.mjs';

let stack, relay, host, browser, admin;

async function transcript(visitor, body) {
  const res = await fetch(`${relay.url}/v1/conversations/${visitor.conversation}/transcript`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${visitor.token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

/** A visitor (over a socket) who writes `text`; their socket stays open. */
const visitorWrites = (name, text) => sharedVisitorWrites(relay.url, name, text);
const operatorAnswers = (conversation, text) => sharedOperatorAnswers(relay.url, admin, conversation, text);

before(async () => {
  stack = await startStack();
  ({ relay, host, browser, admin } = stack);
});

after(async () => {
  await stack?.stop();
});

test('a visitor has the transcript e-mailed from the window menu; the letter holds every message', async () => {
  const context = await browser.newContext({ reducedMotion: 'reduce' });
  const page = await context.newPage();
  await page.goto(`${host.url}/host.html`);
  await openWidget(page);
  const menu = page.getByRole('button', { name: 'Send transcript' });
  assert.equal(await menu.count(), 0, 'nothing to send before the first message');
  await visitorSends(page, 'Hello, I need a quote for 12 chairs');
  await eventually(async () => (await page.getByRole('log').locator('.delivery').allTextContents()).includes('Sent'), 'the message stored');
  const conversation = await eventually(() => page.evaluate(() => JSON.parse(localStorage.getItem('natter.demo.session'))?.conversation), 'a conversation');
  await operatorAnswers(conversation, 'Here is your quote: 420 EUR');
  await page.getByText('Here is your quote: 420 EUR').waitFor();

  await menu.click();
  const email = page.getByLabel('Email');
  await email.waitFor();
  assert.equal(await email.evaluate((el) => el === el.getRootNode().activeElement), true, 'the field has the focus');
  await email.fill('not an address');
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  await page.getByText('Enter an e-mail like name@example.com.').waitFor();
  assert.equal(relay.lastEmail('not an address'), null);
  assert.deepEqual(await axeViolations(page), []);
  await page.screenshot({ path: path.join(artifacts, 'transcript-form.png') });

  await email.fill('olga@example.com');
  await email.press('Enter');
  await page.getByRole('status').filter({ hasText: 'The transcript is on its way to olga@example.com.' }).waitFor();
  const letter = await eventually(() => relay.lastEmail('olga@example.com'), 'the transcript letter');
  assert.equal(letter.subject, 'Your conversation on Demo shop');
  assert.match(letter.from, /^"Demo shop" <natter@natter\.dev>$/);
  assert.match(letter.text, /\] You: Hello, I need a quote for 12 chairs\n/);
  assert.match(letter.text, /\] Demo Operator: Here is your quote: 420 EUR\n/);
  assert.match(letter.text, /Times are in the \S+ time zone/);
  // Back in the chat, the composer has the focus again.
  await page.getByRole('textbox', { name: 'Message' }).waitFor();
  await page.screenshot({ path: path.join(artifacts, 'transcript-sent.png') });
  await context.close();
});

test('a Russian visitor gets the letter in Russian, with times in their own time zone', async () => {
  const context = await browser.newContext({ locale: 'ru-RU', timezoneId: 'Asia/Vladivostok' });
  const page = await context.newPage();
  await page.goto(`${host.url}/host.html`);
  await page.getByRole('button', { name: /открыть чат/ }).click();
  await page.getByRole('textbox', { name: 'Сообщение' }).fill('Здравствуйте, сколько стоит доставка?');
  await page.getByRole('button', { name: 'Отправить', exact: true }).click();
  await page.getByRole('button', { name: 'Отправить переписку на почту' }).click();
  await page.getByLabel('Ваш e-mail').fill('ivan@example.com');
  await page.getByRole('button', { name: 'Отправить', exact: true }).click();
  await page.getByText('Переписка отправлена на ivan@example.com.').waitFor();
  const letter = await eventually(() => relay.lastEmail('ivan@example.com'), 'the Russian letter');
  assert.equal(letter.subject, 'Ваш разговор на сайте Demo shop');
  assert.match(letter.text, /часовом поясе Asia\/Vladivostok/);
  assert.match(letter.text, /\] Вы: Здравствуйте, сколько стоит доставка\?/);
  await context.close();
});

test('bad transcript requests are refused clearly; three an hour at most; a site can switch them off', async () => {
  const visitor = await visitorWrites('Petr', 'A question');
  const bad = await transcript(visitor, { email: 'petr at example' });
  assert.equal(bad.status, 400);
  assert.match(bad.body.message, /^Email: enter an address like name@example.com/);
  const strange = await fetch(`${relay.url}/v1/conversations/${visitor.conversation}/transcript`, {
    method: 'POST', headers: { Authorization: 'Bearer nonsense' }, body: '{"email":"petr@example.com"}',
  });
  assert.equal(strange.status, 401);
  for (let i = 0; i < 3; i++) assert.equal((await transcript(visitor, { email: 'petr@example.com', time_zone: 'Nowhere/Atlantis' })).status, 202);
  const fourth = await transcript(visitor, { email: 'petr@example.com' });
  assert.equal(fourth.status, 429);
  const letter = relay.lastEmail('petr@example.com');
  assert.match(letter.text, /in the UTC time zone/, 'an unknown zone falls back to the organisation’s');
  assert.equal(relay.emailsTo('petr@example.com').length, 3);

  await saveSettings(relay.url, admin, { transcripts: false });
  const off = await transcript(await visitorWrites('Rita', 'Another question'), { email: 'rita@example.com' });
  assert.equal(off.status, 403);
  assert.equal(off.body.message, 'This site does not send transcripts');
  const widget = await (await fetch(`${relay.url}/v1/sites/demo/widget`)).json();
  assert.equal(widget.transcripts, false);
  const page = await browser.newPage();
  await page.goto(`${host.url}/host.html`);
  await openWidget(page);
  await visitorSends(page, 'No transcript here');
  await page.getByRole('button', { name: 'Your details' }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Send transcript' }).count(), 0);
  await page.close();
  await saveSettings(relay.url, admin, {});
});

test('the notification address gets each closed conversation and each offline message, once', async () => {
  const bad = await fetch(`${relay.url}/v1/console/sites/demo/settings`, {
    method: 'PUT',
    headers: { Authorization: `Bearer ${admin.token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ notify_email: 'owner at example' }),
  });
  assert.equal(bad.status, 422);
  assert.match(JSON.stringify(await bad.json()), /notify_email.*is not an e-mail address, e.g. owner@example.com/);
  await saveSettings(relay.url, admin, { notify_email: 'owner@example.com' });

  // Closed: answered, closed by the operator, rated by the visitor.
  const olga = await visitorWrites('Olga', 'Where is my order 1234?');
  await operatorAnswers(olga.conversation, 'It ships tomorrow');
  const close = await fetch(`${relay.url}/v1/console/sites/demo/conversations/${olga.conversation}/close`, {
    method: 'POST', headers: { Authorization: `Bearer ${admin.token}` },
  });
  assert.equal(close.status, 200);
  olga.ws.send(JSON.stringify({ type: 'rate', good: false, comment: 'Too slow' }));
  const closed = await eventually(() => relay.emailsTo('owner@example.com').find((l) => l.subject.startsWith('Conversation with Olga closed')), 'the closed conversation letter');
  assert.equal(closed.subject, 'Conversation with Olga closed · Demo shop');
  assert.match(closed.from, /^"Demo shop" </);
  for (const part of ['E-mail: olga@example.com', 'Closed by: Demo Operator', 'Rating: bad: Too slow', '] Olga: Where is my order 1234?', '] Demo Operator: It ships tomorrow']) {
    assert.ok(closed.text.includes(part), `${part} in:\n${closed.text}`);
  }

  // Offline: nobody on duty, a visitor writes.
  stack.duty.close();
  await eventually(async () => !(await (await fetch(`${relay.url}/v1/sites/demo/status`)).json()).online, 'the site offline');
  await visitorWrites('Ivan', 'Call me back please, +7 900 000-00-00');
  const offline = await eventually(() => relay.emailsTo('owner@example.com').find((l) => l.subject.startsWith('Offline message')), 'the offline message letter');
  assert.equal(offline.subject, 'Offline message from Ivan · Demo shop');
  assert.match(offline.text, /Call me back please, \+7 900 000-00-00/);
  assert.match(offline.text, /E-mail: ivan@example.com/);
  // Each once, however often the alarm runs.
  await new Promise((r) => setTimeout(r, 2_000));
  assert.equal(relay.emailsTo('owner@example.com').length, 2);
});
