// A bounded fuzz loop (issue 14): seeded random requests to every route and random
// frames on visitor and operator sockets. Nothing may answer 5xx, no socket may get an
// `internal` error, nothing may panic, and a canary conversation keeps working.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { Relay } from './support/relay.mjs';
import {
  newVisitor, nextFrame, operatorSocket, signInOperator, visitorSocket,
} from './support/sockets.mjs';

let relay, agent, visitor;

before(async () => {
  relay = await Relay.start();
  // An agent, not the admin: the loop may call any route, and must not delete the site.
  agent = await signInOperator(relay.url, 'agent@natter.dev', 'natter-agent');
  visitor = await newVisitor(relay.url);
  const ws = await visitorSocket(relay.url, visitor);
  ws.send(JSON.stringify({ type: 'send', client_id: 'canary-0', text: 'canary' }));
  await nextFrame(ws, (f) => f.type === 'ack');
  ws.close();
});

after(async () => {
  await relay?.stop();
});

/** A small seeded PRNG (mulberry32), so a failure can be run again as it was. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
const random = prng(SEED);
const pick = (items) => items[Math.floor(random() * items.length)];

function oddString() {
  return pick([
    '', ' ', 'a', 'x'.repeat(5000), 'я'.repeat(4001), '<script>alert(1)</script>', '../../etc/passwd', '%00', '\u0000',
    '😀'.repeat(100), 'null', '{}', '0'.repeat(64), 'f'.repeat(32), String(-1), '9'.repeat(30), '\ud800', 'demo',
  ]);
}

function oddValue(depth = 0) {
  const choices = [
    () => oddString(), () => Math.floor(random() * 1e6) - 5e5, () => 1e308, () => -0.5, () => null, () => true,
    () => [], () => ({}),
  ];
  if (depth < 3) {
    choices.push(() => Array.from({ length: 1 + Math.floor(random() * 3) }, () => oddValue(depth + 1)));
    choices.push(() => Object.fromEntries(Array.from({ length: 1 + Math.floor(random() * 3) }, () => [pick(FIELDS), oddValue(depth + 1)])));
  }
  return pick(choices)();
}

const FIELDS = [
  'type', 'client_id', 'text', 'protocol', 'after', 'page', 'details', 'name', 'email', 'phone', 'typing', 'seq', 'good',
  'comment', 'rule', 'offline', 'attachment', 'key', 'to', 'blocked', 'password', 'current', 'title', 'id', 'identity',
  'signature', 'expires', 'away', 'settings', 'sites', 'role', 'url', 'language',
];

/** A frame like the ones clients send, with some of it wrong. */
function oddFrame() {
  const valid = [
    { type: 'hello', protocol: 1, after: 0 },
    { type: 'send', client_id: `fuzz-${Math.floor(random() * 1e9)}`, text: 'hi' },
    { type: 'typing', typing: true },
    { type: 'read', seq: 1 },
    { type: 'resume', after: 0 },
    { type: 'introduce', details: { name: 'N', email: '', phone: '' } },
    { type: 'rate', good: true, comment: '' },
    { type: 'auto', client_id: 'fuzz-auto', rule: 'r', text: 't' },
    { type: 'away', away: true },
  ];
  const frame = structuredClone(pick(valid));
  const mutations = 1 + Math.floor(random() * 3);
  for (let i = 0; i < mutations; i++) {
    const field = pick([...Object.keys(frame), ...FIELDS]);
    if (random() < 0.2) delete frame[field];
    else frame[field] = oddValue();
  }
  return pick([() => JSON.stringify(frame), () => JSON.stringify(frame), () => oddString(), () => JSON.stringify(oddValue())])();
}

/** Percent-encoded; a lone surrogate (which JS cannot encode) as its raw UTF-8 bytes. */
function enc(value) {
  try {
    return encodeURIComponent(value);
  } catch {
    return '%ED%A0%80';
  }
}

function routes() {
  const c = visitor.conversation;
  const id = () => pick([c, oddString(), 'f'.repeat(32), enc(oddString())]);
  const site = () => pick(['demo', 'demo', 'nosuchsite', enc(oddString())]);
  return [
    ['GET', () => `/v1/sites/${site()}/widget`], ['GET', () => `/v1/sites/${site()}/status`],
    ['POST', () => `/v1/sites/${site()}/visitors`], ['POST', () => `/v1/sites/${site()}/identify`],
    ['GET', () => `/v1/conversations/${id()}`], ['POST', () => `/v1/conversations/${id()}/files?name=${enc(oddString())}`],
    ['GET', () => `/v1/files/${site()}/${id()}/${id()}`], ['GET', () => `/v1/avatars/${id()}/${id()}`],
    ['POST', () => '/v1/console/sign-in'], ['POST', () => '/v1/console/sign-up'], ['POST', () => '/v1/console/password-reset'],
    ['GET', () => `/v1/invitations/${id()}.${id()}`], ['POST', () => `/v1/invitations/${id()}`], ['POST', () => `/v1/password-reset/${id()}`],
    ['POST', () => '/v1/bootstrap'], ['GET', () => '/v1/console/session'], ['GET', () => '/v1/console/me'], ['PUT', () => '/v1/console/me'],
    ['GET', () => `/v1/console/sites/${site()}/settings`], ['PUT', () => `/v1/console/sites/${site()}/settings`],
    ['GET', () => `/v1/console/sites/${site()}/conversations/${id()}/messages`],
    ['POST', () => `/v1/console/sites/${site()}/conversations/${id()}/${pick(['take', 'close', 'transfer', 'block', 'nothing'])}`],
    ['PUT', () => `/v1/console/sites/${site()}/conversations/${id()}/visitor`],
    ['GET', () => `/v1/console/sites/${site()}/team`], ['GET', () => `/v1/console/sites/${site()}/canned`],
    ['POST', () => `/v1/console/sites/${site()}/canned`], ['PUT', () => `/v1/console/sites/${site()}/canned/${id()}`],
    ['DELETE', () => `/v1/console/sites/${site()}/canned/${id()}`], ['GET', () => `/v1/console/sites/${site()}/deliveries`],
    ['GET', () => '/v1/console/sites'], ['POST', () => '/v1/console/operators'], ['PUT', () => `/v1/console/operators/${id()}`],
    [pick(['PATCH', 'DELETE', 'PUT']), () => `/${enc(oddString())}/${id()}`],
  ];
}

test(`a bounded fuzz loop over routes and frames: no 5xx, no internal error, no panic (seed ${SEED})`, async () => {
  const failures = [];
  const table = routes();
  for (let i = 0; i < 500; i++) {
    const [method, path] = pick(table);
    const url = `${relay.url}${path()}`;
    const auth = pick([undefined, `Bearer ${agent.token}`, `Bearer ${visitor.token}`, `Bearer ${oddString()}`]);
    const body = method === 'GET' || method === 'DELETE' ? undefined : pick([JSON.stringify(oddValue()), oddString(), JSON.stringify(oddFrame())]);
    let response;
    try {
      response = await fetch(url, { method, body, headers: { 'Content-Type': 'application/json', ...(auth ? { Authorization: auth } : {}) } });
    } catch (e) {
      // A URL Node itself refuses to send (e.g. a lone surrogate) is not the relay's.
      if (e.cause?.code === 'ERR_INVALID_URL' || e instanceof TypeError) continue;
      throw e;
    }
    const text = await response.text();
    if (response.status >= 500) failures.push(`${method} ${url} → ${response.status} ${text.slice(0, 200)}`);
  }

  const operator = await signInOperator(relay.url, 'agent@natter.dev', 'natter-agent');
  for (let round = 0; round < 10; round++) {
    const sockets = [await visitorSocket(relay.url, visitor), await operatorSocket(relay.url, operator, visitor.conversation)];
    for (let i = 0; i < 40; i++) pick(sockets).send(oddFrame());
    await new Promise((r) => setTimeout(r, 200));
    for (const ws of sockets) {
      for (const f of ws.frames) if (f.type === 'error' && f.code === 'internal') failures.push(`frame → ${JSON.stringify(f)}`);
      ws.close();
    }
  }

  assert.deepEqual(failures, []);
  assert.doesNotMatch(relay.log, /panicked|RuntimeError: unreachable/);
  // The canary conversation still works both ways.
  const ws = await visitorSocket(relay.url, visitor);
  const op = await operatorSocket(relay.url, operator, visitor.conversation);
  ws.send(JSON.stringify({ type: 'send', client_id: 'canary-1', text: 'still here' }));
  await nextFrame(op, (f) => f.type === 'message' && f.text === 'still here');
  op.send(JSON.stringify({ type: 'send', client_id: 'canary-2', text: 'and answered' }));
  await nextFrame(ws, (f) => f.type === 'message' && f.text === 'and answered');
  ws.close();
  op.close();
});
