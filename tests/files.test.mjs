// Files both ways: a visitor and an operator send an image and a PDF; images show as
// thumbnails, other files download with nosniff. Too big and unknown types are refused
// with clear messages, in the widget and at the edge, and the conversation goes on.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import zlib from 'node:zlib';

import { artifacts, eventually, logTexts, signIn, startStack } from './support/browser.mjs';
import { saveSettings } from './support/sockets.mjs';
import { pdf } from './support/samples.mjs';

let stack, relay, host, browser, admin;

before(async () => {
  stack = await startStack();
  ({ relay, host, browser, admin } = stack);
});

after(async () => {
  await stack?.stop();
});

// A real PNG (48×32, a colour gradient) and a one-page PDF.
function crc32(bytes) {
  let crc = ~0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return ~crc >>> 0;
}
function makePng(width, height) {
  const chunk = (type, data) => {
    const body = Buffer.concat([Buffer.from(type), data]);
    const out = Buffer.alloc(body.length + 8);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), body.length + 4);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const rows = [];
  for (let y = 0; y < height; y++) {
    rows.push(0);
    for (let x = 0; x < width; x++) rows.push(40 + x * 4, 110, 240 - y * 5);
  }
  return Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), chunk('IHDR', header),
    chunk('IDAT', zlib.deflateSync(Buffer.from(rows))), chunk('IEND', Buffer.alloc(0))]);
}
const png = makePng(48, 32);

const thumbnails = (page) => page.getByRole('log').locator('img.thumb');
const fileLinks = (page) => page.getByRole('log').locator('a.file[download]');
const loaded = (img) => img.evaluate((el) => el.complete && el.naturalWidth === 48);

test('an image and a PDF go visitor → operator and operator → visitor', async () => {
  await saveSettings(relay.url, admin, { files: true });
  const visitor = await (await browser.newContext()).newPage();
  await visitor.goto(`${host.url}/host.html`);
  await visitor.getByRole('button', { name: 'Open chat' }).click();
  const attach = visitor.getByLabel('Attach a file');
  await attach.setInputFiles({ name: 'photo.png', mimeType: 'image/png', buffer: png });
  await eventually(async () => (await thumbnails(visitor).count()) === 1 && loaded(thumbnails(visitor).first()), 'the visitor sees their image');
  await attach.setInputFiles({ name: 'offer.pdf', mimeType: 'application/pdf', buffer: pdf });
  await eventually(async () => (await fileLinks(visitor).allTextContents()).includes('offer.pdf'), 'the PDF in the log');
  await eventually(async () => (await visitor.locator('.delivery').allTextContents()).every((d) => d === 'Sent'), 'both acked');

  const operator = await (await browser.newContext()).newPage();
  await signIn(operator, relay.url);
  await operator.getByRole('navigation', { name: 'Inbox' }).getByRole('listitem').first().getByRole('button').click();
  await eventually(async () => (await thumbnails(operator).count()) === 1 && loaded(thumbnails(operator).first()), 'the operator sees the image');
  const link = fileLinks(operator).first();
  await eventually(async () => /^offer\.pdf/.test(await link.textContent()), 'the PDF link in the console');

  // Downloads: exactly the bytes, never sniffed or shown inline.
  const pdfRes = await fetch(await link.getAttribute('href'));
  assert.equal(pdfRes.status, 200);
  assert.equal(pdfRes.headers.get('content-type'), 'application/pdf');
  assert.match(pdfRes.headers.get('content-disposition'), /^attachment; filename\*=UTF-8''offer\.pdf$/);
  assert.equal(pdfRes.headers.get('x-content-type-options'), 'nosniff');
  assert.deepEqual(Buffer.from(await pdfRes.arrayBuffer()), pdf);
  const imgRes = await fetch(await thumbnails(operator).first().getAttribute('src'));
  assert.equal(imgRes.headers.get('content-type'), 'image/png');
  assert.match(imgRes.headers.get('content-disposition'), /^inline/);
  await operator.screenshot({ path: path.join(artifacts, 'console-files.png') });

  // And back.
  const reply = operator.getByLabel('Attach a file');
  await reply.setInputFiles({ name: 'map.png', mimeType: 'image/png', buffer: png });
  await eventually(async () => (await thumbnails(operator).count()) === 2, 'the operator image sent');
  await reply.setInputFiles({ name: 'price list.pdf', mimeType: 'application/pdf', buffer: pdf });
  await eventually(async () => (await thumbnails(visitor).count()) === 2 && loaded(thumbnails(visitor).nth(1)), 'the visitor sees the operator image');
  await eventually(async () => (await fileLinks(visitor).allTextContents()).includes('price list.pdf'), 'the visitor gets the PDF');
  const theirs = visitor.locator('.message.theirs a.file[download]');
  assert.equal(await theirs.getAttribute('download'), 'price list.pdf');
  await visitor.screenshot({ path: path.join(artifacts, 'widget-files.png') });
  await operator.context().close();
  await visitor.context().close();
});

test('an 11 MB file and an .exe are refused with clear messages; the conversation goes on', async () => {
  await saveSettings(relay.url, admin, { files: true });
  const visitor = await (await browser.newContext()).newPage();
  await visitor.goto(`${host.url}/host.html`);
  await visitor.getByRole('button', { name: 'Open chat' }).click();
  await visitor.getByRole('textbox', { name: 'Message' }).fill('first');
  await visitor.getByRole('button', { name: 'Send', exact: true }).click();
  await eventually(async () => (await visitor.locator('.delivery').allTextContents()).includes('Sent'), 'the first message');
  const attach = visitor.getByLabel('Attach a file');
  const alert = visitor.getByRole('alert');
  await attach.setInputFiles({ name: 'video.pdf', mimeType: 'application/pdf', buffer: Buffer.alloc(11 * 1024 * 1024, 1) });
  await eventually(async () => (await alert.textContent()) === 'The file is too big: at most 10 MB.', 'the size refusal');
  await attach.setInputFiles({ name: 'setup.exe', mimeType: 'application/octet-stream', buffer: Buffer.from('MZ') });
  await eventually(async () => (await alert.textContent()) === 'Files of type .exe cannot be sent. Send images, PDF, text or office documents.', 'the type refusal');
  await visitor.screenshot({ path: path.join(artifacts, 'widget-file-refused.png') });
  await visitor.getByRole('textbox', { name: 'Message' }).fill('second');
  await visitor.getByRole('button', { name: 'Send', exact: true }).click();
  await eventually(async () => (await logTexts(visitor)).join('|') === 'first|second', 'the conversation intact');

  // The edge checks for itself, whatever a client claims.
  const session = await visitor.evaluate(() => JSON.parse(localStorage.getItem('natter.demo.session')));
  const upload = (name, body) => fetch(`${relay.url}/v1/conversations/${session.conversation}/files?name=${encodeURIComponent(name)}`, {
    method: 'POST', headers: { Authorization: `Bearer ${session.token}` }, body,
  });
  const big = await upload('video.pdf', Buffer.alloc(11 * 1024 * 1024, 1));
  assert.equal(big.status, 413);
  assert.equal((await big.json()).code, 'file_too_large');
  const exe = await upload('setup.exe', Buffer.from('MZ'));
  assert.equal(exe.status, 415);
  assert.deepEqual(await exe.json(), {
    code: 'unsupported_file',
    message: 'Files of type .exe cannot be sent: send images, PDF, text, office documents or ZIP',
  });
  const fake = await upload('cat.png', Buffer.from('<script>alert(1)</script>'));
  assert.equal(fake.status, 415);
  assert.equal((await fake.json()).message, "The file's content does not match its name");
  // A message cannot claim a file of another conversation.
  const other = await upload('photo.png', png);
  assert.equal(other.status, 201);
  await saveSettings(relay.url, admin, { files: false });
  assert.equal((await upload('photo.png', png)).status, 403, 'files off: refused');
  await visitor.context().close();
});
