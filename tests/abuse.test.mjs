// The relay as a stranger tries it (issue 14): sign-ins store nothing for unknown
// addresses and take as long as for known ones; sockets end with their credentials.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { Relay } from './support/relay.mjs';
import {
  history, newVisitor, nextFrame, openSocket, operatorSocket, signInOperator, visitorSocket, wsBase,
} from './support/sockets.mjs';
import { expiringIn } from './support/tokens.mjs';

let relay;

before(async () => {
  relay = await Relay.start();
});

after(async () => {
  await relay?.stop();
});

async function signIn(email, password) {
  const started = performance.now();
  const response = await fetch(`${relay.url}/v1/console/sign-in`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  return { status: response.status, ms: performance.now() - started, body: await response.json() };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

test('sign-ins with unknown addresses store nothing and take as long as a wrong password', async () => {
  // The seed's accounts exist once the first request made them.
  assert.equal((await signIn('demo@natter.dev', 'natter-demo')).status, 200);
  const accounts = relay.storedObjects('Account');
  const unknown = [];
  const known = [];
  for (let i = 0; i < 6; i++) {
    const stranger = await signIn(`nobody-${i}-${Date.now()}@example.com`, 'guess');
    const wrong = await signIn('agent@natter.dev', `wrong-${i}`);
    // The same answer for both.
    assert.deepEqual([stranger.status, stranger.body], [wrong.status, wrong.body]);
    assert.equal(stranger.status, 401);
    unknown.push(stranger.ms);
    known.push(wrong.ms);
  }
  assert.equal(relay.storedObjects('Account'), accounts, 'no account stored for a stranger');
  // Both derive the key (PBKDF2, tens of ms); without that, an unknown address answered
  // in a fifth of the time.
  const [u, k] = [median(unknown), median(known)];
  assert.ok(u > 0.6 * k && u < 1.6 * k, `unknown ${u.toFixed(1)} ms, known ${k.toFixed(1)} ms`);
});

/**
 * The close frame a socket got from the relay ({code, reason}), or 'still open' after
 * `ms`. (`wrangler dev` may not end the connection after the handshake, so the frame
 * is read where the `ws` package keeps it rather than waiting for 'close'.)
 */
async function closed(ws, ms = 8_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (ws._closeFrameReceived) return { code: ws._closeCode, reason: String(ws._closeMessage) };
    await new Promise((r) => setTimeout(r, 50));
  }
  return 'still open';
}

test('open sockets end with their credentials: nothing is acked or pushed after expiry, the close says why', async () => {
  const operator = await signInOperator(relay.url);
  const visitor = await newVisitor(relay.url);
  const talk = await visitorSocket(relay.url, visitor);
  talk.send(JSON.stringify({ type: 'send', client_id: 'before', text: 'before expiry' }));
  await nextFrame(talk, (f) => f.type === 'ack');
  talk.close();

  const short = { ...visitor, token: expiringIn(visitor.token, 2_500) };
  const shortOperator = { ...operator, token: expiringIn(operator.token, 2_500) };
  const visitorWs = await visitorSocket(relay.url, short);
  const operatorWs = await operatorSocket(relay.url, shortOperator, visitor.conversation);
  const inbox = await openSocket(`${wsBase(relay.url)}/v1/console/sites/demo/inbox/ws?v=1&token=${encodeURIComponent(shortOperator.token)}`);
  await nextFrame(inbox, (f) => f.type === 'inbox');
  const ends = [visitorWs, operatorWs, inbox].map((ws) => closed(ws));
  await new Promise((r) => setTimeout(r, 3_000));

  visitorWs.send(JSON.stringify({ type: 'send', client_id: 'late-visitor', text: 'after expiry' }));
  operatorWs.send(JSON.stringify({ type: 'send', client_id: 'late-operator', text: 'after expiry' }));
  // Another visitor writes: the expired inbox socket must not be told.
  const other = await newVisitor(relay.url);
  const otherWs = await visitorSocket(relay.url, other);
  otherWs.send(JSON.stringify({ type: 'send', client_id: 'other', text: 'someone else' }));
  await nextFrame(otherWs, (f) => f.type === 'ack');
  otherWs.close();

  const how = await Promise.all(ends);
  assert.deepEqual(how, Array(3).fill({ code: 4001, reason: 'session expired' }), 'visitor, operator, inbox');
  assert.ok(!visitorWs.frames.some((f) => f.type === 'ack' && f.client_id === 'late-visitor'), 'the visitor send was not acked');
  assert.ok(!operatorWs.frames.some((f) => f.type === 'ack' && f.client_id === 'late-operator'), 'the reply was not acked');
  assert.ok(!inbox.frames.some((f) => f.type === 'conversation' && f.id === other.conversation), 'the inbox got nothing after expiry');
  const { body } = await history(relay.url, operator, visitor.conversation);
  assert.deepEqual(body.messages.map((m) => m.text), ['before expiry']);
  // The same credentials are refused at the door now.
  await assert.rejects(visitorSocket(relay.url, short), (e) => e.status === 401);
});
