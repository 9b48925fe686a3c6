// Integrations, as an admin sets them in the console and a host page meets them. For
// now Yandex.Metrica goals: with a counter enabled, the widget calls the page's own
// `ym(counter, 'reachGoal', GOAL)` (a stub here: Natter loads no Metrica script) as
// the visitor opens the chat and sends a first message, and only the first; switched
// off, the counter is kept and nothing is called; a bad counter is refused.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

import { artifacts, eventually, openWidget, signIn, startStack, visitorSends } from './support/browser.mjs';
import { axeViolations } from './support/axe.mjs';

let stack, relay, host, browser, admin;

/** A visitor's page with a stub `ym` that records every call. */
async function hostWithYm() {
  const context = await browser.newContext();
  await context.addInitScript(() => {
    window.ymCalls = [];
    window.ym = (...args) => window.ymCalls.push(args);
  });
  const page = await context.newPage();
  await page.goto(`${host.url}/host.html`);
  return { context, page };
}

before(async () => {
  stack = await startStack();
  ({ relay, host, browser, admin } = stack);
});

after(async () => {
  await stack?.stop();
});

test('an admin sets the Metrica counter on Integrations; the widget reaches the goals in order', async () => {
  const workplace = await browser.newPage();
  await signIn(workplace, relay.url);
  await workplace.getByRole('navigation', { name: 'Console' }).getByRole('button', { name: 'Integrations' }).click();
  const form = workplace.getByRole('form', { name: 'Yandex.Metrica' });
  await form.waitFor();
  for (const goal of ['natter_chat_opened', 'natter_first_message', 'natter_introduced', 'natter_offline_message']) {
    await form.getByText(goal, { exact: true }).waitFor();
  }
  // Enabled without a number, then a number with letters: refused, nothing saved.
  await form.getByRole('checkbox', { name: 'Enabled' }).check();
  await form.getByRole('button', { name: 'Save' }).click();
  await form.getByRole('alert').filter({ hasText: 'Write the counter\'s number to enable Metrica goals' }).waitFor();
  await form.getByLabel('Metrica counter').fill('12ab');
  await form.getByRole('button', { name: 'Save' }).click();
  await form.getByRole('alert').filter({ hasText: '"12ab" is not a counter number' }).waitFor();
  await form.getByLabel('Metrica counter').fill('98765432');
  await form.getByRole('button', { name: 'Save' }).click();
  await form.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
  assert.deepEqual(await axeViolations(workplace, 'main'), []);
  await workplace.screenshot({ path: path.join(artifacts, 'integrations-metrica.png'), fullPage: true });
  const widget = await (await fetch(`${relay.url}/v1/sites/demo/widget`)).json();
  assert.deepEqual(widget.metrica, { counter: '98765432', enabled: true });

  const { context, page } = await hostWithYm();
  await openWidget(page);
  await visitorSends(page, 'First question');
  await eventually(async () => (await page.evaluate(() => window.ymCalls.length)) === 2, 'two goals');
  await visitorSends(page, 'Second question');
  await eventually(async () => (await page.getByRole('log').locator('.delivery').allTextContents()).filter((d) => d === 'Sent').length === 2, 'both stored');
  assert.deepEqual(await page.evaluate(() => window.ymCalls), [
    [98765432, 'reachGoal', 'natter_chat_opened'],
    [98765432, 'reachGoal', 'natter_first_message'],
  ], 'the second message is no first message');
  await context.close();

  // Switched off: the counter is kept in the settings, the widget gets none and calls nothing.
  await form.getByRole('checkbox', { name: 'Enabled' }).uncheck();
  await form.getByRole('button', { name: 'Save' }).click();
  await eventually(async () => (await (await fetch(`${relay.url}/v1/sites/demo/widget`)).json()).metrica === undefined, 'no counter for the widget');
  const saved = await (await fetch(`${relay.url}/v1/console/sites/demo/settings`, { headers: { Authorization: `Bearer ${admin.token}` } })).json();
  assert.deepEqual(saved.settings.metrica, { counter: '98765432', enabled: false });
  const off = await hostWithYm();
  await openWidget(off.page);
  await visitorSends(off.page, 'Nobody counts this');
  await eventually(async () => (await off.page.getByRole('log').locator('.delivery').allTextContents()).includes('Sent'), 'stored');
  assert.deepEqual(await off.page.evaluate(() => window.ymCalls), []);
  await off.context.close();
  await workplace.close();
});
