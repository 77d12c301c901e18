/**
 * The canteen roster a device downloads while online, to serve offline: the pupils of its school
 * (from the token) with a voucher it may serve — pseudonymous pupil and voucher ids, validity, and
 * `servable`; no names, no IINs. `since` (the cursor of an earlier answer) gives only what changed,
 * servable or no longer, so a device that was offline for a day catches up with a few rows.
 * ETag / If-None-Match: an unchanged roster costs a 304.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { DEVICE_ADMISSION_REFUSALS } from '../../domain/registry/admission';
import { noneMatch } from '../conditional';
import type { RegistryReadSide } from '../registry-reads';
import { defineRoute, json, type AnyRoute } from '../route';

const entry = z.object({
  pupilId: z.string().describe('Pseudonymous pupil id (the ledger’s, not an IIN)'),
  voucherId: z.string(),
  validFrom: z.string(),
  validUntil: z.string(),
  servable: z.boolean().describe('Activated, not expired, not suspended for the month, still at this school'),
  card: z.string().optional().describe('The pupil’s ID card: base64url(HMAC-SHA256(cardKey, IIN)), first 22 characters; absent once the IIN is forgotten'),
});

export function rosterRoutes(deps: { registryReads: RegistryReadSide }): AnyRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/canteen/roster',
      operationId: 'getCanteenRoster',
      roles: ['canteen-device'],
      tag: 'canteen',
      summary:
        'The pupils the device may serve at its school (pseudonymous ids, no names or IINs); `since` gives only the changes after an earlier answer’s cursor.',
      description:
        'Without `since`: every servable voucher of the school. With `since`: every voucher whose entry changed after that cursor, servable or not (drop the ones that are not). ' +
        'Keep `cursor` for the next call; an answer with as many entries as the page holds is continued from its cursor. ETag / If-None-Match → 304 while nothing changed.',
      query: z.object({
        since: z
          .string()
          .regex(/^\d{1,18}$/, 'The cursor of an earlier answer')
          .optional(),
      }),
      responses: {
        200: {
          description: 'the roster, or its changes',
          schema: z.object({
            schoolId: z.string(),
            cursor: z.string(),
            cardKey: z.string().describe('The school’s card key (base64url)'),
            entries: z.array(entry),
          }),
        },
        304: { description: 'nothing changed since the answer named by If-None-Match' },
      },
      refusals: [...DEVICE_ADMISSION_REFUSALS],
      async handle({ principal, query, req }) {
        deps.registryReads.admitDevice(principal.deviceId, principal.schoolId);
        const since = query.since === undefined ? undefined : BigInt(query.since);
        const head = await deps.registryReads.rosterHead(principal.schoolId);
        const etag = `"${createHash('sha256')
          .update(`${principal.schoolId}\n${query.since ?? 'all'}\n${head}`)
          .digest('base64url')
          .slice(0, 27)}"`;
        const headers = { 'Cache-Control': 'private, no-cache', ETag: etag };
        if (noneMatch(req, etag)) return { status: 304, json: undefined, headers };
        return json(200, await deps.registryReads.roster(principal.schoolId, since), headers);
      },
    }),
  ];
}
