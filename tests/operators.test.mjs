// Operators as Gravity has them: the admin invites an agent with a one-time link (also
// e-mailed), the agent joins and sees only their sites and no admin page or route; a
// deactivated agent is signed out within seconds; profiles show to visitors; a
// forgotten password is reset by e-mail and ends the other sessions.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

import { Relay } from './support/relay.mjs';
import { artifacts, eventually, launch, openWidget, signIn, visitorSends, waitForText } from './support/browser.mjs';
import { startHost } from './support/hosts.mjs';
import { axeViolations } from './support/axe.mjs';
import { freshSignIn, newVisitor, nextFrame, openSocket, operatorSocket, signInOperator, visitorSocket, wsBase } from './support/sockets.mjs';

let relay, host, browser, admin, adminPage, blog, agentPage, agent;
const AGENT_EMAIL = 'olga@natter.dev';
const AGENT_PASSWORD = 'olga-password-1';

before(async () => {
  relay = await Relay.start();
  host = await startHost(relay.url);
  browser = await launch();
  admin = await signInOperator(relay.url);
  const res = await fetch(`${relay.url}/v1/console/sites`, {
    method: 'POST', headers: { Authorization: `Bearer ${admin.token}` }, body: JSON.stringify({ name: 'Second shop', url: 'https://second.test' }),
  });
  blog = await res.json();
});

after(async () => {
  await browser?.close();
  await host?.close();
  await relay?.stop();
});

const api = (token, method, route, body) => fetch(`${relay.url}${route}`, {
  method, headers: { Authorization: `Bearer ${token}` }, body: body === undefined ? undefined : JSON.stringify(body),
});

test('the admin invites an agent; the link is shown and e-mailed; the agent joins and sees only their site', async () => {
  adminPage = await browser.newPage();
  await signIn(adminPage, relay.url);
  await adminPage.getByRole('button', { name: 'Operators' }).click();
  const form = adminPage.locator('form', { has: adminPage.getByRole('heading', { name: 'Invite an operator' }) });
  await form.getByLabel('Name').fill('Olga Agent');
  await form.getByLabel('Title').fill('Support');
  await form.getByLabel('Email').fill(AGENT_EMAIL);
  await form.getByLabel('Role').selectOption('agent');
  const sites = form.getByRole('group', { name: 'Sites' });
  assert.equal(await sites.getByLabel('Demo shop').isChecked(), true);
  assert.equal(await sites.getByLabel('Second shop').isChecked(), false);
  await form.getByRole('button', { name: 'Invite operator' }).click();
  const linkBox = form.getByRole('textbox', { name: 'Invitation link' });
  await linkBox.waitFor();
  const link = await linkBox.inputValue();
  assert.match(link, new RegExp(`^${relay.url}/console/#join=natter-dev\\.[0-9a-f]{64}$`));
  assert.equal(await linkBox.getAttribute('readonly'), '');
  const mail = relay.lastEmail(AGENT_EMAIL);
  assert.ok(mail, 'an invitation e-mail');
  assert.ok(mail.text.includes(link), 'the e-mail carries the same link');
  await eventually(async () => (await adminPage.getByRole('row').allTextContents()).some((r) => r.includes('Olga Agent') && r.includes('Invited')), 'the invitee listed');
  assert.deepEqual(await axeViolations(adminPage), []);
  await adminPage.screenshot({ path: path.join(artifacts, 'console-operators.png'), fullPage: true });

  const agentContext = await browser.newContext();
  agentPage = await agentContext.newPage();
  await agentPage.goto(link);
  await agentPage.getByRole('heading', { name: 'Join Natter' }).waitFor();
  await eventually(async () => (await agentPage.locator('.hint').first().textContent()).includes('Natter Demo'), 'whom the invitation is from');
  await agentPage.getByLabel('Password', { exact: true }).fill(AGENT_PASSWORD);
  await agentPage.getByLabel('Repeat password').fill('something else');
  await agentPage.getByRole('button', { name: 'Join' }).click();
  await eventually(async () => (await agentPage.getByRole('alert').first().textContent()).includes('not the same'), 'a mismatch refused');
  assert.deepEqual(await axeViolations(agentPage), []);
  await agentPage.screenshot({ path: path.join(artifacts, 'console-invitation.png'), fullPage: true });
  await agentPage.getByLabel('Repeat password').fill(AGENT_PASSWORD);
  await agentPage.getByRole('button', { name: 'Join' }).click();
  await agentPage.getByRole('navigation', { name: 'Console' }).waitFor();
  assert.equal(new URL(agentPage.url()).hash, '', 'the token left the address bar');

  // Only the site they were given; no admin page.
  const options = agentPage.getByRole('combobox', { name: 'Site' }).locator('option');
  await eventually(async () => (await options.count()) > 0, 'the sites loaded');
  assert.deepEqual(await options.allTextContents(), ['Demo shop']);
  const pages = await agentPage.getByRole('navigation', { name: 'Console' }).getByRole('button').allTextContents();
  assert.deepEqual(pages, ['Inbox', 'Journal', 'Visitors', 'Canned replies', 'Installation', 'Profile']);

  // The link works once.
  const again = await fetch(`${relay.url}/v1/invitations/${link.split('#join=')[1]}`, { method: 'POST', body: JSON.stringify({ password: 'another password' }) });
  assert.equal(again.status, 404);
  agent = await freshSignIn(relay.url, AGENT_EMAIL, AGENT_PASSWORD);
  assert.equal(agent.role, 'agent');
});

test('every admin route answers 403 to an agent, and a site they are not on is closed to them', async () => {
  const operators = await (await api(admin.token, 'GET', '/v1/console/operators')).json();
  const olga = operators.find((o) => o.email === AGENT_EMAIL);
  const routes = [
    ['GET', '/v1/console/sites'],
    ['POST', '/v1/console/sites', { name: 'Mine', url: 'https://mine.test' }],
    ['PUT', '/v1/console/sites/demo', { name: 'Mine', url: 'https://mine.test', allowed_origins: ['*'], disabled: false }],
    ['DELETE', '/v1/console/sites/demo'],
    ['GET', '/v1/console/operators'],
    ['POST', '/v1/console/operators', { email: 'x@natter.dev', name: 'X', title: '', role: 'admin', sites: [] }],
    ['PUT', `/v1/console/operators/${olga.id}`, { name: 'Olga', title: '', phone: '', role: 'admin', sites: [], active: true }],
    ['DELETE', `/v1/console/operators/${admin.operator}`],
    ['POST', `/v1/console/operators/${olga.id}/invitation`],
    ['PUT', '/v1/console/sites/demo/settings', {}],
    ['GET', '/v1/console/sites/demo/secret'],
    ['POST', '/v1/console/sites/demo/secret/identity'],
  ];
  for (const [method, route, body] of routes) {
    const res = await api(agent.token, method, route, body);
    assert.equal(res.status, 403, `${method} ${route}`);
    assert.equal((await res.json()).code, 'forbidden', `${method} ${route}`);
  }
  // Their own site works; the other site does not.
  assert.equal((await api(agent.token, 'GET', '/v1/console/sites/demo/settings')).status, 200);
  const other = await api(agent.token, 'GET', `/v1/console/sites/${blog.id}/settings`);
  assert.equal(other.status, 403);
  await assert.rejects(openSocket(`${wsBase(relay.url)}/v1/console/sites/${blog.id}/inbox/ws?v=1&token=${encodeURIComponent(agent.token)}`), (e) => e.status === 403);
  // Nothing changed: the admin is still the only admin, with the site.
  const after = await (await api(admin.token, 'GET', '/v1/console/operators')).json();
  assert.equal(after.filter((o) => o.role === 'admin').length, 1);
});

test('moving an agent to other sites cuts them off the old ones at once; their console follows', async () => {
  const operators = await (await api(admin.token, 'GET', '/v1/console/operators')).json();
  const olga = operators.find((o) => o.email === AGENT_EMAIL);
  const held = await openSocket(`${wsBase(relay.url)}/v1/console/sites/demo/inbox/ws?v=1&token=${encodeURIComponent(agent.token)}`);
  const move = (sites) => api(admin.token, 'PUT', `/v1/console/operators/${olga.id}`, { name: olga.name, title: olga.title, phone: '', role: 'agent', sites, active: true });
  assert.equal((await move([blog.id])).status, 200);
  // The edge closes it (ws reports CLOSING once the server's close frame came).
  await eventually(() => held.readyState >= 2, 'the inbox socket of the site they left closing', 10_000);
  const seen = held.frames.length;
  const visitorWs = await visitorSocket(relay.url, await newVisitor(relay.url));
  visitorWs.send(JSON.stringify({ type: 'send', client_id: 'after-move', text: 'Not for Olga' }));
  await nextFrame(visitorWs, (f) => f.type === 'ack');
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(held.frames.length, seen, 'nothing of the site reaches them any more');
  visitorWs.close();
  assert.equal((await api(agent.token, 'GET', '/v1/console/sites/demo/settings')).status, 403);
  const options = agentPage.getByRole('combobox', { name: 'Site' }).locator('option');
  await eventually(async () => (await options.allTextContents()).join() === 'Second shop', 'the console on the new site', 15_000);
  assert.equal((await move(['demo'])).status, 200);
  await eventually(async () => (await options.allTextContents()).join() === 'Demo shop', 'the console back on Demo shop', 15_000);
});

test('the last admin cannot be demoted, deactivated or deleted', async () => {
  const demote = await api(admin.token, 'PUT', `/v1/console/operators/${admin.operator}`, { name: 'Demo Operator', title: '', phone: '', role: 'agent', sites: ['demo'], active: true });
  assert.equal(demote.status, 409);
  assert.match((await demote.json()).message, /last admin/);
  const deactivate = await api(admin.token, 'PUT', `/v1/console/operators/${admin.operator}`, { name: 'Demo Operator', title: '', phone: '', role: 'admin', sites: [], active: false });
  assert.equal(deactivate.status, 409);
  const remove = await api(admin.token, 'DELETE', `/v1/console/operators/${admin.operator}`);
  assert.equal(remove.status, 409);
  const me = await (await api(admin.token, 'GET', '/v1/console/me')).json();
  assert.equal(me.role, 'admin');
});

test('a profile\'s name and picture are what visitors see on that operator\'s messages', async () => {
  await adminPage.getByRole('button', { name: 'Profile' }).click();
  await adminPage.getByLabel('Name').fill('Dana Demo');
  await adminPage.getByLabel('Title').fill('Head of support');
  // A 1×1 PNG, uploaded as the picture.
  const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
  await adminPage.getByLabel('Upload a picture').setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: png });
  await eventually(async () => (await adminPage.getByLabel('Avatar URL').inputValue()).startsWith(`${relay.url}/v1/avatars/natter-dev/`), 'the uploaded picture\'s address');
  await adminPage.getByRole('button', { name: 'Save profile' }).click();
  await eventually(async () => (await adminPage.getByRole('status').allTextContents()).some((t) => t.startsWith('Saved.')), 'the profile saved');
  assert.deepEqual(await axeViolations(adminPage), []);
  await adminPage.screenshot({ path: path.join(artifacts, 'console-profile.png'), fullPage: true });
  const avatar = await adminPage.getByLabel('Avatar URL').inputValue();
  assert.equal((await fetch(avatar)).headers.get('content-type'), 'image/png');

  const visitor = await browser.newPage();
  await visitor.goto(`${host.url}/host.html`);
  await openWidget(visitor);
  await visitorSends(visitor, 'Who is there?');
  await adminPage.getByRole('button', { name: 'Inbox' }).click();
  await adminPage.getByRole('button', { name: /Who is there\?/ }).click();
  await adminPage.getByRole('textbox', { name: 'Reply' }).fill('Dana here');
  await adminPage.getByRole('button', { name: 'Send', exact: true }).click();
  await waitForText(visitor, 'Dana here');
  const author = visitor.locator('.message.theirs .author').last();
  assert.equal((await author.textContent()).trim(), 'Dana Demo');
  assert.equal(await author.locator('img').getAttribute('src'), avatar);
  // A bad picture address is refused with the field named.
  const bad = await api(admin.token, 'PUT', '/v1/console/me', { name: 'Dana Demo', title: '', phone: '', avatar: 'javascript:alert(1)' });
  assert.equal(bad.status, 400);
  assert.match((await bad.json()).message, /^Avatar: /);
  await visitor.close();
});

test('deactivating the agent signs their open console out within 10 s and refuses their session and sockets', async () => {
  await agentPage.getByRole('button', { name: 'Inbox' }).click();
  await agentPage.getByRole('navigation', { name: 'Inbox' }).waitFor();
  // A conversation socket the agent holds open (as a client that ignores sign-out would).
  const visitor = await newVisitor(relay.url);
  const visitorWs = await visitorSocket(relay.url, visitor);
  visitorWs.send(JSON.stringify({ type: 'send', client_id: 'deact-1', text: 'Anyone?' }));
  await nextFrame(visitorWs, (f) => f.type === 'ack');
  const held = await operatorSocket(relay.url, agent, visitor.conversation);
  await adminPage.getByRole('button', { name: 'Operators' }).click();
  await adminPage.getByRole('button', { name: 'Edit Olga Agent' }).click();
  const edit = adminPage.getByRole('form', { name: 'Edit Olga Agent' });
  await edit.getByRole('checkbox', { name: /Active/ }).uncheck();
  const started = Date.now();
  await edit.getByRole('button', { name: 'Save operator' }).click();
  await agentPage.getByText('Your session has ended. Sign in again.').waitFor({ timeout: 10_000 });
  const took = Date.now() - started;
  assert.ok(took < 10_000, `signed out in ${took} ms`);
  await eventually(() => held.readyState >= 2, 'the held conversation socket closing', 5_000);
  visitorWs.close();
  await agentPage.getByRole('button', { name: 'Sign in' }).waitFor();

  assert.equal((await api(agent.token, 'GET', '/v1/console/session')).status, 401);
  assert.equal((await api(agent.token, 'GET', '/v1/console/sites/demo/settings')).status, 401);
  await assert.rejects(openSocket(`${wsBase(relay.url)}/v1/console/sites/demo/inbox/ws?v=1&token=${encodeURIComponent(agent.token)}`), (e) => e.status === 401);
  await assert.rejects(openSocket(`${wsBase(relay.url)}/v1/console/sites/demo/conversations/c1/ws?v=1&token=${encodeURIComponent(agent.token)}`), (e) => e.status === 401);
  // Their password still matches, but the account is off.
  const signInAgain = await fetch(`${relay.url}/v1/console/sign-in`, { method: 'POST', body: JSON.stringify({ email: AGENT_EMAIL, password: AGENT_PASSWORD }) });
  assert.equal(signInAgain.status, 403);
  assert.match((await signInAgain.json()).message, /deactivated/);
  const operators = await (await api(admin.token, 'GET', '/v1/console/operators')).json();
  assert.equal(operators.find((o) => o.email === AGENT_EMAIL).active, false);
});

test('a forgotten password: a one-time link by e-mail, valid an hour; using it ends the other sessions', async () => {
  const before = await freshSignIn(relay.url, 'agent@natter.dev', 'natter-agent');
  const page = await browser.newPage();
  await page.goto(`${relay.url}/console/`);
  await page.getByRole('button', { name: 'Forgot your password?' }).click();
  await page.getByLabel('Email').fill('agent@natter.dev');
  await page.getByRole('button', { name: 'Send reset link' }).click();
  const sent = 'If this address has a Natter account, we have sent it a link to choose a new password. It works for an hour.';
  await page.getByText(sent).waitFor();
  // The same answer for an address without an account, and no e-mail to it.
  const unknown = await fetch(`${relay.url}/v1/console/password-reset`, { method: 'POST', body: JSON.stringify({ email: 'nobody@natter.dev' }) });
  assert.equal(unknown.status, 202);
  assert.equal((await unknown.json()).message, sent);
  assert.equal(relay.lastEmail('nobody@natter.dev'), null);

  const mail = await eventually(() => relay.lastEmail('agent@natter.dev'), 'the reset e-mail');
  const link = mail.text.match(/http\S+#reset=\S+/)[0];
  await page.goto(link);
  await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
  await page.getByLabel('Password', { exact: true }).fill('a brand new password');
  await page.getByLabel('Repeat password').fill('a brand new password');
  await page.getByRole('button', { name: 'Set password' }).click();
  await page.getByRole('navigation', { name: 'Console' }).waitFor();
  assert.equal((await api(before.token, 'GET', '/v1/console/session')).status, 401, 'the older session ended');
  const old = await fetch(`${relay.url}/v1/console/sign-in`, { method: 'POST', body: JSON.stringify({ email: 'agent@natter.dev', password: 'natter-agent' }) });
  assert.equal(old.status, 401);
  const used = await fetch(`${relay.url}/v1/password-reset/${link.split('#reset=')[1]}`, { method: 'POST', body: JSON.stringify({ password: 'yet another password' }) });
  assert.equal(used.status, 404, 'the link works once');
  await page.close();
});

test('an admin\'s invitations are limited to 20 a minute', async () => {
  const statuses = [];
  for (let i = 0; i < 22 && !statuses.includes(429); i += 1) {
    const res = await api(admin.token, 'POST', '/v1/console/operators', { email: `bulk${i}@natter.dev`, name: `Bulk ${i}`, title: '', role: 'agent', sites: ['demo'] });
    statuses.push(res.status);
    if (res.status === 429) assert.equal(res.headers.get('retry-after'), '60');
  }
  assert.equal(statuses.at(-1), 429, `statuses: ${statuses}`);
  // (This minute's earlier invitations count too.)
  assert.ok(statuses.filter((s) => s === 201).length <= 20, `statuses: ${statuses}`);
});

test('changing one\'s password keeps this session and ends the others', async () => {
  const other = await freshSignIn(relay.url);
  const wrong = await api(admin.token, 'POST', '/v1/console/me/password', { current: 'not it at all', password: 'natter-demo-2' });
  assert.equal(wrong.status, 400);
  const res = await api(admin.token, 'POST', '/v1/console/me/password', { current: 'natter-demo', password: 'natter-demo-2' });
  assert.equal(res.status, 200);
  const renewed = await res.json();
  assert.equal((await api(renewed.token, 'GET', '/v1/console/session')).status, 204);
  assert.equal((await api(other.token, 'GET', '/v1/console/session')).status, 401);
  assert.equal((await api(admin.token, 'GET', '/v1/console/session')).status, 401);
});
