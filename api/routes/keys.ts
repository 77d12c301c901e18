/**
 * The QR verification keys as a JWK Set (adapters/qr/keys.ts): tills and canteen devices fetch
 * it while online and verify QR tokens offline, choosing the key by the token's `kid`. Public (a
 * public key is no secret), cacheable, and conditional so a device's poll costs a 304.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { QrKeySet } from '../../adapters/qr/keys';
import { conditionalJson } from '../conditional';
import { defineRoute, type AnyRoute } from '../route';

/** How long a device may use the set before it asks again: a rotation's overlap must be longer (docs/API.md). */
export const QR_KEYS_MAX_AGE_SECONDS = 300;

const jwk = z.object({
  kty: z.literal('OKP'),
  crv: z.literal('Ed25519'),
  x: z.string().describe('The public key, base64url'),
  kid: z.string().describe('Its RFC 7638 thumbprint; a QR token names its key in the JWS header'),
  alg: z.literal('EdDSA'),
  use: z.literal('sig'),
});

export function keyRoutes(deps: { qrKeySet?: QrKeySet }): AnyRoute[] {
  if (!deps.qrKeySet) return [];
  const set = deps.qrKeySet;
  // The set is fixed for the process's life (configuration): its ETag is computed once, on first use.
  let tag: string | undefined;
  const etag = () => (tag ??= `"${createHash('sha256').update(JSON.stringify(set)).digest('base64url').slice(0, 27)}"`);
  return [
    defineRoute({
      method: 'get',
      path: '/.well-known/qr-keys.json',
      operationId: 'getQrKeys',
      roles: 'public',
      tag: 'system',
      summary: 'The public keys QR tokens are verified with (JWK Set, Ed25519): the signing key first, then any key of a rotation in progress.',
      description:
        'A QR token is a compact JWS (EdDSA) whose header names its key (`kid`). Verify offline with the key of that kid; refuse an unknown kid. ' +
        `Fetch again after Cache-Control max-age (${QR_KEYS_MAX_AGE_SECONDS} s) when online; If-None-Match answers 304 while the set is unchanged.`,
      responses: {
        200: { description: 'the key set', schema: z.object({ keys: z.array(jwk) }) },
        304: { description: 'the set named by If-None-Match is current' },
      },
      refusals: [],
      handle: async ({ req }) => conditionalJson(req, etag(), () => set, { 'Cache-Control': `public, max-age=${QR_KEYS_MAX_AGE_SECONDS}` }),
    }),
  ];
}
