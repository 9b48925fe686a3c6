// Local fakes of the messengers' bot APIs, each a small HTTP server on 127.0.0.1
// speaking the subset Natter calls, as the real service answers it:
// - Telegram Bot API: POST /bot{token}/getMe | setWebhook | deleteWebhook | sendMessage |
//   sendPhoto | sendDocument (multipart) | getFile, GET /file/bot{token}/{path}; answers
//   {ok, result} or {ok:false, error_code, description}.
// - Viber REST API: POST /pa/get_account_info | set_webhook | send_message with
//   X-Viber-Auth-Token, answers {status: 0, status_message: "ok", …}; set_webhook first
//   calls the webhook back (event "webhook", signed), as Viber does, and fails if it
//   does not answer 200; a picture or file sent is downloaded from its address. Users'
//   pictures are served from GET /media/{name}.
// Each records what it was asked to send, and delivers updates to the webhook it was given the
// way the service would (`deliver`).
import { createHmac } from 'node:crypto';
import http from 'node:http';

function listen(handler) {
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const raw = Buffer.concat(chunks);
    const type = req.headers['content-type'] ?? '';
    let body = {};
    if (type.startsWith('multipart/form-data')) {
      body = await new Response(raw, { headers: { 'Content-Type': type } }).formData();
    } else {
      try { body = raw.length ? JSON.parse(raw.toString('utf8')) : {}; } catch { /* answered as empty */ }
    }
    const [status, answer, headers] = await handler(req, body);
    if (Buffer.isBuffer(answer)) {
      res.writeHead(status, { 'Content-Type': 'application/octet-stream', 'Content-Length': answer.length, ...headers }).end(answer);
    } else {
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(answer));
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** A multipart upload's file part, as the fake keeps it. */
async function filePart(form, field) {
  const file = form.get(field);
  if (!file || typeof file === 'string') return null;
  return { name: file.name, type: file.type, bytes: Buffer.from(await file.arrayBuffer()) };
}

function closer(server) {
  return () => new Promise((r) => { server.closeAllConnections(); server.close(r); });
}

/** A fake Telegram Bot API with one bot, `token`. */
export async function startTelegram({ token = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw', username = 'natter_test_bot' } = {}) {
  const fake = {
    token,
    username,
    botId: token.split(':')[0],
    webhook: null,
    sent: [],
    /** The next this many sendMessage calls fail with 500 (Telegram having trouble). */
    failSends: 0,
    /** Files users sent, by file_id: { path, bytes }. */
    files: new Map(),
  };
  const server = await listen(async (req, json) => {
    const download = /^\/file\/bot([^/]+)\/(.+)$/.exec(req.url);
    if (download) {
      const file = [...fake.files.values()].find((f) => f.path === download[2]);
      return download[1] === fake.token && file ? [200, file.bytes] : [404, { ok: false, error_code: 404, description: 'Not Found' }];
    }
    const match = /^\/bot([^/]+)\/(\w+)$/.exec(req.url);
    if (!match) return [404, { ok: false, error_code: 404, description: 'Not Found' }];
    const [, given, method] = match;
    if (given !== fake.token) return [401, { ok: false, error_code: 401, description: 'Unauthorized' }];
    switch (method) {
      case 'getMe':
        return [200, { ok: true, result: { id: Number(fake.botId), is_bot: true, first_name: 'Natter Test', username: fake.username } }];
      case 'setWebhook':
        fake.webhook = { url: json.url, secret: json.secret_token, allowed: json.allowed_updates };
        return [200, { ok: true, result: true, description: 'Webhook was set' }];
      case 'deleteWebhook':
        fake.webhook = null;
        return [200, { ok: true, result: true, description: 'Webhook was deleted' }];
      case 'getFile': {
        const file = fake.files.get(json.file_id);
        if (!file) return [400, { ok: false, error_code: 400, description: 'Bad Request: invalid file_id' }];
        return [200, { ok: true, result: { file_id: json.file_id, file_unique_id: `u${json.file_id}`, file_size: file.bytes.length, file_path: file.path } }];
      }
      case 'sendPhoto':
      case 'sendDocument': {
        const field = method === 'sendPhoto' ? 'photo' : 'document';
        const file = await filePart(json, field);
        if (!file) return [400, { ok: false, error_code: 400, description: `Bad Request: there is no ${field} in the request` }];
        fake.sent.push({ chat_id: String(json.get('chat_id')), method, caption: json.get('caption') ?? '', file });
        return [200, { ok: true, result: { message_id: fake.sent.length } }];
      }
      case 'sendMessage':
        if (fake.failSends > 0) {
          fake.failSends -= 1;
          return [500, { ok: false, error_code: 500, description: 'Internal Server Error' }];
        }
        if (typeof json.text !== 'string' || json.text === '') return [400, { ok: false, error_code: 400, description: 'Bad Request: message text is empty' }];
        fake.sent.push({ chat_id: String(json.chat_id), text: json.text });
        return [200, { ok: true, result: { message_id: fake.sent.length, chat: { id: Number(json.chat_id) }, date: Math.floor(Date.now() / 1000), text: json.text } }];
      default:
        return [404, { ok: false, error_code: 404, description: 'Not Found: method not found' }];
    }
  });
  fake.url = `http://127.0.0.1:${server.address().port}`;
  fake.close = closer(server);
  /** Posts an update to the webhook as Telegram does: with its secret, unless given another (null: none). */
  fake.deliver = async (update, secret = fake.webhook?.secret) => {
    const headers = { 'Content-Type': 'application/json' };
    if (secret !== null) headers['X-Telegram-Bot-Api-Secret-Token'] = secret;
    const res = await fetch(fake.webhook.url, { method: 'POST', headers, body: JSON.stringify(update) });
    return { status: res.status, body: await res.json().catch(() => null) };
  };
  return fake;
}

/** A text message from a Telegram user, as an update. */
export function telegramText(updateId, user, text) {
  return {
    update_id: updateId,
    message: {
      message_id: updateId,
      from: { id: user.id, is_bot: false, first_name: user.first_name, last_name: user.last_name, language_code: 'ru' },
      chat: { id: user.id, first_name: user.first_name, last_name: user.last_name, type: 'private' },
      date: Math.floor(Date.now() / 1000),
      text,
    },
  };
}

/** A photo (with a caption) or a document from a Telegram user, as an update. */
export function telegramFile(updateId, user, { photo, document, caption }) {
  const update = telegramText(updateId, user, undefined);
  delete update.message.text;
  if (caption) update.message.caption = caption;
  if (photo) update.message.photo = [{ file_id: `${photo}-small`, file_size: 10, width: 9, height: 9 }, { file_id: photo, width: 40, height: 30 }];
  if (document) update.message.document = { file_id: document.id, file_name: document.name, mime_type: document.type };
  return update;
}

/** A fake Viber REST API with one bot account, `token`. */
export async function startViber({ token = '4453b6ac12345678-e02c5f12174805f9-daec9cbb5448c51f', uri = 'nattertest' } = {}) {
  const fake = { token, uri, webhook: null, sent: [], failSends: 0, media: new Map() };
  const sign = (body) => createHmac('sha256', fake.token).update(body).digest('hex');
  const server = await listen(async (req, json) => {
    if (req.method === 'GET' && req.url.startsWith('/media/')) {
      const bytes = fake.media.get(req.url.slice('/media/'.length));
      return bytes ? [200, bytes] : [404, { status: 404 }];
    }
    const method = req.url.replace(/^\/pa\//, '');
    if (req.headers['x-viber-auth-token'] !== fake.token) return [200, { status: 2, status_message: 'invalidAuthToken' }];
    switch (method) {
      case 'get_account_info':
        return [200, { status: 0, status_message: 'ok', id: 'pa:75346594275468546724', name: 'Natter Test', uri: fake.uri, members: [] }];
      case 'set_webhook': {
        if (!json.url) {
          fake.webhook = null;
          return [200, { status: 0, status_message: 'ok' }];
        }
        const body = JSON.stringify({ event: 'webhook', timestamp: Date.now(), chat_hostname: 'SN-fake', message_token: 1 });
        const res = await fetch(json.url, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Viber-Content-Signature': sign(body) }, body }).catch(() => null);
        if (res?.status !== 200) return [200, { status: 1, status_message: `Result[HttpResponse(${res?.status ?? 0})]` }];
        fake.webhook = { url: json.url, events: json.event_types };
        return [200, { status: 0, status_message: 'ok', event_types: json.event_types }];
      }
      case 'send_message':
        if (fake.failSends > 0) {
          fake.failSends -= 1;
          return [500, { status: 13, status_message: 'apiVersionNotSupported' }];
        }
        if (json.type === 'picture' || json.type === 'file') {
          // Viber downloads the media from the address it was given.
          const media = await fetch(json.media).catch(() => null);
          if (media?.status !== 200) return [200, { status: 3, status_message: 'badData' }];
          const bytes = Buffer.from(await media.arrayBuffer());
          fake.sent.push({ receiver: json.receiver, sender: json.sender?.name, type: json.type, text: json.text ?? '', file_name: json.file_name, size: json.size, bytes });
          return [200, { status: 0, status_message: 'ok', message_token: 5741311803571721 + fake.sent.length }];
        }
        fake.sent.push({ receiver: json.receiver, sender: json.sender?.name, type: json.type, text: json.text });
        return [200, { status: 0, status_message: 'ok', message_token: 5741311803571721 + fake.sent.length, chat_hostname: 'SN-fake' }];
      default:
        return [200, { status: 3, status_message: 'badData' }];
    }
  });
  fake.url = `http://127.0.0.1:${server.address().port}/pa`;
  fake.mediaUrl = (name) => `http://127.0.0.1:${server.address().port}/media/${name}`;
  fake.sign = sign;
  fake.close = closer(server);
  /** Posts a callback to the webhook as Viber does: signed, unless another signature is given. */
  fake.deliver = async (event, signature) => {
    const body = JSON.stringify(event);
    const res = await fetch(fake.webhook.url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Viber-Content-Signature': signature ?? sign(body) },
      body,
    });
    return { status: res.status, body: await res.json().catch(() => null) };
  };
  return fake;
}

/** A text message from a Viber user, as a callback. */
export function viberText(token, user, text) {
  return {
    event: 'message',
    timestamp: Date.now(),
    chat_hostname: 'SN-fake',
    message_token: token,
    sender: { id: user.id, name: user.name, language: 'ru', country: 'RU', api_version: 10 },
    message: { type: 'text', text },
    silent: false,
  };
}
