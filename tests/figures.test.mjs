// The figures, as an admin reads them: per day and per operator, conversations,
// missed, first response (median and 90th percentile), ratings and offline messages,
// counted from real conversations today and from the journal's rows for yesterday;
// the console's Figures page shows them (admins only); the daily report e-mails
// yesterday's, off until an admin sets an address, and can be sent at once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

import { artifacts, eventually, signIn, startStack } from './support/browser.mjs';
import { axeViolations } from './support/axe.mjs';
import { newVisitor, nextFrame, operatorSocket, signInOperator, visitorSocket } from './support/sockets.mjs';

let stack, relay, browser, admin, me;

const DAY = 24 * 3600 * 1000;
const date = (ms) => new Date(ms).toISOString().slice(0, 10); // the demo organisation is in UTC

async function get(url, operator = admin) {
  const res = await fetch(`${relay.url}${url}`, { headers: { Authorization: `Bearer ${operator.token}` } });
  return { status: res.status, body: await res.json() };
}

async function send(method, url, body) {
  const res = await fetch(`${relay.url}${url}`, {
    method, headers: { Authorization: `Bearer ${admin.token}`, 'Content-Type': 'application/json' }, body: body && JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

async function visitorWrites(tag, text) {
  const visitor = await newVisitor(relay.url);
  const ws = await visitorSocket(relay.url, visitor);
  ws.send(JSON.stringify({ type: 'send', client_id: `${tag}-1`, text }));
  await nextFrame(ws, (f) => f.type === 'ack' && f.client_id === `${tag}-1`);
  return { ...visitor, ws };
}

/** Journal rows for yesterday, as if conversations had happened then. */
function yesterdayEntry(id, { owner, firstResponse, missed = false, rating }) {
  const started = Date.now() - DAY;
  return {
    site: 'demo', id, visitor_name: `Visitor ${id}`, owner, started_at: started, last_at: started + 60_000, messages: 3,
    first_response_ms: firstResponse, missed, outgoing: false, state: 'closed', rating,
  };
}

before(async () => {
  stack = await startStack();
  ({ relay, browser, admin } = stack);
  me = (await get('/v1/console/me')).body;
  // Today: one answered and rated good, one missed.
  const answered = await visitorWrites('answered', 'Do you deliver on Sundays?');
  const operator = await operatorSocket(relay.url, admin, answered.conversation);
  operator.send(JSON.stringify({ type: 'send', client_id: 'answer-1', text: 'Yes, we do' }));
  await nextFrame(operator, (f) => f.type === 'ack');
  operator.close();
  const missed = await visitorWrites('missed', 'Hello?');
  missed.ws.close();
  // Yesterday: two of Demo Operator's, 30 s and 90 s to answer, one rated bad; one missed.
  const owner = { id: me.operator, name: 'Demo Operator' };
  const entries = [
    yesterdayEntry('y1', { owner, firstResponse: 30_000, rating: false }),
    yesterdayEntry('y2', { owner, firstResponse: 90_000 }),
    yesterdayEntry('y3', { missed: true }),
  ];
  const fill = await fetch(`${relay.url}/v1/dev/journal/demo/fill`, { method: 'POST', body: JSON.stringify({ entries, texts: entries.map(() => ['x']) }) });
  assert.equal(fill.status, 200);
  answered.ws.send(JSON.stringify({ type: 'rate', good: true, comment: '' })); // refused: still open
  await eventually(async () => {
    const today = (await get('/v1/console/figures')).body.rows?.[0];
    return today?.conversations === 2 && today.missed === 1 && today.median_first_response_ms !== undefined;
  }, 'today in the figures');
});

after(async () => {
  await stack?.stop();
});

test('the figures count each day and operator', async () => {
  const { status, body } = await get('/v1/console/figures');
  assert.equal(status, 200);
  const today = date(Date.now()), yesterday = date(Date.now() - DAY);
  assert.equal(body.until, today);
  assert.equal(body.since, date(Date.now() - 6 * DAY), 'the last 7 days by default');
  assert.equal(body.time_zone, 'UTC');
  assert.equal(body.rows.filter((r) => !r.operator).length, 7, 'a total for every day, even an empty one');
  const [total, mine] = body.rows.filter((r) => r.date === today);
  assert.equal(total.conversations, 2);
  assert.equal(total.missed, 1);
  assert.ok(total.median_first_response_ms > 0 && total.median_first_response_ms < 60_000, `${total.median_first_response_ms}`);
  assert.equal(mine.operator_name, 'Demo Operator');
  assert.equal(mine.conversations, 1);
  assert.equal(mine.missed, 0);
  const y = body.rows.filter((r) => r.date === yesterday);
  assert.deepEqual(y.map((r) => [r.operator_name ?? '', r.conversations, r.missed, r.median_first_response_ms ?? null, r.p90_first_response_ms ?? null, r.good, r.bad]), [
    ['', 3, 1, 30_000, 90_000, 0, 1],
    ['Demo Operator', 2, 0, 30_000, 90_000, 0, 1],
  ]);

  const one = await get(`/v1/console/figures?since=${yesterday}&until=${yesterday}`);
  assert.deepEqual(one.body.rows.map((r) => r.date), [yesterday, yesterday]);
  assert.equal((await get('/v1/console/figures?since=2026-13-01')).body.message, '`since`: "2026-13-01" is not a date, e.g. 2026-12-01');
  assert.equal((await get('/v1/console/figures?since=2026-01-01&until=2026-12-01')).status, 400);
  assert.equal((await get(`/v1/console/figures?since=${today}&until=${yesterday}`)).status, 400);
  const agent = await signInOperator(relay.url, 'agent@natter.dev', 'natter-agent');
  assert.equal((await get('/v1/console/figures', agent)).status, 403);
});

test('offline messages are counted per day', async () => {
  stack.duty.close();
  await eventually(async () => !(await (await fetch(`${relay.url}/v1/sites/demo/status`)).json()).online, 'the site offline');
  await visitorWrites('offline', 'Call me back');
  await eventually(async () => (await get('/v1/console/figures')).body.rows[0].offline === 1, 'one offline message today');
});

test('the Figures page shows the table to admins; the daily report is e-mailed', async () => {
  const page = await browser.newPage();
  await signIn(page, relay.url);
  await page.getByRole('navigation', { name: 'Console' }).getByRole('button', { name: 'Figures' }).click();
  await page.getByRole('heading', { name: 'Figures' }).waitFor();
  const table = page.getByRole('table', { name: 'Figures per day and operator' });
  await table.getByRole('row', { name: /Demo Operator/ }).first().waitFor();
  assert.equal(await table.getByRole('rowheader').count(), 7);
  assert.equal(await page.getByLabel('From', { exact: true }).inputValue(), date(Date.now() - 6 * DAY));
  // A period of one day.
  await page.getByLabel('From', { exact: true }).fill(date(Date.now() - DAY));
  await page.getByLabel('To', { exact: true }).fill(date(Date.now() - DAY));
  await page.getByRole('button', { name: 'Show' }).click();
  await eventually(async () => (await table.getByRole('rowheader').count()) === 1, 'one day shown');
  assert.match(await table.innerText(), /1 min 30 s/);
  assert.deepEqual(await axeViolations(page, 'main'), []);
  await page.screenshot({ path: path.join(artifacts, 'figures.png'), fullPage: true });

  // The daily report: off until set; a bad address is refused.
  assert.deepEqual((await get('/v1/console/organisation/report')).body, { email: null, language: 'en' });
  assert.equal((await send('POST', '/v1/console/organisation/report/send')).status, 409);
  await page.getByLabel('Report e-mail').fill('boss at example');
  await page.getByRole('button', { name: 'Save report' }).click();
  await page.getByRole('alert').filter({ hasText: 'is not an e-mail address' }).waitFor();
  await page.getByLabel('Report e-mail').fill('boss@example.com');
  await page.getByRole('button', { name: 'Save report' }).click();
  await page.getByText('Saved: the report goes out every night.').waitFor();
  // The organisation's alarm is set for five minutes after the next midnight (UTC here).
  const tomorrow = new Date(Date.now() + DAY);
  const due = Date.UTC(tomorrow.getUTCFullYear(), tomorrow.getUTCMonth(), tomorrow.getUTCDate()) + 5 * 60_000;
  const saved = (await get('/v1/console/organisation/report')).body;
  assert.deepEqual(saved, { email: 'boss@example.com', language: 'en', next_at: due });
  await page.getByText(`The next report goes at ${date(due)} 00:05.`).waitFor();
  await page.getByRole('button', { name: 'Send a report now' }).click();
  await page.getByText('Yesterday\'s report was sent to boss@example.com.').waitFor();
  const letter = await eventually(() => relay.lastEmail('boss@example.com'), 'the report');
  assert.equal(letter.subject, `Figures for ${date(Date.now() - DAY)} · Natter Demo`);
  for (const part of ['All operators\n  Conversations: 3\n  Missed: 1\n  First response: median 30 s, 90th percentile 1 min 30 s\n  Ratings: 0 good, 1 bad\n  Offline messages: 0',
    'Demo Operator\n  Conversations: 2']) {
    assert.ok(letter.text.includes(part), `${part} in:\n${letter.text}`);
  }
  // Emptied, it is off again.
  await page.getByLabel('Report e-mail').fill('');
  await page.getByRole('button', { name: 'Save report' }).click();
  await page.getByText('Saved: no daily report.').waitFor();
  assert.deepEqual((await get('/v1/console/organisation/report')).body, { email: null, language: 'en' }, 'no alarm left');
  await page.close();
});
