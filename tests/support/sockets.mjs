// Raw protocol clients (the `ws` package) for tests that send what no widget would.
import WebSocket from 'ws';

/** Opens a socket; rejects with {status, body} when the upgrade is refused. */
export function openSocket(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.frames = [];
    ws.on('message', (data) => ws.frames.push(JSON.parse(String(data))));
    ws.on('open', () => resolve(ws));
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => reject(Object.assign(new Error(`refused: ${res.statusCode}`), { status: res.statusCode, body: JSON.parse(body || 'null') })));
    });
    ws.on('error', reject);
  });
}

/** Waits for the next frame matching `predicate` (looking at frames already received too). */
export function nextFrame(ws, predicate, ms = 5_000) {
  const take = () => {
    const frame = ws.frames.find((f) => !f.taken && predicate(f));
    if (frame) frame.taken = true;
    return frame;
  };
  const ready = take();
  if (ready) return Promise.resolve(ready);
  return new Promise((resolve, reject) => {
    const onMessage = () => {
      const frame = take();
      if (frame) {
        clearTimeout(timer);
        ws.off('message', onMessage);
        resolve(frame);
      }
    };
    const timer = setTimeout(() => {
      ws.off('message', onMessage);
      reject(new Error(`no matching frame in ${ms} ms; got ${JSON.stringify(ws.frames)}`));
    }, ms);
    // Registered after the collecting listener, so the frame is in ws.frames by then.
    ws.on('message', onMessage);
  });
}

/**
 * A new visitor of the demo site, as if from an address of its own (`CF-Connecting-IP`,
 * which `wrangler dev` passes on): the edge allows 60 new visitors a minute per address,
 * and a test makes far more than one person would.
 */
let visitors = 0;
export async function newVisitor(edge) {
  visitors += 1;
  const ip = `10.${(visitors >> 16) & 255}.${(visitors >> 8) & 255}.${visitors & 255}`;
  const res = await fetch(`${edge}/v1/sites/demo/visitors`, { method: 'POST', headers: { 'CF-Connecting-IP': ip } });
  if (res.status !== 201) throw new Error(`visitor: ${res.status}`);
  return res.json();
}

/**
 * Signs in a dev operator: the admin by default, or `agent@natter.dev`. Sessions are
 * kept per relay and address, as a console keeps one: sign-ins are rate-limited (10 a
 * minute per address), and a test file signs in far more often than a person.
 */
const sessions = new Map();
export async function signInOperator(edge, email = 'demo@natter.dev', password = 'natter-demo') {
  const key = `${edge} ${email} ${password}`;
  if (!sessions.has(key)) sessions.set(key, freshSignIn(edge, email, password));
  try {
    return await sessions.get(key);
  } catch (e) {
    sessions.delete(key);
    throw e;
  }
}

/** A new session every time (for tests about sessions themselves). */
export async function freshSignIn(edge, email = 'demo@natter.dev', password = 'natter-demo') {
  const res = await fetch(`${edge}/v1/console/sign-in`, {
    method: 'POST', body: JSON.stringify({ email, password }),
  });
  if (res.status !== 200) throw new Error(`sign-in: ${res.status} ${await res.text()}`);
  return res.json();
}

/** The dev agent with an inbox open: the site counts as online until it is closed. */
export async function dutyOperator(edge) {
  const agent = await signInOperator(edge, 'agent@natter.dev', 'natter-agent');
  const inbox = await openSocket(`${wsBase(edge)}/v1/console/sites/demo/inbox/ws?v=1&token=${encodeURIComponent(agent.token)}`);
  await nextFrame(inbox, (f) => f.type === 'inbox');
  return inbox;
}

export function wsBase(edge) {
  return edge.replace(/^http/, 'ws');
}

export async function visitorSocket(edge, visitor, page = { url: 'http://shop.test/', title: 'Shop', referrer: '', language: 'en' }) {
  const ws = await openSocket(`${wsBase(edge)}/v1/conversations/${visitor.conversation}/ws?v=1&token=${encodeURIComponent(visitor.token)}`);
  ws.send(JSON.stringify({ type: 'hello', protocol: 1, after: 0, page }));
  await nextFrame(ws, (f) => f.type === 'welcome');
  return ws;
}

export async function operatorSocket(edge, operator, conversation) {
  const ws = await openSocket(`${wsBase(edge)}/v1/console/sites/demo/conversations/${conversation}/ws?v=1&token=${encodeURIComponent(operator.token)}`);
  ws.send(JSON.stringify({ type: 'hello', protocol: 1, after: 0 }));
  await nextFrame(ws, (f) => f.type === 'welcome');
  return ws;
}

export async function history(edge, operator, conversation) {
  const res = await fetch(`${edge}/v1/console/sites/demo/conversations/${conversation}/messages`, {
    headers: { Authorization: `Bearer ${operator.token}` },
  });
  return { status: res.status, body: await res.json() };
}

/** The demo site's raised limits for visitors (edge/src/dev.rs), which tests keep. */
export const DEV_RATE_LIMITS = { message_burst: 100000, messages_per_minute: 100000, conversations_per_hour: 100000 };

/**
 * Saves a whole settings document as `operator` (an admin); fails the test if refused.
 * Without `rules` it saves none (absent rules would mean the defaults, a greeting);
 * without `rate_limits`, the demo site's raised ones; without `live_visitors`, off (a
 * page view held open by the edge would keep every host page from ever being idle on
 * the network, which tests wait for).
 */
export async function saveSettings(edge, operator, settings) {
  const res = await fetch(`${edge}/v1/console/sites/demo/settings`, {
    method: 'PUT',
    headers: { Authorization: `Bearer ${operator.token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ rules: [], rate_limits: DEV_RATE_LIMITS, live_visitors: false, ...settings }),
  });
  if (res.status !== 200) throw new Error(`settings refused: ${res.status} ${await res.text()}`);
  return res.json();
}

/** A new visitor who says who they are (unless `name` is empty) and writes: their socket stays open. */
export async function visitorWrites(edge, name, text) {
  const visitor = await newVisitor(edge);
  const ws = await visitorSocket(edge, visitor);
  if (name) ws.send(JSON.stringify({ type: 'introduce', details: { name, email: `${name.toLowerCase()}@example.com`, phone: '' } }));
  const id = `${name || 'anonymous'}-${visitor.conversation.slice(0, 8)}`;
  ws.send(JSON.stringify({ type: 'send', client_id: id, text }));
  await nextFrame(ws, (f) => f.type === 'ack' && f.client_id === id);
  return { ...visitor, ws };
}

/** `operator` answers in a conversation over its own socket. */
export async function operatorAnswers(edge, operator, conversation, text) {
  const ws = await operatorSocket(edge, operator, conversation);
  ws.send(JSON.stringify({ type: 'send', client_id: `answer-${conversation}`, text }));
  await nextFrame(ws, (f) => f.type === 'ack');
  ws.close();
}
