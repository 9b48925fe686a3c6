// Starts the real `wrangler dev` (workerd + on-disk Durable Objects) on a free loopback
// port, and stops it by its PID. State lives in a directory the caller owns, so a
// restart on the same directory finds everything that was stored.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');

export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** State directories made here: removed when the process exits (restarts reuse one). */
const made = [];
process.once('exit', () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

export function stateDir() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'natter-state-'));
  made.push(dir);
  return dir;
}

export class Relay {
  constructor({ port, state, args = [] }) {
    this.port = port;
    this.state = state;
    this.args = args;
    this.url = `http://127.0.0.1:${port}`;
    this.log = '';
  }

  static async start(options = {}) {
    const relay = new Relay({ port: options.port ?? (await freePort()), state: options.state ?? stateDir(), args: options.args });
    await relay.start();
    return relay;
  }

  async start() {
    const inspector = await freePort();
    this.child = spawn(
      path.join(root, 'node_modules/.bin/wrangler'),
      ['dev', '--ip', '127.0.0.1', '--port', String(this.port), '--inspector-ip', '127.0.0.1',
        '--inspector-port', String(inspector), '--persist-to', this.state, '--show-interactive-dev-session=false', ...this.args],
      {
        cwd: root,
        // Its own process group, so stopping it also stops the workerd it started.
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, WRANGLER_SEND_METRICS: 'false', WRANGLER_HIDE_BANNER: 'true',
          CLOUDFLARE_CF_FETCH_ENABLED: 'false', NO_COLOR: '1', CI: 'true' },
      },
    );
    const collect = (d) => { this.log += d; };
    this.child.stdout.on('data', collect);
    this.child.stderr.on('data', collect);
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) throw new Error(`wrangler dev exited:\n${this.log}`);
      try {
        const res = await fetch(`${this.url}/natter.js`);
        if (res.ok) return;
      } catch { /* not up yet */ }
      await new Promise((r) => setTimeout(r, 200));
    }
    await this.stop();
    throw new Error(`wrangler dev did not start in 60 s:\n${this.log}`);
  }

  /**
   * The letters `wrangler dev` says it sent to `to`, oldest first: sender, subject and
   * text (it writes each text to a file and logs the path).
   */
  emailsTo(to) {
    return [...this.log.matchAll(/send_email binding called with MessageBuilder:\nFrom: (.*)\nTo: (.*)\nSubject: (.*)\n\nText: (\S+)/g)]
      .filter((m) => m[2].trim() === to)
      .map((m) => ({ from: m[1].trim(), subject: m[3], text: readFileSync(m[4], 'utf8') }));
  }

  /** The last letter to `to`, or null. */
  lastEmail(to) {
    return this.emailsTo(to).at(-1) ?? null;
  }

  /**
   * How many objects of a Durable Object class have stored a table of ours, read from
   * `wrangler dev`'s files under the state directory (a table's CREATE statement is in
   * the SQLite file or its WAL; the runtime's own tables start with `_`).
   */
  storedObjects(className) {
    const dir = path.join(this.state, 'v3', 'do', `natter-${className}`);
    if (!existsSync(dir)) return 0;
    return readdirSync(dir)
      .filter((name) => name.endsWith('.sqlite') && name !== 'metadata.sqlite')
      .filter((name) => {
        const files = [name, `${name}-wal`].map((f) => path.join(dir, f)).filter(existsSync);
        return /CREATE TABLE (IF NOT EXISTS )?(?!["`]?_)/.test(Buffer.concat(files.map((f) => readFileSync(f))).toString('latin1'));
      }).length;
  }

  async stop() {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    try { process.kill(-child.pid, 'SIGTERM'); } catch { /* already gone */ }
    const timer = setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } }, 5_000);
    await exited;
    clearTimeout(timer);
  }
}
