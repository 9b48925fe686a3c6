#!/usr/bin/env node
// Creates an organisation, its first site and its admin on a deployed (or local) Natter
// relay while sign-up is closed. It calls the relay's POST /v1/bootstrap with the
// BOOTSTRAP_SECRET you set with `wrangler secret put BOOTSTRAP_SECRET`.
//
//   BOOTSTRAP_SECRET=… ADMIN_PASSWORD=… node scripts/bootstrap.mjs https://chat.example.com \
//     --organisation "Acme" --name "Anna Admin" --email anna@acme.example \
//     --site-name "Acme shop" --site-url https://shop.acme.example
//
// The secret and the password come from the environment, so they stay out of shell
// history and process lists.
import { parseArgs } from 'node:util';

const usage = `usage: BOOTSTRAP_SECRET=… ADMIN_PASSWORD=… node scripts/bootstrap.mjs RELAY_URL \\
  --organisation NAME --name YOUR_NAME --email EMAIL --site-name NAME --site-url URL`;

function fail(message) {
  console.error(`bootstrap: ${message}\n${usage}`);
  process.exit(2);
}

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: {
      organisation: { type: 'string' },
      name: { type: 'string' },
      email: { type: 'string' },
      'site-name': { type: 'string' },
      'site-url': { type: 'string' },
    },
  });
} catch (e) {
  fail(e.message);
}
const { values, positionals } = parsed;
const [relay] = positionals;
if (!relay || positionals.length !== 1) fail('give the relay URL, e.g. https://chat.example.com');
for (const key of ['organisation', 'name', 'email', 'site-name', 'site-url']) {
  if (!values[key]) fail(`--${key} is missing`);
}
const secret = process.env.BOOTSTRAP_SECRET;
const password = process.env.ADMIN_PASSWORD;
if (!secret) fail('set BOOTSTRAP_SECRET to the secret you put with `wrangler secret put BOOTSTRAP_SECRET`');
if (!password) fail('set ADMIN_PASSWORD to the admin\'s password (at least 10 characters)');

const body = {
  organisation: values.organisation,
  name: values.name,
  email: values.email,
  password,
  site_name: values['site-name'],
  site_url: values['site-url'],
};
let res;
try {
  res = await fetch(new URL('/v1/bootstrap', relay), {
    method: 'POST',
    headers: { Authorization: `Bearer ${secret}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
} catch (e) {
  console.error(`bootstrap: cannot reach ${relay}: ${e.cause?.message ?? e.message}`);
  process.exit(1);
}
const answer = await res.json().catch(() => ({}));
if (res.status !== 201) {
  console.error(`bootstrap: the relay refused (${res.status}): ${answer.message ?? 'no explanation'}`);
  process.exit(1);
}
console.log(`Created ${answer.organisation} with site ${answer.site} and admin ${answer.admin}.`);
console.log(`Sign in at ${answer.console}`);
