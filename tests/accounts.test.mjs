// A business from its first minute: a person signs up in the console, installs the
// snippet on their site (a page on the site URL's origin), chats with themselves; the
// snippet elsewhere is refused; a second site has its own settings and inbox; a site
// switched off draws nothing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

import { Relay } from './support/relay.mjs';
import { startSiteHost } from './support/hosts.mjs';
import { artifacts, eventually, launch, logTexts, openWidget, visitorSends, waitForText } from './support/browser.mjs';
import { axeViolations } from './support/axe.mjs';

// Three host sites, each its own origin: the shop, somewhere else, the blog.
let relay, browser, shopHost, otherHost, blogHost, SHOP, OTHER, BLOG;

before(async () => {
  relay = await Relay.start();
  browser = await launch();
  [shopHost, otherHost, blogHost] = await Promise.all([startSiteHost(), startSiteHost(), startSiteHost()]);
  [SHOP, OTHER, BLOG] = [shopHost.url, otherHost.url, blogHost.url];
});

after(async () => {
  await browser?.close();
  for (const host of [shopHost, otherHost, blogHost]) await host?.close();
  await relay?.stop();
});

/** Puts `snippet` on every page of the host at `origin`. */
async function hostPage(_context, origin, snippet) {
  [shopHost, otherHost, blogHost].find((h) => h.url === origin).page = snippet;
}

async function signUp(page, { organisation, name, email, password, siteName, siteUrl }) {
  await page.goto(`${relay.url}/console/`);
  await page.getByRole('button', { name: 'Create an account' }).click();
  await page.getByLabel('Organisation').fill(organisation);
  await page.getByLabel('Your name').fill(name);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByLabel('Site name').fill(siteName);
  await page.getByLabel('Site URL').fill(siteUrl);
}

let owner, snippet, token;

test('a person signs up, lands on the installation page and chats with themselves from their site', async () => {
  owner = await browser.newPage();
  await signUp(owner, {
    organisation: 'Acme', name: 'Anna Owner', email: 'anna@acme.test', password: 'short', siteName: 'Acme shop', siteUrl: SHOP,
  });
  // A password under 10 characters is refused before anything is created.
  await owner.getByRole('button', { name: 'Create account' }).click();
  await eventually(async () => (await owner.getByRole('alert').first().textContent()).includes('at least 10 characters'), 'the password refused');
  assert.deepEqual(await axeViolations(owner), []);
  await owner.screenshot({ path: path.join(artifacts, 'console-sign-up.png'), fullPage: true });
  await owner.getByLabel('Password').fill('correct horse battery');
  await owner.getByRole('button', { name: 'Create account' }).click();

  await owner.getByRole('heading', { name: 'Install the chat on Acme shop' }).waitFor();
  snippet = await owner.getByRole('textbox', { name: 'Embed code' }).inputValue();
  assert.match(snippet, new RegExp(`^<script src="${relay.url}/natter.js" data-site="acme-shop-[0-9a-f]{8}" async></script>$`));
  assert.ok((await owner.locator('.origins').textContent()).includes(SHOP));
  assert.equal(await owner.getByRole('combobox', { name: 'Site' }).inputValue(), snippet.match(/data-site="([^"]+)"/)[1]);
  assert.deepEqual(await axeViolations(owner), []);
  await owner.screenshot({ path: path.join(artifacts, 'console-installation.png'), fullPage: true });
  token = await owner.evaluate(() => JSON.parse(localStorage.getItem('natter.console.session')).token);

  // The snippet on a page of the site's own origin: the owner (online in the console) gets the message.
  const visitorContext = await browser.newContext();
  await hostPage(visitorContext, SHOP, snippet);
  const visitor = await visitorContext.newPage();
  await visitor.goto(`${SHOP}/`);
  await openWidget(visitor);
  await visitorSends(visitor, 'Testing my own shop');
  await owner.getByRole('button', { name: 'Inbox' }).click();
  const entry = owner.getByRole('button', { name: /Testing my own shop/ });
  await entry.waitFor({ timeout: 15_000 });
  await entry.click();
  await owner.getByRole('textbox', { name: 'Reply' }).fill('It works!');
  await owner.getByRole('button', { name: 'Send', exact: true }).click();
  await waitForText(visitor, 'It works!');
  assert.match(await visitor.locator('.author').last().textContent(), /Anna Owner/);
  await visitorContext.close();
});

test('the same snippet on another origin is refused with a console warning, and no conversation', async () => {
  const context = await browser.newContext();
  await hostPage(context, OTHER, snippet);
  const page = await context.newPage();
  const warnings = [];
  page.on('console', (m) => m.type() === 'warning' && warnings.push(m.text()));
  const posted = [];
  page.on('request', (r) => r.method() === 'POST' && posted.push(r.url()));
  await page.goto(`${OTHER}/`);
  await eventually(() => warnings.some((w) => w.includes(`does not accept the widget on ${OTHER}`)), 'the warning in the host page');
  await page.waitForTimeout(1000);
  assert.equal(await page.locator('natter-widget').count(), 0, 'nothing drawn');
  assert.deepEqual(posted, [], 'no visitor token asked for');
  assert.equal(await page.evaluate(() => Object.keys(localStorage).length), 0);
  // Asked directly, the edge refuses a visitor for that origin too.
  const site = snippet.match(/data-site="([^"]+)"/)[1];
  const res = await fetch(`${relay.url}/v1/sites/${site}/visitors`, { method: 'POST', headers: { Origin: OTHER } });
  assert.equal(res.status, 403);
  assert.equal((await res.json()).code, 'origin_not_allowed');
  await context.close();
});

test('a second site has its own settings and inbox, and the site switcher switches everything', async () => {
  await owner.getByRole('button', { name: 'Sites' }).click();
  const add = owner.locator('form', { has: owner.getByRole('heading', { name: 'Add a site' }) });
  await add.getByLabel('Site name').fill('Acme blog');
  await add.getByLabel('Site URL').fill(`${BLOG}/posts`);
  await add.getByRole('button', { name: 'Add site' }).click();
  await eventually(async () => (await owner.getByRole('status').allTextContents()).some((t) => t.startsWith('Added Acme blog')), 'the site added');
  assert.deepEqual(await axeViolations(owner), []);
  await owner.screenshot({ path: path.join(artifacts, 'console-sites.png'), fullPage: true });

  const sites = await (await fetch(`${relay.url}/v1/console/sites`, { headers: { Authorization: `Bearer ${token}` } })).json();
  assert.deepEqual(sites.map((s) => s.name), ['Acme shop', 'Acme blog']);
  const [shop, blog] = sites;
  assert.deepEqual(blog.allowed_origins, [BLOG]);

  // Its own settings: a colour saved for the blog leaves the shop's alone.
  const put = await fetch(`${relay.url}/v1/console/sites/${blog.id}/settings`, {
    method: 'PUT', headers: { Authorization: `Bearer ${token}` }, body: JSON.stringify({ header_color: '#aa3300' }),
  });
  assert.equal(put.status, 200);
  const colour = async (site) => (await (await fetch(`${relay.url}/v1/sites/${site}/widget`)).json()).header_color;
  assert.equal(await colour(blog.id), '#aa3300');
  assert.notEqual(await colour(shop.id), '#aa3300');

  // Its own inbox: a blog visitor shows when the blog is chosen, not on the shop.
  const context = await browser.newContext();
  await hostPage(context, BLOG, `<script src="${relay.url}/natter.js" data-site="${blog.id}" async></script>`);
  const reader = await context.newPage();
  await reader.goto(`${BLOG}/`);
  await openWidget(reader);
  await visitorSends(reader, 'A question about the blog');
  await owner.getByRole('button', { name: 'Inbox' }).click();
  await owner.getByRole('combobox', { name: 'Site' }).selectOption(blog.id);
  await owner.getByRole('button', { name: /A question about the blog/ }).waitFor({ timeout: 15_000 });
  // (The shop's conversation ends with the owner's reply.)
  assert.equal(await owner.getByRole('button', { name: /It works!/ }).count(), 0);
  await owner.getByRole('combobox', { name: 'Site' }).selectOption(shop.id);
  await owner.getByRole('button', { name: /It works!/ }).waitFor({ timeout: 15_000 });
  assert.equal(await owner.getByRole('button', { name: /A question about the blog/ }).count(), 0);
  // Widget settings follow the switch too.
  await owner.getByRole('combobox', { name: 'Site' }).selectOption(blog.id);
  await owner.getByRole('button', { name: 'Widget settings' }).click();
  await eventually(async () => (await owner.getByLabel('Header colour').first().inputValue()) === '#aa3300', 'the blog\'s colour in Widget settings');
  await context.close();
});

test('a site switched off draws nothing and refuses new visitors; switched on, it works again', async () => {
  const sites = await (await fetch(`${relay.url}/v1/console/sites`, { headers: { Authorization: `Bearer ${token}` } })).json();
  const blog = sites.find((s) => s.name === 'Acme blog');
  const update = (disabled) => fetch(`${relay.url}/v1/console/sites/${blog.id}`, {
    method: 'PUT', headers: { Authorization: `Bearer ${token}` },
    body: JSON.stringify({ name: blog.name, url: blog.url, allowed_origins: blog.allowed_origins, disabled }),
  });
  assert.equal((await update(true)).status, 200);
  const visitor = await fetch(`${relay.url}/v1/sites/${blog.id}/visitors`, { method: 'POST', headers: { Origin: BLOG } });
  assert.equal(visitor.status, 403);
  assert.equal((await visitor.json()).code, 'site_disabled');

  const context = await browser.newContext();
  await hostPage(context, BLOG, `<script src="${relay.url}/natter.js" data-site="${blog.id}" async></script>`);
  const page = await context.newPage();
  const warnings = [];
  page.on('console', (m) => m.type() === 'warning' && warnings.push(m.text()));
  await page.goto(`${BLOG}/`);
  await eventually(() => warnings.some((w) => w.includes('switched off')), 'the warning');
  assert.equal(await page.locator('natter-widget').count(), 0);

  assert.equal((await update(false)).status, 200);
  await page.reload();
  await page.getByRole('button', { name: 'Open chat' }).waitFor();
  await context.close();
});

test('the test page on the edge has the site\'s widget, whatever its allowed origins', async () => {
  const sites = await (await fetch(`${relay.url}/v1/console/sites`, { headers: { Authorization: `Bearer ${token}` } })).json();
  const shop = sites.find((s) => s.name === 'Acme shop');
  await owner.getByRole('combobox', { name: 'Site' }).selectOption(shop.id);
  await owner.getByRole('button', { name: 'Installation' }).click();
  const [testPage] = await Promise.all([
    owner.context().waitForEvent('page'),
    owner.getByRole('link', { name: 'Send yourself a test message' }).click(),
  ]);
  await testPage.waitForLoadState();
  assert.equal(testPage.url(), `${relay.url}/test/${shop.id}`);
  await testPage.getByRole('button', { name: 'Open chat' }).waitFor();
  assert.deepEqual(await axeViolations(testPage), []);
  await openWidget(testPage);
  await visitorSends(testPage, 'Hello from the test page');
  await owner.getByRole('button', { name: 'Inbox' }).click();
  await owner.getByRole('button', { name: /Hello from the test page/ }).waitFor({ timeout: 15_000 });
  assert.deepEqual(await logTexts(testPage), ['Hello from the test page']);
  await testPage.close();
});

test('deleting a site removes it for good; the last site cannot be deleted', async () => {
  const list = async () => (await fetch(`${relay.url}/v1/console/sites`, { headers: { Authorization: `Bearer ${token}` } })).json();
  const blog = (await list()).find((s) => s.name === 'Acme blog');
  await owner.getByRole('button', { name: 'Sites' }).click();
  owner.once('dialog', (dialog) => dialog.accept());
  await owner.getByRole('form', { name: 'Acme blog' }).getByRole('button', { name: 'Delete site' }).click();
  await eventually(async () => (await owner.getByRole('combobox', { name: 'Site' }).locator('option').allTextContents()).join() === 'Acme shop', 'the site gone from the switcher');
  assert.deepEqual((await list()).map((s) => s.name), ['Acme shop']);
  const widget = await fetch(`${relay.url}/v1/sites/${blog.id}/widget`);
  assert.equal(widget.status, 404);
  assert.match((await widget.json()).message, /does not exist/);
  const [shop] = await list();
  const last = await fetch(`${relay.url}/v1/console/sites/${shop.id}`, { method: 'DELETE', headers: { Authorization: `Bearer ${token}` } });
  assert.equal(last.status, 409);
  assert.match((await last.json()).message, /at least one site/);
});

test('signing up again with an address that has an account creates nothing', async () => {
  const res = await fetch(`${relay.url}/v1/console/sign-up`, {
    method: 'POST',
    body: JSON.stringify({ organisation: 'Copy', name: 'X', email: 'ANNA@acme.test', password: 'another password', site_name: 'S', site_url: 'https://s.test' }),
  });
  assert.equal(res.status, 409);
  assert.match((await res.json()).message, /cannot be used to sign up/);
  // Anna still signs in with her own password, and her organisation is unchanged.
  const signIn = await fetch(`${relay.url}/v1/console/sign-in`, { method: 'POST', body: JSON.stringify({ email: 'anna@acme.test', password: 'correct horse battery' }) });
  assert.equal(signIn.status, 200);
  const me = await (await fetch(`${relay.url}/v1/console/me`, { headers: { Authorization: `Bearer ${(await signIn.json()).token}` } })).json();
  assert.equal(me.organisation, 'Acme');
});

test('requests naming accounts, sites and organisations that do not exist store nothing', async () => {
  const classes = ['Account', 'Site', 'Organisation'];
  const stored = () => classes.map((c) => relay.storedObjects(c));
  await fetch(`${relay.url}/v1/console/config`); // the dev organisation exists by now, whatever ran before
  const before = stored();
  assert.ok(before.every((n) => n > 0), `the objects this file created are seen: ${before}`);
  const post = (route, body) => fetch(`${relay.url}${route}`, { method: 'POST', body: JSON.stringify(body) });
  assert.equal((await fetch(`${relay.url}/v1/sites/no-such-site-1/widget`)).status, 404);
  assert.equal((await post('/v1/sites/no-such-site-2/visitors', {})).status, 404);
  assert.equal((await fetch(`${relay.url}/test/no-such-site-3`)).status, 404);
  assert.equal((await post('/v1/console/sign-in', { email: 'stranger@nowhere.test', password: 'guess guess guess' })).status, 401);
  assert.equal((await post('/v1/console/password-reset', { email: 'stranger2@nowhere.test' })).status, 202);
  const link = `no-such-org.${'a'.repeat(64)}`;
  assert.equal((await fetch(`${relay.url}/v1/invitations/${link}`)).status, 404);
  assert.equal((await post(`/v1/invitations/${link}`, { password: 'guess guess guess' })).status, 404);
  assert.equal((await post(`/v1/password-reset/${link}`, { password: 'guess guess guess' })).status, 404);
  assert.deepEqual(stored(), before);
});
