// The inbox is paged (issue 14, item 11): every open conversation is reachable, page by
// page, in the inbox's one order (the longest waiting first), for each filter, with
// counts of all of them, in the console by "Show more conversations" and by scrolling.
// (`make bench` measures the pages with 10,000 open.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

import { Relay } from './support/relay.mjs';
import { artifacts, eventually, launch, signIn } from './support/browser.mjs';
import { axeViolations } from './support/axe.mjs';
import { dutyOperator, newVisitor, nextFrame, signInOperator, visitorSocket } from './support/sockets.mjs';

const OPEN = 230;
let relay;
let admin;
const created = [];
before(async () => {
  relay = await Relay.start();
  admin = await signInOperator(relay.url);
  for (let batch = 0; batch < OPEN; batch += 10) {
    await Promise.all(Array.from({ length: Math.min(10, OPEN - batch) }, async (_, i) => {
      const visitor = await newVisitor(relay.url);
      const ws = await visitorSocket(relay.url, visitor);
      ws.send(JSON.stringify({ type: 'send', client_id: 'first', text: `visitor ${batch + i}` }));
      await nextFrame(ws, (f) => f.type === 'ack');
      ws.close();
      created.push(visitor.conversation);
    }));
  }
});
after(async () => {
  await relay?.stop();
});

async function page(filter, after, operator = admin) {
  const query = after ? `&after_rank=${after.rank}&after_id=${after.id}` : '';
  const res = await fetch(`${relay.url}/v1/console/sites/demo/inbox?filter=${filter}${query}`, { headers: { Authorization: `Bearer ${operator.token}` } });
  assert.equal(res.status, 200);
  return res.json();
}

const rank = (c) => (c.waiting_since ?? 1e14 - c.last_at);

async function everyPage(filter, operator) {
  const pages = [];
  let after;
  for (;;) {
    const next = await page(filter, after, operator);
    pages.push(next);
    if (!next.more) return pages;
    const last = next.conversations.at(-1);
    after = { rank: rank(last), id: last.id };
  }
}

test(`${OPEN} open conversations: every one is reached page by page, once, in the inbox's order, and counted`, async () => {
  const pages = await everyPage('active');
  assert.deepEqual(pages.map((p) => p.conversations.length), [50, 50, 50, 50, 30]);
  const all = pages.flatMap((p) => p.conversations);
  assert.deepEqual(new Set(all.map((c) => c.id)), new Set(created), 'each once');
  const keys = all.map((c) => [rank(c), c.id]);
  const sorted = [...keys].sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  assert.deepEqual(keys, sorted, 'the longest waiting first');
  const waiting = await everyPage('waiting');
  assert.equal(waiting.flatMap((p) => p.conversations).length, OPEN);
  // The inbox socket opens with the first page and the counts.
  const inbox = await dutyOperator(relay.url);
  const opening = inbox.frames.find((f) => f.type === 'inbox');
  assert.equal(opening.conversations.length, 50);
  assert.equal(opening.more, true);
  assert.deepEqual(opening.counts, { waiting: OPEN, mine: 0, active: OPEN });
  inbox.close();
  // Bad paging input is refused with our words.
  const bad = await fetch(`${relay.url}/v1/console/sites/demo/inbox?filter=odd`, { headers: { Authorization: `Bearer ${admin.token}` } });
  assert.equal(bad.status, 400);
  assert.match((await bad.json()).message, /Unknown filter/);
  const half = await fetch(`${relay.url}/v1/console/sites/demo/inbox?after_rank=5`, { headers: { Authorization: `Bearer ${admin.token}` } });
  assert.equal(half.status, 400);
});

test('an operator\'s own conversations page too, and the counts follow a change live', async () => {
  const agent = await signInOperator(relay.url, 'agent@natter.dev', 'natter-agent');
  const inbox = await dutyOperator(relay.url);
  const taken = created.slice(0, 60);
  for (const id of taken) {
    const res = await fetch(`${relay.url}/v1/console/sites/demo/conversations/${id}/take`, { method: 'POST', headers: { Authorization: `Bearer ${agent.token}` } });
    assert.equal(res.status, 200);
  }
  const mine = await everyPage('mine', agent);
  assert.deepEqual(mine.map((p) => p.conversations.length), [50, 10]);
  assert.deepEqual(new Set(mine.flatMap((p) => p.conversations).map((c) => c.id)), new Set(taken));
  await eventually(() => inbox.frames.some((f) => f.type === 'counts' && f.mine === 60 && f.waiting === OPEN - 60 && f.active === OPEN), 'the counts, live');
  inbox.close();
});

test('the console shows the first page and the rest by "Show more conversations" and by scrolling', async () => {
  const browser = await launch();
  try {
    await consoleReachesAll(browser);
  } finally {
    await browser.close();
  }
});

async function consoleReachesAll(browser) {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  await signIn(page, relay.url);
  const nav = page.getByRole('navigation', { name: 'Inbox' });
  const entries = nav.locator('li');
  await eventually(async () => (await entries.count()) === 50, 'the first page');
  await nav.getByRole('button', { name: `All active ${OPEN}` }).waitFor();
  await nav.getByRole('button', { name: 'Show more conversations' }).click();
  await eventually(async () => (await entries.count()) === 100, 'a page more');
  await page.screenshot({ path: path.join(artifacts, 'inbox-paged.png') });
  assert.deepEqual(await axeViolations(page), []);
  for (let i = 0; i < 10 && (await entries.count()) < OPEN; i += 1) {
    await nav.evaluate((el) => { el.scrollTop = el.scrollHeight; });
    await page.waitForTimeout(300);
  }
  assert.equal(await entries.count(), OPEN, 'every open conversation, by scrolling');
  assert.equal(await nav.getByRole('button', { name: 'Show more conversations' }).count(), 0);
  // The newest visitor waited least: last in the list, and it opens.
  const newest = (await everyPage('active')).flatMap((p) => p.conversations).at(-1);
  await entries.last().getByRole('button').click();
  await page.getByRole('region', { name: 'Conversation' }).getByRole('heading', { name: newest.visitor_name }).waitFor();
}
