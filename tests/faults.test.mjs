// A bounded fault test (issue 14): several conversations write from both sides for
// about 45 s while sockets are dropped at random (≥ 200 times) and the relay restarts
// three times; then every conversation is read back: nothing lost, nothing doubled, no
// gap in the seqs, and no hole in what any connected client has. `make soak` runs it
// for NATTER_SOAK_SECONDS with NATTER_SOAK_RESTARTS restarts, evenly spread.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { Relay } from './support/relay.mjs';
import { history, newVisitor, signInOperator, wsBase } from './support/sockets.mjs';
import WebSocket from 'ws';

let relay, operator, agent;

before(async () => {
  relay = await Relay.start();
  operator = await signInOperator(relay.url);
  agent = await signInOperator(relay.url, 'agent@natter.dev', 'natter-agent');
});

after(async () => {
  await relay?.stop();
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const SECONDS = Number(process.env.NATTER_SOAK_SECONDS ?? 45);
const RESTARTS = Number(process.env.NATTER_SOAK_RESTARTS ?? 3);
/** When each restart begins, ms from the start, evenly spread and done before the end. */
const RESTART_AT = Array.from({ length: RESTARTS }, (_, i) => Math.round(((i + 1) * (SECONDS - 8) * 1000) / (RESTARTS + 1)));

/**
 * A client as the widget and console are: an outbox sent again on every connect,
 * `hello { after }` from below its first gap, reconnecting until stopped.
 */
class Client {
  constructor(name, url) {
    this.name = name;
    this.url = url;
    this.outbox = new Map();
    this.acked = new Set();
    this.received = new Map();
    this.count = 0;
    this.stopped = false;
    this.filling = setInterval(() => this.fillGaps(), 500);
    this.connect();
  }

  /** The newest seq with every one before it here. */
  resumeAfter() {
    let seq = 0;
    while (this.received.has(seq + 1)) seq += 1;
    return seq;
  }

  /**
   * `hello` catches up at most the newest 50: a client further behind has a gap below
   * them, which it fills a page at a time with `resume` (refusals for asking too often
   * are simply asked again later).
   */
  fillGaps() {
    const newest = Math.max(0, ...this.received.keys());
    if (this.ws?.readyState === WebSocket.OPEN && this.resumeAfter() < newest) {
      this.ws.send(JSON.stringify({ type: 'resume', after: this.resumeAfter() }));
    }
  }

  connect() {
    if (this.stopped) return;
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.on('open', () => {
      ws.send(JSON.stringify({ type: 'hello', protocol: 1, after: this.resumeAfter() }));
      for (const [id, text] of this.outbox) ws.send(JSON.stringify({ type: 'send', client_id: id, text }));
    });
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data));
      if (frame.type === 'message') this.received.set(frame.seq, frame.client_id);
      if (frame.type === 'ack') {
        this.outbox.delete(frame.client_id);
        this.acked.add(frame.client_id);
      }
    });
    ws.on('error', () => {});
    ws.on('close', () => {
      if (this.ws === ws) setTimeout(() => this.connect(), 50 + Math.random() * 150);
    });
  }

  write() {
    const id = `${this.name}-${this.count++}`;
    const text = `${this.name} #${this.count}`;
    this.outbox.set(id, text);
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ type: 'send', client_id: id, text }));
  }

  drop() {
    this.ws?.terminate();
  }

  stop() {
    this.stopped = true;
    clearInterval(this.filling);
    this.ws?.terminate();
  }
}

test(`≥ ${Math.round(SECONDS * 4.4)} socket drops and ${RESTARTS} relay restarts while four conversations write for ${SECONDS} s: 0 lost, 0 doubled, 0 gaps, 0 holes`, async () => {
  const conversations = [];
  for (let i = 0; i < 4; i++) {
    const visitor = await newVisitor(relay.url);
    const v = new Client(`v${i}`, `${wsBase(relay.url)}/v1/conversations/${visitor.conversation}/ws?v=1&token=${encodeURIComponent(visitor.token)}`);
    // The operator's socket opens once the conversation exists (its first message).
    v.write();
    conversations.push({ id: visitor.conversation, clients: [v] });
  }
  const base = () => wsBase(relay.url);
  // Two operators, two conversations each: every operator's replies are limited to 120
  // a minute over all their conversations, which these stay under (0.8 a second each).
  for (const [i, conversation] of conversations.entries()) {
    while (!conversation.clients[0].acked.size) await sleep(50);
    const who = i % 2 === 0 ? operator : agent;
    const client = new Client(`o${conversation.id.slice(0, 4)}`,
      `${base()}/v1/console/sites/demo/conversations/${conversation.id}/ws?v=1&token=${encodeURIComponent(who.token)}`);
    client.chance = 0.2;
    conversation.clients.push(client);
  }
  const clients = conversations.flatMap((c) => c.clients);
  try {
    await faultsAndReadBack(conversations, clients);
  } finally {
    // Also when an assertion failed: reconnecting clients would keep the run alive.
    clients.forEach((c) => c.stop());
  }
});

async function faultsAndReadBack(conversations, clients) {

  let drops = 0;
  let restarts = 0;
  const started = Date.now();
  const writing = setInterval(() => clients.forEach((c) => Math.random() < (c.chance ?? 0.5) && c.write()), 250);
  const dropping = setInterval(() => {
    clients[Math.floor(Math.random() * clients.length)].drop();
    drops += 1;
  }, 150);
  for (const at of RESTART_AT) {
    await sleep(Math.max(0, started + at - Date.now()));
    await relay.stop();
    await relay.start();
    restarts += 1;
  }
  await sleep(Math.max(0, started + SECONDS * 1000 - Date.now()));
  clearInterval(writing);
  clearInterval(dropping);

  // Everything typed is acked in the end, and every client catches up.
  const deadline = Date.now() + 60_000;
  while (clients.some((c) => c.outbox.size) && Date.now() < deadline) await sleep(200);
  assert.deepEqual(clients.filter((c) => c.outbox.size).map((c) => `${c.name}: ${c.outbox.size} unacked`), []);
  clients.forEach((c) => c.drop()); // One last reconnect each: its catch-up fills any hole.
  await sleep(3_000);

  let written = 0;
  for (const { id, clients: pair } of conversations) {
    const { body } = await history(relay.url, operator, id);
    const seqs = body.messages.map((m) => m.seq);
    const ids = body.messages.map((m) => m.client_id);
    assert.deepEqual(seqs, seqs.map((_, i) => i + 1), `${id}: no gap`);
    assert.equal(new Set(ids).size, ids.length, `${id}: nothing doubled`);
    for (const client of pair) {
      const lost = [...client.acked].filter((cid) => !ids.includes(cid));
      assert.deepEqual(lost, [], `${client.name}: nothing lost`);
      assert.equal(client.acked.size, client.count, `${client.name}: everything written was acked`);
      const holes = seqs.filter((s) => client.received.get(s) !== ids[s - 1]);
      assert.deepEqual(holes, [], `${client.name}: no hole`);
      written += client.count;
    }
  }
  assert.ok(drops >= Math.round(SECONDS * 4.4), `${drops} drops`);
  assert.equal(restarts, RESTARTS);
  console.log(`fault test: ${written} messages, ${drops} drops, ${restarts} restarts in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}
