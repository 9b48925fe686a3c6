// Limits on everything a stranger (or a runaway operator) can call, issue 14 item 4:
// per-site limits counted by the objects (a visitor's messages: a burst, then a steady
// rate; new conversations per IP an hour), and the Rate Limiting binding's per-IP and
// per-operator ceilings (visitor tokens, identify, uploads, replies). Past a limit:
// `rate_limited` with when to retry, and nothing lost; the widget says so and sends
// the messages once it may.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import WebSocket from 'ws';

import { artifacts, eventually, logTexts, openWidget, signIn, startStack, visitorSends } from './support/browser.mjs';
import { DEV_RATE_LIMITS, history, nextFrame, operatorSocket, saveSettings, signInOperator, wsBase } from './support/sockets.mjs';
import { axeViolations } from './support/axe.mjs';

let stack;
let relay;
let admin;
before(async () => {
  stack = await startStack();
  ({ relay, admin } = stack);
});
after(async () => {
  await stack?.stop();
});

const limits = (overrides) => saveSettings(relay.url, admin, { rate_limits: { ...DEV_RATE_LIMITS, ...overrides } });

/** A new visitor, as if calling from `ip`. */
async function visitorFrom(ip) {
  const res = await fetch(`${relay.url}/v1/sites/demo/visitors`, { method: 'POST', headers: { 'CF-Connecting-IP': ip } });
  assert.equal(res.status, 201);
  return res.json();
}

/** A visitor's socket from `ip`, its hello answered. */
function socketFrom(visitor, ip) {
  return new Promise((resolve, reject) => {
    const url = `${wsBase(relay.url)}/v1/conversations/${visitor.conversation}/ws?v=1&token=${encodeURIComponent(visitor.token)}`;
    const ws = new WebSocket(url, { headers: { 'CF-Connecting-IP': ip } });
    ws.frames = [];
    ws.on('message', (data) => ws.frames.push(JSON.parse(String(data))));
    ws.on('open', async () => {
      ws.send(JSON.stringify({ type: 'hello', protocol: 1, after: 0 }));
      await nextFrame(ws, (f) => f.type === 'welcome');
      resolve(ws);
    });
    ws.on('error', reject);
  });
}

/** The answer to `client_id`'s send: its ack, or the refusal that came after it was sent. */
async function sendAndHear(ws, clientId, text) {
  const from = ws.frames.length;
  ws.send(JSON.stringify({ type: 'send', client_id: clientId, text }));
  return nextFrame(ws, (f) => ws.frames.indexOf(f) >= from && ((f.type === 'ack' && f.client_id === clientId) || f.type === 'error'));
}

/** With under `margin` ms of the binding's fixed minute left, waits for the next one. */
async function freshMinute(margin = 20_000) {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < margin) await new Promise((r) => setTimeout(r, left + 200));
}

test('a visitor may send a burst, then at the steady rate; refused ones wait as told and are stored once, in order', async () => {
  await limits({ message_burst: 3, messages_per_minute: 60 });
  const visitor = await visitorFrom('198.51.100.1');
  const ws = await socketFrom(visitor, '198.51.100.1');
  const texts = ['one', 'two', 'three', 'four', 'five'];
  const answers = [];
  for (const [i, text] of texts.entries()) answers.push(await sendAndHear(ws, `burst-${i}`, text));
  assert.deepEqual(answers.map((a) => a.type), ['ack', 'ack', 'ack', 'error', 'error']);
  for (const refusal of answers.slice(3)) {
    assert.equal(refusal.code, 'rate_limited');
    assert.ok(refusal.retry_after >= 1 && refusal.retry_after <= 2, `retry after ${refusal.retry_after} s`);
  }
  // As a client does: everything not acked goes again, in order, after the time said.
  const started = Date.now();
  let pending = [3, 4];
  let refusals = 0;
  while (pending.length > 0) {
    const answer = await sendAndHear(ws, `burst-${pending[0]}`, texts[pending[0]]);
    if (answer.type === 'ack') {
      pending = pending.slice(1);
    } else {
      refusals += 1;
      await new Promise((r) => setTimeout(r, answer.retry_after * 1000));
    }
  }
  const waited = Date.now() - started;
  assert.ok(waited >= 900, `the steady rate (one a second) was kept: ${waited} ms`);
  const { body } = await history(relay.url, admin, visitor.conversation);
  assert.deepEqual(body.messages.map((m) => m.text), texts, 'each stored once, in the order sent');
  console.log(`burst 3 then 1/s: 2 refused, ${refusals} more refusals while waiting, done in ${waited} ms`);
  ws.close();
});

test('a socket refused as too fast holds back its later messages, so they cannot overtake the refused one', async () => {
  await limits({ message_burst: 1, messages_per_minute: 60 });
  const visitor = await visitorFrom('198.51.100.2');
  const ws = await socketFrom(visitor, '198.51.100.2');
  assert.equal((await sendAndHear(ws, 'hold-0', 'first')).type, 'ack');
  assert.equal((await sendAndHear(ws, 'hold-1', 'second')).code, 'rate_limited');
  // A token is there again after a second, but the socket is held for the time it was told.
  await new Promise((r) => setTimeout(r, 1_100));
  const third = await sendAndHear(ws, 'hold-2', 'third');
  assert.equal(third.type, 'ack', 'held for 1 s only');
  // (Had the hold outlasted the wait, `third` would be refused; it was told 1 s.)
  const { body } = await history(relay.url, admin, visitor.conversation);
  assert.deepEqual(body.messages.map((m) => m.text), ['first', 'third']);
  const early = await sendAndHear(ws, 'hold-1b', 'second again');
  assert.equal(early.code, 'rate_limited', 'the bucket is empty again');
  ws.close();
});

test('a retry of a stored message is acked with its seq and not counted, also with the bucket empty and the socket held', async () => {
  await limits({ message_burst: 2, messages_per_minute: 1 });
  const visitor = await visitorFrom('198.51.100.5');
  const ws = await socketFrom(visitor, '198.51.100.5');
  const first = await sendAndHear(ws, 'retry-0', 'first');
  assert.deepEqual([first.type, first.seq], ['ack', 1]);
  for (let i = 0; i < 3; i += 1) {
    const again = await sendAndHear(ws, 'retry-0', 'first');
    assert.deepEqual([again.type, again.seq], ['ack', 1], 'a retry is acked as stored');
  }
  // The retries took nothing: the burst's second token is still there.
  const second = await sendAndHear(ws, 'retry-1', 'second');
  assert.deepEqual([second.type, second.seq], ['ack', 2]);
  assert.equal((await sendAndHear(ws, 'retry-2', 'third')).code, 'rate_limited', 'the bucket is empty now');
  // Held back and out of tokens, a stored message sent again is still acked.
  const held = await sendAndHear(ws, 'retry-1', 'second');
  assert.deepEqual([held.type, held.seq], ['ack', 2]);
  const { body } = await history(relay.url, admin, visitor.conversation);
  assert.deepEqual(body.messages.map((m) => m.text), ['first', 'second']);
  ws.close();
});

test('one IP address starts at most the site\'s conversations an hour; another address is not affected', async () => {
  await limits({ conversations_per_hour: 2 });
  const ip = '198.51.100.3';
  const answers = [];
  for (let i = 0; i < 3; i += 1) {
    const visitor = await visitorFrom(ip);
    const ws = await socketFrom(visitor, ip);
    answers.push({ visitor, answer: await sendAndHear(ws, `start-${i}`, `conversation ${i}`) });
    ws.close();
  }
  assert.deepEqual(answers.map((a) => a.answer.type), ['ack', 'ack', 'error']);
  const refused = answers[2].answer;
  assert.equal(refused.code, 'rate_limited');
  assert.ok(refused.retry_after > 3_500 && refused.retry_after <= 3_600, `retry after ${refused.retry_after} s`);
  // Nothing was created for the refused one.
  assert.equal((await history(relay.url, admin, answers[2].visitor.conversation)).status, 404);
  const other = await visitorFrom('198.51.100.4');
  const ws = await socketFrom(other, '198.51.100.4');
  assert.equal((await sendAndHear(ws, 'start-other', 'from elsewhere')).type, 'ack');
  ws.close();
  await limits({});
});

test('visitor tokens, identify and uploads per IP address: 429 rate_limited with Retry-After past the ceiling', async () => {
  await freshMinute();
  const post = (route, ip, init = {}) => fetch(`${relay.url}${route}`, { method: 'POST', ...init, headers: { 'CF-Connecting-IP': ip, ...init.headers } });
  const statuses = async (n, call) => {
    const all = [];
    for (let i = 0; i < n; i += 1) all.push(await call());
    return all;
  };
  const tokens = await statuses(61, () => post('/v1/sites/demo/visitors', '198.51.100.10'));
  assert.ok(tokens.slice(0, 60).every((r) => r.status === 201), 'sixty new visitors a minute from one address');
  const refused = tokens[60];
  assert.equal(refused.status, 429);
  assert.equal(refused.headers.get('retry-after'), '60');
  assert.deepEqual(await refused.json(), { code: 'rate_limited', message: 'Too many attempts. Wait a minute, then try again.', retry_after: 60 });
  assert.equal((await post('/v1/sites/demo/visitors', '198.51.100.11')).status, 201, 'another address');

  const identify = await statuses(31, () => post('/v1/sites/demo/identify', '198.51.100.12', { body: '{}', headers: { 'Content-Type': 'application/json' } }));
  assert.ok(identify.slice(0, 30).every((r) => r.status === 400), `${identify.map((r) => r.status)}`);
  assert.equal(identify[30].status, 429);

  await saveSettings(relay.url, admin, { files: true });
  const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');
  const visitor = await visitorFrom('198.51.100.13');
  const upload = () => post(`/v1/conversations/${visitor.conversation}/files?name=dot.png`, '198.51.100.13', {
    body: png, headers: { Authorization: `Bearer ${visitor.token}`, 'Content-Type': 'image/png' },
  });
  const uploads = await statuses(21, upload);
  assert.ok(uploads.slice(0, 20).every((r) => r.status === 201), `${uploads.map((r) => r.status)}`);
  assert.equal(uploads[20].status, 429);
  assert.equal((await uploads[20].json()).code, 'rate_limited');
  await limits({});
});

test('an operator\'s replies over all their conversations: the 121st in a minute is refused with when to retry', async () => {
  await freshMinute();
  const agent = await signInOperator(relay.url, 'agent@natter.dev', 'natter-agent');
  const conversations = [];
  for (const ip of ['198.51.100.20', '198.51.100.21']) {
    const visitor = await visitorFrom(ip);
    const ws = await socketFrom(visitor, ip);
    assert.equal((await sendAndHear(ws, `reply-start-${conversations.length}`, 'hello')).type, 'ack');
    ws.close();
    conversations.push(await operatorSocket(relay.url, agent, visitor.conversation));
  }
  const answers = [];
  for (let i = 0; i < 121; i += 1) answers.push(await sendAndHear(conversations[i % 2], `reply-${i}`, `reply ${i}`));
  assert.ok(answers.slice(0, 120).every((a) => a.type === 'ack'), 'one hundred and twenty acked');
  assert.equal(answers[120].type, 'error');
  assert.equal(answers[120].code, 'rate_limited');
  assert.equal(answers[120].retry_after, 60);
  for (const ws of conversations) ws.close();
});

test('in the widget: messages typed too fast stay pending, the visitor is told, and all go out once, in order', async () => {
  await limits({ message_burst: 2, messages_per_minute: 60 });
  const page = await (await stack.browser.newContext()).newPage();
  await page.goto(`${stack.host.url}/host.html`);
  await openWidget(page);
  const texts = ['m1', 'm2', 'm3', 'm4', 'm5'];
  for (const text of texts) await visitorSends(page, text);
  const problem = page.getByText('You are sending messages too fast. They will go out in a moment.');
  await problem.waitFor();
  await page.screenshot({ path: path.join(artifacts, 'ratelimit-widget.png') });
  const log = page.getByRole('log');
  assert.ok((await log.locator('.delivery').allTextContents()).includes('Sending…'), 'refused ones are pending');
  await eventually(async () => (await log.locator('.delivery').allTextContents()).every((d) => d !== 'Sending…')
    && (await logTexts(page)).filter((t) => texts.includes(t)).length === 5, 'all five sent', 20_000);
  await problem.waitFor({ state: 'detached' });
  const { conversation } = await page.evaluate(() => JSON.parse(localStorage.getItem('natter.demo.session')));
  const { body } = await history(relay.url, admin, conversation);
  assert.deepEqual(body.messages.map((m) => m.text).filter((t) => texts.includes(t)), texts, 'each once, in order');
  await page.context().close();
  await limits({});
});

test('an admin sets the limits for visitors under Widget settings → Conversations', async () => {
  const page = await (await stack.browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
  await signIn(page, relay.url);
  await page.getByRole('button', { name: 'Widget settings' }).click();
  const group = page.getByRole('group', { name: 'Limits for visitors' });
  await group.getByLabel('Messages a visitor may send at once').fill('7');
  await group.getByLabel('Then messages per minute').fill('45');
  await group.getByLabel('New conversations per hour from one IP address').fill('0');
  await group.getByLabel('New conversations per hour from one IP address').blur();
  await page.getByRole('button', { name: 'Save' }).click();
  await eventually(async () => /Saved/.test(await page.getByRole('status', { name: 'Save status' }).textContent()), 'saved');
  const saved = await (await fetch(`${relay.url}/v1/console/sites/demo/settings`, { headers: { Authorization: `Bearer ${admin.token}` } })).json();
  assert.deepEqual(saved.settings.rate_limits, { message_burst: 7, messages_per_minute: 45, conversations_per_hour: 1 }, 'out of range is brought into it');
  await page.waitForTimeout(500);
  assert.deepEqual(await axeViolations(page), []);
  // What the widget is sent never has them.
  const widget = await (await fetch(`${relay.url}/v1/sites/demo/widget`)).json();
  assert.ok(widget.position, 'the widget\'s document');
  assert.equal(widget.rate_limits, undefined);
  await page.context().close();
  await limits({});
});
