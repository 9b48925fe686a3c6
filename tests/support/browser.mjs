// Debian's Chromium, driven by playwright-core, plus helpers that use the product as a
// person does: by role and accessible name.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

export const artifacts = path.resolve(import.meta.dirname, '../artifacts');
mkdirSync(artifacts, { recursive: true });

export function launch() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}

/**
 * Polls `check` until it returns a truthy value or `ms` pass. `what` names what is
 * awaited; a function gives it at the time out, so it can say what was seen instead.
 */
export async function eventually(check, what, ms = 15_000) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
      last = value;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const named = typeof what === 'function' ? what() : what;
  throw new Error(`timed out waiting for ${named}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
}

/** The texts of a chat log (widget or console), in order. */
export async function logTexts(page) {
  return page.getByRole('log').locator('.text').allTextContents();
}

export async function waitForText(page, text, ms) {
  await eventually(async () => (await logTexts(page)).includes(text), `"${text}" in the log`, ms);
}

export async function openWidget(page) {
  await page.getByRole('button', { name: 'Open chat' }).click();
  await page.getByRole('textbox', { name: 'Message' }).waitFor();
}

export async function visitorSends(page, text) {
  await page.getByRole('textbox', { name: 'Message' }).fill(text);
  await page.getByRole('button', { name: 'Send', exact: true }).click();
}

/** Counts the tones the loader synthesizes, as `window.tones` (no audio device needed). */
export async function countTones(context) {
  await context.addInitScript(() => {
    window.tones = 0;
    const Real = window.AudioContext;
    window.AudioContext = class extends Real {
      constructor(...args) { super(...args); window.tones += 1; }
    };
  });
}

export async function signIn(page, edge) {
  await page.goto(`${edge}/console/`);
  await page.getByLabel('Email').fill('demo@natter.dev');
  await page.getByLabel('Password').fill('natter-demo');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Inbox' }).waitFor();
}

/**
 * The usual stack of an end-to-end test file: a real `wrangler dev`, a host site on
 * another origin, and Chromium. `headers` adds response headers per host page.
 * Unless `onDuty` is false, the dev agent keeps an inbox open all along, so the site is
 * online and widgets show the chat (with no operator online they show the offline form).
 * The site starts with no auto-action rules (a new site's default greeting would write
 * into every test's chat); tests about rules save their own.
 */
export async function startStack(headers, { onDuty = true } = {}) {
  const { Relay } = await import('./relay.mjs');
  const { startHost } = await import('./hosts.mjs');
  const { dutyOperator, saveSettings, signInOperator } = await import('./sockets.mjs');
  const relay = await Relay.start();
  const admin = await signInOperator(relay.url);
  await saveSettings(relay.url, admin, {});
  const host = await startHost(relay.url, typeof headers === 'function' ? headers(relay) : headers);
  const browser = await launch();
  const duty = onDuty ? await dutyOperator(relay.url) : null;
  return {
    relay,
    host,
    browser,
    duty,
    /** The dev admin's session (signed in over HTTP: no console, so not online). */
    admin,
    async stop() {
      duty?.close();
      await browser.close();
      await host.close();
      await relay.stop();
    },
  };
}
