// Protocol v1 against the real relay: idempotent sends, and every kind of bad input
// getting a clear error while storing nothing and disturbing no one else.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { Relay } from './support/relay.mjs';
import { devToken, expired } from './support/tokens.mjs';
import {
  history, newVisitor, nextFrame, openSocket, operatorSocket, signInOperator, visitorSocket, wsBase,
} from './support/sockets.mjs';

let relay, operator;

before(async () => {
  relay = await Relay.start();
  operator = await signInOperator(relay.url);
});

after(async () => {
  await relay?.stop();
});

const send = (ws, frame) => ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));

test('the same client message id sent twice stores one message and acks the same seq', async () => {
  const visitor = await newVisitor(relay.url);
  const ws = await visitorSocket(relay.url, visitor);
  send(ws, { type: 'send', client_id: 'same-id-1', text: 'only once' });
  const first = await nextFrame(ws, (f) => f.type === 'ack');
  send(ws, { type: 'send', client_id: 'same-id-1', text: 'only once' });
  const second = await nextFrame(ws, (f) => f.type === 'ack');
  // And again from a second tab (a new socket), as a resend after reconnect would.
  const tab = await visitorSocket(relay.url, visitor);
  send(tab, { type: 'send', client_id: 'same-id-1', text: 'only once' });
  const third = await nextFrame(tab, (f) => f.type === 'ack');
  assert.deepEqual([first.seq, second.seq, third.seq], [1, 1, 1]);
  const { body } = await history(relay.url, operator, visitor.conversation);
  assert.deepEqual(body.messages.map((m) => [m.seq, m.client_id, m.text]), [[1, 'same-id-1', 'only once']]);
  ws.close();
  tab.close();
});

test('bad frames each get a clear error frame, store nothing, and leave other conversations alone', async () => {
  const victim = await newVisitor(relay.url);
  const bystander = await newVisitor(relay.url);
  const bad = await visitorSocket(relay.url, victim);
  const good = await visitorSocket(relay.url, bystander);
  send(bad, { type: 'send', client_id: 'first', text: 'a real message' });
  await nextFrame(bad, (f) => f.type === 'ack');

  const cases = [
    ['malformed JSON', '{"type": "send", ', 'bad_frame'],
    ['not an object', '42', 'bad_frame'],
    ['an unknown frame type', { type: 'sticker', id: 1 }, 'unknown_frame'],
    ['a send without text', { type: 'send', client_id: 'x1' }, 'bad_frame'],
    ['a bad client id', { type: 'send', client_id: 'has spaces', text: 'x' }, 'bad_frame'],
    ['an empty message', { type: 'send', client_id: 'x2', text: '   ' }, 'empty_message'],
    ['a message of 4,001 characters', { type: 'send', client_id: 'x3', text: 'я'.repeat(4001) }, 'message_too_long'],
    ['a frame over 16 KB', { type: 'send', client_id: 'x4', text: 'x'.repeat(17_000) }, 'frame_too_large'],
  ];
  for (const [what, frame, code] of cases) {
    send(bad, frame);
    const error = await nextFrame(bad, (f) => f.type === 'error');
    assert.equal(error.code, code, what);
    assert.ok(error.message.length > 10, `${what} has a human message: ${error.message}`);
  }
  // A binary frame too.
  bad.send(Buffer.from([1, 2, 3]));
  assert.equal((await nextFrame(bad, (f) => f.type === 'error')).code, 'bad_frame');

  // The socket still works, and so does everyone else.
  send(bad, { type: 'send', client_id: 'second', text: 'still here' });
  assert.equal((await nextFrame(bad, (f) => f.type === 'ack')).seq, 2);
  send(good, { type: 'send', client_id: 'other', text: 'unaffected' });
  assert.equal((await nextFrame(good, (f) => f.type === 'ack')).seq, 1);

  const stored = (await history(relay.url, operator, victim.conversation)).body.messages.map((m) => m.text);
  assert.deepEqual(stored, ['a real message', 'still here']);
  bad.close();
  good.close();
});

test('bad tokens, foreign conversations and wrong versions are refused before any object', async () => {
  const alice = await newVisitor(relay.url);
  const bob = await newVisitor(relay.url);
  const base = wsBase(relay.url);
  const refused = async (url) => {
    try {
      const ws = await openSocket(url);
      ws.close();
    } catch (e) {
      return e;
    }
    assert.fail(`${url} was accepted`);
  };

  let e = await refused(`${base}/v1/conversations/${alice.conversation}/ws?v=1&token=forged.token`);
  assert.equal(e.status, 401);
  assert.equal(e.body.code, 'unauthorized');

  e = await refused(`${base}/v1/conversations/${bob.conversation}/ws?v=1&token=${encodeURIComponent(alice.token)}`);
  assert.equal(e.status, 403);
  assert.equal(e.body.code, 'forbidden');
  assert.match(e.body.message, /does not grant that conversation/);

  e = await refused(`${base}/v1/conversations/${alice.conversation}/ws?v=2&token=${encodeURIComponent(alice.token)}`);
  assert.equal(e.status, 400);
  assert.equal(e.body.code, 'unsupported_protocol');

  // A visitor token is not an operator session.
  e = await refused(`${base}/v1/console/sites/demo/inbox/ws?v=1&token=${encodeURIComponent(alice.token)}`);
  assert.equal(e.status, 401);

  // A token whose signature is right but whose claims were changed: refused.
  const [payload, signature] = alice.token.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url'));
  const tampered = `${Buffer.from(JSON.stringify({ ...claims, exp: 9e15 })).toString('base64url')}.${signature}`;
  e = await refused(`${base}/v1/conversations/${alice.conversation}/ws?v=1&token=${encodeURIComponent(tampered)}`);
  assert.equal(e.status, 401);
  assert.equal(e.body.code, 'unauthorized');

  // A correctly signed token (the local secret from .dev.vars) that has expired.
  const expired = devToken({ ...claims, exp: Date.now() - 1000 });
  e = await refused(`${base}/v1/conversations/${alice.conversation}/ws?v=1&token=${encodeURIComponent(expired)}`);
  assert.equal(e.status, 401);
  assert.equal(e.body.code, 'token_expired');
  // The same claims unexpired are accepted: the refusal was the expiry.
  const fresh = await openSocket(`${base}/v1/conversations/${alice.conversation}/ws?v=1&token=${encodeURIComponent(devToken({ ...claims, exp: Date.now() + 60_000 }))}`);
  fresh.close();

  // Nothing of this created or stored anything.
  for (const visitor of [alice, bob]) {
    const { status, body } = await history(relay.url, operator, visitor.conversation);
    assert.equal(status, 404);
    assert.equal(body.code, 'not_found');
  }
});

test('the HTTP routes refuse bad input with a status and a clear JSON error', async () => {
  const post = (path, body, headers = {}) => fetch(`${relay.url}${path}`, { method: 'POST', body, headers });
  let res = await post('/v1/console/sign-in', '{"email": ');
  assert.equal(res.status, 400);
  assert.equal((await res.json()).code, 'invalid_input');

  res = await post('/v1/console/sign-in', JSON.stringify({ email: 'demo@natter.dev', password: 'wrong' }));
  assert.equal(res.status, 401);
  assert.match((await res.json()).message, /e-mail or password/);

  res = await post('/v1/console/sign-in', JSON.stringify({ email: 'x@y.z', password: 'p'.repeat(20_000) }));
  assert.equal(res.status, 413);
  assert.equal((await res.json()).code, 'frame_too_large');

  res = await post('/v1/sites/no-such-site/visitors');
  assert.equal(res.status, 404);
  res = await post('/v1/sites/Not%20A%20Site/visitors');
  assert.equal(res.status, 400);
  assert.equal((await res.json()).code, 'invalid_input');

  res = await fetch(`${relay.url}/v1/console/sites/demo/conversations/abc/messages`);
  assert.equal(res.status, 401);

  // The probes clients use when a socket keeps failing.
  const visitor = await newVisitor(relay.url);
  const probe = (path, token) => fetch(`${relay.url}${path}`, { headers: { Authorization: `Bearer ${token}` } });
  assert.equal((await probe(`/v1/conversations/${visitor.conversation}`, visitor.token)).status, 204);
  assert.equal((await probe('/v1/conversations/someone-else', visitor.token)).status, 403);
  assert.equal((await probe(`/v1/conversations/${visitor.conversation}`, expired(visitor.token))).status, 401);
  assert.equal((await probe('/v1/console/session', operator.token)).status, 204);
  assert.equal((await probe('/v1/console/session', expired(operator.token))).status, 401);
  assert.equal((await probe('/v1/console/session', visitor.token)).status, 401);
  res = await fetch(`${relay.url}/v1/nothing-here`);
  assert.equal(res.status, 404);

  // CORS: the widget's cross-origin preflight is answered.
  res = await fetch(`${relay.url}/v1/sites/demo/visitors`, {
    method: 'OPTIONS', headers: { Origin: 'http://shop.test', 'Access-Control-Request-Method': 'POST' },
  });
  assert.equal(res.status, 204);
  assert.equal(res.headers.get('access-control-allow-origin'), 'http://shop.test');
});

test('an operator reply reaches every tab of the visitor, and the inbox follows live', async () => {
  const visitor = await newVisitor(relay.url);
  const inboxUrl = `${wsBase(relay.url)}/v1/console/sites/demo/inbox/ws?v=1&token=${encodeURIComponent(operator.token)}`;
  const inbox = await openSocket(inboxUrl);
  await nextFrame(inbox, (f) => f.type === 'inbox');
  // Presence: the operator is online once, however many consoles they have open.
  const me = [{ id: operator.operator, name: 'Demo Operator', away: false }];
  assert.deepEqual((await nextFrame(inbox, (f) => f.type === 'presence')).online, me);
  const secondTab = await openSocket(inboxUrl);
  assert.deepEqual((await nextFrame(inbox, (f) => f.type === 'presence')).online, me);
  secondTab.close();
  assert.deepEqual((await nextFrame(inbox, (f) => f.type === 'presence')).online, me, 'still online in the first tab');
  const tab1 = await visitorSocket(relay.url, visitor);
  const tab2 = await visitorSocket(relay.url, visitor);
  send(tab1, { type: 'send', client_id: 'v1', text: 'anyone?' });
  const summary = await nextFrame(inbox, (f) => f.type === 'conversation' && f.id === visitor.conversation);
  assert.equal(summary.unread, 1);
  assert.equal(summary.last_text, 'anyone?');
  assert.equal((await nextFrame(tab2, (f) => f.type === 'message')).text, 'anyone?');

  const op = await operatorSocket(relay.url, operator, visitor.conversation);
  send(op, { type: 'read', seq: 1 });
  assert.equal((await nextFrame(tab1, (f) => f.type === 'read')).seq, 1);
  assert.equal((await nextFrame(inbox, (f) => f.type === 'conversation' && f.unread === 0)).last_seq, 1);
  send(op, { type: 'send', client_id: 'o1', text: 'yes, here' });
  for (const tab of [tab1, tab2]) {
    const message = await nextFrame(tab, (f) => f.type === 'message' && f.seq === 2);
    assert.deepEqual([message.author.kind, message.author.name, message.text], ['operator', 'Demo Operator', 'yes, here']);
  }
  // Resume from a seq returns exactly what came after it.
  send(tab2, { type: 'resume', after: 1 });
  const resumed = await nextFrame(tab2, (f) => f.type === 'message' && f.seq === 2);
  assert.equal(resumed.text, 'yes, here');
  for (const ws of [inbox, tab1, tab2, op]) ws.close();
});

test('a visitor who writes has read what came before; the mark is stored, so it is there after a restart', async () => {
  const visitor = await newVisitor(relay.url);
  const ws = await visitorSocket(relay.url, visitor);
  send(ws, { type: 'send', client_id: 'r1', text: 'question' });
  await nextFrame(ws, (f) => f.type === 'ack' && f.client_id === 'r1');
  const op = await operatorSocket(relay.url, operator, visitor.conversation);
  send(op, { type: 'send', client_id: 'r2', text: 'answer' });
  await nextFrame(op, (f) => f.type === 'ack' && f.client_id === 'r2');
  // Not read yet: the visitor's own message is the newest they have read.
  let tab = await visitorSocket(relay.url, visitor);
  assert.equal(tab.frames.find((f) => f.type === 'welcome').visitor_read, 1);
  tab.close();
  send(ws, { type: 'send', client_id: 'r3', text: 'thanks' });
  await nextFrame(ws, (f) => f.type === 'ack' && f.client_id === 'r3');
  for (const socket of [ws, op]) socket.close();
  await relay.stop();
  await relay.start();
  operator = await signInOperator(relay.url);
  tab = await visitorSocket(relay.url, visitor);
  const welcome = tab.frames.find((f) => f.type === 'welcome');
  assert.deepEqual([welcome.last_seq, welcome.visitor_read, welcome.operator_read], [3, 3, 2]);
  tab.close();
});
