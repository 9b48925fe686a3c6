// Messenger channels: a site's Telegram and Viber bots, connected by an admin on
// Integrations against local fakes of the bot APIs (tests/support/messengers.mjs).
// A messenger user's message reaches the console's inbox, marked with the messenger;
// the operator's answer reaches the fake API once, also when the API fails at first
// (the conversation's alarm retries); an update delivered twice is stored once; a
// wrong secret token (Telegram) or signature (Viber) is refused; switched off, the
// token is kept and updates are dropped.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import path from 'node:path';

import { artifacts, eventually, signIn, startStack } from './support/browser.mjs';
import { axeViolations } from './support/axe.mjs';
import { history } from './support/sockets.mjs';
import { startTelegram, startViber, telegramFile, telegramText, viberText } from './support/messengers.mjs';
import { jpeg, pdf } from './support/samples.mjs';

let stack, relay, browser, admin, telegram, viber, workplace;

/** The conversation a messenger user has with the site (`shared::channels::conversation_id`). */
function conversationOf(kind, chat) {
  return `${kind}-${createHash('sha256').update(chat).digest('hex').slice(0, 24)}`;
}

const widgetContacts = async () => (await (await fetch(`${relay.url}/v1/sites/demo/widget`)).json()).contacts;

/** Connects a bot on Integrations: fills its card and saves; the card's status says how it went. */
async function connect(kind, token, api) {
  const card = workplace.getByRole('form', { name: kind });
  await card.getByLabel(`${kind} bot token`).fill(token);
  await card.getByLabel('API address').fill(api);
  await card.getByRole('checkbox', { name: 'Enabled' }).check();
  await card.getByRole('button', { name: 'Save' }).click();
  return card;
}

/** The files of a conversation's messages, as [text, content type, name] (none: no file). */
async function storedFiles(conversation) {
  const { messages } = (await history(relay.url, admin, conversation)).body;
  return messages.map((m) => [m.text, m.attachment?.content_type ?? null, m.attachment?.name ?? null]);
}

/** The bytes of a conversation's `index`th message's file, as the edge serves it. */
async function fileBytes(conversation, index) {
  const { messages } = (await history(relay.url, admin, conversation)).body;
  return Buffer.from(await (await fetch(`${relay.url}/v1/files/${messages[index].attachment.key}`)).arrayBuffer());
}

/** The operator answers in the console, in the conversation the entry opens. */
async function answer(entry, text) {
  await entry.click();
  await workplace.getByRole('textbox', { name: 'Reply' }).fill(text);
  await workplace.getByRole('button', { name: 'Send', exact: true }).click();
  await workplace.getByRole('log').getByText(text).waitFor();
}

before(async () => {
  stack = await startStack();
  ({ relay, browser, admin } = stack);
  telegram = await startTelegram();
  viber = await startViber();
  workplace = await browser.newPage();
  await signIn(workplace, relay.url);
  await workplace.getByRole('navigation', { name: 'Console' }).getByRole('button', { name: 'Integrations' }).click();
});

after(async () => {
  await telegram?.close();
  await viber?.close();
  await stack?.stop();
});

test('Telegram: connected with its token, a user\'s message reaches the inbox once and the answer reaches Telegram once', async () => {
  // A token that is not one, then one Telegram does not know: refused, nothing stored.
  let card = await connect('Telegram', 'not-a-token', telegram.url);
  await card.getByRole('alert').filter({ hasText: 'This is not a Telegram bot token' }).waitFor();
  card = await connect('Telegram', '987654321:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDswrong', telegram.url);
  await card.getByRole('alert').filter({ hasText: 'Telegram answered 401: Unauthorized' }).waitFor();
  assert.equal(telegram.webhook, null);
  card = await connect('Telegram', telegram.token, telegram.url);
  await card.getByRole('status').filter({ hasText: 'Connected: @natter_test_bot' }).waitFor();
  assert.equal(telegram.webhook.url, `${relay.url}/v1/channels/telegram/demo/${telegram.botId}`);
  assert.match(telegram.webhook.secret, /^[0-9a-f]{64}$/);
  assert.deepEqual(telegram.webhook.allowed, ['message']);
  assert.equal(await card.getByLabel('Telegram bot token').inputValue(), '', 'the token is not shown again');
  assert.deepEqual(await axeViolations(workplace, 'main'), []);
  await workplace.screenshot({ path: path.join(artifacts, 'integrations-telegram.png'), fullPage: true });
  await workplace.emulateMedia({ colorScheme: 'dark' });
  assert.deepEqual(await axeViolations(workplace, 'main'), [], 'axe in dark mode');
  await workplace.screenshot({ path: path.join(artifacts, 'integrations-telegram-dark.png') });
  await workplace.emulateMedia({ colorScheme: 'light' });
  // The widget's messenger button now links to the bot.
  assert.deepEqual((await widgetContacts()).filter((c) => c.kind === 'telegram'), [{ kind: 'telegram', value: '@natter_test_bot' }]);

  // Refused without the secret, or with another.
  const ivan = { id: 5550001, first_name: 'Ivan', last_name: 'Petrov' };
  const update = telegramText(700001, ivan, 'Hello from Telegram');
  assert.equal((await telegram.deliver(update, null)).status, 401);
  assert.equal((await telegram.deliver(update, 'f'.repeat(64))).status, 401);
  assert.equal((await telegram.deliver(update, telegram.webhook.secret.slice(0, 63))).status, 401);
  // Delivered twice (Telegram did not hear the first answer): stored once.
  assert.equal((await telegram.deliver(update)).status, 200);
  assert.equal((await telegram.deliver(update)).status, 200);
  const conversation = conversationOf('telegram', String(ivan.id));
  const stored = (await history(relay.url, admin, conversation)).body.messages;
  assert.deepEqual(stored.map((m) => [m.author.kind, m.author.name, m.text]), [['visitor', 'Ivan Petrov', 'Hello from Telegram']]);

  // In the inbox, marked as Telegram; the answer goes back once.
  await workplace.getByRole('navigation', { name: 'Console' }).getByRole('button', { name: 'Inbox' }).click();
  const entry = workplace.getByRole('button', { name: /Ivan Petrov/ });
  await entry.waitFor({ timeout: 15_000 });
  assert.match(await entry.textContent(), /Telegram/);
  assert.match(await entry.textContent(), /Hello from Telegram/);
  await answer(entry, 'Hello Ivan, how can we help?');
  await eventually(async () => telegram.sent.length === 1, 'the answer at Telegram');
  assert.deepEqual(telegram.sent, [{ chat_id: String(ivan.id), text: 'Hello Ivan, how can we help?' }]);
  await workplace.getByRole('complementary').getByText('Telegram', { exact: true }).waitFor();
  await workplace.screenshot({ path: path.join(artifacts, 'inbox-telegram.png'), fullPage: true });

  // Telegram fails twice: the alarm tries again, and the answers arrive once each, in order.
  telegram.failSends = 2;
  await answer(entry, 'One moment, checking your order');
  await answer(entry, 'It ships tomorrow');
  await eventually(async () => telegram.sent.length === 3, 'both answers after the failures', 30_000);
  await new Promise((r) => setTimeout(r, 3_000));
  assert.deepEqual(telegram.sent.slice(1).map((m) => m.text), ['One moment, checking your order', 'It ships tomorrow']);

  // The user writes again: the same conversation.
  assert.equal((await telegram.deliver(telegramText(700002, ivan, 'Thank you!'))).status, 200);
  await eventually(async () => (await history(relay.url, admin, conversation)).body.messages.length === 5, 'five messages');
  // In the journal, its source is the messenger.
  const inJournal = async () => (await (await fetch(`${relay.url}/v1/console/journal?q=Ivan`, { headers: { Authorization: `Bearer ${admin.token}` } })).json()).entries;
  await eventually(async () => (await inJournal()).some((e) => e.id === conversation && e.referrer === 'Telegram'), 'Telegram as its source in the journal', 20_000);
});

test('Telegram switched off: the token is kept, the webhook and the button go, updates are dropped', async () => {
  await workplace.getByRole('navigation', { name: 'Console' }).getByRole('button', { name: 'Integrations' }).click();
  const card = workplace.getByRole('form', { name: 'Telegram' });
  await card.getByText('Connected: @natter_test_bot').waitFor();
  const secret = telegram.webhook.secret;
  const url = telegram.webhook.url;
  await card.getByRole('checkbox', { name: 'Enabled' }).uncheck();
  await card.getByRole('button', { name: 'Save' }).click();
  await card.getByRole('status').filter({ hasText: 'Saved. The bot is switched off; its token is kept.' }).waitFor();
  assert.equal(telegram.webhook, null, 'deleteWebhook was called');
  await card.getByText('Switched off. Token kept, ending in …Dsaw').waitFor();
  assert.deepEqual((await widgetContacts()).filter((c) => c.kind === 'telegram'), []);
  // An update that was on its way: taken and dropped.
  const late = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Telegram-Bot-Api-Secret-Token': secret },
    body: JSON.stringify(telegramText(700003, { id: 5550002, first_name: 'Late' }, 'Anyone?')),
  });
  assert.equal(late.status, 200);
  assert.deepEqual(await late.json(), { dropped: true });
  assert.equal((await history(relay.url, admin, conversationOf('telegram', '5550002'))).status, 404);
  // On again without pasting the token: the kept one connects.
  await card.getByRole('checkbox', { name: 'Enabled' }).check();
  await card.getByRole('button', { name: 'Save' }).click();
  await card.getByRole('status').filter({ hasText: 'Connected: @natter_test_bot' }).waitFor();
  assert.equal(telegram.webhook.url, url);
});

test('Telegram: an update over 16 KB (a long message quoting another) is taken, cut at 4,000 characters; one over 64 KB is refused', async () => {
  const lidia = { id: 5550077, first_name: 'Lidia' };
  const long = 'я'.repeat(4096);
  const update = telegramText(700077, lidia, long);
  update.message.reply_to_message = { message_id: 77, date: update.message.date, chat: update.message.chat, from: update.message.from, text: long };
  assert.ok(Buffer.byteLength(JSON.stringify(update)) > 16 * 1024, 'over the 16 KB of other bodies');
  assert.equal((await telegram.deliver(update)).status, 200);
  const stored = (await history(relay.url, admin, conversationOf('telegram', String(lidia.id)))).body.messages;
  assert.deepEqual(stored.map((m) => m.text), ['я'.repeat(4000)]);
  const huge = telegramText(700078, lidia, 'x');
  huge.message.caption_entities = Array.from({ length: 3000 }, (_, i) => ({ type: 'bold', offset: i, length: 1 }));
  assert.ok(Buffer.byteLength(JSON.stringify(huge)) > 64 * 1024);
  const refused = await telegram.deliver(huge);
  assert.equal(refused.status, 413);
  assert.match(refused.body.message, /65536/);
});

test('Telegram: photos and documents both ways, stored with the conversation\'s files', async () => {
  const photo = await jpeg(workplace);
  telegram.files.set('photo-1', { path: 'photos/file_1.jpg', bytes: photo });
  telegram.files.set('doc-1', { path: 'documents/file_2.pdf', bytes: pdf });
  telegram.files.set('exe-1', { path: 'documents/file_3.exe', bytes: Buffer.from('MZ') });
  const anna = { id: 5550003, first_name: 'Anna' };
  const withPhoto = telegramFile(700010, anna, { photo: 'photo-1', caption: 'My receipt' });
  assert.equal((await telegram.deliver(withPhoto)).status, 200);
  assert.equal((await telegram.deliver(withPhoto)).status, 200);
  assert.equal((await telegram.deliver(telegramFile(700011, anna, { document: { id: 'doc-1', name: 'order.pdf', type: 'application/pdf' } }))).status, 200);
  assert.equal((await telegram.deliver(telegramFile(700012, anna, { document: { id: 'exe-1', name: 'setup.exe', type: 'application/octet-stream' } }))).status, 200);
  const conversation = conversationOf('telegram', String(anna.id));
  const files = await storedFiles(conversation);
  assert.deepEqual(files.slice(0, 2), [['My receipt', 'image/jpeg', 'photo-700010.jpg'], ['', 'application/pdf', 'order.pdf']]);
  assert.match(files[2][0], /^\[setup\.exe: Files of type \.exe cannot be sent/);
  assert.equal(files[2][1], null, 'a type we do not take is not stored');
  assert.deepEqual(await fileBytes(conversation, 0), photo);

  // The operator sees the photo, and sends a picture and a document back.
  await workplace.getByRole('navigation', { name: 'Console' }).getByRole('button', { name: 'Inbox' }).click();
  const entry = workplace.getByRole('button', { name: /Anna/ });
  await entry.waitFor({ timeout: 15_000 });
  await entry.click();
  await workplace.getByRole('log').locator('img.thumb').first().waitFor();
  const attach = workplace.getByLabel('Attach a file');
  await attach.setInputFiles({ name: 'map.jpg', mimeType: 'image/jpeg', buffer: photo });
  await eventually(async () => telegram.sent.some((m) => m.method === 'sendPhoto'), 'the picture at Telegram');
  await attach.setInputFiles({ name: 'price list.pdf', mimeType: 'application/pdf', buffer: pdf });
  await eventually(async () => telegram.sent.some((m) => m.method === 'sendDocument'), 'the document at Telegram');
  const sentFiles = telegram.sent.filter((m) => m.file).map((m) => [m.method, m.chat_id, m.file.name, m.file.type]);
  assert.deepEqual(sentFiles, [['sendPhoto', String(anna.id), 'map.jpg', 'image/jpeg'], ['sendDocument', String(anna.id), 'price list.pdf', 'application/pdf']]);
  assert.deepEqual(telegram.sent.find((m) => m.method === 'sendPhoto').file.bytes, photo);
  assert.deepEqual(telegram.sent.find((m) => m.method === 'sendDocument').file.bytes, pdf);
  await workplace.screenshot({ path: path.join(artifacts, 'inbox-telegram-files.png'), fullPage: true });
});

test('Viber: connected (its webhook check answered), a signed message reaches the inbox once, the answer reaches Viber once', async () => {
  await workplace.getByRole('navigation', { name: 'Console' }).getByRole('button', { name: 'Integrations' }).click();
  const card = await connect('Viber', viber.token, viber.url);
  await card.getByRole('status').filter({ hasText: 'Connected: nattertest' }).waitFor();
  assert.equal(viber.webhook.url, `${relay.url}/v1/channels/viber/demo`);
  await card.getByRole('button', { name: 'Save' }).scrollIntoViewIfNeeded();
  await workplace.screenshot({ path: path.join(artifacts, 'integrations-viber.png') });
  assert.deepEqual((await widgetContacts()).filter((c) => c.kind === 'viber'), [{ kind: 'viber', value: 'nattertest' }]);

  const olga = { id: '01234567890A+bc/def==', name: 'Olga' };
  const message = viberText(4912661846655238, olga, 'Привет из Viber');
  // Refused: another signature, or the body changed under its signature.
  assert.equal((await viber.deliver(message, 'a'.repeat(64))).status, 401);
  const changed = { ...message, message: { type: 'text', text: 'changed' } };
  assert.equal((await viber.deliver(changed, viber.sign(JSON.stringify(message)))).status, 401);
  // Delivered twice: stored once.
  assert.equal((await viber.deliver(message)).status, 200);
  assert.equal((await viber.deliver(message)).status, 200);
  const conversation = conversationOf('viber', olga.id);
  const stored = (await history(relay.url, admin, conversation)).body.messages;
  assert.deepEqual(stored.map((m) => [m.author.name, m.text]), [['Olga', 'Привет из Viber']]);

  await workplace.getByRole('navigation', { name: 'Console' }).getByRole('button', { name: 'Inbox' }).click();
  const entry = workplace.getByRole('button', { name: /Olga/ });
  await entry.waitFor({ timeout: 15_000 });
  assert.match(await entry.textContent(), /Viber/);
  viber.failSends = 1;
  await answer(entry, 'Здравствуйте, Ольга!');
  await eventually(async () => viber.sent.length === 1, 'the answer at Viber', 20_000);
  await new Promise((r) => setTimeout(r, 2_000));
  assert.deepEqual(viber.sent, [{ receiver: olga.id, sender: 'Demo Operator', type: 'text', text: 'Здравствуйте, Ольга!' }]);

  // A picture both ways: Viber's from its address, ours from the edge's (Viber downloads it).
  const photo = await jpeg(workplace);
  viber.media.set('p1.jpg', photo);
  const picture = { ...viberText(4912661846655239, olga, ''), message: { type: 'picture', text: 'Вот фото', media: viber.mediaUrl('p1.jpg'), size: photo.length } };
  assert.equal((await viber.deliver(picture)).status, 200);
  await eventually(async () => (await storedFiles(conversation)).some(([text, type]) => text === 'Вот фото' && type === 'image/jpeg'), 'the picture stored');
  await workplace.getByLabel('Attach a file').setInputFiles({ name: 'map.jpg', mimeType: 'image/jpeg', buffer: photo });
  await eventually(async () => viber.sent.some((m) => m.type === 'picture'), 'the picture at Viber');
  assert.deepEqual(viber.sent.find((m) => m.type === 'picture').bytes, photo);
});
