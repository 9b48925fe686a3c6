// What site owners choose, as visitors see it: the seven positions on a desktop and a
// phone, colours and header pattern, and the widget's language.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

import { artifacts, countTones, eventually, startStack } from './support/browser.mjs';
import { operatorSocket, saveSettings as saveSettingsAs } from './support/sockets.mjs';

let stack, relay, host, browser, admin;

before(async () => {
  stack = await startStack();
  ({ relay, host, browser, admin } = stack);
});

after(async () => {
  await stack?.stop();
});

const saveSettings = (settings) => saveSettingsAs(relay.url, admin, settings);

/** A fresh visitor (no storage) on the host page. */
async function visit(viewport, locale = 'en-US') {
  const context = await browser.newContext({ viewport, locale });
  const page = await context.newPage();
  await page.goto(`${host.url}/host.html`);
  return page;
}

const viewports = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } };
const near = (a, b, tolerance) => Math.abs(a - b) <= tolerance;

/** Where each position's launcher must be, for a viewport of width w and height h. */
const placements = {
  round_bottom_right: (b, w, h) => w - (b.x + b.width) <= 32 && h - (b.y + b.height) <= 32 && near(b.width, b.height, 1),
  tab_bottom_right: (b, w, h) => w - (b.x + b.width) <= 32 && h - (b.y + b.height) <= 32 && b.width > b.height,
  tab_bottom_center: (b, w, h) => near(b.x + b.width / 2, w / 2, 2) && h - (b.y + b.height) <= 32,
  tab_bottom_left: (b, w, h) => b.x <= 32 && h - (b.y + b.height) <= 32,
  tab_right_center: (b, w, h) => w - (b.x + b.width) <= 1 && near(b.y + b.height / 2, h / 2, 2) && b.height > b.width,
  tab_left_center: (b, w, h) => b.x <= 1 && near(b.y + b.height / 2, h / 2, 2) && b.height > b.width,
};

for (const position of [...Object.keys(placements), 'hidden']) {
  test(`position ${position}: the launcher is where it belongs and the window opens inside the viewport`, async () => {
    await saveSettings({ position });
    for (const [name, viewport] of Object.entries(viewports)) {
      const page = await visit(viewport);
      const launcher = page.getByRole('button', { name: 'Open chat' });
      if (position === 'hidden') {
        await page.waitForLoadState('networkidle');
        assert.equal(await launcher.isVisible(), false, `${name}: no visible launcher`);
        await page.screenshot({ path: path.join(artifacts, `position-${position}-${name}.png`) });
        await page.context().close();
        continue;
      }
      await launcher.waitFor();
      const box = await launcher.boundingBox();
      assert.ok(placements[position](box, viewport.width, viewport.height), `${name}: ${JSON.stringify(box)}`);
      await page.screenshot({ path: path.join(artifacts, `position-${position}-${name}.png`) });

      await launcher.click();
      const dialog = page.getByRole('dialog', { name: 'Chat' });
      await dialog.waitFor();
      const inside = async () => {
        const w = await dialog.boundingBox();
        return w.x >= 0 && w.y >= 0 && w.x + w.width <= viewport.width + 0.5 && w.y + w.height <= viewport.height + 0.5;
      };
      await eventually(inside, `${name}: the window inside the viewport`, 3_000);
      await page.waitForTimeout(200); // the opening animation, for the screenshot
      await page.screenshot({ path: path.join(artifacts, `position-${position}-${name}-open.png`) });

      // The widget's own launcher, after closing, stands where the loader's stood.
      await page.getByRole('button', { name: 'Close chat' }).click();
      await eventually(async () => {
        const again = await launcher.boundingBox();
        return again && near(again.x, box.x, 1) && near(again.y, box.y, 1);
      }, `${name}: the same launcher place after mounting`, 3_000);
      await page.context().close();
    }
  });
}

test('header colour, text colour and pattern show on a freshly loaded page, and an open one follows a change', async () => {
  // The logo URL points at loopback: tests make no request beyond this machine.
  const logo = 'https://127.0.0.1:9/logo.png';
  await saveSettings({ position: 'tab_bottom_right', header_color: '#b91c1c', text_color: '#fffbeb', pattern: 'dots', logo_url: logo });
  const page = await visit(viewports.desktop);
  const launcher = page.getByRole('button', { name: 'Open chat' });
  await launcher.waitFor();
  const style = (locator, property) => locator.evaluate((el, p) => getComputedStyle(el)[p], property);
  assert.equal(await style(launcher, 'backgroundColor'), 'rgb(185, 28, 28)');
  assert.equal(await style(launcher, 'color'), 'rgb(255, 251, 235)');
  await launcher.click();
  const header = page.getByRole('dialog', { name: 'Chat' }).locator('header');
  await header.waitFor();
  assert.equal(await style(header, 'backgroundColor'), 'rgb(185, 28, 28)');
  assert.match(await style(header, 'backgroundImage'), /radial-gradient/);
  assert.equal(await style(header, 'color'), 'rgb(255, 251, 235)');
  assert.equal(await header.locator('img.logo').getAttribute('src'), logo);
  await page.waitForTimeout(200);
  await page.screenshot({ path: path.join(artifacts, 'appearance-red-dots.png') });

  // The page stays open; the admin changes the colour and pattern again: it follows.
  await saveSettings({ position: 'tab_bottom_right', header_color: '#0f766e', pattern: 'diagonal' });
  await eventually(async () => (await style(header, 'backgroundColor')) === 'rgb(15, 118, 110)',
    'the open window following the saved colour', 12_000);
  assert.match(await style(header, 'backgroundImage'), /repeating-linear-gradient/);
  await page.context().close();
});

test('auto language follows the browser; a forced language wins; owner texts replace built-in ones', async () => {
  await saveSettings({ language: 'auto', texts: { ru: { online_title: 'Мы на связи' } } });
  const ru = await visit(viewports.desktop, 'ru-RU');
  await ru.getByRole('button', { name: 'Открыть чат' }).click();
  await ru.getByRole('textbox', { name: 'Сообщение' }).waitFor();
  await ru.getByRole('button', { name: 'Отправить' }).waitFor();
  assert.equal(await ru.getByRole('dialog', { name: 'Чат' }).locator('.title').textContent(), 'Мы на связи');
  await ru.waitForTimeout(250); // the opening animation
  await ru.screenshot({ path: path.join(artifacts, 'language-ru.png') });
  await ru.context().close();

  const en = await visit(viewports.desktop, 'en-US');
  await en.getByRole('button', { name: 'Open chat' }).click();
  await en.getByRole('textbox', { name: 'Message' }).waitFor();
  assert.equal(await en.getByRole('dialog', { name: 'Chat' }).locator('.title').textContent(), 'Chat with us');
  await en.context().close();

  await saveSettings({ language: 'en' });
  const forced = await visit(viewports.desktop, 'ru-RU');
  await forced.getByRole('button', { name: 'Open chat' }).click();
  await forced.getByRole('textbox', { name: 'Message' }).waitFor();
  await forced.context().close();

  // A browser language we do not speak falls back to the site's default.
  await saveSettings({ language: 'auto', default_language: 'ru' });
  const german = await visit(viewports.desktop, 'de-DE');
  await german.getByRole('button', { name: 'Открыть чат' }).waitFor();
  await german.context().close();
});

test('the notification sound plays for a reply while the window is closed, and not when open or turned off', async () => {
  await saveSettings({ sound: true });
  const context = await browser.newContext();
  await countTones(context);
  const page = await context.newPage();
  await page.goto(`${host.url}/host.html`);
  await page.getByRole('button', { name: 'Open chat' }).click();
  await page.getByRole('textbox', { name: 'Message' }).fill('sound check');
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  await eventually(async () => (await page.locator('.delivery').allTextContents()).includes('Sent'), 'sent');
  const { conversation } = await page.evaluate(() => JSON.parse(localStorage.getItem('natter.demo.session')));
  const operator = await operatorSocket(relay.url, admin, conversation);
  const reply = (text) => operator.send(JSON.stringify({ type: 'send', client_id: `o-${Date.now()}`, text }));
  const tones = () => page.evaluate(() => window.tones);

  reply('while you look');
  await eventually(async () => (await page.getByRole('log').locator('.text').allTextContents()).includes('while you look'), 'the reply');
  await page.waitForTimeout(300);
  assert.equal(await tones(), 0, 'no sound while the window is open and visible');

  await page.getByRole('button', { name: 'Close chat' }).click();
  reply('while it is closed');
  await eventually(async () => (await tones()) === 1, 'one tone for a reply while closed');

  await saveSettings({ sound: false });
  await page.reload();
  await page.getByRole('button', { name: 'Open chat' }).waitFor();
  await page.waitForTimeout(1600); // past the one-tone-per-burst pause, had it carried over
  reply('with the sound off');
  await eventually(async () => (await page.locator('.badge').count()) === 1, 'the unread badge');
  assert.equal(await tones(), 0, 'no sound when the site turned it off');
  operator.close();
  await context.close();
});
