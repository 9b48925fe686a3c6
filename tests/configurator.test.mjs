// The configurator, as an admin uses it: change the header colour and pattern, save;
// a new host page shows them and an open one follows. Bad values are refused at their
// fields; agents do not get the configurator.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

import { artifacts, eventually, signIn, startStack } from './support/browser.mjs';
import { axeViolations } from './support/axe.mjs';
import { signInOperator } from './support/sockets.mjs';

let stack, relay, host, browser;

before(async () => {
  stack = await startStack();
  ({ relay, host, browser } = stack);
});

after(async () => {
  await stack?.stop();
});

const style = (locator, property) => locator.evaluate((el, p) => getComputedStyle(el)[p], property);

test('an admin saves a colour and pattern in the configurator; new and open pages show them', async () => {
  // A visitor already has the widget open.
  const open = await (await browser.newContext()).newPage();
  await open.goto(`${host.url}/host.html`);
  await open.getByRole('button', { name: 'Open chat' }).click();
  const openHeader = open.getByRole('dialog', { name: 'Chat' }).locator('header');
  await openHeader.waitFor();

  const admin = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
  await signIn(admin, relay.url);
  await admin.getByRole('button', { name: 'Widget settings' }).click();
  await admin.getByLabel('Header colour', { exact: true }).fill('#7c3aed');
  await admin.getByLabel('Header pattern').selectOption('zigzag');
  await admin.getByLabel('Window colours').selectOption('dark');
  // The preview follows before anything is saved.
  const preview = admin.getByLabel('Preview').locator('header');
  await eventually(async () => (await style(preview, 'backgroundColor')) === 'rgb(124, 58, 237)', 'the preview following');
  await eventually(async () => (await style(admin.getByLabel('Preview').locator('.window'), 'backgroundColor')) === 'rgb(28, 31, 38)', 'the preview dark');
  await admin.getByRole('button', { name: 'Save' }).click();
  await eventually(async () => /Saved/.test(await admin.getByRole('status', { name: 'Save status' }).textContent()), 'saved');
  await admin.screenshot({ path: path.join(artifacts, 'configurator-saved.png') });

  const fresh = await (await browser.newContext()).newPage();
  await fresh.goto(`${host.url}/host.html`);
  const launcher = fresh.getByRole('button', { name: 'Open chat' });
  await launcher.waitFor();
  assert.equal(await style(launcher, 'backgroundColor'), 'rgb(124, 58, 237)');
  await launcher.click();
  const header = fresh.getByRole('dialog', { name: 'Chat' }).locator('header');
  await header.waitFor();
  assert.equal(await style(header, 'backgroundColor'), 'rgb(124, 58, 237)');
  assert.match(await style(header, 'backgroundImage'), /linear-gradient\(135deg/);
  // The pattern never runs under the title and status: they sit on the plain colour.
  for (const words of [header.locator('.title'), header.locator('.status')]) {
    assert.equal(await style(words, 'backgroundColor'), 'rgb(124, 58, 237)');
  }
  assert.equal(await style(fresh.locator('natter-widget').locator('.window'), 'backgroundColor'), 'rgb(28, 31, 38)', 'always dark, on a light system');

  await eventually(async () => (await style(openHeader, 'backgroundColor')) === 'rgb(124, 58, 237)',
    'the already open widget following', 12_000);
  for (const page of [open, admin, fresh]) await page.context().close();
});

test('bad values are refused at their fields, a poor contrast is flagged, and agents have no configurator', async () => {
  const admin = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
  await signIn(admin, relay.url);
  await admin.getByRole('button', { name: 'Widget settings' }).click();
  await admin.getByLabel('Text colour', { exact: true }).fill('#cccccc');
  await admin.getByLabel('Header colour', { exact: true }).fill('#ffffff');
  assert.match(await admin.getByRole('alert').first().textContent(),
    /^The text colour has a contrast of 1\.\d:1 with the header colour \(the header's title and status, the launcher, the visitor's messages\); at least 4\.5:1/);
  // The send colour carries white text and icons: a pale one is flagged too.
  const sendWarning = admin.getByRole('alert').filter({ hasText: 'The send button colour has a contrast of' });
  await admin.getByLabel('Send button colour', { exact: true }).fill('#ffcc00');
  assert.match(await sendWarning.textContent(), /contrast of 1\.\d:1 with white/);
  await admin.getByLabel('Send button colour', { exact: true }).fill('#1d4ed8');
  assert.equal(await sendWarning.count(), 0);
  await admin.getByLabel('Logo URL (https)').fill('javascript:alert(1)');
  await admin.getByLabel('Online title (Russian)').fill('я'.repeat(100));
  await admin.getByRole('button', { name: 'Save' }).click();
  await eventually(async () => /not saved/.test(await admin.getByRole('status', { name: 'Save status' }).textContent()), 'refused');
  const errors = await admin.locator('.field-error').allTextContents();
  assert.ok(errors.includes('Use an https:// address'), JSON.stringify(errors));
  assert.ok(errors.some((e) => /Too long: 100 characters, at most 80/.test(e)), JSON.stringify(errors));
  await admin.screenshot({ path: path.join(artifacts, 'configurator-errors.png') });
  // Nothing was saved: the loader still gets the earlier colour.
  const saved = await (await fetch(`${relay.url}/v1/sites/demo/widget`)).json();
  assert.equal(saved.header_color, '#7c3aed');
  await admin.context().close();

  const agent = await (await browser.newContext()).newPage();
  await agent.goto(`${relay.url}/console/`);
  await agent.getByLabel('Email').fill('agent@natter.dev');
  await agent.getByLabel('Password').fill('natter-agent');
  await agent.getByRole('button', { name: 'Sign in' }).click();
  await agent.getByRole('navigation', { name: 'Inbox' }).waitFor();
  assert.equal(await agent.getByRole('button', { name: 'Widget settings' }).count(), 0);
  await agent.context().close();
});

test('an admin sets offline mode, the introduce form, suggests and messengers in the configurator', async () => {
  const admin = await (await browser.newContext({ viewport: { width: 1400, height: 1000 } })).newPage();
  await signIn(admin, relay.url);
  await admin.getByRole('button', { name: 'Widget settings' }).click();
  await admin.getByLabel('Offline mode').selectOption('hide');
  await admin.getByLabel('Webhook URL for offline messages and events (https)').fill('http://hooks.example/natter');
  await admin.getByLabel('Ask for e-mail').selectOption('required');
  await admin.getByRole('button', { name: 'Add suggest' }).click();
  await admin.getByRole('button', { name: 'Add suggest' }).click();
  await admin.getByLabel('Suggest 1 text in English').fill('Where is my order?');
  await admin.getByLabel('Suggest 1 text in Russian').fill('Где мой заказ?');
  await admin.getByLabel('Suggest 1 priority').fill('2');
  await admin.getByLabel('Suggest 2 text in English').fill('Do you ship abroad?');
  // Checked as typed: the link, or what is wrong.
  await admin.getByLabel('Telegram').fill('no');
  await admin.getByText('Enter the Telegram username: 5 to 32 letters, digits or _').waitFor();
  await admin.getByLabel('Telegram').fill('@natter_support');
  await admin.getByText('https://t.me/natter_support').waitFor();
  // The edge refuses a plain-http webhook that is not on this machine, at its field.
  await admin.getByRole('button', { name: 'Save' }).click();
  await admin.getByText('Use an https:// address').waitFor();
  await admin.getByLabel('Webhook URL for offline messages and events (https)').fill('https://hooks.example/natter');
  await admin.getByRole('button', { name: 'Save' }).click();
  await eventually(async () => /Saved/.test(await admin.getByRole('status', { name: 'Save status' }).textContent()), 'saved');
  assert.match(await admin.getByLabel(/Site secret/).inputValue(), /^[0-9a-f]{64}$/);
  // The identity secret (for Natter.identify) is shown apart and can be rotated.
  const identity = admin.getByLabel(/Identity secret/);
  const before = await identity.inputValue();
  assert.match(before, /^[0-9a-f]{64}$/);
  await admin.getByRole('button', { name: 'Rotate identity secret' }).click();
  await eventually(async () => /^[0-9a-f]{64}$/.test(await identity.inputValue()) && (await identity.inputValue()) !== before, 'a new identity secret');
  assert.notEqual(await admin.getByLabel(/Site secret/).inputValue(), await identity.inputValue());
  await admin.screenshot({ path: path.join(artifacts, 'configurator-contact-options.png'), fullPage: true });

  // What was saved is what the widget gets (the webhook stays private).
  const widget = await (await fetch(`${relay.url}/v1/sites/demo/widget`)).json();
  assert.equal(widget.offline_mode, 'hide');
  assert.equal(widget.introduce.email, 'required');
  assert.deepEqual(widget.suggests, [
    { text: { ru: 'Где мой заказ?', en: 'Where is my order?' }, priority: 2 },
    { text: { ru: '', en: 'Do you ship abroad?' }, priority: 1 },
  ]);
  assert.deepEqual(widget.contacts, [{ kind: 'telegram', value: '@natter_support' }]);
  assert.equal(widget.webhook_url, undefined);
  await admin.context().close();
});

test('an admin edits the auto-action rules: defaults shown, conditions built, reordered, deleted, refused at their fields', async () => {
  // A site that never chose rules has the defaults.
  const operator = await signInOperator(relay.url);
  await fetch(`${relay.url}/v1/console/sites/demo/settings`, {
    method: 'PUT', headers: { Authorization: `Bearer ${operator.token}` }, body: JSON.stringify({ version: 1 }),
  });
  const admin = await (await browser.newContext({ viewport: { width: 1400, height: 1000 } })).newPage();
  await signIn(admin, relay.url);
  await admin.getByRole('button', { name: 'Widget settings' }).click();
  await admin.getByText('These are the default rules').waitFor();
  const names = () => admin.locator('.rule-name').evaluateAll((inputs) => inputs.map((i) => i.value));
  await eventually(async () => (await names()).join('|') === 'Greeting|Autoresponder|Offline answer', 'the default rules');

  await admin.getByLabel('Rule 1 condition 1 value').fill('5');
  await admin.getByRole('button', { name: 'Add rule' }).click();
  await admin.getByLabel('Rule 4 name').fill('Cart help');
  await admin.getByLabel('Rule 4 condition 1 fact').selectOption('page_url');
  await admin.getByLabel('Rule 4 condition 1 comparison').selectOption('contains');
  await admin.getByLabel('Rule 4 condition 1 value').fill('/cart');
  await admin.getByLabel('Rule 4 action').selectOption('open_with_sound');
  await admin.getByLabel('Rule 3 delete').click();
  await admin.getByLabel('Rule 3 up').click();
  assert.deepEqual(await names(), ['Greeting', 'Cart help', 'Autoresponder']);
  await admin.getByLabel('Rule 3 enabled').uncheck();

  // A message rule without its text cannot work: refused at the rule.
  // Both languages' texts of a default rule are there to edit.
  assert.equal(await admin.getByLabel('Rule 1 message in Russian').inputValue(), 'Здравствуйте! Как я могу помочь?');
  assert.equal(await admin.getByLabel('Rule 1 message in English').inputValue(), 'Hello! How can I help you?');
  await admin.getByLabel('Rule 1 message in English').fill('');
  await admin.getByLabel('Rule 1 message in Russian').fill('');
  await admin.getByRole('button', { name: 'Save' }).click();
  await admin.locator('.rule-card').first().getByText("A message action needs the message's text (in at least one language)").waitFor();
  assert.equal(await admin.getByLabel('Rule 1 message in Russian').getAttribute('aria-invalid'), 'true');
  await admin.getByLabel('Rule 1 message in English').fill('Hi! Looking for something?');
  await admin.getByLabel('Rule 1 message in Russian').fill('Здравствуйте! Что-то ищете?');
  await admin.getByRole('button', { name: 'Save' }).click();
  await eventually(async () => /Saved/.test(await admin.getByRole('status', { name: 'Save status' }).textContent()), 'saved');
  await admin.locator('.rule-list').screenshot({ path: path.join(artifacts, 'configurator-rules.png') });

  const { rules } = await (await fetch(`${relay.url}/v1/sites/demo/widget`)).json();
  assert.deepEqual(rules.map((r) => [r.name, r.enabled, r.action]), [
    ['Greeting', true, 'message'], ['Cart help', true, 'open_with_sound'], ['Autoresponder', false, 'message'],
  ]);
  assert.deepEqual(rules[0].text, { ru: 'Здравствуйте! Что-то ищете?', en: 'Hi! Looking for something?' });
  // The default greeting waits for nobody to have written (issue 16).
  assert.deepEqual(rules[0].conditions, [{ fact: 'time_on_page', op: 'gt', value: 5 }, { fact: 'visitor_wrote', op: 'eq', value: false }]);
  assert.deepEqual(rules[1].conditions, [{ fact: 'page_url', op: 'contains', value: '/cart' }]);
  await admin.context().close();
});

/** The saved settings document, as the console reads it. */
async function savedDocument() {
  const operator = await signInOperator(relay.url);
  return (await fetch(`${relay.url}/v1/console/sites/demo/settings`, { headers: { Authorization: `Bearer ${operator.token}` } })).json();
}

const focused = (locator) => locator.evaluate((el) => el === document.activeElement);

test('Save refuses while a field is in error, names the fields and goes to the first; leaving unsaved asks first', async () => {
  const before = await savedDocument();
  const admin = await (await browser.newContext({ viewport: { width: 1400, height: 1000 } })).newPage();
  await signIn(admin, relay.url);
  await admin.getByRole('button', { name: 'Widget settings' }).click();
  const header = admin.getByLabel('Header colour', { exact: true });
  await eventually(async () => (await header.inputValue()) === before.settings.header_color, 'the saved settings');
  await admin.getByLabel('Launcher label (English)').fill('Ask us');
  await header.fill('#GGG');
  assert.equal(await header.getAttribute('aria-invalid'), 'true');
  await admin.getByLabel('Telegram').fill('a b');
  await admin.getByLabel('Launcher label (English)').focus();
  await admin.getByRole('button', { name: 'Save' }).click();
  const status = admin.getByRole('status', { name: 'Save status' });
  await eventually(async () => (await status.textContent()) === 'The settings were not saved. Fix the fields in error first: Header colour, Telegram.',
    'the refusal naming the fields');
  assert.ok(await focused(header), 'focus on the first field in error');
  assert.equal(await header.inputValue(), '#GGG', 'what was typed stays');
  await admin.screenshot({ path: path.join(artifacts, 'configurator-refused-locally.png') });
  assert.deepEqual(await axeViolations(admin), [], 'WCAG 2.2 A/AA with fields in error');
  // In dark mode and on a phone too.
  await admin.emulateMedia({ colorScheme: 'dark' });
  assert.equal(await admin.evaluate(() => getComputedStyle(document.body).backgroundColor), 'rgb(18, 21, 28)');
  assert.deepEqual(await axeViolations(admin), [], 'in dark mode');
  // A phone (the same signed-in browser): every field fits its width.
  const phone = await admin.context().newPage();
  await phone.setViewportSize({ width: 390, height: 800 });
  await phone.emulateMedia({ colorScheme: 'dark' });
  await phone.goto(`${relay.url}/console/`);
  await phone.getByRole('button', { name: 'Widget settings' }).click();
  await eventually(async () => (await phone.getByLabel('Header colour', { exact: true }).inputValue()) === before.settings.header_color, 'the settings on the phone');
  // A rule card has the widest rows (a condition: fact, comparison, value).
  await phone.getByRole('button', { name: 'Add rule' }).click();
  const [wide, room] = await phone.evaluate(() => [document.querySelector('.settings').scrollWidth, document.querySelector('.settings').clientWidth]);
  assert.ok(wide <= room, `the settings fit a phone's width (${wide} px of content in ${room} px)`);
  assert.deepEqual(await axeViolations(phone), [], 'on a phone, dark');
  await phone.screenshot({ path: path.join(artifacts, 'configurator-phone-dark.png') });
  await phone.close();
  await admin.emulateMedia({ colorScheme: 'light' });
  // Nothing was saved, nothing dropped.
  const after = await savedDocument();
  assert.equal(after.revision, before.revision);
  assert.equal(after.settings.header_color, before.settings.header_color);

  // Leaving asks first; staying keeps everything as typed.
  let asked = 0;
  admin.once('dialog', (dialog) => { asked += 1; dialog.dismiss(); });
  await admin.getByRole('button', { name: 'Inbox' }).click();
  await eventually(() => asked === 1, 'the question');
  assert.equal(await header.inputValue(), '#GGG');
  // Closing the tab asks too.
  const unloading = new Promise((resolve) => admin.once('dialog', (dialog) => { resolve(dialog.type()); dialog.dismiss(); }));
  await admin.close({ runBeforeUnload: true });
  assert.equal(await unloading, 'beforeunload');
  assert.equal(admin.isClosed(), false, 'the page stays');

  // Fixed: saved, and leaving no longer asks.
  await header.fill('#0f766e');
  await admin.getByLabel('Telegram').fill('');
  await admin.getByRole('button', { name: 'Save' }).click();
  await eventually(async () => /^Saved/.test(await status.textContent()), 'saved');
  assert.equal((await savedDocument()).settings.header_color, '#0f766e');
  admin.once('dialog', () => { asked += 1; });
  await admin.getByRole('button', { name: 'Inbox' }).click();
  await admin.getByRole('navigation', { name: 'Inbox' }).waitFor();
  assert.equal(asked, 1, 'no question with nothing unsaved');
  await admin.context().close();
});

test('suggests and messenger contacts are refused at their own paths, shown at their items', async () => {
  const operator = await signInOperator(relay.url);
  const put = (settings) => fetch(`${relay.url}/v1/console/sites/demo/settings`, {
    method: 'PUT', headers: { Authorization: `Bearer ${operator.token}` }, body: JSON.stringify(settings),
  });
  const refused = await put({ suggests: [{ text: 'Fine', priority: 1 }, { text: '', priority: 0 }], contacts: [{ kind: 'telegram', value: 'a b' }] });
  assert.equal(refused.status, 422);
  const { fields } = await refused.json();
  assert.deepEqual(fields.map((f) => f.field).sort(), ['contacts.telegram', 'suggests.1.priority', 'suggests.1.text']);

  const admin = await (await browser.newContext({ viewport: { width: 1400, height: 1000 } })).newPage();
  await signIn(admin, relay.url);
  await admin.getByRole('button', { name: 'Widget settings' }).click();
  await admin.getByLabel('Header colour', { exact: true }).waitFor();
  await eventually(async () => admin.getByRole('button', { name: 'Add suggest' }).isEnabled(), 'the form');
  await admin.getByRole('button', { name: 'Add suggest' }).click();
  await admin.getByRole('button', { name: 'Add suggest' }).click();
  await admin.getByLabel('Suggest 1 text in English').fill('Where is my order?');
  await admin.getByLabel('Suggest 2 priority').fill('0');
  await admin.getByRole('button', { name: 'Save' }).click();
  const status = admin.getByRole('status', { name: 'Save status' });
  await eventually(async () => /Fix the fields in error first: Suggest 2 text in English, Suggest 2 text in Russian, Suggest 2 priority\.$/.test(await status.textContent()),
    'the refusal naming the suggest');
  const row = admin.locator('.suggest-row').nth(1);
  await row.getByText('Write the text in at least one language').waitFor();
  await row.getByText('The priority starts at 1').waitFor();
  assert.equal(await admin.locator('.suggest-row').first().locator('.field-error').count(), 0, 'the first suggest is fine');
  assert.ok(await focused(admin.getByLabel('Suggest 2 text in English')), 'focus on the suggest in error');
  assert.equal(await admin.getByLabel('Suggest 2 priority').getAttribute('aria-invalid'), 'true');
  // A priority that is no number is held back in the page, at its field.
  await admin.getByLabel('Suggest 2 text in Russian').fill('Вы доставляете за границу?');
  await admin.getByLabel('Suggest 2 priority').fill('');
  await admin.getByRole('button', { name: 'Save' }).click();
  await eventually(async () => /Fix the fields in error first: Suggest 2 priority\.$/.test(await status.textContent()), 'the empty priority');
  await row.getByText('Enter a whole number from 1 to 255').waitFor();
  await admin.getByRole('group', { name: /^Suggests:/ }).screenshot({ path: path.join(artifacts, 'configurator-suggest-errors.png') });
  assert.deepEqual(await axeViolations(admin), [], 'WCAG 2.2 A/AA with suggests in error');
  await admin.getByLabel('Suggest 2 priority').fill('3');
  await admin.getByRole('button', { name: 'Save' }).click();
  await eventually(async () => /^Saved/.test(await status.textContent()), 'saved');
  const widget = await (await fetch(`${relay.url}/v1/sites/demo/widget`)).json();
  assert.deepEqual(widget.suggests.slice(-2), [
    { text: { ru: '', en: 'Where is my order?' }, priority: 1 },
    { text: { ru: 'Вы доставляете за границу?', en: '' }, priority: 3 },
  ]);
  await admin.context().close();
});
