// The journal at scale: a site with 100,000 conversations and 1,000,000 messages
// (made up, put straight into its journal through the dev-only fill route: through
// sockets it would take hours), then the first page of each filter by HTTP, as the
// console asks for it (the operator's access checked on every request).

const CONVERSATIONS = 100_000;
const MESSAGES_PER = 10;
const BATCH = 1_000;
const DAY = 86_400_000;

/** A deterministic generator, so every run builds the same journal. */
function random(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const next = random(17);
const pick = (list) => list[Math.floor(next() * list.length)];
const latin = 'bcdfghklmnprstvz'.split('');
const cyrillic = 'бвгдклмнпрстфхч'.split('');
const vowels = { latin: 'aeiou'.split(''), cyrillic: 'аеиоуя'.split('') };
// 4,000 made-up words in two alphabets; a few common words appear often.
const vocabulary = Array.from({ length: 4_000 }, (_, i) => {
  const [consonants, vs] = i % 2 ? [cyrillic, vowels.cyrillic] : [latin, vowels.latin];
  return Array.from({ length: 2 + (i % 3) }, () => pick(consonants) + pick(vs)).join('');
});
const common = ['доставка', 'заказ', 'order', 'price'];

function sentence() {
  const words = Array.from({ length: 4 + Math.floor(next() * 8) }, () => (next() < 0.08 ? pick(common) : vocabulary[Math.floor(next() ** 2 * vocabulary.length)]));
  return words.join(' ');
}

export async function journalBench(relayUrl, operator, row) {
  const now = Date.now();
  const operators = Array.from({ length: 8 }, (_, i) => ({ id: `bench-op-${i}`, name: `Bench Operator ${i}` }));
  // How many conversations the common word is in, counted as they are made.
  let withCommon = 0;
  const started = process.hrtime.bigint();
  for (let from = 0; from < CONVERSATIONS; from += BATCH) {
    const entries = [];
    const texts = [];
    for (let i = from; i < from + BATCH; i++) {
      const startedAt = now - Math.floor(next() * 365 * DAY);
      const outgoing = next() < 0.1;
      const missed = !outgoing && next() < 0.12;
      const roll = next();
      entries.push({
        site: 'demo',
        id: `bench-${i}`,
        visitor_name: `Visitor ${i.toString(36)}`,
        email: next() < 0.3 ? `guest${i}@example.com` : '',
        phone: '',
        owner: missed ? null : pick(operators),
        started_at: startedAt,
        last_at: startedAt + Math.floor(next() * 3_600_000),
        messages: MESSAGES_PER,
        first_response_ms: missed || outgoing ? null : Math.floor(next() * 300_000),
        outgoing,
        missed,
        state: 'closed',
        rating: roll < 0.2 ? true : roll < 0.25 ? false : null,
        page_url: 'https://shop.example/catalog',
        referrer: next() < 0.5 ? 'https://search.example/' : '',
      });
      // One conversation in 10,000 mentions the rare word.
      const messages = Array.from({ length: MESSAGES_PER }, (_, m) => (m === 3 && i % 10_000 === 7 ? `${sentence()} квазар` : sentence()));
      if (messages.some((m) => m.split(' ').includes('доставка'))) withCommon += 1;
      texts.push(messages);
    }
    const res = await fetch(`${relayUrl}/v1/dev/journal/demo/fill`, { method: 'POST', body: JSON.stringify({ entries, texts }) });
    if (!res.ok) throw new Error(`fill: ${res.status} ${await res.text()}`);
  }
  const fillSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  row(`journal: ${CONVERSATIONS.toLocaleString('en')} conversations with ${(CONVERSATIONS * MESSAGES_PER).toLocaleString('en')} messages put in one site's journal`, `${fillSeconds.toFixed(0)} s (${((CONVERSATIONS * MESSAGES_PER) / fillSeconds).toFixed(0)} messages/s indexed)`);

  const today = new Date(now);
  const midnight = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());
  const filters = [
    ['all', {}],
    ['missed', { kind: 'missed' }],
    ['outgoing', { kind: 'outgoing' }],
    ['today', { since: midnight }],
    ['last 7 days', { since: midnight - 6 * DAY }],
    ['one operator', { operator: 'bench-op-3' }],
    ['rated bad', { rating: 'bad' }],
    ['not rated, this month', { rating: 'none', since: now - 30 * DAY }],
    ['a rare word (10 conversations)', { q: 'квазар' }],
    [`a common word (in ${((100 * withCommon) / CONVERSATIONS).toFixed(0)}% of conversations)`, { q: 'доставка' }],
    ['the common word + missed + one operator (none match: missed ones have no operator)', { q: 'доставка', kind: 'missed', operator: 'bench-op-3' }],
    ['an e-mail address', { q: 'guest4242@example.com' }],
    ['a common word + rated bad + last 7 days', { q: 'order', rating: 'bad', since: midnight - 6 * DAY }],
  ];
  let worst = 0;
  for (const [name, params] of filters) {
    const url = `${relayUrl}/v1/console/journal?${new URLSearchParams(params)}`;
    const times = [];
    let found = 0;
    for (let i = 0; i < 7; i++) {
      const start = process.hrtime.bigint();
      const res = await fetch(url, { headers: { Authorization: `Bearer ${operator.token}` } });
      const body = await res.json();
      if (!res.ok) throw new Error(`journal ${name}: ${res.status} ${JSON.stringify(body)}`);
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
      found = body.entries.length;
    }
    times.sort((a, b) => a - b);
    const median = times[3];
    worst = Math.max(worst, median);
    row(`journal first page, ${name} (${found} rows): median / max of 7`, `${median.toFixed(1)} / ${times[6].toFixed(1)} ms`, '≤ 300 ms');
  }
  return worst;
}
