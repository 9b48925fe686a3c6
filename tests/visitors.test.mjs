// Live visitors and proactive chat, as an operator and two visitors live them: both
// appear in Visitors with their pages and the table follows one who navigates; "Start
// chat" reaches a visitor who never touched the widget (the preview shows the
// operator's words) and is an outgoing conversation in the journal; a visitor whose
// widget is connected gets it at once; with the setting off a page sends nothing
// beyond the loader and its settings; bad page views are refused clearly.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

import { artifacts, eventually, signIn, startStack, visitorSends } from './support/browser.mjs';
import { axeViolations } from './support/axe.mjs';
import { saveSettings } from './support/sockets.mjs';

let stack, relay, host, browser, admin;

async function visitors() {
  const res = await fetch(`${relay.url}/v1/console/sites/demo/visitors`, { headers: { Authorization: `Bearer ${admin.token}` } });
  assert.equal(res.status, 200);
  return res.json();
}

/** A visitor's browser on a host page, with every request it makes to the relay. */
async function visitorOn(page, { live = true, referer } = {}) {
  const context = await browser.newContext();
  const tab = await context.newPage();
  const requests = [];
  tab.on('request', (r) => { if (r.url().startsWith(relay.url)) requests.push(`${r.method()} ${new URL(r.url()).pathname}`); });
  await tab.goto(`${host.url}/${page}`, { referer });
  const id = live && (await eventually(() => tab.evaluate(() => JSON.parse(localStorage.getItem('natter.demo.presence'))), 'a presence id'));
  return { context, tab, requests, id };
}

/** The site's settings, with live visitors on (the tests' default is off). */
const settings = (extra = {}) => saveSettings(relay.url, admin, { live_visitors: true, ...extra });

before(async () => {
  stack = await startStack();
  ({ relay, host, browser, admin } = stack);
  await settings();
});

after(async () => {
  await stack?.stop();
});

test('two visitors on two pages appear with their pages; the table follows one who navigates', async () => {
  const anna = await visitorOn('host.html', { referer: 'https://search.example/?q=shoes' });
  const boris = await visitorOn('second.html');
  const both = await eventually(async () => {
    const list = await visitors();
    return list.total === 2 && list;
  }, 'two visitors');
  const row = (list, id) => list.visitors.find((v) => v.id === id);
  assert.equal(row(both, anna.id).pages.at(-1).title, 'Host shop — home');
  assert.equal(row(both, boris.id).pages.at(-1).title, 'Host shop — delivery');
  assert.match(row(both, anna.id).name, /^Visitor [0-9a-f]{4}$/);
  assert.equal(row(both, anna.id).visits, 1);
  assert.equal(row(both, anna.id).page_views, 1);
  // One page view held open per tab: a single request to the presence route so far.
  assert.deepEqual(anna.requests.filter((r) => r.includes('/presence')), ['POST /v1/sites/demo/presence']);
  assert.ok(!anna.requests.some((r) => r.includes('/ws') || r.includes('/widget/')), `no socket, no Wasm: ${anna.requests}`);

  await anna.tab.goto(`${host.url}/second.html`);
  const moved = await eventually(async () => {
    const list = await visitors();
    const a = row(list, anna.id);
    return a?.pages.length === 2 && a;
  }, 'Anna on her second page');
  assert.deepEqual(moved.pages.map((p) => p.title), ['Host shop — home', 'Host shop — delivery']);
  assert.equal(moved.referrer, 'https://search.example/?q=shoes', 'the source is where the visit came from');
  assert.equal(row(both, boris.id).referrer, '', 'a direct visit');
  assert.equal(moved.page_views, 2);

  // Priority pages are marked and listed first.
  await settings({ priority_pages: ['second.html'] });
  await boris.tab.goto(`${host.url}/host.html`);
  const marked = await eventually(async () => {
    const list = await visitors();
    return row(list, anna.id)?.priority && !row(list, boris.id)?.priority && list;
  }, 'the priority page marked');
  assert.equal(marked.visitors[0].id, anna.id);
  await settings();
  await anna.context.close();
  await boris.context.close();
});

test('Start chat reaches a visitor who never touched the widget, and the conversation is outgoing', async () => {
  const visitor = await visitorOn('host.html');
  await eventually(async () => (await visitors()).visitors.some((v) => v.id === visitor.id), 'the visitor listed');

  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, relay.url);
  await page.getByRole('navigation', { name: 'Console' }).getByRole('button', { name: 'Visitors' }).click();
  const table = page.getByRole('table', { name: 'Visitors on the site now' });
  const name = (await visitors()).visitors.find((v) => v.id === visitor.id).name;
  await table.getByText(name).waitFor();
  await table.getByText(name).click();
  await table.getByRole('list', { name: 'Pages of this visit' }).getByText('Host shop — home').waitFor();
  assert.deepEqual(await axeViolations(page), [], 'axe on Visitors');
  await page.setViewportSize({ width: 390, height: 844 });
  assert.deepEqual(await axeViolations(page), [], 'axe on Visitors at 390 px');
  assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), 390, 'the page itself does not scroll sideways');
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.screenshot({ path: path.join(artifacts, 'visitors.png'), fullPage: true });

  const started = Date.now();
  await table.getByRole('button', { name: `Start chat with ${name}` }).click();
  await page.getByRole('textbox', { name: 'Message' }).fill('Hello! Can I help you choose?');
  assert.deepEqual(await axeViolations(page), [], 'axe on Start chat');
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  // The console shows the conversation, the visitor's widget the preview.
  await page.getByRole('navigation', { name: 'Inbox' }).waitFor();
  await page.locator('.standing').getByText('You are answering').waitFor();
  const preview = visitor.tab.locator('natter-widget .preview');
  await preview.waitFor({ timeout: 15_000 });
  const reached = Date.now() - started;
  assert.ok(reached < 15_000, `reached in ${reached} ms`);
  assert.equal(await preview.locator('.preview-text').textContent(), 'Hello! Can I help you choose?');
  const session = await visitor.tab.evaluate(() => JSON.parse(localStorage.getItem('natter.demo.session')));
  assert.ok(session?.token, 'the visitor has the session the chat brought');

  const outgoing = await fetch(`${relay.url}/v1/console/journal?kind=outgoing`, { headers: { Authorization: `Bearer ${admin.token}` } });
  const entries = (await outgoing.json()).entries;
  await eventually(async () => {
    const res = await fetch(`${relay.url}/v1/console/journal?kind=outgoing`, { headers: { Authorization: `Bearer ${admin.token}` } });
    return (await res.json()).entries.some((e) => e.id === session.conversation);
  }, 'the conversation outgoing in the journal');
  assert.ok(Array.isArray(entries));

  // The visitor answers in the widget: the same conversation.
  await preview.click();
  await visitorSends(visitor.tab, 'Yes, please');
  await eventually(async () => (await page.getByRole('log').locator('.text').allTextContents()).includes('Yes, please'), 'the answer in the console');

  // Now their widget is connected: another Start chat arrives at once, live.
  const res = await fetch(`${relay.url}/v1/console/sites/demo/visitors/${visitor.id}/chat`, {
    method: 'POST', headers: { Authorization: `Bearer ${admin.token}` }, body: JSON.stringify({ text: 'One more thing' }),
  });
  assert.equal(res.status, 201);
  assert.equal((await res.json()).conversation, session.conversation, 'into the conversation they have');
  await eventually(async () => (await visitor.tab.getByRole('log').locator('.text').allTextContents()).includes('One more thing'), 'live in the widget', 5_000);
  await context.close();
  await visitor.context.close();
});

test('page views and Start chat refuse bad input clearly', async () => {
  const post = (body, site = 'demo') => fetch(`${relay.url}/v1/sites/${site}/presence`, { method: 'POST', headers: { Origin: host.url }, body });
  const bad = await post(JSON.stringify({ id: 'short', tab: '0123456789abcdef', url: 'x' }));
  assert.equal(bad.status, 400);
  assert.equal((await bad.json()).message, "The visitor's id must be 16 to 64 hexadecimal characters");
  assert.equal((await post('not json')).status, 400);
  assert.equal((await post('{}', 'no-such-site')).status, 404);
  const gone = await fetch(`${relay.url}/v1/console/sites/demo/visitors/0123456789abcdef0123456789abcdef/chat`, {
    method: 'POST', headers: { Authorization: `Bearer ${admin.token}` }, body: JSON.stringify({ text: 'Hi' }),
  });
  assert.equal(gone.status, 404);
  assert.equal((await gone.json()).message, 'This visitor has left the site');
  const empty = await fetch(`${relay.url}/v1/console/sites/demo/visitors/0123456789abcdef0123456789abcdef/chat`, {
    method: 'POST', headers: { Authorization: `Bearer ${admin.token}` }, body: JSON.stringify({ text: '  ' }),
  });
  assert.equal(empty.status, 400);
  const anonymous = await fetch(`${relay.url}/v1/console/sites/demo/visitors`);
  assert.equal(anonymous.status, 401);
});

test('with "Show live visitors" off a page view sends nothing beyond the loader and its settings', async () => {
  await settings({ live_visitors: false });
  const visitor = await visitorOn('host.html', { live: false });
  await visitor.tab.locator('natter-widget button.launcher').waitFor();
  await new Promise((r) => setTimeout(r, 1500));
  assert.deepEqual(visitor.requests, ['GET /natter.js', 'GET /v1/sites/demo/widget']);
  assert.equal(await visitor.tab.evaluate(() => localStorage.getItem('natter.demo.presence')), null, 'no id kept either');
  // The console says why nobody is listed.
  const console_ = await (await browser.newContext()).newPage();
  await signIn(console_, relay.url);
  await console_.getByRole('navigation', { name: 'Console' }).getByRole('button', { name: 'Visitors' }).click();
  await console_.getByText('This site does not show live visitors: an admin can turn them on in Widget settings → Conversations.').waitFor();
  await console_.context().close();
  await visitor.context.close();
  await settings();
});
