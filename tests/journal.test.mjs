// The journal, as an operator uses it: conversations answered and missed, filtered by
// kind, date, rating and words (in Russian too), the filters kept in the address (a
// bookmark opens the same view), a CSV of the rows shown, one conversation saved as
// text, a closed one reopened by writing from the journal; the API refuses bad
// filters clearly, and agents of a site that hides others' conversations see only
// theirs. The organisation's time zone is set at sign-up and by admins.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { artifacts, eventually, logTexts, signIn, startStack } from './support/browser.mjs';
import { axeViolations } from './support/axe.mjs';
import { newVisitor, nextFrame, saveSettings, signInOperator, visitorSocket, operatorSocket } from './support/sockets.mjs';

let stack, relay, browser, admin;
/** The conversations made in `before`, by what happened in them. */
const made = {};

async function journal(operator, params = {}) {
  const query = new URLSearchParams(params).toString();
  const res = await fetch(`${relay.url}/v1/console/journal?${query}`, { headers: { Authorization: `Bearer ${operator.token}` } });
  return { status: res.status, body: await res.json() };
}

const ids = (page) => page.body.entries.map((e) => e.id).sort();

async function act(operator, conversation, action) {
  const res = await fetch(`${relay.url}/v1/console/sites/demo/conversations/${conversation}/${action}`, {
    method: 'POST', headers: { Authorization: `Bearer ${operator.token}` },
  });
  return res.status;
}

/** A visitor who introduces themselves and writes `texts`; their socket stays open. */
async function visitorWrites(tag, name, email, texts) {
  const visitor = await newVisitor(relay.url);
  const ws = await visitorSocket(relay.url, visitor, { url: 'http://shop.test/pizza', title: 'Pizza', referrer: 'https://search.example/?q=pizza', language: 'ru' });
  ws.send(JSON.stringify({ type: 'introduce', details: { name, email, phone: '' } }));
  for (const [i, text] of texts.entries()) {
    ws.send(JSON.stringify({ type: 'send', client_id: `${tag}-${i}`, text }));
    await nextFrame(ws, (f) => f.type === 'ack' && f.client_id === `${tag}-${i}`);
  }
  return { ...visitor, ws };
}

before(async () => {
  stack = await startStack(undefined, { onDuty: true });
  ({ relay, browser, admin } = stack);
  // Answered: the visitor asks about a pizza, an operator answers; they stay.
  made.answered = await visitorWrites('anna', 'Анна', 'anna@example.com', ['Где моя пицца?']);
  const operator = await operatorSocket(relay.url, admin, made.answered.conversation);
  operator.send(JSON.stringify({ type: 'send', client_id: 'answer-1', text: 'Курьер уже едет' }));
  await nextFrame(operator, (f) => f.type === 'ack');
  operator.close();
  // Missed: the visitor writes and leaves without an answer.
  made.missed = await visitorWrites('boris', 'Boris', '', ['Hello, is anyone there? zebra']);
  made.missed.ws.close();
  await eventually(async () => {
    const page = await journal(admin, { kind: 'missed' });
    return page.body.entries?.length === 1;
  }, 'the missed conversation in the journal');
});

after(async () => {
  made.answered?.ws.close();
  await stack?.stop();
});

test('the API: kinds, dates, words in any alphabet, ratings, and bad filters refused', async () => {
  await eventually(async () => (await journal(admin)).body.entries.length === 2, 'both conversations');
  assert.deepEqual(ids(await journal(admin, { kind: 'missed' })), [made.missed.conversation]);
  assert.deepEqual(ids(await journal(admin, { kind: 'incoming' })), [made.answered.conversation, made.missed.conversation].sort());
  assert.deepEqual(ids(await journal(admin, { kind: 'outgoing' })), []);

  const answered = (await journal(admin, { q: 'пицц' })).body.entries;
  assert.deepEqual(answered.map((e) => e.id), [made.answered.conversation], 'a word found by its start, in Cyrillic');
  const row = answered[0];
  assert.equal(row.visitor_name, 'Анна');
  assert.equal(row.email, 'anna@example.com');
  assert.equal(row.messages, 2);
  assert.equal(row.owner.name, 'Demo Operator');
  assert.equal(row.referrer, 'https://search.example/?q=pizza');
  assert.equal(row.outgoing, false);
  assert.equal(row.missed, false);
  assert.ok(row.first_response_ms >= 0 && row.first_response_ms < 60_000, `first response ${row.first_response_ms} ms`);
  assert.deepEqual(ids(await journal(admin, { q: 'КУРЬЕР' })), [made.answered.conversation], "the operator's words, any case");
  assert.deepEqual(ids(await journal(admin, { q: 'anna@example' })), [made.answered.conversation], 'the visitor’s details');
  assert.deepEqual(ids(await journal(admin, { q: 'zebra hello' })), [made.missed.conversation], 'every word must occur');
  assert.deepEqual(ids(await journal(admin, { q: 'zebra пицца' })), []);
  assert.deepEqual(ids(await journal(admin, { q: '"OR NEAR(' })), [], 'FTS5 syntax is only words');

  const now = Date.now();
  assert.equal((await journal(admin, { since: now - 3_600_000 })).body.entries.length, 2);
  assert.equal((await journal(admin, { since: now + 60_000 })).body.entries.length, 0);
  assert.equal((await journal(admin, { until: now - 3_600_000 })).body.entries.length, 0);

  // Closed and rated good.
  assert.equal(await act(admin, made.answered.conversation, 'close'), 200);
  made.answered.ws.send(JSON.stringify({ type: 'rate', good: true, comment: '' }));
  await eventually(async () => ids(await journal(admin, { rating: 'good' }))[0] === made.answered.conversation, 'rated good');
  assert.deepEqual(ids(await journal(admin, { rating: 'none' })), [made.missed.conversation]);
  assert.deepEqual(ids(await journal(admin, { rating: 'bad' })), []);
  assert.equal((await journal(admin, { rating: 'good' })).body.entries[0].state, 'closed');

  // Pages: one row, then the next after it, then nothing more.
  const first = await journal(admin, { limit: 1 });
  assert.equal(first.body.entries.length, 1);
  assert.equal(first.body.more, true);
  const [top] = first.body.entries;
  const second = await journal(admin, { limit: 1, after_at: top.started_at, after_site: top.site, after_id: top.id });
  assert.equal(second.body.entries.length, 1);
  assert.notEqual(second.body.entries[0].id, top.id);
  assert.equal(second.body.more, false);

  for (const [params, message] of [
    [{ kind: 'lost' }, '`kind` must be one of all, incoming, outgoing, missed'],
    [{ since: 'yesterday' }, '`since` must be a time in milliseconds'],
    [{ limit: 0 }, '`limit` must be a number from 1 to 1000'],
    [{ after_at: 5 }, '`after_at`, `after_site` and `after_id` go together'],
    [{ q: 'x'.repeat(201) }, 'The search is longer than 200 characters'],
  ]) {
    const res = await journal(admin, params);
    assert.equal(res.status, 400, JSON.stringify(params));
    assert.equal(res.body.message, message);
  }
  assert.equal((await journal(admin, { site: 'elsewhere' })).status, 403, 'a site the operator is not on');

  // Corrected details replace the old ones in the search.
  const corrected = await fetch(`${relay.url}/v1/console/sites/demo/conversations/${made.missed.conversation}/visitor`, {
    method: 'PUT',
    headers: { Authorization: `Bearer ${admin.token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: 'Vladimir', email: 'vlad@example.org', phone: '', note: '' }),
  });
  assert.equal(corrected.status, 200, await corrected.clone().text());
  await eventually(async () => ids(await journal(admin, { q: 'vladimir' }))[0] === made.missed.conversation, 'the new name found');
  assert.deepEqual(ids(await journal(admin, { q: 'boris' })), [], 'the old name forgotten');
  assert.deepEqual(ids(await journal(admin, { q: 'vlad example org' })), [made.missed.conversation]);
  await fetch(`${relay.url}/v1/console/sites/demo/conversations/${made.missed.conversation}/visitor`, {
    method: 'PUT',
    headers: { Authorization: `Bearer ${admin.token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: 'Boris', email: '', phone: '', note: '' }),
  });
  await eventually(async () => ids(await journal(admin, { q: 'boris' }))[0] === made.missed.conversation, 'Boris again');
  const anonymous = await fetch(`${relay.url}/v1/console/journal`);
  assert.equal(anonymous.status, 401);
});

test("agents of a site that hides others' conversations see only their own and unassigned ones", async () => {
  const agent = await signInOperator(relay.url, 'agent@natter.dev', 'natter-agent');
  assert.equal((await journal(agent)).body.entries.length, 2, 'everything while the site hides nothing');
  await saveSettings(relay.url, admin, { routing: { auto_assign: false, assign_limit: 3, hide_others: true } });
  assert.deepEqual(ids(await journal(agent)), [made.missed.conversation], "the admin's conversation is hidden");
  assert.equal((await journal(admin)).body.entries.length, 2, 'admins see everything');
  await saveSettings(relay.url, admin, {});
});

test('the time zone: from the browser at sign-up, changed by admins, refused when unknown', async () => {
  const email = `tz-${Date.now()}@example.com`;
  const signUp = await fetch(`${relay.url}/v1/console/sign-up`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ organisation: 'Zone Org', name: 'Zed', email, password: 'zone-password-1', site_name: 'Zone', site_url: 'https://zone.example', time_zone: 'Asia/Yekaterinburg' }),
  });
  assert.equal(signUp.status, 201, await signUp.clone().text());
  const zed = await signInOperator(relay.url, email, 'zone-password-1');
  const me = async (who) => (await (await fetch(`${relay.url}/v1/console/me`, { headers: { Authorization: `Bearer ${who.token}` } })).json()).time_zone;
  assert.equal(await me(zed), 'Asia/Yekaterinburg');
  assert.equal(await me(admin), 'UTC', 'the dev organisation counts in UTC');
  const put = (who, time_zone) => fetch(`${relay.url}/v1/console/organisation`, {
    method: 'PUT', headers: { Authorization: `Bearer ${who.token}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ time_zone }),
  });
  const refused = await put(zed, 'Mars/Olympus');
  assert.equal(refused.status, 400);
  assert.equal((await refused.json()).message, 'Time zone: "Mars/Olympus" is not a time zone, e.g. Europe/Moscow');
  assert.equal((await put(zed, 'Europe/Moscow')).status, 200);
  assert.equal(await me(zed), 'Europe/Moscow');
  const agent = await signInOperator(relay.url, 'agent@natter.dev', 'natter-agent');
  assert.equal((await put(agent, 'Europe/Moscow')).status, 403, 'agents cannot');
});

test('the console: filters in the address, a bookmark, CSV, a conversation as text, reopening from the journal, 0 axe violations', async () => {
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  await signIn(page, relay.url);
  await page.getByRole('navigation', { name: 'Console' }).getByRole('button', { name: 'Journal' }).click();
  const region = page.getByRole('region', { name: 'Journal' });
  const rows = region.getByRole('table').getByRole('link');
  await eventually(async () => (await rows.count()) === 2, 'two rows');
  assert.deepEqual((await rows.allTextContents()).sort(), ['Boris', 'Анна'].sort());

  await region.getByLabel('Kind').selectOption({ label: 'Missed' });
  await eventually(async () => (await rows.allTextContents()).join() === 'Boris', 'only the missed one');
  assert.match(new URL(page.url()).hash, /^#journal\?kind=missed$/);
  await region.getByLabel('Rating').selectOption({ label: 'Not rated' });
  await eventually(() => new URL(page.url()).hash === '#journal?kind=missed&rating=none', 'the rating in the address');
  assert.equal(await page.getByRole('status').filter({ hasText: 'conversations' }).first().textContent(), '1 conversations.');

  // A bookmark of the view opens it again, in a new tab.
  const bookmark = page.url();
  const again = await context.newPage();
  await again.goto(bookmark);
  const againRegion = again.getByRole('region', { name: 'Journal' });
  await eventually(async () => (await againRegion.getByRole('table').getByRole('link').allTextContents()).join() === 'Boris', 'the bookmark shows the same view');
  assert.equal(await againRegion.getByLabel('Kind').inputValue(), 'missed');
  await again.close();

  await region.getByRole('button', { name: 'Clear filters' }).click();
  await eventually(async () => (await rows.count()) === 2, 'all rows again');
  assert.equal(new URL(page.url()).hash, '#journal');

  await region.getByLabel('Search').fill('пицц');
  await region.getByLabel('Search').press('Enter');
  await eventually(async () => (await rows.allTextContents()).join() === 'Анна', 'found by a word');
  assert.match(decodeURIComponent(new URL(page.url()).hash), /q=пицц/);
  await region.getByRole('button', { name: 'Clear filters' }).click();
  assert.equal(await region.getByLabel('Search').inputValue(), '');

  await region.getByLabel('Period').selectOption({ label: 'Today' });
  await eventually(async () => (await rows.count()) === 2, 'both today');
  await region.getByLabel('Period').selectOption({ label: 'Dates…' });
  await region.getByLabel('From', { exact: true }).fill('2020-01-01');
  await region.getByLabel('To', { exact: true }).fill('2020-01-31');
  await eventually(async () => (await rows.count()) === 0, 'none in January 2020');
  await region.locator('p.hint').getByText('No conversations match these filters.').waitFor();
  assert.match(new URL(page.url()).hash, /period=custom&from=2020-01-01&to=2020-01-31/);
  await region.getByRole('button', { name: 'Clear filters' }).click();
  await eventually(async () => (await rows.count()) === 2, 'all rows again');

  // The CSV holds the rows shown.
  const [download] = await Promise.all([page.waitForEvent('download'), region.getByRole('button', { name: 'Export CSV' }).click()]);
  assert.equal(download.suggestedFilename(), 'journal.csv');
  const csv = readFileSync(await download.path(), 'utf8').replace(/^\uFEFF/, '');
  const lines = csv.trim().split('\r\n');
  assert.equal(lines[0], 'Started,Visitor,Email,Phone,Operator,Kind,State,Duration (s),Messages,First response (s),Site,Page,Source,Rating,Conversation');
  assert.equal(lines.length, 3);
  const shown = (await rows.allTextContents()).join('|');
  assert.deepEqual(lines.slice(1).map((l) => l.split(',')[1]).join('|'), shown, 'the same rows in the same order');
  assert.ok(lines.some((l) => l.includes(',Missed,') && l.includes('Boris')), 'the missed one says so');
  assert.ok(lines.some((l) => l.includes('Анна,anna@example.com') && l.includes(',Good,')), 'the rated one');

  assert.deepEqual(await axeViolations(page), [], 'axe on the journal');
  await page.screenshot({ path: path.join(artifacts, 'journal.png'), fullPage: true });

  // Opening a row: the conversation, saved as text, and reopened by writing.
  await rows.filter({ hasText: 'Анна' }).click();
  assert.match(new URL(page.url()).hash, new RegExp(`open=demo%2F${made.answered.conversation}`));
  await eventually(async () => (await logTexts(page)).includes('Курьер уже едет'), 'the conversation');
  await page.getByText('This conversation is closed. Writing to the visitor opens it again.').waitFor();
  const [text] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export as text' }).click()]);
  const transcript = readFileSync(await text.path(), 'utf8');
  assert.match(transcript, /^Conversation with Анна\n/);
  assert.match(transcript, /\] Анна: Где моя пицца\?\n/);
  assert.match(transcript, /\] Demo Operator: Курьер уже едет\n/);
  assert.deepEqual(await axeViolations(page), [], 'axe on a conversation opened from the journal');
  await page.getByRole('textbox', { name: 'Reply' }).fill('Как вам пицца?');
  await page.getByRole('textbox', { name: 'Reply' }).press('Enter');
  await page.getByText('You are answering').waitFor();
  await eventually(async () => (await journal(admin, { q: 'пицца' })).body.entries[0]?.state === 'active', 'reopened in the journal');
  await page.getByRole('button', { name: 'Back to the journal' }).click();
  await eventually(async () => (await rows.count()) === 2, 'the journal again');
  // On a phone the table scrolls sideways in its own box, which takes the focus.
  await page.setViewportSize({ width: 390, height: 844 });
  assert.deepEqual(await axeViolations(page), [], 'axe on the journal at 390 px');
  assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), 390, 'the page itself does not scroll sideways');
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.getByRole('navigation', { name: 'Console' }).getByRole('button', { name: 'Inbox' }).click();
  assert.equal(new URL(page.url()).hash, '', 'the journal leaves the address with it');
  await context.close();
});
