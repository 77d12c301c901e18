/**
 * Holds the API to its document: every answer a route gives is one its declaration documents — a
 * success status it lists, with a JSON body its schema describes exactly (no field missing, none
 * extra) or a document in a media type it names; or a problem whose code it may answer with
 * (`problemCodesOf`). The test systems turn it on and fail when a route answered outside its
 * declaration, so every API test is also a test of docs/openapi.json and of the client generated
 * from it. Off in production: checking a reply costs a parse of its body.
 */
import { isDeepStrictEqual } from 'node:util';
import type { z } from 'zod';
import type { Code } from '../domain/shared/codes';
import { problemCodesOf, type AnyRoute } from './route';

/** A route's answers that its declaration does not document; the first ones, enough to fix them. */
export const MAX_CONTRACT_VIOLATIONS = 100;

export interface ContractCheck {
  /** A success answer as sent: its status, media type and body text. */
  answered(route: AnyRoute, status: number, contentType: string, body: string | Buffer): void;
  /** A problem answer's code. */
  refused(route: AnyRoute, code: Code): void;
  /** What was answered outside the declarations so far, one line each. */
  violations(): readonly string[];
}

export function createContractCheck(): ContractCheck {
  const found: string[] = [];
  const codesByRoute = new Map<AnyRoute, ReadonlySet<Code>>();
  const note = (route: AnyRoute, what: string) => {
    const line = `${route.method.toUpperCase()} ${route.path} (${route.operationId}): ${what}`;
    if (found.length < MAX_CONTRACT_VIOLATIONS && !found.includes(line)) found.push(line);
  };
  return {
    answered(route, status, contentType, body) {
      const answer = route.responses[status];
      if (!answer) return note(route, `answered ${status}, which its \`responses\` do not list`);
      const mediaType = contentType.split(';')[0]!.trim().toLowerCase();
      if (mediaType === 'application/json' && answer.schema) return checkJson(answer.schema, body.toString(), (what) => note(route, `${status}: ${what}`));
      if (status === 204 || status === 304 || (answer.documents ?? []).includes(mediaType)) return;
      note(route, `answered ${status} as ${mediaType}, which its \`responses[${status}]\` do not name`);
    },
    refused(route, code) {
      let codes = codesByRoute.get(route);
      if (!codes) codesByRoute.set(route, (codes = new Set(problemCodesOf(route))));
      if (!codes.has(code)) note(route, `refused with \`${code}\`, which its \`refusals\` do not list`);
    },
    violations: () => [...found],
  };
}

/** The JSON as sent must parse against the schema to itself: a field the schema lacks would be dropped. */
function checkJson(schema: z.ZodType, text: string, note: (what: string) => void): void {
  const sent: unknown = JSON.parse(text);
  const parsed = schema.safeParse(sent);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return note(`the body does not match its schema at ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  if (!isDeepStrictEqual(parsed.data, sent)) note(`the body has fields its schema does not describe (first: ${firstExtra(parsed.data, sent) ?? '?'})`);
}

/** The path of the first value in `sent` that the parsed copy lacks. */
function firstExtra(parsed: unknown, sent: unknown, path = ''): string | undefined {
  if (typeof sent !== 'object' || sent === null || typeof parsed !== 'object' || parsed === null) return undefined;
  for (const [key, value] of Object.entries(sent)) {
    const at = path ? `${path}.${key}` : key;
    if (!(key in parsed)) return at;
    const deeper = firstExtra((parsed as Record<string, unknown>)[key], value, at);
    if (deeper) return deeper;
  }
  return undefined;
}
