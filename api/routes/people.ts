/**
 * Forgetting a person (docs/EVIDENCE.md "Forgetting a person"): the operator's and the auditor's
 * door. The answer names the pseudonym and the kinds, never the data; the request is not kept for
 * replay (no Idempotency-Key record holds the IIN it may carry), and every call is recorded as
 * its own PersonForgotten.
 */
import { z } from 'zod';
import type { ForgettingServices } from '../../application/services/forgetting';
import { FORGET_REASONS, PERSONAL_DATA_KINDS } from '../../domain/people/personal-data';
import { defineRoute, json, type AnyRoute } from '../route';
import { idSchema, iinSchema } from '../schemas';

export type ForgettingSide = Pick<ForgettingServices, 'forgetPerson'>;

const resultSchema = z.object({
  personId: z.string(),
  kinds: z.array(z.enum(PERSONAL_DATA_KINDS)),
  deleted: z.array(z.enum(PERSONAL_DATA_KINDS)),
  forgottenAt: z.string(),
});

export function peopleRoutes(deps: { forgetting?: ForgettingSide }): AnyRoute[] {
  const forgetting = deps.forgetting;
  if (!forgetting) return [];
  return [
    defineRoute({
      method: 'post',
      path: '/v1/audit/people/forget',
      operationId: 'forgetPerson',
      roles: ['operator', 'auditor'],
      tag: 'audit',
      summary: 'Forget a person: deletes their personal data (all kinds: their key in the vault) and records PersonForgotten without it.',
      description:
        'Name the person by iin or personId. kinds (default all): iin, name, phone, complaint. reason: subject_request, purpose_ended, ' +
        'retention_expired, court_order; reference: your case number (never personal data). Totals, reports and the hash chain are unchanged; ' +
        'reads show the person as [forgotten].',
      body: z
        .strictObject({
          personId: z
            .string()
            .regex(/^p_[0-9a-f]{32}$/, 'p_ and 32 hex digits')
            .optional(),
          iin: iinSchema.optional(),
          kinds: z.array(z.enum(PERSONAL_DATA_KINDS)).min(1).optional(),
          reason: z.enum(FORGET_REASONS),
          reference: idSchema.optional(),
        })
        .refine((b) => (b.personId === undefined) !== (b.iin === undefined), {
          message: 'Name the person by personId or by iin (one of them)',
          path: ['personId'],
        }),
      responses: { 200: { description: 'forgotten: the kinds asked, and those the vault still held', schema: resultSchema } },
      refusals: ['version_conflict'],
      async handle({ body, meta }) {
        return json(200, await forgetting.forgetPerson(body, meta));
      },
    }),
  ];
}
