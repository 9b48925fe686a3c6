// The JS API as a host site's developers use it: page code on another origin drives the
// widget through `window.Natter`, before and after it has loaded, listens to its
// events, identifies a signed-in user signed on "the server" (here: Node's crypto, by
// the recipe in docs/js-api.md), and gets clear refusals for bad calls.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import path from 'node:path';

import { artifacts, eventually, logTexts, signIn, startStack, waitForText } from './support/browser.mjs';
import { history, nextFrame, operatorSocket, saveSettings } from './support/sockets.mjs';

let stack, relay, host, browser, admin, duty;

before(async () => {
  stack = await startStack();
  ({ relay, host, browser, admin, duty } = stack);
});

after(async () => {
  await stack?.stop();
});

/** A page of the host site with every event recorded in `window.events`; `early` calls go through the snippet's stub. */
async function apiPage(context, early = []) {
  const page = await context.newPage();
  const problems = [];
  const warnings = [];
  const wasm = [];
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => m.type() === 'warning' && warnings.push(m.text()));
  page.on('request', (r) => r.url().endsWith('.wasm') && wasm.push(r.url()));
  await page.goto(`${host.url}/api.html?early=${encodeURIComponent(JSON.stringify(early))}`);
  await page.waitForFunction(() => typeof window.Natter.open === 'function');
  return { page, problems, warnings, wasm };
}

const events = (page, name) => page.evaluate((name) => window.events.filter((e) => !name || e.event === name), name);
const waitEvent = (page, name, match = () => true) =>
  eventually(async () => (await events(page, name)).find((e) => match(e.detail)), `the "${name}" event`);
const session = (page) => page.evaluate(() => JSON.parse(localStorage.getItem('natter.demo.session')));
const launcher = (page) => page.getByRole('button', { name: 'Open chat' });
const dialog = (page) => page.getByRole('dialog');

test('calls made before the loader arrived run in order once the widget loads, and sendMessage reaches the operator once', async () => {
  const { page, problems, wasm } = await apiPage(await browser.newContext(), [
    ['setVisitor', { name: 'Early Ann', email: 'ann@example.com' }],
    ['setAttributes', { plan: 'pro', seats: 3, trial: false }],
    ['sendMessage', 'Queued before the loader'],
    ['open'],
  ]);
  const sent = await waitEvent(page, 'message:sent');
  assert.equal(sent.detail.text, 'Queued before the loader');
  assert.equal(wasm.filter((u) => u.endsWith('/natter_widget_bg.wasm')).length, 1, 'the widget loaded once');
  await dialog(page).waitFor();
  assert.equal(await page.evaluate(() => Natter.isOpen()), true);
  // In the order they were made; `ready` once they have all run.
  const order = (await events(page)).map((e) => e.event);
  assert.ok(order.indexOf('introduced') < order.indexOf('open'), order.join());
  assert.ok(order.indexOf('open') < order.indexOf('ready'), order.join());
  assert.equal(order.filter((e) => e === 'ready').length, 1);
  const introduced = await waitEvent(page, 'introduced');
  assert.deepEqual(introduced.detail, { name: 'Early Ann', email: 'ann@example.com', phone: '' });

  // The visitor's details were set before the message that created the conversation.
  const { conversation } = await session(page);
  const operator = await operatorSocket(relay.url, admin, conversation);
  const visitor = await nextFrame(operator, (f) => f.type === 'visitor');
  assert.equal(visitor.name, 'Early Ann');
  assert.equal(visitor.details.email, 'ann@example.com');
  assert.deepEqual(visitor.details.attributes, { plan: 'pro', seats: '3', trial: 'false' });

  // With the widget loaded the promise resolves on the ack; the operator gets it once.
  const stored = await page.evaluate(() => Natter.sendMessage('Sent by page code'));
  assert.equal(stored, true);
  await nextFrame(operator, (f) => f.type === 'message' && f.text === 'Sent by page code');
  // The next page (without the early calls): nothing is sent again.
  await page.goto(`${host.url}/api.html`);
  await page.waitForFunction(() => typeof window.Natter.open === 'function');
  await page.evaluate(() => Natter.open());
  await waitForText(page, 'Sent by page code');
  await page.waitForTimeout(500);
  assert.equal(operator.frames.filter((f) => f.type === 'message' && f.text === 'Sent by page code').length, 1);
  const { body } = await history(relay.url, admin, conversation);
  assert.deepEqual(body.messages.map((m) => [m.author.name, m.text]), [
    ['Early Ann', 'Queued before the loader'],
    ['Early Ann', 'Sent by page code'],
  ]);
  operator.close();
  assert.deepEqual(problems, []);
});

test('window and launcher methods, their events, and listeners that unsubscribe', async () => {
  const { page, problems, wasm } = await apiPage(await browser.newContext());
  // The loader answers without the widget, and listening or hiding does not load it.
  assert.deepEqual(await page.evaluate(() => [Natter.isOpen(), Natter.unreadCount()]), [false, 0]);
  await page.evaluate(() => {
    window.count = { dropped: 0, a: 0, b: 0 };
    const dropped = () => window.count.dropped++;
    Natter.on('close', dropped)();
    Natter.hide();
  });
  await page.waitForTimeout(500);
  assert.equal(wasm.length, 0, 'on, off, show and hide do not load the widget');
  assert.equal(await launcher(page).isVisible(), false);
  await page.evaluate(() => Natter.show());
  await launcher(page).waitFor();
  assert.equal(wasm.length, 0);

  // A call from after the loader arrived, before the widget loaded, gets its promise kept.
  const open = await page.evaluate(() => {
    Natter.on('open', () => window.count.a++);
    window.offB = () => Natter.off('open', window.b);
    window.b = () => window.count.b++;
    Natter.on('open', window.b);
    return Natter.open();
  });
  assert.equal(open, undefined);
  await dialog(page).waitFor();
  await waitEvent(page, 'ready');
  assert.equal(await page.evaluate(() => Natter.isOpen()), true);
  await page.evaluate(() => Natter.close());
  await dialog(page).waitFor({ state: 'hidden' });
  await waitEvent(page, 'close');
  await page.evaluate(() => Natter.toggle());
  await dialog(page).waitFor();
  await page.evaluate(() => {
    window.offB();
    Natter.toggle();
    Natter.toggle();
  });
  await dialog(page).waitFor();
  assert.deepEqual(await page.evaluate(() => window.count), { dropped: 0, a: 3, b: 2 });
  const seen = (await events(page)).map((e) => e.event).filter((e) => e === 'open' || e === 'close');
  assert.deepEqual(seen, ['open', 'close', 'open', 'close', 'open']);

  // Hidden by page code the launcher stays hidden after the window closes, until shown.
  await page.evaluate(() => {
    Natter.hide();
    Natter.close();
  });
  await dialog(page).waitFor({ state: 'hidden' });
  await page.waitForTimeout(300);
  assert.equal(await launcher(page).isVisible(), false);
  await page.evaluate(() => Natter.show());
  await launcher(page).waitFor();
  assert.deepEqual(problems, []);
});

test('unread, message:received, status and offline:sent follow the conversation', async () => {
  const { page, problems } = await apiPage(await browser.newContext(), [['sendMessage', 'Is anyone there?']]);
  await waitEvent(page, 'message:sent', (d) => d.text === 'Is anyone there?');
  await waitEvent(page, 'status', (d) => d === 'online');
  const { conversation } = await session(page);
  const operator = await operatorSocket(relay.url, admin, conversation);
  operator.send(JSON.stringify({ type: 'send', client_id: 'op-answer-1', text: 'Yes, how can I help?' }));
  const received = await waitEvent(page, 'message:received');
  assert.equal(received.detail.text, 'Yes, how can I help?');
  assert.equal(received.detail.author, 'Demo Operator');
  assert.ok(received.detail.seq > 1);
  await waitEvent(page, 'unread', (n) => n === 1);
  assert.equal(await page.evaluate(() => Natter.unreadCount()), 1);
  await page.evaluate(() => Natter.open());
  await waitEvent(page, 'unread', (n) => n === 0);
  assert.equal(await page.evaluate(() => Natter.unreadCount()), 0);
  // History is not news: the next page tells no message:received for it.
  await page.goto(`${host.url}/api.html`);
  await page.waitForFunction(() => typeof window.Natter.open === 'function');
  await page.evaluate(() => Natter.open());
  await waitForText(page, 'Yes, how can I help?');
  assert.deepEqual(await events(page, 'message:received'), []);

  // The only operator steps away: the open widget learns it within its 5-s check.
  duty.send(JSON.stringify({ type: 'away', away: true }));
  try {
    await waitEvent(page, 'status', (d) => d === 'offline');
    assert.equal(await page.evaluate(() => Natter.sendMessage('Call me back, please')), true);
    const offline = await waitEvent(page, 'offline:sent');
    assert.equal(offline.detail.text, 'Call me back, please');
    assert.deepEqual((await events(page, 'message:sent')).map((e) => e.detail.text), []);
  } finally {
    duty.send(JSON.stringify({ type: 'away', away: false }));
  }
  await waitEvent(page, 'status', (d) => d === 'online');
  operator.close();
  assert.deepEqual(problems, []);
});

test('bad arguments are refused with a warning and an error event, never an exception', async () => {
  const { page, problems, warnings } = await apiPage(await browser.newContext());
  const results = await page.evaluate(async () => {
    const results = [];
    const call = async (f) => {
      try {
        const result = await f();
        results.push(typeof result === 'function' ? 'a function' : result ?? null);
      } catch (e) {
        results.push('threw ' + e);
      }
    };
    await call(() => Natter.sendMessage(42));
    await call(() => Natter.sendMessage('   '));
    await call(() => Natter.setVisitor({ name: 'Ann', email: 'not-an-address' }));
    await call(() => Natter.setVisitor('Ann'));
    await call(() => Natter.setAttributes({ cart: { items: 2 } }));
    await call(() => Natter.setAttributes({ ['k'.repeat(41)]: 'v' }));
    await call(() => Natter.setLocale('de'));
    await call(() => Natter.configure({ rules: [] }));
    await call(() => Natter.configure({ header_color: 'red' }));
    await call(() => Natter.runAction('No such rule'));
    await call(() => Natter('launch'));
    await call(() => { const off = Natter.on('opened', () => {}); off(); return off; });
    await call(() => Natter.on('open', 'not a function'));
    await call(() => Natter.identify({ id: 'u-1', expires: 2000000000 }));
    await call(() => Natter.identify({ id: 'u-1', expires: 'soon', signature: 'ab' }));
    return results;
  });
  assert.deepEqual(results, [false, false, null, null, null, null, null, null, null, null, null, 'a function', 'a function', false, false]);
  const errors = (await events(page, 'error')).map((e) => e.detail.message);
  const expected = [
    'sendMessage(text): text must be a string',
    'sendMessage: ',
    'setVisitor: `email` is not a valid e-mail address',
    'setVisitor({ name, email, phone }): pass an object',
    'setAttributes: the value of `cart` must be a string, number, boolean or null',
    'setAttributes: the attribute name `' + 'k'.repeat(41) + '` must be 1–40 characters',
    "setLocale(locale): locale must be 'ru', 'en' or 'auto'",
    'configure: `rules` cannot be set from the page',
    'configure: `header_color`',
    'runAction: this site has no auto-action named "No such rule"',
    'Natter.launch is not a method',
    'on: unknown event "opened"',
    'on("open", listener): the listener must be a function',
    'identify: `signature` is missing',
    'identify: `expires` must be a Unix time in seconds',
  ];
  assert.equal(errors.length, expected.length, errors.join('\n'));
  expected.forEach((start, i) => assert.ok(errors[i].startsWith(start), `${errors[i]} should start with ${start}`));
  assert.equal(warnings.filter((w) => w.startsWith('natter: ')).length, expected.length);
  // Nothing refused was applied.
  assert.deepEqual(await page.evaluate(() => JSON.parse(localStorage.getItem('natter.demo.details'))), null);
  await page.evaluate(() => Natter.open());
  assert.equal(await page.locator('.header').evaluate((e) => getComputedStyle(e).backgroundColor), 'rgb(47, 111, 237)');
  assert.deepEqual(await logTexts(page), []);
  assert.deepEqual(problems, []);
});

test('setLocale, configure and runAction change the widget at run time', async () => {
  await saveSettings(relay.url, admin, {
    rules: [{ name: 'Promo', enabled: false, conditions: [{ fact: 'time_on_page', op: 'gt', value: 3600 }], action: 'message', text: '20% off today' }],
  });
  try {
    const { page, problems } = await apiPage(await browser.newContext());
    await page.evaluate(() => {
      Natter.setLocale('ru');
      Natter.configure({ header_color: '#123456', pattern: 'dots', texts: { ru: { online_title: 'Мы на связи' } } });
    });
    await page.getByRole('button', { name: 'Открыть чат' }).waitFor();
    await page.evaluate(() => Natter.open());
    await dialog(page).getByText('Мы на связи').waitFor();
    const header = page.locator('.header');
    assert.equal(await header.evaluate((e) => getComputedStyle(e).backgroundColor), 'rgb(18, 52, 86)');
    assert.match(await header.getAttribute('class'), /pattern-dots/);
    // The overrides outlive the site's settings being read again (every 5 s while open).
    await page.waitForTimeout(5500);
    assert.equal(await header.evaluate((e) => getComputedStyle(e).backgroundColor), 'rgb(18, 52, 86)');

    // A disabled rule still runs on request.
    await page.evaluate(() => Natter.runAction('Promo'));
    await waitForText(page, '20% off today');
    assert.deepEqual((await waitEvent(page, 'action')).detail, { name: 'Promo', action: 'message' });
    await page.screenshot({ path: path.join(artifacts, 'api-configured.png') });
    // The edge stores it before the visitor's first message, as a rule's message.
    assert.equal(await page.evaluate(() => Natter.sendMessage('Which items?')), true);
    const { body } = await history(relay.url, admin, (await session(page)).conversation);
    assert.deepEqual(body.messages.map((m) => [m.text, m.auto ?? false]), [['20% off today', true], ['Which items?', false]]);

    await page.evaluate(() => Natter.setLocale('en'));
    await page.getByRole('button', { name: 'Close chat' }).waitFor();
    assert.deepEqual(problems, []);
  } finally {
    await saveSettings(relay.url, admin, {});
  }
});

test('an "always hidden" launcher appears on show() and the window opens from page code', async () => {
  await saveSettings(relay.url, admin, { position: 'hidden' });
  try {
    const { page, problems, wasm } = await apiPage(await browser.newContext());
    await page.waitForTimeout(500);
    assert.equal(await launcher(page).isVisible(), false);
    await page.evaluate(() => Natter.show());
    await launcher(page).waitFor();
    assert.equal(wasm.length, 0);
    await page.evaluate(() => Natter.open());
    await dialog(page).waitFor();
    await page.evaluate(() => Natter.close());
    await launcher(page).waitFor();
    await page.evaluate(() => Natter.hide());
    await launcher(page).waitFor({ state: 'hidden' });
    assert.deepEqual(problems, []);
  } finally {
    await saveSettings(relay.url, admin, {});
  }
});

/** Signs as the host site's server does (docs/js-api.md). */
function sign(secret, { id, name = '', email = '', expires }) {
  return createHmac('sha256', secret).update(['natter-identify-v1', 'demo', id, name, email, expires].join('\n')).digest('hex');
}

async function secrets() {
  const res = await fetch(`${relay.url}/v1/console/sites/demo/secret`, { headers: { Authorization: `Bearer ${admin.token}` } });
  assert.equal(res.status, 200);
  return res.json();
}

test('identify: a signed user keeps one conversation across browsers; wrong, missing and expired signatures grant nothing', async () => {
  const { identity: secret } = await secrets();
  assert.match(secret, /^[0-9a-f]{64}$/);
  const user = { id: 'user-7', name: 'Vera Petrova', email: 'vera@example.com', expires: Math.floor(Date.now() / 1000) + 600 };
  const signed = (u, key = secret) => ({ ...u, signature: sign(key, u) });

  // Browser A chatted anonymously, then signs in: the chat goes on in the same conversation.
  const a = await apiPage(await browser.newContext(), [['sendMessage', 'Before signing in']]);
  await waitEvent(a.page, 'message:sent');
  const { conversation: anonymous, token: anonymousToken } = await session(a.page);
  assert.equal(await a.page.evaluate((u) => Natter.identify(u), signed(user)), true);
  assert.equal((await session(a.page)).conversation, anonymous);
  assert.deepEqual((await waitEvent(a.page, 'introduced')).detail, { name: 'Vera Petrova', email: 'vera@example.com', phone: '' });
  assert.equal(await a.page.evaluate(() => Natter.sendMessage('Signed in now')), true);
  const operator = await operatorSocket(relay.url, admin, anonymous);
  const visitor = await nextFrame(operator, (f) => f.type === 'visitor' && f.verified);
  assert.deepEqual(visitor.verified, { id: 'user-7', name: 'Vera Petrova', email: 'vera@example.com' });

  // Browser B, the same user: the same conversation, with its history.
  const b = await apiPage(await browser.newContext());
  assert.equal(await b.page.evaluate((u) => Natter.identify(u), signed(user)), true);
  assert.equal((await session(b.page)).conversation, anonymous);
  await b.page.evaluate(() => Natter.open());
  await waitForText(b.page, 'Signed in now');
  assert.deepEqual((await logTexts(b.page)).slice(0, 2), ['Before signing in', 'Signed in now']);
  assert.equal(await b.page.evaluate(() => Natter.sendMessage('From my phone')), true);
  await a.page.evaluate(() => Natter.open());
  await waitForText(a.page, 'From my phone');
  await b.page.waitForTimeout(200); // the window's 160 ms rise, for a still picture
  await b.page.screenshot({ path: path.join(artifacts, 'api-identified-second-browser.png') });

  // The old anonymous token of a conversation that is now user-7's hands it to nobody else.
  const other = await fetch(`${relay.url}/v1/sites/demo/identify`, {
    method: 'POST', body: JSON.stringify({ identity: signed({ id: 'user-8', expires: user.expires }), token: anonymousToken }),
  });
  assert.equal(other.status, 201);
  assert.notEqual((await other.json()).conversation, anonymous);

  // The console marks the visitor verified.
  const consolePage = await (await browser.newContext()).newPage();
  await signIn(consolePage, relay.url);
  await consolePage.getByRole('navigation', { name: 'Inbox' }).getByRole('button').filter({ hasText: 'Vera Petrova' }).click();
  await consolePage.getByRole('complementary', { name: 'Visitor' }).getByText('✓ Verified user user-7').waitFor();
  await consolePage.screenshot({ path: path.join(artifacts, 'console-verified-visitor.png') });

  // Refusals, in a third browser: nothing changes there.
  const c = await apiPage(await browser.newContext());
  const refused = async (identity, words) => {
    const before = await c.page.evaluate(() => localStorage.getItem('natter.demo.session'));
    assert.equal(await c.page.evaluate((u) => Natter.identify(u), identity), false);
    const errors = (await events(c.page, 'error')).map((e) => e.detail.message);
    assert.ok(errors.at(-1).includes(words), `${errors.at(-1)} should say ${words}`);
    if (before) assert.equal(await c.page.evaluate(() => localStorage.getItem('natter.demo.session')), before);
  };
  await refused(signed(user, 'not-the-secret'), 'does not match');
  await refused({ ...signed(user), name: 'Someone Else' }, 'does not match');
  const past = { ...user, expires: Math.floor(Date.now() / 1000) - 60 };
  await refused(signed(past), 'expired');
  await refused({ ...user, signature: '' }, 'missing');
  assert.equal(await session(c.page), null, 'a refused identity makes no visitor at all');
  // The edge refuses on its own too, whatever the widget checks.
  for (const identity of [{ ...user }, signed(past), signed(user, 'not-the-secret')]) {
    const res = await fetch(`${relay.url}/v1/sites/demo/identify`, { method: 'POST', body: JSON.stringify({ identity }) });
    assert.equal(res.status, 403);
    assert.equal((await res.json()).code, 'identity_refused');
  }

  // Rotating the identity secret makes old signatures fail at once.
  const rotated = await fetch(`${relay.url}/v1/console/sites/demo/secret/identity`, { method: 'POST', headers: { Authorization: `Bearer ${admin.token}` } });
  assert.equal(rotated.status, 200);
  const fresh = (await rotated.json()).identity;
  assert.notEqual(fresh, secret);
  assert.equal((await secrets()).identity, fresh);
  await refused(signed(user), 'does not match');
  assert.equal(await c.page.evaluate((u) => Natter.identify(u), signed(user, fresh)), true);
  assert.equal((await session(c.page)).conversation, anonymous);

  // Sign-out: reset forgets the user on this browser.
  await a.page.evaluate(() => Natter.reset());
  await eventually(async () => (await session(a.page)) === null, 'no visitor until they write');
  await eventually(async () => (await logTexts(a.page)).length === 0, 'an empty chat');
  assert.equal(await a.page.evaluate(() => localStorage.getItem('natter.demo.details')), null);
  assert.equal(await a.page.evaluate(() => Natter.sendMessage('A new visitor')), true);
  const next = (await session(a.page)).conversation;
  assert.notEqual(next, anonymous);
  const { body } = await history(relay.url, admin, next);
  assert.deepEqual(body.messages.map((m) => m.text), ['A new visitor']);
  const stranger = await operatorSocket(relay.url, admin, next);
  const info = await nextFrame(stranger, (f) => f.type === 'visitor');
  assert.equal(info.verified, undefined);
  stranger.close();
  operator.close();
  for (const { problems } of [a, b, c]) assert.deepEqual(problems, []);
});

test('the demo page exercises the API with buttons and logs every event; natter.d.ts is served', async () => {
  const page = await (await browser.newContext()).newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(`${relay.url}/js-api`);
  const log = page.getByRole('list');
  await page.getByRole('button', { name: 'open()', exact: true }).click();
  await log.getByText(/\bready$/).waitFor();
  await log.getByText(/\bopen$/).waitFor();
  await page.getByRole('button', { name: 'identify(a user signed by the server)' }).click();
  await log.getByText('identify(a user signed by the server) → true').waitFor();
  await log.getByText(/introduced \{"name":"Ann"/).waitFor();
  await page.getByRole('button', { name: 'sendMessage(text)' }).click();
  await log.getByText(/message:sent .*Hello from page code/).waitFor();
  await page.getByRole('button', { name: 'isOpen()' }).click();
  await log.getByText('isOpen() → true').waitFor();
  await page.getByRole('button', { name: 'runAction(rule)' }).click();
  await log.getByText(/error \{"message":"runAction: this site has no auto-action named/).waitFor();
  await page.screenshot({ path: path.join(artifacts, 'api-demo-page.png'), fullPage: true });
  assert.deepEqual(problems, []);

  const types = await fetch(`${relay.url}/natter.d.ts`);
  assert.equal(types.status, 200);
  assert.match(types.headers.get('content-type'), /^(text\/plain|application\/typescript)/);
  assert.match(await types.text(), /export interface NatterApi/);
});
