// Local fakes of the messengers' bot APIs, each a small HTTP server on 127.0.0.1
// speaking the subset Natter calls, as the real service answers it:
// - Telegram Bot API: POST /bot{token}/getMe | setWebhook | deleteWebhook | sendMessage,
//   answers {ok, result} or {ok:false, error_code, description}.
// - Viber REST API: POST /pa/get_account_info | set_webhook | send_message with
//   X-Viber-Auth-Token, answers {status: 0, status_message: "ok", …}; set_webhook first
//   calls the webhook back (event "webhook", signed), as Viber does, and fails if it
//   does not answer 200.
// Each records what it was asked, and delivers updates to the webhook it was given the
// way the service would (`deliver`).
import { createHmac } from 'node:crypto';
import http from 'node:http';

function listen(handler) {
  const server = http.createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    let json = {};
    try { json = body ? JSON.parse(body) : {}; } catch { /* answered as empty */ }
    const [status, answer] = await handler(req, json);
    res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(answer));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
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
    calls: [],
    /** The next this many sendMessage calls fail with 500 (Telegram having trouble). */
    failSends: 0,
  };
  const server = await listen(async (req, json) => {
    const match = /^\/bot([^/]+)\/(\w+)$/.exec(req.url);
    if (!match) return [404, { ok: false, error_code: 404, description: 'Not Found' }];
    const [, given, method] = match;
    fake.calls.push(method);
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

/** A fake Viber REST API with one bot account, `token`. */
export async function startViber({ token = '4453b6ac12345678-e02c5f12174805f9-daec9cbb5448c51f', uri = 'nattertest' } = {}) {
  const fake = { token, uri, webhook: null, sent: [], calls: [], failSends: 0 };
  const sign = (body) => createHmac('sha256', fake.token).update(body).digest('hex');
  const server = await listen(async (req, json) => {
    const method = req.url.replace(/^\/pa\//, '');
    fake.calls.push(method);
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
        fake.sent.push({ receiver: json.receiver, sender: json.sender?.name, type: json.type, text: json.text });
        return [200, { status: 0, status_message: 'ok', message_token: 5741311803571721000 + fake.sent.length, chat_hostname: 'SN-fake' }];
      default:
        return [200, { status: 3, status_message: 'badData' }];
    }
  });
  fake.url = `http://127.0.0.1:${server.address().port}/pa`;
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
