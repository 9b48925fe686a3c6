// A second static server on another loopback port: the "customer's site" that embeds
// the widget cross-origin. Pages come from tests/fixtures with {{EDGE}} filled in; a
// page may have extra response headers (a strict CSP).
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';

const fixtures = path.resolve(import.meta.dirname, '../fixtures');

export async function startHost(edge, headers = {}) {
  const server = http.createServer((req, res) => {
    const name = new URL(req.url, 'http://x').pathname.replace(/^\/+/, '') || 'host.html';
    if (!/^[a-z0-9-]+\.(html|css)$/.test(name)) {
      res.writeHead(404).end('not found');
      return;
    }
    let body;
    try {
      body = readFileSync(path.join(fixtures, name), 'utf8').replaceAll('{{EDGE}}', edge);
    } catch {
      res.writeHead(404).end('not found');
      return;
    }
    const type = name.endsWith('.css') ? 'text/css' : 'text/html; charset=utf-8';
    res.writeHead(200, { 'Content-Type': type, ...(headers[name] ?? {}) });
    res.end(body);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }),
  };
}

/**
 * A host site that serves one page, set later (`host.page = snippet`), at every path:
 * a customer's site with whatever the installation page told them to paste. A real
 * server, because Chromium keeps pages it did not get from a loopback address from
 * calling the loopback relay.
 */
export async function startSiteHost() {
  const host = { page: '' };
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html lang="en"><head><title>My shop</title></head><body><main><h1>My shop</h1></main>${host.page}</body></html>`);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  host.url = `http://127.0.0.1:${server.address().port}`;
  host.close = () => new Promise((r) => { server.closeAllConnections(); server.close(r); });
  return host;
}
