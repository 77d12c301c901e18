/**
 * Conditional GET (RFC 9110 §13.1.2): a client that holds a representation sends its ETag in
 * If-None-Match and is answered 304 without a body while it is still current. Devices that poll
 * (tills for the QR keys, canteen devices for their roster) pay nothing when nothing changed.
 */
import type { IncomingMessage } from 'node:http';
import { json, type Reply } from './route';

/** Whether If-None-Match names this (strong) ETag; weak comparison, as the RFC asks for GET. */
export function noneMatch(req: IncomingMessage, etag: string): boolean {
  const header = req.headers['if-none-match'];
  if (!header) return false;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => tag.trim() === '*' || opaque(tag) === opaque(etag));
}

/** 304 when the client holds the current representation, else 200 with it; both carry the ETag. */
export function conditionalJson(req: IncomingMessage, etag: string, body: () => unknown, headers: Record<string, string> = {}): Reply {
  const all = { ...headers, ETag: etag };
  if (noneMatch(req, etag)) return { status: 304, json: undefined, headers: all };
  return json(200, body(), all);
}
