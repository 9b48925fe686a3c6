// The widget from the keyboard and through a screen reader (issue 16): where the focus
// goes as the window opens and closes, Tab kept inside the window on a phone, what the
// live regions say (a reply while closed once, a sent message once), the launcher's
// name with its count, and the log's list semantics. axe-core on each screen.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

import { artifacts, eventually, startStack, waitForText } from './support/browser.mjs';
import { dutyOperator, history, nextFrame, operatorSocket, saveSettings } from './support/sockets.mjs';
import { axeViolations } from './support/axe.mjs';

let stack;
before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack?.stop();
});

/** Where the focus is: `PAGE:tag` outside the widget, else the element in its shadow root. */
const focused = (page) => page.evaluate(() => {
  const host = document.querySelector('natter-widget');
  if (document.activeElement !== host) return `PAGE:${document.activeElement?.tagName}`;
  const at = host.shadowRoot.activeElement;
  return at ? `${at.tagName.toLowerCase()}.${at.className}` : 'none';
});

const message = (page) => page.getByRole('textbox', { name: 'Message' });

/** The visitor types `text` in the open window and presses Enter; resolves once it is stored ("Sent"). */
async function writes(page, text) {
  await message(page).fill(text);
  await page.keyboard.press('Enter');
  await eventually(async () => (await page.locator('natter-widget').locator('.delivery').allTextContents()).includes('Sent'), `"${text}" sent`);
}

test('keyboard alone: Tab to the launcher, Enter opens with the focus in the message box and what is typed at once is kept, Enter sends, Escape closes back to the launcher', async () => {
  const { host, browser } = stack;
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${host.url}/host.html`);
  await page.getByRole('button', { name: 'Chat: open chat', exact: true }).waitFor();
  // The host page's own controls come first; Tab until the widget has the focus.
  for (let i = 0; i < 20 && !(await focused(page)).startsWith('button'); i++) await page.keyboard.press('Tab');
  assert.ok((await focused(page)).startsWith('button.launcher'), await focused(page));
  assert.deepEqual(await axeViolations(page), [], 'the page with the widget closed');

  // Enter, and typing straight away, before the widget has even loaded.
  await page.keyboard.press('Enter');
  await page.keyboard.type('Hello from the keyboard');
  await eventually(async () => (await focused(page)) === 'textarea.', 'the focus in the message box');
  await eventually(async () => (await message(page).inputValue()) === 'Hello from the keyboard', 'nothing typed is lost');
  await page.keyboard.press('Enter');
  await waitForText(page, 'Hello from the keyboard');
  assert.equal(await message(page).inputValue(), '');
  // Back through the window to the header's Close: each control shows the focus.
  for (let i = 0; i < 8 && (await focused(page)) !== 'button.close'; i++) await page.keyboard.press('Shift+Tab');
  assert.equal(await focused(page), 'button.close');
  await page.screenshot({ path: path.join(artifacts, 'a11y-focus-close.png') });
  await message(page).focus();

  await page.keyboard.press('Escape');
  await page.getByRole('dialog').waitFor({ state: 'hidden' });
  await eventually(async () => (await focused(page)).startsWith('button.launcher'), 'the focus back on the launcher');
  // The way back in is the same.
  await page.keyboard.press('Enter');
  await eventually(async () => (await focused(page)) === 'textarea.', 'the focus in the message box again');
  await context.close();
});

test('on a phone, where the window covers the page, Tab and Shift+Tab stay inside it; Escape closes it', async () => {
  const { host, browser } = stack;
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  await page.goto(`${host.url}/host.html`);
  await page.getByRole('button', { name: 'open chat' }).click();
  await eventually(async () => (await focused(page)) === 'textarea.', 'the focus in the message box');
  const seen = new Set();
  for (const key of [...Array(12).fill('Tab'), ...Array(12).fill('Shift+Tab')]) {
    await page.keyboard.press(key);
    const at = await focused(page);
    assert.ok(!at.startsWith('PAGE') && at !== 'none', `after ${key} the focus is on ${at}`);
    seen.add(at);
  }
  assert.ok(seen.size >= 4, `Tab went round the window's controls: ${[...seen].join(', ')}`);
  await page.screenshot({ path: path.join(artifacts, 'a11y-phone-focus.png') });
  await page.keyboard.press('Escape');
  await page.getByRole('dialog').waitFor({ state: 'hidden' });
  await context.close();
});

test('a screen reader hears a sent message once and a reply while closed once; the launcher is named by what it shows; the log is a list', async () => {
  const { relay, host, browser, admin } = stack;
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${host.url}/host.html`);
  await page.getByRole('button', { name: 'Chat: open chat', exact: true }).click();
  await message(page).waitFor();
  // Every list item the log gets, and every text the closed window's announcer says.
  await page.evaluate(() => {
    const root = document.querySelector('natter-widget').shadowRoot;
    window.added = [];
    new MutationObserver((records) => {
      for (const r of records) for (const n of r.addedNodes) if (n.nodeName === 'LI') window.added.push(n.querySelector('.text')?.textContent);
    }).observe(root.querySelector('ol.log'), { childList: true });
    window.said = [];
    const announcer = root.querySelector('.announcer');
    new MutationObserver(() => announcer.textContent && window.said.push(announcer.textContent))
      .observe(announcer, { childList: true, characterData: true, subtree: true });
  });

  await writes(page, 'Is anyone there?');
  await page.waitForTimeout(300);
  assert.deepEqual(await page.evaluate(() => window.added), ['Is anyone there?'], 'the message enters the live region once');
  // The live region wraps a list: items stay items.
  assert.equal(await page.getByRole('log').getByRole('list').getByRole('listitem').count(), 1);
  assert.deepEqual(await axeViolations(page), [], 'the open window with a message');

  await page.getByRole('button', { name: 'Close chat' }).click();
  const session = await page.evaluate(() => JSON.parse(localStorage.getItem('natter.demo.session')));
  const operator = await operatorSocket(relay.url, admin, session.conversation);
  operator.send(JSON.stringify({ type: 'send', client_id: 'yes-here', text: 'Yes, how can I help?' }));
  await nextFrame(operator, (f) => f.type === 'ack');
  operator.close();
  const launcher = page.getByRole('button', { name: 'Chat 1: unread messages, open chat', exact: true });
  await launcher.waitFor();
  await eventually(async () => (await page.evaluate(() => window.said)).length === 1, 'the reply announced');
  await page.waitForTimeout(500);
  const said = await page.evaluate(() => window.said);
  assert.equal(said.length, 1, `announced once: ${JSON.stringify(said)}`);
  assert.match(said[0], /^New message from .+: Yes, how can I help\?$/);
  assert.deepEqual(await axeViolations(page), [], 'the closed widget with an unread reply');

  await launcher.click();
  await eventually(async () => (await page.locator('natter-widget').locator('.announcer').textContent()) === '', 'the announcement cleared once open');
  assert.equal(await page.locator('natter-widget').locator('button.launcher').getAttribute('aria-label'), 'Chat: open chat');
  await context.close();
});

test('what the visitor typed survives the switch to the offline form and back, in both', async () => {
  const { relay, host, browser, admin } = stack;
  await saveSettings(relay.url, admin, { offline_mode: 'form' });
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${host.url}/host.html`);
  await page.getByRole('button', { name: 'open chat' }).click();
  const box = page.getByRole('textbox', { name: 'Message', exact: true });
  await box.fill('Do you ship to Riga?');

  // Nobody on duty any more: the offline form asks for the same message.
  stack.duty.close();
  const form = page.locator('form.offline');
  await form.waitFor({ timeout: 20_000 });
  assert.equal(await box.inputValue(), 'Do you ship to Riga?');
  await page.getByRole('textbox', { name: 'Name' }).fill('Ann');
  await page.getByRole('textbox', { name: 'E-mail or phone' }).fill('ann@example.com');
  await box.fill('Do you ship to Riga? And to Tallinn?');

  // An operator is back: the chat, with the message as it now reads; and away again:
  // the form with what was typed in it.
  stack.duty = await dutyOperator(relay.url);
  await form.waitFor({ state: 'detached', timeout: 20_000 });
  assert.equal(await box.inputValue(), 'Do you ship to Riga? And to Tallinn?');
  stack.duty.close();
  await form.waitFor({ timeout: 20_000 });
  assert.equal(await page.getByRole('textbox', { name: 'Name' }).inputValue(), 'Ann');
  assert.equal(await page.getByRole('textbox', { name: 'E-mail or phone' }).inputValue(), 'ann@example.com');
  assert.equal(await box.inputValue(), 'Do you ship to Riga? And to Tallinn?');
  stack.duty = await dutyOperator(relay.url);
  await context.close();
});

test('a refused file stays said when a rule\'s message comes', async () => {
  const { relay, host, browser, admin } = stack;
  await saveSettings(relay.url, admin, {
    files: true,
    rules: [{ name: 'Nudge', conditions: [{ fact: 'time_on_page', op: 'gt', value: 4 }], action: 'message', text: 'Still there?' }],
  });
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${host.url}/host.html`);
  await page.getByRole('button', { name: 'open chat' }).click();
  await page.getByLabel('Attach a file').setInputFiles({ name: 'setup.exe', mimeType: 'application/octet-stream', buffer: Buffer.from('MZ') });
  const alert = page.getByRole('alert');
  await eventually(async () => (await alert.count()) === 1 && /\.exe cannot be sent/.test(await alert.textContent()), 'the refusal');
  await waitForText(page, 'Still there?');
  await page.waitForTimeout(300);
  assert.equal(await alert.count(), 1, 'the refusal is not wiped by the rule\'s message');
  await context.close();
});

test('a lost connection says "Reconnecting…" until it is back; what was typed meanwhile goes once', async () => {
  const { relay, host, browser } = stack;
  await saveSettings(relay.url, stack.admin, {});
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${host.url}/host.html`);
  await page.getByRole('button', { name: 'open chat' }).click();
  await writes(page, 'before');
  const status = page.getByRole('dialog').locator('.status');

  await relay.stop();
  await eventually(async () => (await status.textContent()) === 'Reconnecting…', '"Reconnecting…"');
  await message(page).fill('meanwhile');
  await page.keyboard.press('Enter');
  await page.screenshot({ path: path.join(artifacts, 'a11y-reconnecting.png') });
  await relay.start();
  stack.duty = await dutyOperator(relay.url);
  await eventually(async () => (await status.textContent()) !== 'Reconnecting…', 'connected again', 30_000);
  await eventually(async () => {
    const marks = await page.locator('natter-widget').locator('.delivery').allTextContents();
    return marks.length === 2 && marks.every((m) => m !== 'Sending…');
  }, 'the message typed meanwhile acked', 30_000);
  assert.deepEqual(await page.getByRole('log').locator('.text').allTextContents(), ['before', 'meanwhile']);
  const session = await page.evaluate(() => JSON.parse(localStorage.getItem('natter.demo.session')));
  const stored = await history(relay.url, stack.admin, session.conversation);
  assert.deepEqual(stored.body.messages.map((m) => m.text), ['before', 'meanwhile'], 'stored once each');
  await context.close();
});

test('links in messages open safely in a new tab, text keeps its own direction, the box grows to four lines; reduced motion moves nothing', async () => {
  const { host, browser } = stack;
  await saveSettings(stack.relay.url, stack.admin, {});
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${host.url}/host.html`);
  await page.getByRole('button', { name: 'open chat' }).click();
  const shadow = page.locator('natter-widget');
  const height = () => message(page).evaluate((box) => Math.round(box.getBoundingClientRect().height));
  assert.equal(await height(), 40);
  await message(page).fill('one\ntwo\nthree');
  assert.equal(await height(), 80);
  await message(page).fill('one\ntwo\nthree\nfour\nfive\nsix');
  assert.equal(await height(), 100, 'four lines, then it scrolls');

  await message(page).fill('Prices: https://shop.test/prices. Not this: javascript:alert(1) שלום');
  await page.keyboard.press('Enter');
  await waitForText(page, 'Prices: https://shop.test/prices. Not this: javascript:alert(1) שלום');
  assert.equal(await height(), 40, 'back to one line once sent');
  const links = shadow.locator('.text a');
  assert.equal(await links.count(), 1);
  assert.equal(await links.getAttribute('href'), 'https://shop.test/prices');
  assert.equal(await links.getAttribute('target'), '_blank');
  assert.equal(await links.getAttribute('rel'), 'noopener noreferrer');
  assert.equal(await shadow.locator('.text').first().getAttribute('dir'), 'auto');
  const animation = () => shadow.locator('.window').evaluate((w) => getComputedStyle(w).animationName);
  assert.equal(await animation(), 'natter-rise');
  await context.close();

  const still = await browser.newContext({ reducedMotion: 'reduce' });
  const calm = await still.newPage();
  await calm.goto(`${host.url}/host.html`);
  const launcher = calm.getByRole('button', { name: 'open chat' });
  await launcher.hover();
  assert.equal(await launcher.evaluate((b) => getComputedStyle(b).transform), 'none', 'no lift on hover');
  await launcher.click();
  assert.equal(await calm.locator('natter-widget').locator('.window').evaluate((w) => getComputedStyle(w).animationName), 'none');
  await still.close();
});

test('light and dark: the window follows the system unless the owner fixed it, and axe finds nothing on the chat, the forms with their errors and the QR panel', async () => {
  const { relay, host, browser, admin } = stack;
  await saveSettings(relay.url, admin, { introduce: { email: 'required' }, contacts: [{ kind: 'viber', value: 'natter' }] });
  const context = await browser.newContext({ colorScheme: 'dark' });
  const page = await context.newPage();
  await page.goto(`${host.url}/host.html`);
  await page.getByRole('button', { name: 'open chat' }).click();
  const window = page.getByRole('dialog', { name: 'Chat' });
  const background = () => page.locator('natter-widget').locator('.window').evaluate((w) => getComputedStyle(w).backgroundColor);
  assert.equal(await background(), 'rgb(28, 31, 38)', 'dark, as the system prefers');
  await writes(page, 'Hello in the dark');

  /** axe in both schemes (set as page code may: the window is drawn afresh, so
   * `show` brings it to the state checked), with a screenshot of each. */
  const check = async (what, show) => {
    for (const scheme of ['light', 'dark']) {
      await page.evaluate((s) => Natter.configure({ color_scheme: s }), scheme);
      await eventually(async () => (await background()) === (scheme === 'dark' ? 'rgb(28, 31, 38)' : 'rgb(255, 255, 255)'), `${scheme} colours`);
      await show();
      await page.screenshot({ path: path.join(artifacts, `a11y-${what.replaceAll(' ', '-')}-${scheme}.png`) });
      assert.deepEqual(await axeViolations(page), [], `${what}, ${scheme}`);
    }
  };
  await check('chat', () => window.getByText('Hello in the dark').waitFor());

  await window.getByRole('button', { name: 'Your details' }).click();
  await check('introduce form errors', async () => {
    await window.getByRole('button', { name: 'Save' }).click();
    await window.getByText('Please fill this in').first().waitFor();
  });
  await window.getByRole('button', { name: 'Cancel' }).click();

  // The messenger buttons are a named landmark, not an unnamed one on the host page.
  await window.getByRole('navigation', { name: 'Or write to us in', exact: true }).waitFor();
  await window.getByRole('link', { name: 'Viber' }).click();
  await check('qr panel', () => page.getByRole('dialog', { name: 'Viber' }).getByText('Scan with your phone').waitFor());
  await page.keyboard.press('Escape');
  await page.getByRole('dialog', { name: 'Viber' }).waitFor({ state: 'detached' });
  // The focus is back on the messenger button that opened the panel.
  await eventually(async () => (await focused(page)) === 'a.contact viber', 'the focus on the Viber button');
  await context.close();

  // The offline form, for a visitor who has not written, with nobody on duty.
  stack.duty.close();
  const offline = await browser.newContext({ colorScheme: 'dark' });
  const visitor = await offline.newPage();
  await visitor.goto(`${host.url}/host.html`);
  await visitor.getByRole('button', { name: 'open chat' }).click();
  await visitor.locator('form.offline').waitFor({ timeout: 20_000 });
  for (const scheme of ['light', 'dark']) {
    await visitor.evaluate((s) => Natter.configure({ color_scheme: s }), scheme);
    // Drawn afresh in the new colours before the errors are made (a redraw clears them).
    const drawn = visitor.locator('natter-widget').locator('.window');
    await eventually(async () => (await drawn.evaluate((w) => getComputedStyle(w).backgroundColor)) === (scheme === 'dark' ? 'rgb(28, 31, 38)' : 'rgb(255, 255, 255)'), `${scheme} colours`);
    await visitor.waitForTimeout(100);
    await visitor.getByRole('button', { name: 'Send message' }).click();
    await visitor.getByText('Please fill this in').first().waitFor();
    await visitor.screenshot({ path: path.join(artifacts, `a11y-offline-form-errors-${scheme}.png`) });
    assert.deepEqual(await axeViolations(visitor), [], `offline form errors, ${scheme}`);
  }
  stack.duty = await dutyOperator(relay.url);
  await offline.close();
});

test('the default greeting reads the room: a visitor who wrote first is not greeted', async () => {
  const { relay, host, browser, admin } = stack;
  await saveSettings(relay.url, admin, { rules: undefined });
  const context = await browser.newContext();
  const page = await context.newPage();
  const loaded = Date.now();
  await page.goto(`${host.url}/host.html`);
  await page.getByRole('button', { name: 'open chat' }).click();
  await message(page).fill('Hi, a quick question');
  await page.keyboard.press('Enter');
  await waitForText(page, 'Hi, a quick question');
  // The greeting is due at 11 s on the page; watch past it.
  await page.waitForTimeout(Math.max(0, 13_000 - (Date.now() - loaded)));
  assert.deepEqual(await page.getByRole('log').locator('.text').allTextContents(), ['Hi, a quick question']);
  await context.close();
});

test('a reply while the window is closed: a preview beside the launcher (in the dark too), the window opened instead, or the badge alone', async () => {
  const { relay, host, browser, admin } = stack;
  await saveSettings(relay.url, admin, { color_scheme: 'dark' });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(`${host.url}/host.html`);
  await page.getByRole('button', { name: 'open chat' }).click();
  await writes(page, 'Do you have boots?');
  const { conversation } = await page.evaluate(() => JSON.parse(localStorage.getItem('natter.demo.session')));
  let sent = 0;
  const reply = async (text) => {
    const operator = await operatorSocket(relay.url, admin, conversation);
    operator.send(JSON.stringify({ type: 'send', client_id: `closed-reply-${++sent}`, text }));
    await nextFrame(operator, (f) => f.type === 'ack');
    operator.close();
  };
  /** Escape from the message box (once the focus is there) closes the window. */
  const escape = async () => {
    await eventually(async () => (await focused(page)) === 'textarea.', 'the focus in the message box');
    await page.keyboard.press('Escape');
    await page.getByRole('dialog', { name: 'Chat' }).waitFor({ state: 'detached' });
  };
  const widget = page.locator('natter-widget');
  const preview = widget.locator('.preview');
  const launcher = widget.locator('button.launcher');

  // Preview (the default): beside the launcher, the text and who wrote it; nothing in
  // the closed dark widget that axe finds; a click opens the chat.
  await escape();
  await eventually(async () => (await focused(page)).startsWith('button.launcher'), 'the focus on the launcher');
  await reply('Yes, in every size from 36 to 46.');
  await preview.waitFor();
  assert.match(await preview.locator('.preview-text').textContent(), /^Yes, in every size from 36 to 46\.$/);
  assert.ok((await preview.locator('.preview-author').textContent()).length > 0, 'the operator is named');
  const [box, button] = [await preview.boundingBox(), await launcher.boundingBox()];
  assert.ok(box.y + box.height <= button.y && box.x + box.width >= button.x + button.width - 1, `above the launcher, at its right: ${JSON.stringify([box, button])}`);
  assert.equal(await preview.evaluate((p) => getComputedStyle(p).backgroundColor), 'rgb(28, 31, 38)', 'dark, as the owner fixed it');
  await page.screenshot({ path: path.join(artifacts, 'reply-preview-dark.png') });
  assert.deepEqual(await axeViolations(page), [], 'the closed widget in dark with a preview');
  await preview.getByRole('button', { name: /Yes, in every size/ }).click();
  await message(page).waitFor();
  assert.equal(await preview.count(), 0, 'gone once the chat is open');
  await eventually(async () => (await focused(page)) === 'textarea.', 'the focus in the message box');

  // Hidden by the visitor: the focus goes back to the launcher, the badge stays.
  await escape();
  await reply('Shall I reserve a pair?');
  await preview.waitFor();
  await page.getByRole('button', { name: 'Hide message preview' }).click();
  await preview.waitFor({ state: 'detached' });
  await eventually(async () => (await focused(page)).startsWith('button.launcher'), 'the focus on the launcher');
  assert.equal(await widget.locator('.badge').textContent(), '1');

  // The owner chooses to open the window instead: it opens with the reply, and the
  // focus, on the launcher it hides, goes to the message box.
  await saveSettings(relay.url, admin, { closed_reply: 'open', color_scheme: 'light' });
  await page.reload();
  await page.getByRole('button', { name: 'open chat' }).click();
  await message(page).waitFor();
  await escape();
  await reply('Reserved until Friday.');
  await page.getByRole('dialog', { name: 'Chat' }).getByText('Reserved until Friday.').waitFor();
  assert.equal(await preview.count(), 0);
  await eventually(async () => (await focused(page)) === 'textarea.', 'the focus in the message box');

  // Or only the badge.
  await saveSettings(relay.url, admin, { closed_reply: 'badge' });
  await page.reload();
  await page.getByRole('button', { name: 'open chat' }).click();
  await message(page).waitFor();
  await escape();
  await reply('See you!');
  await eventually(async () => (await widget.locator('.badge').textContent().catch(() => '')) === '1', 'counted');
  await page.waitForTimeout(300);
  assert.equal(await preview.count(), 0, 'no preview');
  assert.equal(await page.getByRole('dialog', { name: 'Chat' }).count(), 0, 'the window stays closed');
  await context.close();
});

test('screenshots in light and dark, with reduced motion, on a desktop and a phone: the header pattern stays off the words', async () => {
  const { relay, host, browser, admin } = stack;
  await saveSettings(relay.url, admin, { pattern: 'zigzag', header_color: '#0f5132', suggests: [{ text: { ru: 'Где мой заказ?', en: 'Where is my order?' }, priority: 1 }] });
  for (const [device, viewport] of [['desktop', { width: 1280, height: 800 }], ['phone', { width: 390, height: 780 }]]) {
    for (const colorScheme of ['light', 'dark']) {
      const context = await browser.newContext({ viewport, colorScheme, reducedMotion: 'reduce' });
      const page = await context.newPage();
      await page.goto(`${host.url}/host.html`);
      await page.getByRole('button', { name: 'open chat' }).click();
      const window = page.getByRole('dialog', { name: 'Chat' });
      await window.getByRole('button', { name: 'Where is my order?' }).waitFor();
      const drawn = page.locator('natter-widget').locator('.window');
      assert.equal(await drawn.evaluate((w) => getComputedStyle(w).animationName), 'none', 'reduced motion: no opening animation');
      for (const words of ['.title', '.status']) {
        assert.equal(await window.locator(words).evaluate((e) => getComputedStyle(e).backgroundColor), 'rgb(15, 81, 50)', `${words} on the plain header colour`);
      }
      await page.screenshot({ path: path.join(artifacts, `a11y-look-${device}-${colorScheme}.png`) });
      assert.deepEqual(await axeViolations(page), [], `${device}, ${colorScheme}`);
      await context.close();
    }
  }
});
