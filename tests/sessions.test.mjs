// Credentials that stop working: a visitor whose token the edge no longer accepts
// starts a new conversation without losing what they typed; an operator whose
// session expired is asked to sign in again instead of "Connecting…" forever.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { eventually, logTexts, openWidget, signIn, visitorSends, startStack } from './support/browser.mjs';
import { history, signInOperator } from './support/sockets.mjs';
import { expired, expiringIn } from './support/tokens.mjs';

let stack, relay, host, browser;

before(async () => {
  stack = await startStack();
  ({ relay, host, browser } = stack);
});

after(async () => {
  await stack?.stop();
});

const deliveries = (page) => page.getByRole('log').locator('.delivery').allTextContents();

/** What the log shows, to say what went wrong when a wait times out. */
async function shown(page) {
  return { texts: await logTexts(page), deliveries: await deliveries(page) };
}

/**
 * A visitor writes, their stored token expires, they reload and write again: the
 * message must be acked in exactly one new conversation. `prepare` runs on the new
 * page first; `hold`, after the first message, may delay the check of the old token.
 */
async function expireAndWrite({ prepare, hold } = {}) {
  const page = await browser.newPage();
  await prepare?.(page);
  await page.goto(`${host.url}/host.html`);
  await openWidget(page);
  await visitorSends(page, 'before expiry');
  await eventually(async () => (await deliveries(page)).includes('Sent'), 'the first message acked');
  const old = await page.evaluate(() => JSON.parse(localStorage.getItem('natter.demo.session')));
  const checks = await hold?.(page, old);

  // The stored token expires (correctly signed, exp in the past).
  const stale = { ...old, token: expired(old.token) };
  await page.evaluate((s) => localStorage.setItem('natter.demo.session', JSON.stringify(s)), stale);
  await page.reload();
  await openWidget(page);
  await visitorSends(page, 'after expiry');
  await eventually(async () => {
    const now = await shown(page);
    if (now.deliveries.join() !== 'Sent') throw new Error(JSON.stringify(now));
    return true;
  }, 'the new message acked in a new conversation', 25_000);

  const fresh = await page.evaluate(() => JSON.parse(localStorage.getItem('natter.demo.session')));
  assert.notEqual(fresh.conversation, old.conversation);
  assert.deepEqual(await logTexts(page), ['after expiry']);
  const operator = await signInOperator(relay.url);
  const texts = async (c) => (await history(relay.url, operator, c)).body.messages.map((m) => m.text);
  assert.deepEqual(await texts(old.conversation), ['before expiry']);
  assert.deepEqual(await texts(fresh.conversation), ['after expiry']);
  await page.close();
  return { checks };
}

test('a visitor whose token expired gets a new conversation, and what they typed is delivered', async () => {
  await expireAndWrite();
});

test('a slow check of an expired token still makes one new conversation, not two', async () => {
  // The edge answers the check of the old token late (as on a loaded machine): the
  // socket keeps failing meanwhile, and a second check must not start.
  const { checks } = await expireAndWrite({ hold: async (page, old) => {
    const seen = [];
    let release;
    const released = new Promise((r) => (release = r));
    await page.route(`${relay.url}/v1/conversations/${old.conversation}`, async (route) => {
      seen.push(Date.now());
      if (seen.length > 1) release();
      // Long enough for the socket to fail three times more (1 + 2 + 4 s of backoff).
      await Promise.race([released, new Promise((r) => setTimeout(r, 9_000))]);
      await route.continue();
    });
    return seen;
  } });
  assert.equal(checks.length, 1, 'the widget checked the old token once');
});

test('a message stored whose ack never came stays in its conversation when the token expires', async () => {
  // The edge acks after telling the site; a reload in between leaves the message in
  // the outbox although its echo said it was stored. It must not move on with the
  // messages really unsent.
  let dropping = true;
  await expireAndWrite({
    prepare: (page) =>
      page.routeWebSocket((url) => dropping && url.pathname.endsWith('/ws'), (ws) => {
        const server = ws.connectToServer();
        ws.onMessage((m) => server.send(m));
        server.onMessage((m) => JSON.parse(m).type !== 'ack' && ws.send(m));
      }),
    hold: () => {
      dropping = false;
    },
  });
});

test('a token that expires while the widget is open: the next message goes to a new conversation', async () => {
  const page = await browser.newPage();
  await page.goto(`${host.url}/host.html`);
  await openWidget(page);
  await visitorSends(page, 'before expiry');
  await eventually(async () => (await deliveries(page)).includes('Sent'), 'the first message acked');
  const old = await page.evaluate(() => JSON.parse(localStorage.getItem('natter.demo.session')));
  // The same visitor with a token that ends in 2 s, connected before it does.
  const ending = { ...old, token: expiringIn(old.token, 2_000) };
  await page.evaluate((s) => localStorage.setItem('natter.demo.session', JSON.stringify(s)), ending);
  await page.reload();
  await openWidget(page);
  await eventually(async () => (await logTexts(page)).includes('before expiry'), 'the history');
  await new Promise((r) => setTimeout(r, 2_500));
  await visitorSends(page, 'after expiry');
  await eventually(async () => {
    const fresh = await page.evaluate(() => JSON.parse(localStorage.getItem('natter.demo.session')));
    const now = await shown(page);
    if (fresh.conversation === old.conversation || now.deliveries.join() !== 'Sent') throw new Error(JSON.stringify(now));
    return true;
  }, 'the message acked in a new conversation');
  const operator = await signInOperator(relay.url);
  const texts = async (c) => (await history(relay.url, operator, c)).body.messages.map((m) => m.text);
  assert.deepEqual(await texts(old.conversation), ['before expiry']);
  await page.close();
});

test('an operator whose session expired is signed out with a clear notice', async () => {
  const page = await browser.newPage();
  await signIn(page, relay.url);
  await page.evaluate((token) => {
    const session = JSON.parse(localStorage.getItem('natter.console.session'));
    localStorage.setItem('natter.console.session', JSON.stringify({ ...session, token }));
  }, expired(await page.evaluate(() => JSON.parse(localStorage.getItem('natter.console.session')).token)));
  await page.reload();
  const notice = page.getByText('Your session has ended');
  await notice.waitFor({ timeout: 15_000 });
  assert.equal(await notice.textContent(), 'Your session has ended. Sign in again.');
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  // Signing in again, on the same page, clears the notice and opens the inbox.
  await page.getByLabel('Email').fill('demo@natter.dev');
  await page.getByLabel('Password').fill('natter-demo');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Inbox' }).waitFor();
  assert.equal(await notice.count(), 0);
  await page.close();
});
