// The site's widget settings over HTTP: a cacheable document for the loader, saved
// only by admins, and refused field by field when anything is wrong.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { Relay } from './support/relay.mjs';
import { signInOperator } from './support/sockets.mjs';

let relay, admin, agent;

before(async () => {
  relay = await Relay.start();
  admin = await signInOperator(relay.url);
  agent = await signInOperator(relay.url, 'agent@natter.dev', 'natter-agent');
});

after(async () => {
  await relay?.stop();
});

const widget = (headers = {}) => fetch(`${relay.url}/v1/sites/demo/widget`, { headers });
const save = (operator, body) => fetch(`${relay.url}/v1/console/sites/demo/settings`, {
  method: 'PUT',
  headers: { Authorization: `Bearer ${operator.token}`, 'Content-Type': 'application/json' },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

test('the roles come with the session', () => {
  assert.equal(admin.role, 'admin');
  assert.equal(agent.role, 'agent');
});

test('the loader gets the defaults, revalidated by ETag', async () => {
  const first = await widget();
  assert.equal(first.status, 200);
  assert.equal(first.headers.get('cache-control'), 'no-cache');
  const etag = first.headers.get('etag');
  // Revision 1: the dev seed saved the demo site's document (its raised limits for
  // visitors, edge/src/dev.rs); everything a widget sees is the defaults.
  assert.equal(etag, '"1.1"');
  const settings = await first.json();
  assert.equal(settings.position, 'tab_bottom_right');
  assert.equal(settings.header_color, '#2f6fed');
  const again = await widget({ 'If-None-Match': etag });
  assert.equal(again.status, 304);
  assert.equal((await fetch(`${relay.url}/v1/sites/no-such-site/widget`)).status, 404);
});

test('an admin saves settings; the next load sees them at once', async () => {
  const before = (await widget()).headers.get('etag');
  const res = await save(admin, {
    version: 1, position: 'tab_left_center', header_color: '#0F766E', pattern: 'waves',
    texts: { ru: { online_title: 'Мы на связи' } }, logo_url: 'https://shop.example/logo.png',
  });
  assert.equal(res.status, 200);
  const saved = await res.json();
  assert.equal(saved.settings.header_color, '#0f766e');

  const after = await widget({ 'If-None-Match': before });
  assert.equal(after.status, 200, 'the old ETag no longer matches');
  assert.equal(after.headers.get('etag'), `"1.${saved.revision}"`);
  const settings = await after.json();
  assert.deepEqual([settings.position, settings.pattern, settings.texts.ru.online_title],
    ['tab_left_center', 'waves', 'Мы на связи']);
  const console = await fetch(`${relay.url}/v1/console/sites/demo/settings`, { headers: { Authorization: `Bearer ${agent.token}` } });
  assert.equal((await console.json()).revision, saved.revision, 'every operator can read them');
});

test('bad settings are refused with field errors and change nothing', async () => {
  const current = await (await widget()).text();
  const res = await save(admin, {
    header_color: '#GGG',
    pattern: 'stripes',
    position: 'top_left',
    texts: { en: { online_title: 'x'.repeat(10_000) } },
    logo_url: 'javascript:alert(1)',
    favourite_colour: 'blue',
  });
  assert.equal(res.status, 422);
  const body = await res.json();
  assert.equal(body.code, 'invalid_settings');
  assert.match(body.message, /6 field/);
  const byField = Object.fromEntries(body.fields.map((f) => [f.field, f.message]));
  assert.deepEqual(Object.keys(byField).sort(),
    ['favourite_colour', 'header_color', 'logo_url', 'pattern', 'position', 'texts.en.online_title']);
  assert.match(byField.header_color, /#rrggbb/);
  assert.match(byField.pattern, /stripes/);
  assert.match(byField.position, /top_left/);
  assert.match(byField['texts.en.online_title'], /10000 characters/);
  assert.equal(byField.logo_url, 'Use an https:// address');
  assert.equal(byField.favourite_colour, 'Unknown field');

  const notJson = await save(admin, '{"pattern": ');
  assert.equal(notJson.status, 422);
  assert.equal((await notJson.json()).fields[0].field, '(document)');
  assert.equal((await save(admin, JSON.stringify({ texts: { en: { placeholder: 'y'.repeat(20_000) } } }))).status, 413);

  assert.equal(await (await widget()).text(), current, 'nothing changed');
});

test('a non-admin cannot change settings', async () => {
  const current = await (await widget()).text();
  const res = await save(agent, { pattern: 'dots' });
  assert.equal(res.status, 403);
  assert.match((await res.json()).message, /admins/);
  assert.equal((await save({ token: 'forged.token' }, { pattern: 'dots' })).status, 401);
  assert.equal(await (await widget()).text(), current);
});

test('auto-action rules: Gravity\'s defaults are implied; bad rules are refused at their paths', async () => {
  const saved = await save(admin, { version: 1 });
  assert.equal(saved.status, 200);
  assert.equal((await widget().then((r) => r.json())).rules, undefined, 'defaults are implied, not sent');
  const bad = await save(admin, {
    rules: [
      { name: 'Greeting', conditions: [{ fact: 'time_on_page', op: 'contains', value: 'x' }], action: 'message' },
      { name: 'Greeting', conditions: [{ fact: 'operator_online', op: 'eq', value: false }], action: 'open_introduce' },
    ],
  });
  assert.equal(bad.status, 422);
  const body = await bad.json();
  assert.deepEqual(body.fields.map((f) => f.field), [
    'rules.0.conditions.0.op', 'rules.0.conditions.0.value', 'rules.0.text', 'rules.1.name',
  ]);
  assert.equal(body.fields[2].message, 'A message action needs the message\'s text (in at least one language)');
  const rules = [{ name: 'Cart help', matching: 'any', conditions: [{ fact: 'page_url', op: 'contains', value: '/cart' }], action: 'open_with_sound' }];
  const ok = await save(admin, { rules });
  assert.equal(ok.status, 200);
  assert.deepEqual((await widget().then((r) => r.json())).rules, [{ ...rules[0], enabled: true }]);
});
