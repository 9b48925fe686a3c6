// Local fakes of the CRMs' REST APIs, on 127.0.0.1, speaking the subset Natter calls
// as the services answer it:
// - amoCRM: POST /oauth2/access_token (grant_type authorization_code or refresh_token;
//   a refresh token works once), and with `Authorization: Bearer` POST /api/v4/contacts,
//   PATCH /api/v4/contacts/{id}, POST /api/v4/leads, POST /api/v4/leads/{id}/notes;
//   an expired or unknown token is 401.
// - Bitrix24: an incoming webhook, POST /rest/{user}/{code}/{method}.json for
//   crm.contact.fields, crm.contact.add, crm.contact.update, crm.lead.add; answers
//   {result} or {error, error_description}.
// Each records what was made.
import http from 'node:http';

function serve(handler) {
  const server = http.createServer(async (req, res) => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    let body = null;
    try { body = raw ? JSON.parse(raw) : null; } catch { /* answered as none */ }
    const [status, answer] = await handler(req, body);
    res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(answer));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function closer(server) {
  return () => new Promise((r) => { server.closeAllConnections(); server.close(r); });
}

/** A fake amoCRM account with one integration. */
export async function startAmocrm() {
  const fake = {
    clientId: 'b5f5c3a1-7a5e-4c1e-9a51-0f3c3a6d2e11',
    clientSecret: 'Xj4kLm9PqR2sT5uV8wY1zA3bC6dE0fG7hI9jK2lM4nO6pQ8',
    redirectUri: 'https://shop.example/amocrm',
    code: 'def502001a2b3c4d5e6f',
    access: null,
    refresh: null,
    issued: 0,
    refreshes: 0,
    contacts: [],
    updates: [],
    leads: [],
    notes: [],
    /** The next this many API calls fail with 503. */
    failNext: 0,
  };
  const issue = () => {
    fake.issued += 1;
    fake.access = `access-${fake.issued}`;
    fake.refresh = `refresh-${fake.issued}`;
    return [200, { token_type: 'Bearer', expires_in: 86400, access_token: fake.access, refresh_token: fake.refresh }];
  };
  let nextId = 1000;
  const server = await serve(async (req, body) => {
    if (req.method === 'POST' && req.url === '/oauth2/access_token') {
      if (body?.client_id !== fake.clientId || body?.client_secret !== fake.clientSecret || body?.redirect_uri !== fake.redirectUri) {
        return [401, { hint: 'Client authentication failed', title: 'Unauthorized', status: 401 }];
      }
      if (body.grant_type === 'authorization_code' && body.code === fake.code) return issue();
      if (body.grant_type === 'refresh_token' && body.refresh_token === fake.refresh) {
        fake.refreshes += 1;
        return issue();
      }
      return [400, { hint: 'Authorization code has been revoked', title: 'Bad Request', status: 400 }];
    }
    if (req.headers.authorization !== `Bearer ${fake.access}` || !fake.access) {
      return [401, { title: 'Unauthorized', status: 401, detail: 'Token has expired' }];
    }
    if (fake.failNext > 0) {
      fake.failNext -= 1;
      return [503, { title: 'Service Unavailable', status: 503, detail: 'Try again later' }];
    }
    const made = (kind, list, item) => {
      const id = ++nextId;
      list.push({ id, ...item });
      return [200, { _embedded: { [kind]: [{ id, request_id: '0' }] } }];
    };
    let match;
    if (req.method === 'POST' && req.url === '/api/v4/contacts') return made('contacts', fake.contacts, body[0]);
    if (req.method === 'PATCH' && (match = /^\/api\/v4\/contacts\/(\d+)$/.exec(req.url))) {
      fake.updates.push({ id: Number(match[1]), ...body });
      return [200, { id: Number(match[1]), updated_at: Math.floor(Date.now() / 1000) }];
    }
    if (req.method === 'POST' && req.url === '/api/v4/leads') return made('leads', fake.leads, body[0]);
    if (req.method === 'POST' && (match = /^\/api\/v4\/leads\/(\d+)\/notes$/.exec(req.url))) {
      return made('notes', fake.notes, { lead: Number(match[1]), ...body[0] });
    }
    return [404, { title: 'Not Found', status: 404 }];
  });
  fake.url = `http://127.0.0.1:${server.address().port}`;
  fake.close = closer(server);
  /** The access token expires now (amoCRM answers 401 until it is refreshed). */
  fake.expire = () => { fake.access = `expired-${fake.issued}`; };
  return fake;
}

/** A fake Bitrix24 portal with one incoming webhook. */
export async function startBitrix24() {
  const fake = { code: 'k3x9q2w7e5r1t8y4', contacts: [], updates: [], leads: [], failNext: 0 };
  let nextId = 0;
  const server = await serve(async (req, body) => {
    const match = /^\/rest\/(\d+)\/(\w+)\/([\w.]+)\.json$/.exec(req.url);
    if (!match || match[1] !== '1' || match[2] !== fake.code) {
      return [401, { error: 'INVALID_CREDENTIALS', error_description: 'Invalid request credentials' }];
    }
    if (fake.failNext > 0) {
      fake.failNext -= 1;
      return [503, { error: 'QUERY_LIMIT_EXCEEDED', error_description: 'Too many requests' }];
    }
    switch (match[3]) {
      case 'crm.contact.fields':
        return [200, { result: { NAME: { type: 'string' }, EMAIL: { type: 'crm_multifield' } } }];
      case 'crm.contact.add':
        fake.contacts.push({ id: ++nextId, ...body.fields });
        return [200, { result: nextId }];
      case 'crm.contact.update':
        fake.updates.push({ id: Number(body.id), ...body.fields });
        return [200, { result: true }];
      case 'crm.lead.add':
        fake.leads.push({ id: ++nextId, ...body.fields });
        return [200, { result: nextId }];
      default:
        return [400, { error: 'ERROR_METHOD_NOT_FOUND', error_description: 'Method not found!' }];
    }
  });
  fake.webhook = `http://127.0.0.1:${server.address().port}/rest/1/${fake.code}/`;
  fake.close = closer(server);
  return fake;
}
