// The operator's shift, as two operators in two browsers live it: a visitor waits and
// both are told; one answers, the other sees who is answering and is warned before
// writing; a transfer, a close, the visitor's rating, the event webhook (signed, one
// delivery per event); auto-assignment with a queue; canned replies; blocking; agents
// who see only their own; the console in Russian, on a phone, with 0 axe violations.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';

import { artifacts, eventually, logTexts, openWidget, startStack, visitorSends, waitForText } from './support/browser.mjs';
import { axeViolations } from './support/axe.mjs';
import {
  dutyOperator, history, newVisitor, nextFrame, openSocket, operatorSocket, saveSettings, signInOperator, visitorSocket, wsBase,
} from './support/sockets.mjs';

let stack, relay, browser, admin, agent, receiver;

/** The site's webhook receiver: records every request, answers 204. */
async function startReceiver() {
  const requests = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      requests.push({ headers: req.headers, body: JSON.parse(body) , raw: body });
      res.writeHead(204).end();
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}/hook`, requests, close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }) };
}

const ALL_EVENTS = ['conversation_started', 'conversation_assigned', 'conversation_closed', 'offline_message', 'visitor_rated'];

async function settings(extra = {}) {
  await saveSettings(relay.url, admin, { webhook_url: receiver.url, webhook_events: ALL_EVENTS, ...extra });
}

/** A console tab whose browser notifications are recorded in `window.notes` (granted). */
async function consoleTab(email = 'demo@natter.dev', password = 'natter-demo') {
  const context = await browser.newContext();
  await context.addInitScript(() => {
    window.notes = [];
    // Chimes are counted, not heard.
    window.tones = 0;
    const RealAudio = window.AudioContext;
    window.AudioContext = class extends RealAudio {
      constructor(...args) { super(...args); window.tones += 1; }
    };
    class Recorded {
      static permission = 'granted';
      static requestPermission() { return Promise.resolve('granted'); }
      constructor(title, options) { window.notes.push({ title, body: options?.body }); this.title = title; }
      close() {}
      set onclick(f) { window.lastNoteClick = f; }
    }
    window.Notification = Recorded;
  });
  const page = await context.newPage();
  await page.goto(`${relay.url}/console/`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Inbox' }).waitFor();
  return page;
}

const inbox = (page) => page.getByRole('navigation', { name: 'Inbox' });
const filter = (page, name) => inbox(page).getByRole('group', { name: 'Filter conversations' }).getByRole('button', { name: new RegExp(`^${name}`) });
const notes = (page) => page.evaluate(() => window.notes.map((n) => n.title));

function verifySignature(request, secret) {
  const [, t, v1] = request.headers['x-natter-signature'].match(/^t=(\d+),v1=([0-9a-f]{64})$/);
  assert.equal(v1, createHmac('sha256', secret).update(`${t}.${request.raw}`).digest('hex'), 'a valid signature');
}

async function siteSecret() {
  const res = await fetch(`${relay.url}/v1/console/sites/demo/secret`, { headers: { Authorization: `Bearer ${admin.token}` } });
  return (await res.json()).secret;
}

async function act(operator, conversation, action, body, method = 'POST') {
  const res = await fetch(`${relay.url}/v1/console/sites/demo/conversations/${conversation}/${action}`, {
    method, headers: { Authorization: `Bearer ${operator.token}` }, body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: await res.json() };
}

before(async () => {
  stack = await startStack(undefined, { onDuty: false });
  ({ relay, browser, admin } = stack);
  agent = await signInOperator(relay.url, 'agent@natter.dev', 'natter-agent');
  receiver = await startReceiver();
  await settings();
});

after(async () => {
  await receiver?.close();
  await stack?.stop();
});

test('a visitor waits, A answers, B is warned, A transfers to B, A closes, the visitor rates it and comes back', async () => {
  const a = await consoleTab();
  const b = await consoleTab('agent@natter.dev', 'natter-agent');
  const visitorPage = await (await browser.newContext()).newPage();
  await visitorPage.goto(`${stack.host.url}/host.html`);
  await openWidget(visitorPage);
  await visitorSends(visitorPage, 'I need help with my order');

  // Both consoles: under Waiting, with a running wait time, a notification, a title count.
  for (const page of [a, b]) {
    await eventually(async () => /1$/.test((await filter(page, 'Waiting').textContent()).trim()), 'a count of 1 under Waiting');
    await filter(page, 'Waiting').click();
    const entry = inbox(page).getByRole('button').filter({ hasText: 'I need help' });
    await eventually(async () => /waiting less than a minute/.test(await entry.textContent()), 'the wait time');
    await eventually(async () => (await notes(page)).some((t) => t.startsWith('New conversation: Visitor')), 'a notification');
    await eventually(async () => (await page.title()).startsWith('(1) '), 'the count in the title');
    assert.ok(await page.evaluate(() => window.tones) > 0, 'a chime');
  }
  assert.equal(await a.getByRole('status').filter({ hasText: 'is waiting' }).count(), 1, 'announced to screen readers');

  // A answers: B sees "Demo Operator is answering" within 2 s.
  await inbox(a).getByRole('button').filter({ hasText: 'I need help' }).click();
  await waitForText(a, 'I need help with my order');
  await a.getByRole('textbox', { name: 'Reply' }).fill('Hello! Let me look.');
  await a.keyboard.press('Enter');
  await waitForText(visitorPage, 'Hello! Let me look.');
  await filter(b, 'All active').click();
  const entryAtB = inbox(b).getByRole('button').filter({ hasText: 'Hello! Let me look.' });
  await eventually(async () => (await entryAtB.textContent()).includes('Demo Operator is answering'), 'B sees who answers', 2_000);
  assert.match(await entryAtB.textContent(), /Demo Operator: Hello! Let me look\./);
  assert.equal(await filter(a, 'Waiting').locator('.count').textContent(), '0');
  await eventually(async () => !(await a.title()).startsWith('('), 'no count left in A\'s title');

  // B opens it and starts typing: warned before sending.
  await entryAtB.click();
  await b.getByRole('textbox', { name: 'Reply' }).fill('I can help too');
  await b.getByText('Demo Operator is answering this conversation: your reply will join it.').waitFor();
  // B may still join: the visitor sees both names.
  await b.keyboard.press('Enter');
  await waitForText(visitorPage, 'I can help too');
  const authors = await visitorPage.getByRole('log').locator('.author').allTextContents();
  assert.ok(authors.includes('Demo Operator') && authors.includes('Demo Agent'), authors.join());
  assert.equal((await b.getByRole('status').filter({ hasText: 'is answering' }).first().textContent()), 'Demo Operator is answering', 'joining does not take it');

  // An update of the conversation leaves the focus where it was (A's entry).
  await filter(a, 'All active').click();
  await inbox(a).getByRole('button').filter({ hasText: 'I can help too' }).focus();
  await visitorSends(visitorPage, 'Thanks both');
  await eventually(async () => (await inbox(a).getByRole('button').filter({ hasText: 'Thanks both' }).count()) === 1, 'the entry updated');
  assert.equal(await a.evaluate(() => document.activeElement?.className), 'entry selected', 'focus kept on the entry');
  // A looks at that conversation in a focused tab: the visitor's message is no alert there.
  assert.ok(await a.evaluate(() => document.hasFocus()), 'A\'s tab has the focus');
  assert.ok(!(await notes(a)).some((t) => t.startsWith('New message from')), 'no notification while looking at it');
  // B looks at another page now: what is given to them must reach them.
  await b.getByRole('button', { name: 'Canned replies' }).click();

  // A transfers to B: B is told and owns it; the visitor sees the new name.
  await a.getByRole('button', { name: 'Transfer' }).click();
  const dialog = a.getByRole('dialog', { name: 'Transfer the conversation' });
  await dialog.getByRole('radio', { name: /Demo Agent/ }).check();
  await a.screenshot({ path: path.join(artifacts, 'shift-transfer.png') });
  await dialog.getByRole('button', { name: 'Transfer' }).click();
  await eventually(async () => (await notes(b)).some((t) => t.startsWith('You were given a conversation with Visitor')), 'B notified');
  await b.getByRole('button', { name: 'Inbox' }).click();
  await filter(b, 'Mine').click();
  await inbox(b).getByRole('button').filter({ hasText: 'Thanks both' }).click();
  await b.getByRole('status').filter({ hasText: 'You are answering' }).waitFor();
  await visitorPage.getByText('You are now talking to Demo Agent').waitFor();

  // The assigned webhook came twice (A's answer, the transfer), signed.
  const secret = await siteSecret();
  const assigned = await eventually(() => {
    const found = receiver.requests.filter((r) => r.body.event === 'conversation_assigned');
    return found.length === 2 && found;
  }, 'two conversation_assigned deliveries');
  assert.deepEqual(assigned.map((r) => r.body.operator.name), ['Demo Operator', 'Demo Agent']);
  assert.equal(assigned[1].body.previous.name, 'Demo Operator');
  for (const request of assigned) {
    assert.equal(request.headers['x-natter-event'], 'conversation_assigned');
    verifySignature(request, secret);
  }
  assert.ok(receiver.requests.some((r) => r.body.event === 'conversation_started'), 'conversation_started');

  // A (an admin) closes it: the widget says it ended and asks for a rating.
  await a.getByRole('button', { name: 'Close conversation' }).click();
  await visitorPage.getByText('The conversation has ended.').waitFor();
  await visitorPage.getByRole('button', { name: 'Bad' }).click();
  await visitorPage.getByRole('textbox', { name: /Comment/ }).fill('Too slow');
  await visitorPage.screenshot({ path: path.join(artifacts, 'shift-rating.png') });
  await visitorPage.getByRole('button', { name: 'Send rating' }).click();
  await visitorPage.getByText('Thank you for your rating!').waitFor();
  await a.getByText('Rating: bad').waitFor();
  await a.getByText('Comment: Too slow').waitFor();
  // Closed conversations leave the inbox.
  await eventually(async () => (await filter(b, 'All active').locator('.count').textContent()) === '0', 'out of the inbox');
  const closed = await eventually(() => receiver.requests.find((r) => r.body.event === 'conversation_closed'), 'the closed event');
  assert.equal(closed.body.rating.good, false);
  assert.equal(closed.body.rating.comment, 'Too slow');
  assert.equal(closed.body.operator.name, 'Demo Operator');
  assert.deepEqual(closed.body.transcript.map((l) => l.text), ['I need help with my order', 'Hello! Let me look.', 'I can help too', 'Thanks both']);
  verifySignature(closed, secret);
  assert.ok(receiver.requests.some((r) => r.body.event === 'visitor_rated' && r.body.rating.comment === 'Too slow'), 'visitor_rated');

  // The visitor writes again: waiting again.
  await visitorSends(visitorPage, 'One more question');
  await eventually(async () => (await filter(a, 'Waiting').locator('.count').textContent()) === '1', 'waiting again');
  await a.context().close();
  await b.context().close();
  await visitorPage.context().close();
});

test('auto-assignment with a limit of 1: A and B get one each, the third waits for whoever closes first', async () => {
  await settings({ routing: { auto_assign: true, assign_limit: 1, hide_others: false } });
  // Nothing open is left from before (closed ones do not count).
  const adminInbox = await openSocket(`${wsBase(relay.url)}/v1/console/sites/demo/inbox/ws?v=1&token=${encodeURIComponent(admin.token)}`);
  const first = await nextFrame(adminInbox, (f) => f.type === 'inbox');
  for (const open of first.conversations) await act(admin, open.id, 'close');
  const agentInbox = await dutyOperator(relay.url);
  const owners = new Map();
  adminInbox.on('message', (data) => {
    const frame = JSON.parse(String(data));
    if (frame.type === 'conversation') owners.set(frame.id, frame.owner?.name ?? null);
  });
  const visitors = [];
  for (const text of ['first', 'second', 'third']) {
    const visitor = await newVisitor(relay.url);
    const ws = await visitorSocket(relay.url, visitor);
    ws.send(JSON.stringify({ type: 'send', client_id: `auto-${text}`, text }));
    await nextFrame(ws, (f) => f.type === 'ack');
    visitors.push({ ...visitor, ws });
    // The next one arrives once this one found its operator.
    if (text !== 'third') await eventually(() => owners.get(visitor.conversation), `${text} assigned`);
  }
  const [one, two, three] = visitors.map((v) => v.conversation);
  assert.deepEqual([owners.get(one), owners.get(two)].sort(), ['Demo Agent', 'Demo Operator']);
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(owners.get(three) ?? null, null, 'the third waits in the queue');
  // Whoever closes first gets it.
  const closer = owners.get(one) === 'Demo Agent' ? agent : admin;
  assert.equal((await act(closer, one, 'close')).status, 200);
  await eventually(() => owners.get(three) === owners.get(one), 'the third goes to whoever closed');
  for (const v of visitors) v.ws.close();
  for (const id of [two, three]) await act(admin, id, 'close');
  adminInbox.close();
  agentInbox.close();
  await settings();
});

// CI once saw the test above wait forever for its second hand-out. A conversation
// closed while auto-assignment was handing it out could stay "active" in the site's
// books (the hand-out's answer came after the close's report), leaving its operator full.
test('a conversation closed while auto-assignment hands it out stays closed (its operator is not left full)', async () => {
  await settings({ routing: { auto_assign: false } });
  const visitors = [];
  for (let i = 0; i < 20; i += 1) {
    const visitor = await newVisitor(relay.url);
    const ws = await visitorSocket(relay.url, visitor);
    ws.send(JSON.stringify({ type: 'send', client_id: `race-${i}`, text: `race ${i}` }));
    await nextFrame(ws, (f) => f.type === 'ack');
    visitors.push({ ...visitor, ws });
  }
  await settings({ routing: { auto_assign: true, assign_limit: 50, hide_others: false } });
  // Opening the inbox hands the waiting ones out; meanwhile they are closed, a few
  // milliseconds apart, so that closes meet hand-outs in flight.
  const adminInbox = await openSocket(`${wsBase(relay.url)}/v1/console/sites/demo/inbox/ws?v=1&token=${encodeURIComponent(admin.token)}`);
  const closes = await Promise.all(visitors.map(async (v, i) => {
    await new Promise((r) => setTimeout(r, i * 3));
    return (await act(admin, v.conversation, 'close')).status;
  }));
  assert.deepEqual(closes, visitors.map(() => 200));
  const openCount = async () => {
    const look = await openSocket(`${wsBase(relay.url)}/v1/console/sites/demo/inbox/ws?v=1&token=${encodeURIComponent(admin.token)}`);
    const frame = await nextFrame(look, (f) => f.type === 'inbox');
    look.close();
    return frame.counts.active;
  };
  await eventually(async () => (await openCount()) === 0, 'no closed conversation counted as open');
  for (const v of visitors) v.ws.close();
  adminInbox.close();
  await settings();
});

test('canned replies: "/" finds one by title, Enter inserts it; agents keep personal ones only', async () => {
  const save = (operator, draft) => fetch(`${relay.url}/v1/console/sites/demo/canned`, {
    method: 'POST', headers: { Authorization: `Bearer ${operator.token}` }, body: JSON.stringify(draft),
  });
  assert.equal((await save(admin, { title: 'Delivery', text: 'We deliver in 2 days.', language: 'en', personal: false })).status, 200);
  assert.equal((await save(admin, { title: 'Доставка', text: 'Доставим за 2 дня.', language: 'ru', personal: false })).status, 200);
  const refused = await save(agent, { title: 'Mine', text: 'Agent text', language: 'en', personal: false });
  assert.equal(refused.status, 403);
  assert.equal((await save(agent, { title: 'Mine', text: 'Agent text', language: 'en', personal: true })).status, 200);
  const bad = await save(admin, { title: '', text: 'x', language: 'en', personal: false });
  assert.equal(bad.status, 400);
  assert.match((await bad.json()).message, /^Title/);
  // Each sees the site's and their own.
  const list = async (operator) => (await (await fetch(`${relay.url}/v1/console/sites/demo/canned`, { headers: { Authorization: `Bearer ${operator.token}` } })).json()).map((r) => r.title);
  assert.deepEqual(await list(admin), ['Delivery', 'Доставка']);
  assert.deepEqual(await list(agent), ['Delivery', 'Mine', 'Доставка']);

  const visitor = await newVisitor(relay.url);
  const ws = await visitorSocket(relay.url, visitor);
  ws.send(JSON.stringify({ type: 'send', client_id: 'canned-1', text: 'When will it arrive?' }));
  await nextFrame(ws, (f) => f.type === 'ack');
  const page = await consoleTab();
  await inbox(page).getByRole('button').filter({ hasText: 'When will it arrive?' }).click();
  const reply = page.getByRole('textbox', { name: 'Reply' });
  await reply.fill('/deli');
  const options = page.getByRole('listbox', { name: 'Canned replies' }).getByRole('option');
  await eventually(async () => (await options.count()) === 1 && /Delivery/.test(await options.first().textContent()), 'one match: Delivery');
  await page.screenshot({ path: path.join(artifacts, 'shift-canned.png') });
  await reply.press('Enter');
  assert.equal(await reply.inputValue(), 'We deliver in 2 days.');
  await reply.press('Enter');
  await eventually(async () => (await logTexts(page)).includes('We deliver in 2 days.'), 'sent with Enter');
  // Shift+Enter breaks the line instead of sending.
  await reply.fill('line one');
  await reply.press('Shift+Enter');
  await reply.type('line two');
  assert.equal(await reply.inputValue(), 'line one\nline two');
  // A pasted image is sent as an attachment.
  await reply.focus();
  await page.evaluate(async () => {
    const png = Uint8Array.from(atob('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=='), (c) => c.charCodeAt(0));
    const data = new DataTransfer();
    data.items.add(new File([png], 'pasted.png', { type: 'image/png' }));
    document.activeElement.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  });
  await page.getByRole('log').locator('img[alt="pasted.png"], a:has-text("pasted.png")').first().waitFor();
  assert.equal(await reply.inputValue(), 'line one\nline two', 'the text stays');
  // The emoji picker adds to the reply.
  await page.getByRole('button', { name: 'Emoji' }).click();
  await page.getByRole('group', { name: 'Emoji' }).getByRole('button', { name: '👍' }).click();
  assert.equal(await reply.inputValue(), 'line one\nline two👍');
  await act(admin, visitor.conversation, 'close');
  ws.close();
  await page.context().close();
});

test('a blocked visitor is refused at the edge and nothing is stored; unblocked, it works', async () => {
  const visitor = await newVisitor(relay.url);
  const ws = await visitorSocket(relay.url, visitor);
  ws.send(JSON.stringify({ type: 'send', client_id: 'block-1', text: 'spam one' }));
  await nextFrame(ws, (f) => f.type === 'ack');
  const page = await consoleTab();
  page.on('dialog', (d) => d.accept());
  await inbox(page).getByRole('button').filter({ hasText: 'spam one' }).click();
  await page.getByRole('button', { name: 'Block visitor' }).click();
  await page.getByRole('button', { name: 'Unblock visitor' }).waitFor();

  ws.send(JSON.stringify({ type: 'send', client_id: 'block-2', text: 'spam two' }));
  const refusal = await nextFrame(ws, (f) => f.type === 'error');
  assert.equal(refusal.code, 'blocked');
  const stored = await history(relay.url, admin, visitor.conversation);
  assert.deepEqual(stored.body.messages.map((m) => m.text), ['spam one']);
  // A new visitor token from the same address is refused too.
  const again = await fetch(`${relay.url}/v1/sites/demo/visitors`, { method: 'POST' });
  assert.equal(again.status, 403);
  assert.equal((await again.json()).code, 'blocked');

  await page.getByRole('button', { name: 'Unblock visitor' }).click();
  await page.getByRole('button', { name: 'Block visitor' }).waitFor();
  ws.send(JSON.stringify({ type: 'send', client_id: 'block-2', text: 'spam two' }));
  await nextFrame(ws, (f) => f.type === 'ack' && f.client_id === 'block-2');
  assert.equal((await fetch(`${relay.url}/v1/sites/demo/visitors`, { method: 'POST' })).status, 201);
  await act(admin, visitor.conversation, 'close');
  ws.close();
  await page.context().close();
});

test('an operator edits the visitor and keeps a note; the panel says when the visitor left', async () => {
  // The operator is online first (with nobody online, the widget shows the offline form),
  // with browser notifications switched off in their profile: none comes, the chime does.
  const page = await consoleTab();
  await page.getByRole('button', { name: 'Profile' }).click();
  await page.getByRole('checkbox', { name: 'Show browser notifications' }).uncheck();
  await page.getByRole('button', { name: 'Inbox' }).click();
  const visitorPage = await (await browser.newContext()).newPage();
  await visitorPage.goto(`${stack.host.url}/host.html`);
  await openWidget(visitorPage);
  await visitorSends(visitorPage, 'Hi, it is Olga');
  await inbox(page).getByRole('button').filter({ hasText: 'Hi, it is Olga' }).click();
  assert.deepEqual(await notes(page), [], 'no browser notification');
  assert.ok(await page.evaluate(() => window.tones) > 0, 'the chime still plays');
  await page.evaluate(() => localStorage.removeItem('natter.console.prefs'));
  const panel = page.getByRole('complementary', { name: 'Visitor' });
  await panel.getByText(/On the site now/).waitFor();
  await page.screenshot({ path: path.join(artifacts, 'shift-visitor-panel.png') });
  await panel.getByRole('button', { name: 'Edit visitor' }).click();
  await panel.getByRole('textbox', { name: 'Name' }).fill('Olga');
  await panel.getByRole('textbox', { name: 'Email' }).fill('olga@shop.example');
  await panel.getByRole('textbox', { name: 'Note' }).fill('Wants a refund');
  await panel.getByRole('button', { name: 'Save visitor' }).click();
  await panel.getByRole('heading', { name: 'Olga' }).waitFor();
  await panel.getByText('olga@shop.example').waitFor();
  await panel.getByText('Wants a refund').waitFor();
  // Bad input is refused with a reason, and nothing changes.
  await panel.getByRole('button', { name: 'Edit visitor' }).click();
  await panel.getByRole('textbox', { name: 'Email' }).fill('not-an-email');
  await panel.getByRole('button', { name: 'Save visitor' }).click();
  await page.getByText('These details are not valid: check the name, e-mail and phone').waitFor();
  await panel.getByText('olga@shop.example').waitFor();

  await visitorPage.context().close();
  await panel.getByText('Left the site: replies reach them when they come back').waitFor({ timeout: 15_000 });
  await page.context().close();
});

test('with "hide others\' conversations", agents see their own and unassigned ones only', async () => {
  await settings({ routing: { auto_assign: false, assign_limit: 3, hide_others: true } });
  const visitor = await newVisitor(relay.url);
  const ws = await visitorSocket(relay.url, visitor);
  ws.send(JSON.stringify({ type: 'send', client_id: 'hide-1', text: 'secret order' }));
  await nextFrame(ws, (f) => f.type === 'ack');
  const agentInbox = await dutyOperator(relay.url);
  // Unassigned: the agent sees it.
  await eventually(() => agentInbox.frames.some((f) => (f.type === 'inbox' && f.conversations.some((c) => c.id === visitor.conversation)) || (f.type === 'conversation' && f.id === visitor.conversation)), 'the agent sees it while unassigned');
  assert.equal((await act(admin, visitor.conversation, 'take')).status, 200);
  await nextFrame(agentInbox, (f) => f.type === 'removed' && f.id === visitor.conversation);
  await assert.rejects(operatorSocket(relay.url, agent, visitor.conversation), (e) => e.status === 403);
  assert.equal((await history(relay.url, agent, visitor.conversation)).status, 403);
  const taken = await act(agent, visitor.conversation, 'take');
  assert.equal(taken.status, 403);
  // Taking someone's conversation is refused for everyone: it is transferred instead.
  await settings();
  const conflict = await act(agent, visitor.conversation, 'take');
  assert.equal(conflict.status, 409);
  assert.match(conflict.body.message, /Demo Operator is answering/);
  await act(admin, visitor.conversation, 'close');
  agentInbox.close();
  ws.close();
});

test('automatic messages are no answer: the conversation stays waiting and shows them as automatic', async () => {
  await settings({ rules: [{ name: 'Greeting', enabled: false, conditions: [{ fact: 'time_on_page', op: 'gt', value: 3600 }], action: 'message', text: 'Hi from the bot' }] });
  const adminInbox = await openSocket(`${wsBase(relay.url)}/v1/console/sites/demo/inbox/ws?v=1&token=${encodeURIComponent(admin.token)}`);
  const visitor = await newVisitor(relay.url);
  const ws = await visitorSocket(relay.url, visitor);
  ws.send(JSON.stringify({ type: 'send', client_id: 'auto-answer-1', text: 'Anyone there?' }));
  await nextFrame(ws, (f) => f.type === 'ack');
  ws.send(JSON.stringify({ type: 'auto', client_id: 'auto-answer-2', rule: 'Greeting', text: 'Hi from the bot' }));
  const summary = await nextFrame(adminInbox, (f) => f.type === 'conversation' && f.id === visitor.conversation && f.last_auto);
  assert.equal(summary.state, 'waiting');
  assert.equal(summary.owner, null);
  assert.ok(summary.waiting_since > 0);
  const page = await consoleTab();
  await filter(page, 'Waiting').click();
  const entry = inbox(page).getByRole('button').filter({ hasText: 'Hi from the bot' });
  assert.match(await entry.textContent(), /Automatic: Hi from the bot/);
  assert.doesNotMatch(await entry.textContent(), /You:/);
  await act(admin, visitor.conversation, 'close');
  ws.close();
  adminInbox.close();
  await page.context().close();
  await settings();
});

test('the settings page lists the webhook deliveries and sends one again', async () => {
  const visitor = await newVisitor(relay.url);
  const ws = await visitorSocket(relay.url, visitor);
  ws.send(JSON.stringify({ type: 'send', client_id: 'hook-1', text: 'for the webhook' }));
  await nextFrame(ws, (f) => f.type === 'ack');
  await eventually(() => receiver.requests.some((r) => r.body.event === 'conversation_started' && r.body.conversation === visitor.conversation), 'conversation_started');
  const page = await consoleTab();
  await page.getByRole('button', { name: 'Widget settings' }).click();
  const deliveries = page.getByRole('region', { name: 'Last webhook deliveries' });
  await deliveries.getByRole('row').nth(1).waitFor();
  const rows = await deliveries.getByRole('row').allTextContents();
  assert.ok(rows.some((r) => /conversation_started.*delivered \(204\)/.test(r)), rows.join('\n'));
  const before = receiver.requests.length;
  // This visitor's (the page lists the last 30; earlier tests made many more).
  const first = receiver.requests.find((r) => r.body.event === 'conversation_started' && r.body.conversation === visitor.conversation);
  await deliveries.getByRole('button', { name: `Send again: ${first.body.id}` }).click();
  await eventually(() => receiver.requests.length > before, 'sent again');
  assert.equal(receiver.requests.at(-1).body.id, first.body.id);
  assert.deepEqual(await axeViolations(page), []);
  await act(admin, visitor.conversation, 'close');
  ws.close();
  await page.context().close();
});

test('the console in Russian, on a phone (inbox → conversation → back), with 0 axe violations', async () => {
  const visitor = await newVisitor(relay.url);
  const ws = await visitorSocket(relay.url, visitor);
  ws.send(JSON.stringify({ type: 'send', client_id: 'ru-1', text: 'Здравствуйте' }));
  await nextFrame(ws, (f) => f.type === 'ack');

  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${relay.url}/console/`);
  assert.deepEqual(await axeViolations(page), [], 'sign-in');
  await page.getByLabel('Email').fill('demo@natter.dev');
  await page.getByLabel('Password').fill('natter-demo');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await inbox(page).getByRole('button').filter({ hasText: 'Здравствуйте' }).click();
  await page.getByRole('complementary', { name: 'Visitor' }).waitFor();
  assert.deepEqual(await axeViolations(page), [], 'inbox with a conversation open');

  // Russian, from the profile.
  await page.getByRole('button', { name: 'Profile' }).click();
  await page.getByLabel('Console language').selectOption('ru');
  await page.getByRole('button', { name: 'Входящие' }).click();
  await page.getByRole('navigation', { name: 'Входящие' }).getByRole('button').filter({ hasText: 'Здравствуйте' }).click();
  await page.getByRole('button', { name: 'Взять' }).waitFor();
  await page.getByRole('button', { name: 'Закрыть разговор' }).waitFor();
  await page.getByRole('button', { name: 'Заблокировать посетителя' }).waitFor();
  const text = await page.locator('body').innerText();
  for (const english of ['Inbox', 'Sign out', 'Take', 'Transfer', 'Waiting', 'Mine', 'All active', 'Reply', 'Send', 'Visitor', 'Canned replies']) {
    assert.ok(!new RegExp(`\\b${english}\\b`).test(text), `no "${english}" left in: ${text}`);
  }
  assert.equal(await page.locator('html').getAttribute('lang'), 'ru');
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.screenshot({ path: path.join(artifacts, 'shift-console-ru.png') });
  assert.deepEqual(await axeViolations(page), [], 'the Russian inbox');
  await page.getByRole('button', { name: 'Настройки виджета' }).click();
  await page.getByRole('region', { name: 'Последние отправки вебхука' }).waitFor();
  // The preview's window has risen (a 160 ms animation) before colours are measured.
  await page.waitForTimeout(500);
  assert.deepEqual(await axeViolations(page), [], 'settings');

  // A phone: the inbox, then the conversation alone, then back.
  await page.setViewportSize({ width: 390, height: 800 });
  await page.getByRole('button', { name: 'Входящие' }).click();
  // The conversation still open comes first; back, the inbox.
  await page.getByRole('button', { name: /Назад ко входящим/ }).click();
  const entry = page.getByRole('navigation', { name: 'Входящие' }).getByRole('button').filter({ hasText: 'Здравствуйте' });
  await entry.click();
  await page.getByRole('button', { name: /Назад ко входящим/ }).waitFor();
  assert.equal(await page.getByRole('navigation', { name: 'Входящие' }).isVisible(), false, 'the inbox gives way');
  await page.screenshot({ path: path.join(artifacts, 'shift-console-phone.png'), fullPage: true });
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `no sideways scrolling (${width})`);
  assert.deepEqual(await axeViolations(page), [], 'the conversation on a phone');
  await page.getByRole('button', { name: /Назад ко входящим/ }).click();
  await entry.waitFor();
  // Back to English for whoever uses this browser next.
  await page.evaluate(() => localStorage.removeItem('natter.console.prefs'));
  await act(admin, visitor.conversation, 'close');
  ws.close();
  await context.close();
});
