// `make bench`: the numbers BENCHMARKS.md records. Sizes of what a host page
// downloads, and the relay's latency and throughput on loopback against the real
// `wrangler dev`. Prints a Markdown table.
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';

import { launch } from '../support/browser.mjs';
import { journalBench } from './journal.mjs';
import { visitorsBench } from './visitors.mjs';
import { lighthouseDelta } from './lighthouse.mjs';
import { comparePeers } from './peers.mjs';
import { startHost } from '../support/hosts.mjs';
import { Relay } from '../support/relay.mjs';
import { DEV_RATE_LIMITS, dutyOperator, newVisitor, nextFrame, operatorSocket, signInOperator, visitorSocket, freshSignIn } from '../support/sockets.mjs';

const dist = path.resolve(import.meta.dirname, '../../dist');
const gzip = (b) => zlib.gzipSync(b, { level: 9 }).length;
const brotli = (b) => zlib.brotliCompressSync(b, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const rows = [];
const row = (what, value, budget = '') => rows.push(`| ${what} | ${value} | ${budget} |`);

// Sizes.
const loader = readFileSync(path.join(dist, 'natter.js'));
row('loader `natter.js`, brotli (gzip)', `${brotli(loader)} B (${gzip(loader)} B; ${loader.length} B raw)`);
// The widget's build directory (named by its content): the main module and its glue,
// which opening the window downloads, and the optional parts, each when first used.
const build = path.join(dist, 'widget', readdirSync(path.join(dist, 'widget'))[0]);
const file = (name) => readFileSync(path.join(build, name));
const widget = ['natter_widget.js', 'natter_widget_bg.wasm'].map(file);
const sum = (f) => widget.reduce((n, b) => n + f(b), 0);
row('widget after open (main Wasm + JS glue + CSS inside the Wasm), raw', kb(sum((b) => b.length)));
row('widget after open, gzip', kb(sum(gzip)));
const widgetBrotli = sum(brotli);
row('widget after open: the first download, brotli', `${kb(widgetBrotli)} (${widgetBrotli} B)`, '≤ 110 KB (112640 B)');
// A part shared by two split points is a `chunk_N` that each of them loads too.
for (const name of readdirSync(build).filter((f) => /^(split|chunk)_.*\.wasm$/.test(f)).sort()) {
  const part = file(name);
  row(`optional part \`${name}\`, brotli`, `${kb(brotli(part))} (${part.length} B raw)`);
}
const consoleFiles = ['console/pkg/natter_console.js', 'console/pkg/natter_console_bg.wasm', 'console/console.css'].map((f) => readFileSync(path.join(dist, f)));
const consoleBrotli = consoleFiles.reduce((n, b) => n + brotli(b), 0);
row('operator console (Wasm + JS glue + CSS), brotli', `${kb(consoleBrotli)} (${consoleBrotli} B)`);

// Relay.
const relay = await Relay.start();
// Before interaction a page also fetches the site's settings document.
const settingsDoc = Buffer.from(await (await fetch(`${relay.url}/v1/sites/demo/widget`)).arrayBuffer());
row('settings document (before interaction too), brotli (gzip)', `${brotli(settingsDoc)} B (${gzip(settingsDoc)} B; ${settingsDoc.length} B raw)`);
// Brotli: what Cloudflare sends a browser that accepts it (every current one).
row('before interaction in all: loader + settings, brotli (gzip)', `${brotli(loader) + brotli(settingsDoc)} B (${gzip(loader) + gzip(settingsDoc)} B)`, '≤ 3 KB (3072 B)');
const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
try {
  const operator = await signInOperator(relay.url);
  // What a sign-in costs: PBKDF2-SHA256 (WebCrypto, 100,000 rounds) plus two Durable
  // Object calls. Eight of them: sign-ins are limited to 10 a minute per address.
  const signIns = [];
  for (let i = 0; i < 8; i++) {
    const start = process.hrtime.bigint();
    await freshSignIn(relay.url, 'agent@natter.dev', 'natter-agent');
    signIns.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  signIns.sort((a, b) => a - b);
  row('operator sign-in (PBKDF2-SHA256 100,000 rounds via WebCrypto + 2 object calls), p50 of 8', `${quantile(signIns, 0.5).toFixed(1)} ms`);
  // An operator is online (has the inbox open): the live chat path, where visitor
  // messages are not offline messages.
  const duty = await dutyOperator(relay.url);

  // Round trip visitor → operator: from the visitor's send to the operator's socket.
  const visitor = await newVisitor(relay.url);
  const vs = await visitorSocket(relay.url, visitor);
  vs.send(JSON.stringify({ type: 'send', client_id: 'warm', text: 'warm up' }));
  await nextFrame(vs, (f) => f.type === 'ack');
  const os_ = await operatorSocket(relay.url, operator, visitor.conversation);
  await nextFrame(os_, (f) => f.type === 'message' && f.client_id === 'warm');
  const latencies = [];
  const n = 1000;
  for (let i = 0; i < n; i++) {
    const id = `rt-${i}`;
    const start = process.hrtime.bigint();
    vs.send(JSON.stringify({ type: 'send', client_id: id, text: `message ${i}` }));
    await nextFrame(os_, (f) => f.type === 'message' && f.client_id === id);
    latencies.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (i % 100 === 0) { vs.frames.length = 0; os_.frames.length = 0; }
  }
  latencies.sort((a, b) => a - b);
  row(`relay round trip visitor → operator, p50 (${n} messages)`, `${quantile(latencies, 0.5).toFixed(2)} ms`);
  row(`relay round trip visitor → operator, p99 (${n} messages)`, `${quantile(latencies, 0.99).toFixed(2)} ms`);
  vs.close();
  os_.close();

  // The shift: how soon another console learns who answers, and how soon auto-assignment
  // hands a new conversation to an operator.
  {
    const agentInbox = duty;
    const answered = [];
    for (let i = 0; i < 50; i++) {
      const v = await newVisitor(relay.url);
      const ws = await visitorSocket(relay.url, v);
      ws.send(JSON.stringify({ type: 'send', client_id: `shift-${i}`, text: 'hello' }));
      await nextFrame(ws, (f) => f.type === 'ack');
      const os = await operatorSocket(relay.url, operator, v.conversation);
      const start = process.hrtime.bigint();
      os.send(JSON.stringify({ type: 'send', client_id: `answer-${i}`, text: 'hi' }));
      await nextFrame(agentInbox, (f) => f.type === 'conversation' && f.id === v.conversation && f.owner);
      answered.push(Number(process.hrtime.bigint() - start) / 1e6);
      await fetch(`${relay.url}/v1/console/sites/demo/conversations/${v.conversation}/close`, { method: 'POST', headers: { Authorization: `Bearer ${operator.token}` } });
      ws.close();
      os.close();
      agentInbox.frames.length = 0;
    }
    answered.sort((a, b) => a - b);
    row('an operator answers → another console shows "NAME is answering", p50 / p99 of 50', `${quantile(answered, 0.5).toFixed(2)} / ${quantile(answered, 0.99).toFixed(2)} ms`);

    await fetch(`${relay.url}/v1/console/sites/demo/settings`, {
      method: 'PUT', headers: { Authorization: `Bearer ${operator.token}` },
      body: JSON.stringify({ rules: [], rate_limits: DEV_RATE_LIMITS, routing: { auto_assign: true, assign_limit: 50, hide_others: false } }),
    });
    const assigned = [];
    for (let i = 0; i < 20; i++) {
      const v = await newVisitor(relay.url);
      const ws = await visitorSocket(relay.url, v);
      const start = process.hrtime.bigint();
      ws.send(JSON.stringify({ type: 'send', client_id: `assign-${i}`, text: 'hello' }));
      await nextFrame(agentInbox, (f) => f.type === 'conversation' && f.id === v.conversation && f.owner, 10_000);
      assigned.push(Number(process.hrtime.bigint() - start) / 1e6);
      await fetch(`${relay.url}/v1/console/sites/demo/conversations/${v.conversation}/close`, { method: 'POST', headers: { Authorization: `Bearer ${operator.token}` } });
      ws.close();
      agentInbox.frames.length = 0;
    }
    assigned.sort((a, b) => a - b);
    row('auto-assignment: a visitor\'s first message → the conversation owned by an operator, p50 / p99 of 20', `${quantile(assigned, 0.5).toFixed(2)} / ${quantile(assigned, 0.99).toFixed(2)} ms`);
    await fetch(`${relay.url}/v1/console/sites/demo/settings`, {
      method: 'PUT', headers: { Authorization: `Bearer ${operator.token}` }, body: JSON.stringify({ rules: [], rate_limits: DEV_RATE_LIMITS }),
    });
  }

  // Throughput: many conversations at once, each sending its next message on its ack.
  async function throughput(conversations, perConversation) {
    const sockets = await Promise.all(
      Array.from({ length: conversations }, async () => visitorSocket(relay.url, await newVisitor(relay.url))),
    );
    const start = process.hrtime.bigint();
    await Promise.all(sockets.map(async (ws, c) => {
      for (let i = 0; i < perConversation; i++) {
        const id = `tp-${c}-${i}`;
        ws.send(JSON.stringify({ type: 'send', client_id: id, text: `load ${i}` }));
        await nextFrame(ws, (f) => f.type === 'ack' && f.client_id === id, 60_000);
        ws.frames.length = 0;
      }
    }));
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    sockets.forEach((ws) => ws.close());
    return `${Math.round((conversations * perConversation) / seconds)} msg/s (${conversations * perConversation} in ${seconds.toFixed(2)} s)`;
  }
  row('stored (acked) messages per second, 50 concurrent conversations, an operator online', await throughput(50, 40));
  duty.frames.length = 0;
  duty.close();
  // Nobody online: every visitor message is an offline message (marked, queued for the
  // site's webhook, of which this site has none).
  row('the same with nobody online (offline messages), 20 conversations', await throughput(20, 20));

  // The inbox with 10,000 open conversations: its opening frame, and each page of them.
  {
    const open = 10_000;
    const creating = process.hrtime.bigint();
    for (let batch = 0; batch < open; batch += 25) {
      await Promise.all(Array.from({ length: 25 }, async (_, i) => {
        const ws = await visitorSocket(relay.url, await newVisitor(relay.url));
        ws.send(JSON.stringify({ type: 'send', client_id: 'first', text: `visitor ${batch + i}` }));
        await nextFrame(ws, (f) => f.type === 'ack', 60_000);
        ws.close();
      }));
    }
    const created = Number(process.hrtime.bigint() - creating) / 1e9;
    const opened = [];
    for (let i = 0; i < 9; i++) {
      const start = process.hrtime.bigint();
      const inbox = await dutyOperator(relay.url);
      opened.push(Number(process.hrtime.bigint() - start) / 1e6);
      inbox.close();
    }
    opened.sort((a, b) => a - b);
    const pageTimes = [];
    let after = '';
    let reached = 0;
    for (;;) {
      const start = process.hrtime.bigint();
      const page = await (await fetch(`${relay.url}/v1/console/sites/demo/inbox?filter=active${after}`, { headers: { Authorization: `Bearer ${operator.token}` } })).json();
      pageTimes.push(Number(process.hrtime.bigint() - start) / 1e6);
      reached += page.conversations.length;
      if (!page.more) break;
      const last = page.conversations.at(-1);
      after = `&after_rank=${last.waiting_since ?? 1e14 - last.last_at}&after_id=${last.id}`;
    }
    const walked = [...pageTimes].sort((a, b) => a - b);
    row(`inbox with ${open.toLocaleString('en')} open conversations (${created.toFixed(0)} s to create them): inbox socket opening (sign-in excluded: first page + counts), p50 of 9`, `${quantile(opened, 0.5).toFixed(1)} ms`);
    row(`the same: every page of "All active" by HTTP (${pageTimes.length} pages, ${reached.toLocaleString('en')} reached): first, last, p50, p99`,
      `${pageTimes[0].toFixed(1)}, ${pageTimes.at(-1).toFixed(1)}, ${quantile(walked, 0.5).toFixed(1)}, ${quantile(walked, 0.99).toFixed(1)} ms`);
  }

  // What the auto-action rules cost a page: every timer the page sets in 30 s after
  // load, with the default rules (a greeting at 10 s) and nobody touching the page.
  await fetch(`${relay.url}/v1/console/sites/demo/settings`, {
    method: 'PUT', headers: { Authorization: `Bearer ${operator.token}` }, body: JSON.stringify({ version: 1, rate_limits: DEV_RATE_LIMITS }),
  });
  const host = await startHost(relay.url);
  const browser = await launch();
  try {
    const page = await browser.newPage();
    await page.addInitScript(() => {
      window.timers = [];
      const real = window.setTimeout;
      window.setTimeout = (f, ms, ...args) => { window.timers.push([Math.round(performance.now()), ms ?? 0]); return real(f, ms, ...args); };
    });
    await page.goto(`${host.url}/host.html`);
    await page.waitForTimeout(30_000);
    const timers = await page.evaluate(() => window.timers);
    const greeted = await page.locator('.badge').count();
    const ruleTimers = timers.filter(([, ms]) => ms !== 5000 && ms > 0);
    const afterGreeting = ruleTimers.filter(([at]) => at > 12_000).length;
    row('rules: timers set by the rules in 30 s with the default rules (greeting due at 10 s)',
      `${ruleTimers.length} (${ruleTimers.map(([at, ms]) => `at ${(at / 1000).toFixed(1)} s for ${Math.round(ms)} ms`).join(', ')}); after the greeting fired: ${afterGreeting}; greeting shown: ${greeted === 1}`);
    row('other widget timers in those 30 s (settings/status check every 6 s, work only while open; 0 ms hand-offs)',
      `${timers.length - ruleTimers.length}`);

    // What a first-time visitor's page costs, stage by stage, on the site as a new site
    // gets it (the default rules): what it asked of the edge, the bytes it received
    // (as sent, compressed where the server compresses), sockets and storage.
    const visitor = await (await browser.newContext()).newPage();
    const asked = [];
    let sockets = 0;
    visitor.on('requestfinished', async (r) => {
      if (!r.url().startsWith(relay.url)) return;
      const sizes = await r.sizes().catch(() => ({ responseBodySize: 0, responseHeadersSize: 0 }));
      asked.push({ url: r.url().slice(relay.url.length).replace(/token=[^&]+/, 'token=…'), bytes: sizes.responseBodySize + sizes.responseHeadersSize });
    });
    visitor.on('websocket', () => { sockets += 1; });
    const stage = async (name) => {
      const keys = await visitor.evaluate(() => Object.keys(localStorage).sort().join(', '));
      const bytes = asked.reduce((n, r) => n + r.bytes, 0);
      row(`a first-time visitor, default rules: ${name}`,
        `${asked.length} requests to the edge, ${kb(bytes)}; ${sockets} sockets; storage: ${keys || 'nothing'}`);
    };
    const loaded = Date.now();
    await visitor.goto(`${host.url}/host.html`);
    await visitor.waitForTimeout(8_000 - (Date.now() - loaded));
    await stage('the first 8 s (before interaction)');
    await visitor.locator('.badge').waitFor({ timeout: 10_000 });
    await stage(`after the greeting (shown at ${((Date.now() - loaded) / 1000).toFixed(1)} s)`);
    await visitor.getByRole('button', { name: 'Open chat' }).click();
    await visitor.getByRole('textbox', { name: 'Message' }).waitFor();
    await visitor.waitForTimeout(1_000);
    await stage('after opening the window');
    await visitor.getByRole('textbox', { name: 'Message' }).fill('Hello');
    await visitor.getByRole('button', { name: 'Send', exact: true }).click();
    await visitor.getByText('Sent').waitFor();
    await stage('after the first message');

    // Beside a peer, measured the same way (tests/bench/peers.mjs).
    const peers = await comparePeers(browser, `${host.url}/host.html`);
    for (const [name, m] of [['Natter (default rules)', peers.natter], ['Rocket.Chat Livechat 1.13.3', peers.rocket]]) {
      row(`side by side: ${name}, before interaction / after opening, brotli`,
        `${m.before.requests} files, ${kb(m.before.bytes)}, ${m.before.sockets} sockets / ${m.open.requests} files, ${kb(m.open.bytes)}, ${m.open.sockets} sockets`);
    }
  } finally {
    await browser.close();
    await host.close();
  }

  // Lighthouse (mobile preset): a bare page against the same page with the snippet.
  // Five runs of each, interleaved: on this 2-core machine single runs of the bare
  // page alone vary by tens of milliseconds.
  const lh = await lighthouseDelta(`<script src="${relay.url}/natter.js" data-site="demo" async></script>`, 5);
  const ms = (v) => `${Math.round(v)} ms`;
  row('Lighthouse, snippet of a new site vs a bare page (medians of 5): Δ total blocking time',
    `${ms(lh.tbt.delta)} (${ms(lh.tbt.bare)} → ${ms(lh.tbt.embedded)})`, '0 ms');
  row('Lighthouse: Δ time to interactive', `${ms(lh.tti.delta)} (${ms(lh.tti.bare)} → ${ms(lh.tti.embedded)})`, '≤ 300 ms');
  row('Lighthouse: Δ bytes (as `wrangler dev` sends them)',
    `${kb(lh.bytes.delta)} (${lh.bytes.bare} B → ${lh.bytes.embedded} B; ${lh.requests.bare} → ${lh.requests.embedded} requests)`, '≤ 5 KB');

  // Last: they fill the demo site with 10,000 visitors and its journal with 100,000
  // conversations.
  await visitorsBench(relay.url, operator, row);
  await journalBench(relay.url, operator, row);
} finally {
  await relay.stop();
}

console.log(`\nNatter benchmarks, ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cores, Node ${process.version}\n`);
console.log('| what | measured | budget |\n|---|---|---|');
console.log(rows.join('\n'));
