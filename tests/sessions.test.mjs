// Credentials that stop working: a visitor whose token the edge no longer accepts
// starts a new conversation without losing what they typed; an operator whose
// session expired is asked to sign in again instead of "Connecting…" forever.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { eventually, logTexts, openWidget, signIn, visitorSends, startStack } from './support/browser.mjs';
import { history, signInOperator } from './support/sockets.mjs';
import { expired } from './support/tokens.mjs';

let stack, relay, host, browser;

before(async () => {
  stack = await startStack();
  ({ relay, host, browser } = stack);
});

after(async () => {
  await stack?.stop();
});

const deliveries = (page) => page.getByRole('log').locator('.delivery').allTextContents();

test('a visitor whose token expired gets a new conversation, and what they typed is delivered', async () => {
  const page = await browser.newPage();
  await page.goto(`${host.url}/host.html`);
  await openWidget(page);
  await visitorSends(page, 'before expiry');
  await eventually(async () => (await deliveries(page)).includes('Sent'), 'the first message acked');
  const old = await page.evaluate(() => JSON.parse(localStorage.getItem('natter.demo.session')));

  // The stored token expires (correctly signed, exp in the past).
  const stale = { ...old, token: expired(old.token) };
  await page.evaluate((s) => localStorage.setItem('natter.demo.session', JSON.stringify(s)), stale);
  await page.reload();
  await openWidget(page);
  await visitorSends(page, 'after expiry');
  await eventually(async () => (await deliveries(page)).join() === 'Sent', 'the new message acked in a new conversation', 20_000);

  const fresh = await page.evaluate(() => JSON.parse(localStorage.getItem('natter.demo.session')));
  assert.notEqual(fresh.conversation, old.conversation);
  assert.deepEqual(await logTexts(page), ['after expiry']);
  const operator = await signInOperator(relay.url);
  const texts = async (c) => (await history(relay.url, operator, c)).body.messages.map((m) => m.text);
  assert.deepEqual(await texts(old.conversation), ['before expiry']);
  assert.deepEqual(await texts(fresh.conversation), ['after expiry']);
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
