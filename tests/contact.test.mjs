// The visitor's forms and contact options: online/offline (live), the offline form
// delivered to the owner's webhook (signed, retried until the receiver is up), the
// "Introduce yourself" form, suggests and messenger buttons with a QR code.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import jsQR from 'jsqr';

import { axeViolations } from './support/axe.mjs';
import { artifacts, eventually, logTexts, signIn, startStack } from './support/browser.mjs';
import {
  dutyOperator, history, nextFrame, openSocket, saveSettings as saveSettingsAs, signInOperator, wsBase,
} from './support/sockets.mjs';

let stack, relay, host, browser, admin;

before(async () => {
  // Nobody on duty: this file decides when an operator is online.
  stack = await startStack({}, { onDuty: false });
  ({ relay, host, browser } = stack);
  admin = await signInOperator(relay.url);
});

after(async () => {
  await stack?.stop();
});

const saveSettings = (settings) => saveSettingsAs(relay.url, admin, settings);

async function siteOnline() {
  return (await (await fetch(`${relay.url}/v1/sites/demo/status`)).json()).online;
}

/** A fresh visitor (own storage) on the host page, with the window open. */
async function visitorWithWindow() {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${host.url}/host.html`);
  await page.getByRole('button', { name: 'Open chat' }).click();
  await page.getByRole('dialog', { name: 'Chat' }).waitFor();
  return page;
}

const title = (page) => page.getByRole('dialog', { name: 'Chat' }).getByRole('heading', { level: 2 });

/** A port with nothing listening on it (yet). */
async function freePort() {
  const server = http.createServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

/** The owner's webhook receiver: records every request, answers 204. */
async function startReceiver(port) {
  const requests = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      requests.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  return { port, requests, close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }) };
}

test('offline: the form is stored, shown in the console, and reaches the webhook once the receiver is up', async () => {
  const port = await freePort();
  await saveSettings({ webhook_url: `http://127.0.0.1:${port}/natter` });
  assert.equal(await siteOnline(), false);

  const page = await visitorWithWindow();
  await eventually(async () => (await title(page).textContent()) === 'Leave us a message', 'the offline title');
  await page.getByText('No one is online right now').waitFor();
  assert.equal(await page.getByRole('textbox', { name: 'Message', exact: true }).count(), 1, 'the form asks for the message');
  await page.screenshot({ path: path.join(artifacts, 'offline-form.png') });

  // Field by field, in words.
  const send = page.getByRole('button', { name: 'Send message' });
  await send.click();
  const problems = page.locator('.field-problem:not(:empty)');
  assert.deepEqual(await problems.allTextContents(), ['Please fill this in.', 'Please fill this in.']);
  await page.getByRole('textbox', { name: 'Name' }).fill('Anna');
  await page.getByRole('textbox', { name: 'E-mail or phone' }).fill('anna@');
  await send.click();
  assert.deepEqual(await problems.allTextContents(), ['Enter an e-mail like name@example.com.']);
  await page.getByRole('textbox', { name: 'E-mail or phone' }).fill('anna@example.com');
  await page.getByRole('textbox', { name: 'Message', exact: true }).fill('Please call me back about order 42');
  await page.screenshot({ path: path.join(artifacts, 'offline-form-filled.png') });
  await send.click();
  await page.getByRole('status').filter({ hasText: 'Thank you! We got your message and will reply to anna@example.com.' }).waitFor();
  assert.deepEqual(await logTexts(page), ['Please call me back about order 42']);
  await page.screenshot({ path: path.join(artifacts, 'offline-sent.png') });

  // The receiver was down: the site retries with backoff until it answers.
  await new Promise((r) => setTimeout(r, 2500));
  const receiver = await startReceiver(port);
  try {
    await eventually(() => receiver.requests.length > 0, 'the webhook delivery', 30_000);
    const [{ headers, body }] = receiver.requests;
    const notice = JSON.parse(body);
    assert.equal(notice.site, 'demo');
    assert.equal(notice.name, 'Anna');
    assert.equal(notice.email, 'anna@example.com');
    assert.equal(notice.text, 'Please call me back about order 42');
    assert.equal(headers['x-natter-delivery'], notice.id);
    const secret = (await (await fetch(`${relay.url}/v1/console/sites/demo/secret`, {
      headers: { Authorization: `Bearer ${admin.token}` },
    })).json()).secret;
    assert.match(secret, /^[0-9a-f]{64}$/);
    const [, t, v1] = headers['x-natter-signature'].match(/^t=(\d+),v1=([0-9a-f]{64})$/);
    assert.equal(v1, createHmac('sha256', secret).update(`${t}.${body}`).digest('hex'), 'a valid signature');
    assert.ok(Math.abs(Date.now() - Number(t)) < 60_000, 'a fresh timestamp');
    // Acknowledged: never sent again.
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(receiver.requests.length, 1);

    // The console lists it, marked, under the visitor's name, with their contact.
    const consolePage = await (await browser.newContext()).newPage();
    await signIn(consolePage, relay.url);
    const entry = consolePage.getByRole('navigation', { name: 'Inbox' }).getByRole('button').filter({ hasText: 'Anna' });
    await entry.filter({ hasText: 'Offline message' }).waitFor();
    await entry.click();
    await consolePage.getByRole('complementary', { name: 'Visitor' }).getByText('anna@example.com').waitFor();
    await consolePage.screenshot({ path: path.join(artifacts, 'console-offline-message.png') });

    // The admin is online now: the open widget follows within seconds; away or signed
    // out, it is offline again.
    await eventually(async () => (await title(page).textContent()) === 'Chat with us', 'the widget online', 15_000);
    await consolePage.getByRole('checkbox', { name: 'Away' }).check();
    await eventually(async () => (await title(page).textContent()) === 'Leave us a message', 'offline while away', 15_000);
    await consolePage.getByRole('checkbox', { name: 'Away' }).uncheck();
    await eventually(async () => (await title(page).textContent()) === 'Chat with us', 'online when back', 15_000);
    await consolePage.getByRole('button', { name: 'Sign out' }).click();
    await eventually(async () => (await title(page).textContent()) === 'Leave us a message', 'offline after sign-out', 15_000);
    await consolePage.context().close();
  } finally {
    await receiver.close();
    await page.context().close();
  }
});

test('offline with "hide": no launcher until an operator is online', async () => {
  await saveSettings({ offline_mode: 'hide' });
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${host.url}/host.html`);
  await page.waitForLoadState('networkidle');
  assert.equal(await page.locator('natter-widget').count(), 0, 'hidden while offline');
  const duty = await dutyOperator(relay.url);
  try {
    await page.reload();
    await page.getByRole('button', { name: 'Open chat' }).waitFor();
  } finally {
    duty.close();
    await context.close();
  }
});

test('a modal introduce form comes first, checks each field, survives a reload, and reaches the console', async () => {
  await saveSettings({ introduce: { email: 'required', phone: 'optional', modal_online: true } });
  const duty = await dutyOperator(relay.url);
  const page = await visitorWithWindow();
  try {
    await page.getByRole('heading', { name: 'Introduce yourself' }).waitFor();
    assert.equal(await page.getByRole('textbox', { name: 'Message' }).count(), 0, 'no composer before the form');
    const save = page.getByRole('button', { name: 'Save' });
    await save.click();
    const problems = page.locator('.field-problem:not(:empty)');
    assert.deepEqual(await problems.allTextContents(), ['Please fill this in.', 'Please fill this in.']);
    await page.getByRole('textbox', { name: 'Name' }).fill('Boris');
    await page.getByRole('textbox', { name: 'E-mail' }).fill('boris@');
    await page.getByRole('textbox', { name: 'Phone (optional)' }).fill('12');
    await save.click();
    assert.deepEqual(await problems.allTextContents(), [
      'Enter an e-mail like name@example.com.',
      'Enter a phone number: 5 to 15 digits, + at the start if needed.',
    ]);
    await page.screenshot({ path: path.join(artifacts, 'introduce-errors.png') });

    // Half-filled, reloaded: still there.
    await page.reload();
    await page.getByRole('button', { name: 'Open chat' }).click();
    await page.getByRole('heading', { name: 'Introduce yourself' }).waitFor();
    assert.equal(await page.getByRole('textbox', { name: 'Name' }).inputValue(), 'Boris');
    assert.equal(await page.getByRole('textbox', { name: 'E-mail' }).inputValue(), 'boris@');

    await page.getByRole('textbox', { name: 'E-mail' }).fill('boris@example.com');
    await page.getByRole('textbox', { name: 'Phone (optional)' }).fill('+7 900 123-45-67');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('textbox', { name: 'Message' }).fill('Hello from Boris');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await eventually(async () => (await page.locator('.delivery').allTextContents()).includes('Sent'), 'the message acked');

    const consolePage = await (await browser.newContext()).newPage();
    await signIn(consolePage, relay.url);
    await consolePage.getByRole('navigation', { name: 'Inbox' }).getByRole('button').filter({ hasText: 'Boris' }).click();
    const panel = consolePage.getByRole('complementary', { name: 'Visitor' });
    await panel.getByText('boris@example.com').waitFor();
    await panel.getByText('+7 900 123-45-67').waitFor();

    // Later, from the window's menu: the console follows at once.
    await page.getByRole('button', { name: 'Your details' }).click();
    await page.getByRole('textbox', { name: 'Name' }).fill('Boris K.');
    await page.screenshot({ path: path.join(artifacts, 'introduce-edit.png') });
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('textbox', { name: 'Message' }).waitFor();
    await panel.getByRole('heading', { name: 'Boris K.' }).waitFor();
    await consolePage.context().close();
  } finally {
    duty.close();
    await page.context().close();
  }
});

test('suggests show by priority and one click sends one', async () => {
  await saveSettings({
    suggests: [
      { text: 'What does delivery cost?', priority: 2 },
      { text: 'Is it in stock?', priority: 1 },
      { text: 'Can I pay by card?', priority: 2 },
    ],
  });
  const duty = await dutyOperator(relay.url);
  const page = await visitorWithWindow();
  try {
    const chips = page.getByRole('list', { name: 'Quick questions' }).getByRole('button');
    await eventually(async () => (await chips.count()) === 3, 'three suggests');
    assert.deepEqual(await chips.allTextContents(), ['Is it in stock?', 'What does delivery cost?', 'Can I pay by card?']);
    await page.screenshot({ path: path.join(artifacts, 'suggests.png') });
    await chips.filter({ hasText: 'What does delivery cost?' }).click();
    await eventually(async () => (await page.locator('.delivery').allTextContents()).includes('Sent'), 'the suggest acked');
    assert.deepEqual(await logTexts(page), ['What does delivery cost?']);
    assert.equal(await page.getByRole('list', { name: 'Quick questions' }).count(), 0, 'suggests only before the first message');
    const conversation = await page.evaluate(() => JSON.parse(localStorage.getItem('natter.demo.session')).conversation);
    const { body } = await history(relay.url, admin, conversation);
    assert.deepEqual(body.messages.map((m) => [m.author.kind, m.text]), [['visitor', 'What does delivery cost?']]);
  } finally {
    duty.close();
    await page.context().close();
  }
});

test('messenger buttons link exactly; on a desktop Viber shows a QR code of its link', async () => {
  const contacts = [
    ['telegram', '@natter_support', 'https://t.me/natter_support', 'Telegram'],
    ['whatsapp', '+7 (900) 123-45-67', 'https://wa.me/79001234567', 'WhatsApp'],
    ['viber', 'natter', 'viber://pa?chatURI=natter', 'Viber'],
    ['vk', 'natter', 'https://vk.me/natter', 'VK'],
    ['facebook', 'natter.chat', 'https://m.me/natter.chat', 'Messenger'],
    ['instagram', 'natter.chat', 'https://ig.me/m/natter.chat', 'Instagram'],
    ['email', 'help@shop.example', 'mailto:help@shop.example', 'E-mail'],
    ['phone', '+7 900 123 45 67', 'tel:+79001234567', 'Phone'],
  ];
  await saveSettings({ contacts: contacts.map(([kind, value]) => ({ kind, value })) });
  const duty = await dutyOperator(relay.url);
  const page = await visitorWithWindow();
  try {
    const nav = page.locator('nav.contacts');
    await nav.waitFor();
    for (const [, , link, name] of contacts) {
      const a = nav.getByRole('link', { name, exact: true });
      assert.equal(await a.getAttribute('href'), link, name);
      assert.equal(await a.getAttribute('rel'), 'noopener noreferrer', name);
    }
    await page.screenshot({ path: path.join(artifacts, 'messengers.png') });

    await nav.getByRole('link', { name: 'Viber' }).click();
    const panel = page.getByRole('dialog', { name: 'Viber' });
    await panel.getByText('Scan with your phone\'s camera to continue in Viber.').waitFor();
    assert.equal(await panel.getByRole('link', { name: 'Open on this device' }).getAttribute('href'), 'viber://pa?chatURI=natter');
    await page.screenshot({ path: path.join(artifacts, 'messenger-qr.png') });
    // Decode what is drawn: the SVG, rasterised by Chromium, read by jsQR.
    const size = 400;
    const pixels = await panel.locator('svg.qr-code').evaluate(async (svg, size) => {
      const copy = svg.cloneNode(true);
      copy.setAttribute('width', size);
      copy.setAttribute('height', size);
      const image = new Image();
      image.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(new XMLSerializer().serializeToString(copy))}`;
      await image.decode();
      const canvas = document.createElement('canvas');
      canvas.width = canvas.height = size;
      const context = canvas.getContext('2d');
      context.drawImage(image, 0, 0, size, size);
      return Array.from(context.getImageData(0, 0, size, size).data);
    }, size);
    const code = jsQR(Uint8ClampedArray.from(pixels), size, size);
    assert.equal(code?.data, 'viber://pa?chatURI=natter');
    await panel.getByRole('button', { name: 'Cancel' }).click();
    assert.equal(await panel.count(), 0);
  } finally {
    duty.close();
    await page.context().close();
  }
});

/** The conversations of the site's inbox, read by opening an inbox socket as the admin. */
async function inbox() {
  const ws = await openSocket(`${wsBase(relay.url)}/v1/console/sites/demo/inbox/ws?v=1&token=${encodeURIComponent(admin.token)}`);
  try {
    return (await nextFrame(ws, (f) => f.type === 'inbox')).conversations;
  } finally {
    ws.close();
  }
}

/** Runs `use` with a webhook receiver the site posts to and a fresh browser context. */
async function withReceiver(use) {
  const receiver = await startReceiver(await freePort());
  await saveSettings({ webhook_url: `http://127.0.0.1:${receiver.port}/natter` });
  const context = await browser.newContext();
  try {
    await use(receiver, context);
  } finally {
    await context.close();
    await receiver.close();
  }
}

test('an offline message left while the network was down reaches the webhook once, however often it is resent', async () => {
  await withReceiver(async (receiver, context) => {
    const page = await context.newPage();
    await page.goto(`${host.url}/host.html`);
    await page.getByRole('button', { name: 'Open chat' }).click();
    await eventually(async () => (await title(page).textContent()) === 'Leave us a message', 'the offline title');
    // The network goes down while the visitor fills the form in; they send and leave.
    await context.setOffline(true);
    await page.getByRole('textbox', { name: 'Name' }).fill('Vera');
    await page.getByRole('textbox', { name: 'E-mail or phone' }).fill('vera@example.com');
    await page.getByRole('textbox', { name: 'Message', exact: true }).fill('Sent with the network down');
    await page.getByRole('button', { name: 'Send message' }).click();
    await page.waitForTimeout(1000);
    await page.close();
    await context.setOffline(false);
    // Another page of the site sends what waited, and again on a reload.
    const next = await context.newPage();
    await next.goto(`${host.url}/second.html`);
    await eventually(() => receiver.requests.length > 0, 'the webhook delivery', 30_000);
    await next.reload();
    await next.waitForTimeout(4000);
    const ids = receiver.requests.map((r) => r.headers['x-natter-delivery']);
    assert.equal(ids.length, 1, `one POST, got ${JSON.stringify(ids)}`);
    assert.equal(JSON.parse(receiver.requests[0].body).text, 'Sent with the network down');
  });
});

test('sendMessage at page load with nobody online is an offline message: event, inbox mark and webhook', async () => {
  await withReceiver(async (receiver, context) => {
    const page = await context.newPage();
    await page.goto(`${host.url}/host.html`);
    // At once: the widget has not heard anything about the operators yet.
    const events = await page.evaluate(async () => {
      const seen = [];
      for (const name of ['offline:sent', 'message:sent']) Natter.on(name, (detail) => seen.push([name, detail.text]));
      const stored = await Natter.sendMessage('Called right at page load');
      return { stored, seen };
    });
    assert.equal(events.stored, true);
    assert.deepEqual(events.seen, [['offline:sent', 'Called right at page load']]);
    await eventually(() => receiver.requests.length === 1, 'the webhook delivery', 30_000);
    assert.equal(JSON.parse(receiver.requests[0].body).text, 'Called right at page load');
    const entry = (await inbox()).find((c) => c.last_text === 'Called right at page load');
    assert.equal(entry?.offline, true, 'marked offline in the inbox');
  });
});

test('messenger buttons show above the offline form too, unless the owner turns that off', async () => {
  const contacts = [{ kind: 'telegram', value: 'natter_support' }];
  await saveSettings({ contacts });
  const page = await visitorWithWindow();
  await page.getByText('No one is online right now').waitFor();
  const telegram = page.getByRole('link', { name: 'Telegram' });
  await telegram.waitFor();
  assert.equal(await telegram.getAttribute('href'), 'https://t.me/natter_support');
  await page.screenshot({ path: path.join(artifacts, 'offline-form-messengers.png') });
  assert.deepEqual(await axeViolations(page), [], 'WCAG 2.2 A/AA on the offline form with messengers');
  await page.context().close();

  await saveSettings({ contacts, contacts_offline: false });
  const other = await visitorWithWindow();
  await other.getByText('No one is online right now').waitFor();
  assert.equal(await other.getByRole('link', { name: 'Telegram' }).isVisible(), false);
  // Online, they are there.
  const duty = await dutyOperator(relay.url);
  try {
    await eventually(async () => (await title(other).textContent()) === 'Chat with us', 'the widget online', 15_000);
    await other.getByRole('link', { name: 'Telegram' }).waitFor();
  } finally {
    duty.close();
    await other.context().close();
  }
});
