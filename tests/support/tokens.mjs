// Tokens signed as the edge signs them, with the local dev secret from .dev.vars: lets
// tests make a correctly signed token that has expired.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

export function devToken(claims) {
  const vars = readFileSync(path.resolve(import.meta.dirname, '../../.dev.vars'), 'utf8');
  const secret = vars.match(/^TOKEN_SECRET=(.*)$/m)[1];
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${payload}.${createHmac('sha256', secret).update(payload).digest('base64url')}`;
}

/** The same token's claims with `exp` in the past, signed again. */
export function expired(token) {
  return expiringIn(token, -1000);
}

/** The same token's claims, signed again to expire `ms` from now. */
export function expiringIn(token, ms) {
  const claims = JSON.parse(Buffer.from(token.split('.')[0], 'base64url'));
  return devToken({ ...claims, exp: Date.now() + ms });
}
