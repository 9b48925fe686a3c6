// CRMs: amoCRM and Bitrix24, connected by an admin on Integrations against local
// fakes of their APIs (tests/support/crms.mjs). A conversation makes the visitor's
// contact when it starts and a lead with the transcript when it closes; amoCRM's token
// is refreshed when the CRM says it expired; "Create lead" in the journal makes one for
// a conversation that had none; a failure shows in the visitor panel and is retried.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

import { artifacts, eventually, signIn, startStack } from './support/browser.mjs';
import { axeViolations } from './support/axe.mjs';
import { startAmocrm, startBitrix24 } from './support/crms.mjs';
import { operatorAnswers, saveSettings, signInOperator, visitorWrites } from './support/sockets.mjs';

let stack, relay, browser, admin, amocrm, bitrix, workplace;

async function toPage(name) {
  await workplace.getByRole('navigation', { name: 'Console' }).getByRole('button', { name }).click();
}

/** Closes a conversation as its operator, and the visitor rates it (the closed event goes then). */
async function closeAndRate(visitor) {
  const close = await fetch(`${relay.url}/v1/console/sites/demo/conversations/${visitor.conversation}/close`, {
    method: 'POST', headers: { Authorization: `Bearer ${admin.token}` },
  });
  assert.equal(close.status, 200);
  visitor.ws.send(JSON.stringify({ type: 'rate', good: true, comment: '' }));
}

/** Opens a conversation from the journal by its visitor's name; gives the panel's part for `crm`. */
async function openInJournal(name, crm) {
  const rows = workplace.getByRole('region', { name: 'Journal' }).getByRole('table').getByRole('link');
  // The journal hears of a conversation a few seconds after it changes: looked at again until it has it.
  await eventually(async () => {
    await toPage('Inbox');
    await toPage('Journal');
    await rows.first().waitFor({ timeout: 5_000 }).catch(() => {});
    return (await rows.filter({ hasText: name }).count()) === 1;
  }, `${name} in the journal`, 30_000);
  await rows.filter({ hasText: name }).click();
  const part = workplace.getByRole('complementary').getByRole('region', { name: crm });
  await part.waitFor();
  return part;
}

before(async () => {
  stack = await startStack();
  ({ relay, browser, admin } = stack);
  amocrm = await startAmocrm();
  bitrix = await startBitrix24();
  workplace = await browser.newPage();
  await signIn(workplace, relay.url);
});

after(async () => {
  await amocrm?.close();
  await bitrix?.close();
  await stack?.stop();
});

test('amoCRM: the code is exchanged, a contact at start, a lead with the transcript at close, the token refreshed when expired', async () => {
  await toPage('Integrations');
  const card = workplace.getByRole('form', { name: 'amoCRM' });
  await card.getByRole('checkbox', { name: 'Enabled' }).check();
  await card.getByLabel('amoCRM subdomain').fill('natter-shop');
  await card.getByLabel('Integration id').fill(amocrm.clientId);
  await card.getByLabel('Secret key').fill(amocrm.clientSecret);
  await card.getByLabel('Redirect address').fill(amocrm.redirectUri);
  await card.getByLabel('API address').fill(amocrm.url);
  await card.getByLabel('Name for visitors without one').fill('Client');
  // Without a code, then with one amoCRM does not know: refused, nothing stored.
  await card.getByRole('button', { name: 'Save' }).click();
  await card.getByRole('alert').filter({ hasText: 'Paste an authorization code from the amoCRM integration' }).waitFor();
  await card.getByLabel('Authorization code').fill('def50200wrong');
  await card.getByRole('button', { name: 'Save' }).click();
  await card.getByRole('alert').filter({ hasText: 'amoCRM did not take the code: it answered 400' }).waitFor();
  await card.getByLabel('Authorization code').fill(amocrm.code);
  await card.getByRole('button', { name: 'Save' }).click();
  await card.getByRole('status').filter({ hasText: 'Connected to natter-shop.amocrm.ru' }).waitFor();
  assert.equal(amocrm.issued, 1);
  assert.equal(await card.getByLabel('Secret key').inputValue(), '', 'secrets are not shown again');
  assert.deepEqual(await axeViolations(workplace, 'main'), []);
  await card.getByRole('button', { name: 'Save' }).scrollIntoViewIfNeeded();
  await workplace.screenshot({ path: path.join(artifacts, 'integrations-amocrm.png') });

  // A visitor with no name writes: their contact, named with the prefix.
  const first = await visitorWrites(relay.url, '', 'Do you deliver to Kazan?');
  await eventually(async () => amocrm.contacts.length === 1, 'the contact at amoCRM');
  assert.match(amocrm.contacts[0].name, /^Client [0-9a-f]{4}$/);
  // The token expires; the next call is refused, the token refreshed, the call made again.
  amocrm.expire();
  await operatorAnswers(relay.url, admin, first.conversation, 'Yes, in two days');
  await closeAndRate(first);
  await eventually(async () => amocrm.notes.length === 1, 'the lead and its note at amoCRM');
  assert.equal(amocrm.refreshes, 1);
  assert.equal(amocrm.leads.length, 1);
  assert.deepEqual(amocrm.leads[0]._embedded.contacts, [{ id: amocrm.contacts[0].id }]);
  assert.equal(amocrm.notes[0].lead, amocrm.leads[0].id);
  assert.match(amocrm.notes[0].params.text, /^Visitor: Client [0-9a-f]{4}$/m);
  assert.match(amocrm.notes[0].params.text, /\] Visitor [0-9a-f]{4}: Do you deliver to Kazan\?/);
  assert.match(amocrm.notes[0].params.text, /\] Demo Operator: Yes, in two days/);

  // The visitor panel links both.
  const part = await openInJournal(amocrm.contacts[0].name.replace('Client', 'Visitor'), 'amoCRM');
  const contactLink = part.getByRole('link', { name: String(amocrm.contacts[0].id) });
  assert.equal(await contactLink.getAttribute('href'), `https://natter-shop.amocrm.ru/contacts/detail/${amocrm.contacts[0].id}`);
  assert.equal(await part.getByRole('link', { name: String(amocrm.leads[0].id) }).getAttribute('href'), `https://natter-shop.amocrm.ru/leads/detail/${amocrm.leads[0].id}`);
  // "Update contact" writes the details again.
  await part.getByRole('button', { name: 'Update contact' }).click();
  await eventually(async () => amocrm.updates.length === 1, 'the contact updated');
  assert.equal(amocrm.updates[0].id, amocrm.contacts[0].id);

  // Another conversation, not closed: no lead until "Create lead" in the journal.
  await visitorWrites(relay.url, 'Marina', 'Can I pay by card?');
  await eventually(async () => amocrm.contacts.length === 2, 'Marina\'s contact');
  assert.equal(amocrm.contacts[1].name, 'Marina');
  assert.deepEqual(amocrm.contacts[1].custom_fields_values, [{ field_code: 'EMAIL', values: [{ value: 'marina@example.com', enum_code: 'WORK' }] }]);
  const marina = await openInJournal('Marina', 'amoCRM');
  await marina.getByRole('button', { name: 'Create lead' }).click();
  await eventually(async () => amocrm.leads.length === 2, 'Marina\'s lead');
  await marina.getByRole('link', { name: String(amocrm.leads[1].id) }).waitFor();
  assert.match(amocrm.notes[1].params.text, /Marina: Can I pay by card\?/);
  assert.equal(await marina.getByRole('button', { name: 'Create lead' }).count(), 0);
  assert.deepEqual(await axeViolations(workplace), [], 'axe with the CRM in the visitor panel');
  await workplace.screenshot({ path: path.join(artifacts, 'visitor-panel-crm.png') });

  // Switched off: kept, and nothing more is sent.
  await toPage('Integrations');
  await card.getByRole('checkbox', { name: 'Enabled' }).uncheck();
  await card.getByRole('button', { name: 'Save' }).click();
  await card.getByRole('status').filter({ hasText: 'Saved. It is switched off; its settings are kept.' }).waitFor();
  await visitorWrites(relay.url, 'Quiet', 'Nobody sends this');
  await new Promise((r) => setTimeout(r, 2_000));
  assert.equal(amocrm.contacts.length, 2);
});

test('Bitrix24: the webhook is tried, a contact at start and a lead with the transcript at close; a failure shows and is retried', async () => {
  await toPage('Integrations');
  const card = workplace.getByRole('form', { name: 'Bitrix24' });
  await card.getByRole('checkbox', { name: 'Enabled' }).check();
  await card.getByLabel('Bitrix24 webhook URL').fill(bitrix.webhook.replace(bitrix.code, 'wrongcode123'));
  await card.getByRole('button', { name: 'Save' }).click();
  await card.getByRole('alert').filter({ hasText: 'Bitrix24 refused the webhook: it answered 401: Invalid request credentials' }).waitFor();
  await card.getByLabel('Bitrix24 webhook URL').fill(bitrix.webhook);
  await card.getByRole('button', { name: 'Save' }).click();
  await card.getByRole('status').filter({ hasText: 'Connected to 127.0.0.1' }).waitFor();
  await card.getByRole('button', { name: 'Save' }).scrollIntoViewIfNeeded();
  await workplace.screenshot({ path: path.join(artifacts, 'integrations-bitrix24.png') });

  const oleg = await visitorWrites(relay.url, 'Oleg', 'I need an invoice');
  await eventually(async () => bitrix.contacts.length === 1, 'the contact at Bitrix24');
  assert.deepEqual([bitrix.contacts[0].NAME, bitrix.contacts[0].EMAIL], ['Oleg', [{ VALUE: 'oleg@example.com', VALUE_TYPE: 'WORK' }]]);
  await operatorAnswers(relay.url, admin, oleg.conversation, 'Sent to your e-mail');
  await closeAndRate(oleg);
  await eventually(async () => bitrix.leads.length === 1, 'the lead at Bitrix24');
  assert.equal(bitrix.leads[0].CONTACT_ID, String(bitrix.contacts[0].id));
  assert.match(bitrix.leads[0].TITLE, /Oleg/);
  assert.match(bitrix.leads[0].COMMENTS, /\] Oleg: I need an invoice/);
  assert.match(bitrix.leads[0].COMMENTS, /\] Demo Operator: Sent to your e-mail/);

  // "Create lead" while Bitrix24 is busy: the panel says so; the site tries again.
  await visitorWrites(relay.url, 'Vera', 'Is it in stock?');
  await eventually(async () => bitrix.contacts.length === 2, 'Vera\'s contact');
  const vera = await openInJournal('Vera', 'Bitrix24');
  bitrix.failNext = 1;
  await vera.getByRole('button', { name: 'Create lead' }).click();
  await vera.getByText('Bitrix24: it answered 503: Too many requests').waitFor();
  await eventually(async () => bitrix.leads.length === 2, 'the lead, tried again', 20_000);
  assert.equal(bitrix.leads[1].NAME, 'Vera');
  // Opened again, the panel links the lead and the error is gone.
  const again = await openInJournal('Vera', 'Bitrix24');
  await again.getByRole('link', { name: String(bitrix.leads[1].id) }).waitFor();
  assert.equal(await again.getByText('Too many requests').count(), 0);
  assert.equal(await again.getByRole('link', { name: String(bitrix.leads[1].id) }).getAttribute('href'), `http://127.0.0.1:${new URL(bitrix.webhook).port}/crm/lead/details/${bitrix.leads[1].id}/`);
});

test('an agent kept to their own conversations cannot see or change another operator\'s in the CRMs', async () => {
  await saveSettings(relay.url, admin, { routing: { auto_assign: false, assign_limit: 3, hide_others: true } });
  const agent = await signInOperator(relay.url, 'agent@natter.dev', 'natter-agent');
  const crm = (operator, conversation, rest = '', method = 'GET') => fetch(`${relay.url}/v1/console/sites/demo/conversations/${conversation}/crm${rest}`, {
    method, headers: { Authorization: `Bearer ${operator.token}` },
  });
  const theirs = await visitorWrites(relay.url, 'Olga', 'The admin answers me');
  await operatorAnswers(relay.url, admin, theirs.conversation, 'I am on it');
  const waiting = await visitorWrites(relay.url, 'Pavel', 'Nobody has answered me');
  await eventually(async () => (await crm(agent, theirs.conversation)).status === 403, 'the admin\'s conversation refused to the agent');
  const refused = await crm(agent, theirs.conversation, '/amocrm/contact', 'POST');
  assert.equal(refused.status, 403);
  assert.match((await refused.json()).message, /Another operator has this conversation/);
  assert.equal((await crm(agent, waiting.conversation)).status, 200, 'an unassigned one is the agent\'s to take');
  assert.equal((await crm(admin, theirs.conversation)).status, 200, 'the admin sees every one');
  // With the site's other operators' conversations open to agents, it is allowed again.
  await saveSettings(relay.url, admin, { routing: { auto_assign: false, assign_limit: 3, hide_others: false } });
  assert.equal((await crm(agent, theirs.conversation)).status, 200);
  theirs.ws.close();
  waiting.ws.close();
});
