// The doors strangers knock on are rate-limited (Cloudflare's Rate Limiting binding,
// simulated by `wrangler dev`), and a deployer with sign-up closed creates the first
// organisation with the documented bootstrap command.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

import { Relay } from './support/relay.mjs';
import { launch } from './support/browser.mjs';

const root = path.resolve(import.meta.dirname, '..');
const relays = [];
after(async () => {
  for (const relay of relays) await relay.stop();
});

const post = (relay, route, body, headers = {}) => fetch(`${relay.url}${route}`, { method: 'POST', body: JSON.stringify(body), headers });

test('the eleventh wrong password in a minute and a burst of sign-ups get 429 with Retry-After; the right password works once the window passes', async () => {
  const relay = await Relay.start();
  relays.push(relay);
  // The binding counts in fixed minutes: with under 10 s of this one left, wait for the
  // next, so the attempts below (about a second) share one.
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 10_000) await new Promise((r) => setTimeout(r, left + 200));
  for (let i = 1; i <= 10; i += 1) {
    const res = await post(relay, '/v1/console/sign-in', { email: 'demo@natter.dev', password: `wrong-${i}` });
    assert.equal(res.status, 401, `attempt ${i}`);
  }
  const limited = await post(relay, '/v1/console/sign-in', { email: 'demo@natter.dev', password: 'natter-demo' });
  assert.equal(limited.status, 429);
  assert.equal(limited.headers.get('retry-after'), '60');
  const body = await limited.json();
  assert.equal(body.code, 'rate_limited');
  assert.equal(body.message, 'Too many attempts. Wait a minute, then try again.');
  // Another address is not locked out by it.
  assert.equal((await post(relay, '/v1/console/sign-in', { email: 'agent@natter.dev', password: 'natter-agent' })).status, 200);

  const signUps = [];
  for (let i = 0; i < 7; i += 1) {
    signUps.push(await post(relay, '/v1/console/sign-up', {
      organisation: `Burst ${i}`, name: 'B', email: `burst${i}@natter.dev`, password: 'burst password', site_name: 'S', site_url: 'https://s.test',
    }));
  }
  const statuses = signUps.map((r) => r.status);
  assert.deepEqual(statuses.slice(0, 5), [201, 201, 201, 201, 201]);
  assert.deepEqual(statuses.slice(5), [429, 429]);
  assert.equal(signUps[6].headers.get('retry-after'), '60');

  // The next window: the right password works again.
  await new Promise((r) => setTimeout(r, 60_000 - (Date.now() % 60_000) + 200));
  const ok = await post(relay, '/v1/console/sign-in', { email: 'demo@natter.dev', password: 'natter-demo' });
  assert.equal(ok.status, 200);
});

test('with SIGNUP=closed the sign-up form is not offered, and the documented bootstrap command creates the first organisation', async () => {
  const relay = await Relay.start({ args: ['--var', 'SIGNUP:closed'] });
  relays.push(relay);
  assert.deepEqual(await (await fetch(`${relay.url}/v1/console/config`)).json(), { signup: false, email: true });
  const refused = await post(relay, '/v1/console/sign-up', {
    organisation: 'Nope', name: 'N', email: 'n@natter.dev', password: 'nope nope nope', site_name: 'S', site_url: 'https://s.test',
  });
  assert.equal(refused.status, 403);

  const browser = await launch();
  const page = await browser.newPage();
  await page.goto(`${relay.url}/console/`);
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  await page.getByRole('button', { name: 'Forgot your password?' }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Create an account' }).count(), 0);
  await browser.close();

  // The README's command, as a deployer runs it (the secret from `wrangler secret put`; here .dev.vars).
  const secret = readFileSync(path.join(root, '.dev.vars'), 'utf8').match(/^BOOTSTRAP_SECRET=(.*)$/m)[1];
  const run = (env) => promisify(execFile)('node', [
    'scripts/bootstrap.mjs', relay.url, '--organisation', 'Closed Co', '--name', 'Cora Admin', '--email', 'cora@closed.test',
    '--site-name', 'Closed shop', '--site-url', 'https://closed.test',
  ], { cwd: root, env: { ...process.env, ...env } });
  await assert.rejects(run({ BOOTSTRAP_SECRET: 'x'.repeat(64), ADMIN_PASSWORD: 'cora password' }), (e) => /refused \(401\)/.test(e.stderr));
  const { stdout } = await run({ BOOTSTRAP_SECRET: secret, ADMIN_PASSWORD: 'cora password' });
  assert.match(stdout, /^Created Closed Co with site closed-shop-[0-9a-f]{8} and admin cora@closed\.test\./);
  assert.match(stdout, new RegExp(`Sign in at ${relay.url}/console/`));

  const session = await (await post(relay, '/v1/console/sign-in', { email: 'cora@closed.test', password: 'cora password' })).json();
  assert.equal(session.role, 'admin');
  const me = await (await fetch(`${relay.url}/v1/console/me`, { headers: { Authorization: `Bearer ${session.token}` } })).json();
  assert.equal(me.organisation, 'Closed Co');
  assert.deepEqual(me.sites.map((s) => [s.name, s.allowed_origins]), [['Closed shop', ['https://closed.test']]]);
});
