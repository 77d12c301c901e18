/**
 * Request bodies on plain node:http: the media type is checked before a byte is read, the body is
 * read up to the route's limit (413 as soon as it is passed, by Content-Length or by bytes), and
 * JSON is parsed here. What body-parser did for us, without its per-request cost (its type, charset
 * and inflate machinery): a POS request is a few hundred bytes of UTF-8 JSON.
 */
import type { IncomingMessage } from 'node:http';
import { ApiProblem } from './problem';

export type BodyKind = 'json' | 'csv';

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json$/;

/** `application/json; charset=utf-8` → { type: 'application/json', charset: 'utf-8' }. */
export function mediaTypeOf(header: string | undefined): { type: string; charset?: string } | undefined {
  if (!header) return undefined;
  const [type, ...parameters] = header.split(';');
  const charset = parameters.map((p) => /^\s*charset\s*=\s*"?([^";\s]+)"?\s*$/i.exec(p)?.[1]).find((c) => c !== undefined);
  return { type: type!.trim().toLowerCase(), ...(charset ? { charset: charset.toLowerCase() } : {}) };
}

/** The kind of body a request carries, or undefined when it has none; 415 when it is not one the route takes. */
export function bodyKindOf(req: IncomingMessage, acceptsCsv: boolean): BodyKind | undefined {
  const length = req.headers['content-length'];
  const hasBody = (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
  if (!hasBody) return undefined;
  const wanted = acceptsCsv ? 'Send application/json or text/csv.' : 'Send application/json.';
  const media = mediaTypeOf(req.headers['content-type']);
  if (!media) throw new ApiProblem('unsupported_media_type', wanted);
  const kind: BodyKind | undefined = JSON_TYPE.test(media.type) ? 'json' : acceptsCsv && media.type === 'text/csv' ? 'csv' : undefined;
  if (!kind) throw new ApiProblem('unsupported_media_type', wanted);
  if (media.charset && media.charset !== 'utf-8' && media.charset !== 'utf8') throw new ApiProblem('unsupported_media_type', 'Send the body in UTF-8.');
  const encoding = req.headers['content-encoding'];
  if (encoding && encoding.toLowerCase() !== 'identity') throw new ApiProblem('unsupported_media_type', 'Send the body uncompressed (no Content-Encoding).');
  return kind;
}

/** The body as text, refused with 413 past `limit` bytes and with 400 when the client aborts. */
export function readText(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.reject(new ApiProblem('payload_too_large'));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const fail = (error: ApiProblem) => {
      cleanup();
      req.resume();
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limit) fail(new ApiProblem('payload_too_large'));
      else chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      if (Number.isFinite(declared) && declared !== received) reject(new ApiProblem('validation_failed', 'The body is shorter or longer than its Content-Length.'));
      else resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8'));
    };
    const onAborted = () => fail(new ApiProblem('validation_failed', 'The request was aborted before its body arrived.'));
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onAborted);
      req.off('aborted', onAborted);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onAborted);
    req.on('aborted', onAborted);
  });
}

/** JSON text → value; 400 malformed_json names what is wrong without echoing the body. */
export function parseJson(text: string): unknown {
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiProblem('malformed_json');
  }
}
