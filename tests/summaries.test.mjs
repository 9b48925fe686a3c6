// Reports to the site are coalesced (issue 14, item 13): a burst of messages reaches the
// inbox in a few reports that end with the right summary, instead of one call to the
// site's single object per message; and a message taken as online between reports is
// still delivered as an offline message when the site then finds nobody online.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';

import { Relay } from './support/relay.mjs';
import { eventually } from './support/browser.mjs';
import { dutyOperator, newVisitor, nextFrame, saveSettings, signInOperator, visitorSocket } from './support/sockets.mjs';

let relay;
let receiver;
before(async () => {
  relay = await Relay.start();
  const requests = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      requests.push(JSON.parse(body));
      res.writeHead(204).end();
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  receiver = { requests, port: server.address().port, close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }) };
  const admin = await signInOperator(relay.url);
  await saveSettings(relay.url, admin, { webhook_url: `http://127.0.0.1:${receiver.port}/natter` });
});
after(async () => {
  await relay?.stop();
  await receiver?.close();
});

test('a burst of 50 messages reaches the inbox in a few coalesced reports, the last one complete', async () => {
  const inbox = await dutyOperator(relay.url);
  const visitor = await newVisitor(relay.url);
  const ws = await visitorSocket(relay.url, visitor);
  ws.send(JSON.stringify({ type: 'send', client_id: 'burst-0', text: 'burst 0' }));
  await nextFrame(ws, (f) => f.type === 'ack');
  // A new conversation is news at once.
  await nextFrame(inbox, (f) => f.type === 'conversation' && f.id === visitor.conversation, 2_000);
  inbox.frames.length = 0;
  for (let i = 1; i <= 50; i += 1) ws.send(JSON.stringify({ type: 'send', client_id: `burst-${i}`, text: `burst ${i}` }));
  await nextFrame(ws, (f) => f.type === 'ack' && f.client_id === 'burst-50', 30_000);
  const last = await nextFrame(inbox, (f) => f.type === 'conversation' && f.id === visitor.conversation && f.last_seq === 51, 3_000);
  assert.equal(last.last_text, 'burst 50');
  assert.equal(last.unread, 51);
  const reports = inbox.frames.filter((f) => f.type === 'conversation' && f.id === visitor.conversation).length;
  console.log(`50 messages → ${reports} inbox updates`);
  assert.ok(reports <= 6, `${reports} inbox updates for 50 messages (one each before coalescing)`);
  ws.close();
  inbox.close();
});

test('a conversation that keeps writing is reported less and less often, and promptly again once it was quiet', async (t) => {
  const inbox = await dutyOperator(relay.url);
  const visitor = await newVisitor(relay.url);
  const ws = await visitorSocket(relay.url, visitor);
  // (Closed whatever happens: an inbox left open would keep the site online for the next test.)
  t.after(() => { ws.close(); inbox.close(); });
  const send = async (id) => {
    ws.send(JSON.stringify({ type: 'send', client_id: id, text: id }));
    await nextFrame(ws, (f) => f.type === 'ack' && f.client_id === id);
  };
  await send('flood-0');
  await nextFrame(inbox, (f) => f.type === 'conversation' && f.id === visitor.conversation, 2_000);
  inbox.frames.length = 0;
  // Ten messages a second for 7 s: windows of 1, 2 and 4 s (a report a second before).
  const started = Date.now();
  let n = 0;
  while (Date.now() - started < 7_000) {
    n += 1;
    await send(`flood-${n}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const last = await nextFrame(inbox, (f) => f.type === 'conversation' && f.id === visitor.conversation && f.last_seq === n + 1, 6_000);
  assert.equal(last.last_text, `flood-${n}`);
  const reports = inbox.frames.filter((f) => f.type === 'conversation' && f.id === visitor.conversation).length;
  console.log(`${n} messages in 7 s → ${reports} inbox updates`);
  assert.ok(reports <= 4, `${reports} inbox updates in 7 s of writing (7 with a window of 1 s)`);
  // Quiet for longer than the window: the next message is news within a second.
  await new Promise((r) => setTimeout(r, 5_500));
  const sent = Date.now();
  await send('after-the-quiet');
  await nextFrame(inbox, (f) => f.type === 'conversation' && f.id === visitor.conversation && f.last_text === 'after-the-quiet', 3_000);
  assert.ok(Date.now() - sent < 1_500, `reported ${Date.now() - sent} ms after the quiet`);
});

test('a message taken as online just after the last operator left is still delivered as an offline message', async () => {
  const inbox = await dutyOperator(relay.url);
  const visitor = await newVisitor(relay.url);
  const ws = await visitorSocket(relay.url, visitor);
  ws.send(JSON.stringify({ type: 'send', client_id: 'away-0', text: 'anyone there?' }));
  assert.equal((await nextFrame(ws, (f) => f.type === 'ack')).offline, undefined, 'online');
  inbox.close();
  await new Promise((r) => inbox.once('close', r));
  ws.send(JSON.stringify({ type: 'send', client_id: 'away-1', text: 'sent as they left' }));
  await nextFrame(ws, (f) => f.type === 'ack' && f.client_id === 'away-1');
  await eventually(() => receiver.requests.some((r) => r.event === 'offline_message' && r.text === 'sent as they left'), 'the webhook told', 15_000);
  // The console shows it as an offline message.
  const later = await dutyOperator(relay.url);
  const summary = later.frames.find((f) => f.type === 'inbox').conversations.find((c) => c.id === visitor.conversation);
  assert.equal(summary.offline, true);
  later.close();
  ws.close();
});
