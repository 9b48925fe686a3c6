// The relay keeps order under pressure (issue 14, items 1, 2 and 8): a socket gets live
// messages only after its catch-up, so no message can hide behind a newer one; one
// socket's file and text are stored in the order sent; a file key that names no file
// is a 4xx in our words, never the store's error.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { Relay } from './support/relay.mjs';
import { eventually, launch } from './support/browser.mjs';
import {
  dutyOperator, history, newVisitor, nextFrame, openSocket, saveSettings, signInOperator, visitorSocket, wsBase,
} from './support/sockets.mjs';

let relay, admin, duty;

before(async () => {
  relay = await Relay.start();
  admin = await signInOperator(relay.url);
  await saveSettings(relay.url, admin, { files: true });
  duty = await dutyOperator(relay.url);
});

after(async () => {
  duty?.close();
  await relay?.stop();
});

async function send(ws, client_id, text, extra = {}) {
  ws.send(JSON.stringify({ type: 'send', client_id, text, ...extra }));
  return nextFrame(ws, (f) => (f.type === 'ack' && f.client_id === client_id) || f.type === 'error');
}

test('a socket gets live messages only once its hello is answered, so a reconnect misses none', async () => {
  const visitor = await newVisitor(relay.url);
  const vs = await visitorSocket(relay.url, visitor);
  for (const n of [1, 2, 3]) await send(vs, `m${n}`, `message ${n}`);
  // An operator's socket is open but has not said hello yet; a message arrives live.
  const late = await openSocket(`${wsBase(relay.url)}/v1/console/sites/demo/conversations/${visitor.conversation}/ws?v=1&token=${encodeURIComponent(admin.token)}`);
  await send(vs, 'm4', 'message 4');
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(late.frames.map((f) => f.type), [], 'nothing live before the catch-up');
  late.send(JSON.stringify({ type: 'hello', protocol: 1, after: 0 }));
  await nextFrame(late, (f) => f.type === 'message' && f.seq === 4);
  const order = late.frames.filter((f) => f.type === 'welcome' || f.type === 'message').map((f) => (f.type === 'welcome' ? 'welcome' : f.seq));
  assert.deepEqual(order, ['welcome', 1, 2, 3, 4]);
  // Live from now on.
  await send(vs, 'm5', 'message 5');
  await nextFrame(late, (f) => f.type === 'message' && f.seq === 5);
  late.close();
  vs.close();
});

test('a file and then a text from one socket are stored in that order, every time', async () => {
  const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
  const visitor = await newVisitor(relay.url);
  const vs = await visitorSocket(relay.url, visitor);
  await send(vs, 'first', 'hello');
  for (let i = 0; i < 5; i++) {
    const res = await fetch(`${relay.url}/v1/conversations/${visitor.conversation}/files?name=photo-${i}.png`, {
      method: 'POST', headers: { Authorization: `Bearer ${visitor.token}` }, body: png,
    });
    assert.equal(res.status, 201);
    const attachment = await res.json();
    // Back to back, without waiting for the file's ack.
    vs.send(JSON.stringify({ type: 'send', client_id: `file-${i}`, text: '', attachment }));
    vs.send(JSON.stringify({ type: 'send', client_id: `text-${i}`, text: `after file ${i}` }));
    await nextFrame(vs, (f) => f.type === 'ack' && f.client_id === `text-${i}`);
    await nextFrame(vs, (f) => f.type === 'ack' && f.client_id === `file-${i}`);
  }
  const { body } = await history(relay.url, admin, visitor.conversation);
  const ids = body.messages.map((m) => m.client_id);
  assert.deepEqual(ids, ['first', ...[0, 1, 2, 3, 4].flatMap((i) => [`file-${i}`, `text-${i}`])]);
  assert.deepEqual(body.messages.map((m) => m.seq), ids.map((_, i) => i + 1), 'no gaps');
  vs.close();
});

test('a file key that names no file is refused in our words, never with the store\'s error', async () => {
  const visitor = await newVisitor(relay.url);
  const vs = await visitorSocket(relay.url, visitor);
  await send(vs, 'k0', 'hello');
  const long = 'x'.repeat(2_000);
  const claimed = { key: `demo/${visitor.conversation}/${long}`, name: 'a.png', content_type: 'image/png', size: 1 };
  const refused = await send(vs, 'k1', '', { attachment: claimed });
  assert.equal(refused.type, 'error');
  assert.equal(refused.code, 'invalid_input');
  assert.equal(refused.message, 'The file is not one uploaded to this conversation');
  for (const path of [`/v1/files/demo/${visitor.conversation}/${long}`, `/v1/files/demo/${long}/0123456789abcdef0123456789abcdef`, `/v1/avatars/${long}/x`]) {
    const res = await fetch(`${relay.url}${path}`);
    assert.equal(res.status, 404, path.slice(0, 60));
    assert.deepEqual(await res.json(), { code: 'not_found', message: 'No such file' });
  }
  // The conversation goes on.
  assert.equal((await send(vs, 'k2', 'still here')).type, 'ack');
  vs.close();
});

test('visitor sockets that never write store nothing; the first message does (issue 14, item 7)', async () => {
  const before = relay.storedObjects('Conversation');
  const sockets = [];
  for (let i = 0; i < 10; i++) {
    const ws = await visitorSocket(relay.url, await newVisitor(relay.url));
    // Everything a widget says before the visitor writes.
    ws.send(JSON.stringify({ type: 'introduce', details: { name: `Quiet ${i}`, email: '', phone: '' } }));
    ws.send(JSON.stringify({ type: 'typing', typing: true }));
    ws.send(JSON.stringify({ type: 'read', seq: 0 }));
    ws.send(JSON.stringify({ type: 'resume', after: 0 }));
    ws.send(JSON.stringify({ type: 'rate', good: true }));
    sockets.push(ws);
  }
  await new Promise((r) => setTimeout(r, 1000));
  for (const ws of sockets) assert.ok(!ws.frames.some((f) => f.type === 'error' && f.code === 'internal'), JSON.stringify(ws.frames));
  sockets.forEach((ws) => ws.close());
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(relay.storedObjects('Conversation'), before, 'no conversation stored');
  // The first message creates one, with the details given before it.
  const visitor = await newVisitor(relay.url);
  const ws = await visitorSocket(relay.url, visitor);
  ws.send(JSON.stringify({ type: 'introduce', details: { name: 'Loud', email: '', phone: '' } }));
  assert.equal((await send(ws, 'first', 'hello')).type, 'ack');
  assert.equal(relay.storedObjects('Conversation'), before + 1);
  const { body } = await history(relay.url, admin, visitor.conversation);
  assert.equal(body.messages[0].author.name, 'Loud');
  ws.close();
});

test('a reply typed during an outage in a tab since closed goes out when the console connects, whatever is open', async () => {
  const visitor = await newVisitor(relay.url);
  const vs = await visitorSocket(relay.url, visitor);
  await send(vs, 'p0', 'is anyone there?');
  const browser = await launch();
  try {
    const page = await browser.newPage();
    await page.goto(`${relay.url}/console/`);
    await page.getByLabel('Email').fill('demo@natter.dev');
    await page.getByLabel('Password').fill('natter-demo');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Inbox' }).waitFor();
    // What a closed tab left: a reply in the conversation's outbox, never acknowledged.
    await page.evaluate((conversation) => {
      localStorage.setItem(`natter.console.outbox.demo.${conversation}`, JSON.stringify([
        { client_id: 'outage-1', text: 'Sorry, we were offline. How can I help?', at: Date.now() },
      ]));
    }, visitor.conversation);
    await page.reload();
    await page.getByRole('navigation', { name: 'Inbox' }).waitFor();
    await nextFrame(vs, (f) => f.type === 'message' && f.client_id === 'outage-1', 15_000);
    const { body } = await history(relay.url, admin, visitor.conversation);
    assert.deepEqual(body.messages.map((m) => m.text), ['is anyone there?', 'Sorry, we were offline. How can I help?']);
    await eventually(async () => (await page.evaluate((c) => JSON.parse(localStorage.getItem(`natter.console.outbox.demo.${c}`) ?? '[]').length, visitor.conversation)) === 0, 'the outbox emptied');
    assert.equal(await page.getByRole('region', { name: 'Conversation' }).count(), 0, 'the conversation was never opened');
  } finally {
    await browser.close();
    vs.close();
  }
});
