/**
 * Request bodies on plain node:http: the media type is checked before a byte is read, the body is
 * read up to the route's limit (413 as soon as it is passed, by Content-Length or by bytes), and
 * JSON is parsed here. What body-parser did for us, without its per-request cost (its type, charset
 * and inflate machinery): a POS request is a few hundred bytes of UTF-8 JSON.
 */
import type { IncomingMessage } from 'node:http';
import { TextDecoder } from 'node:util';
import { ApiProblem } from './problem';

export type BodyKind = 'json' | 'csv';

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json$/;

/** `application/json; charset=utf-8` → { type: 'application/json', charset: 'utf-8' }. */
function mediaTypeOf(header: string | undefined): { type: string; charset?: string } | undefined {
  if (!header) return undefined;
  const [type, ...parameters] = header.split(';');
  const charset = parameters.map((p) => /^\s*charset\s*=\s*"?([^";\s]+)"?\s*$/i.exec(p)?.[1]).find((c) => c !== undefined);
  return { type: type!.trim().toLowerCase(), ...(charset ? { charset: charset.toLowerCase() } : {}) };
}

/** A body the route takes: its kind and the charset it is written in. */
export interface BodyType {
  readonly kind: BodyKind;
  readonly decoder: TextDecoder;
}

/** The body a request carries, or undefined when it has none; 415 when it is not one the route takes. */
export function bodyTypeOf(req: IncomingMessage, acceptsCsv: boolean): BodyType | undefined {
  const length = req.headers['content-length'];
  const hasBody = (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
  if (!hasBody) return undefined;
  const wanted = acceptsCsv ? 'Send application/json or text/csv.' : 'Send application/json.';
  const media = mediaTypeOf(req.headers['content-type']);
  if (!media) throw new ApiProblem('unsupported_media_type', wanted);
  const kind: BodyKind | undefined = JSON_TYPE.test(media.type) ? 'json' : acceptsCsv && media.type === 'text/csv' ? 'csv' : undefined;
  if (!kind) throw new ApiProblem('unsupported_media_type', wanted);
  const encoding = req.headers['content-encoding'];
  if (encoding && encoding.toLowerCase() !== 'identity') throw new ApiProblem('unsupported_media_type', 'Send the body uncompressed (no Content-Encoding).');
  return { kind, decoder: decoderOf(media.charset) };
}

/** UTF-8 unless the Content-Type names another charset the WHATWG encodings know (a CSV in windows-1251, say). */
function decoderOf(charset: string | undefined): TextDecoder {
  try {
    return new TextDecoder(charset ?? 'utf-8', { fatal: true });
  } catch {
    throw new ApiProblem('unsupported_media_type', `Unknown charset ${JSON.stringify(charset!.slice(0, 40))}: send UTF-8 or name a standard one.`);
  }
}

/** The body as text, refused with 413 past `limit` bytes and with 400 when the client aborts. */
export function readText(req: IncomingMessage, limit: number, decoder: TextDecoder): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.reject(new ApiProblem('payload_too_large'));
  }
  // Gone while auth or the rate limit were awaited: no 'end' or 'error' would ever come.
  if (req.destroyed || req.readableAborted) return Promise.reject(aborted());
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
      if (Number.isFinite(declared) && declared !== received)
        return reject(new ApiProblem('validation_failed', 'The body is shorter or longer than its Content-Length.'));
      try {
        resolve(decoder.decode(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
      } catch {
        reject(new ApiProblem('unsupported_media_type', `The body is not valid ${decoder.encoding}.`));
      }
    };
    const onAborted = () => fail(aborted());
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onAborted);
      req.off('close', onAborted);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onAborted);
    // 'close' before 'end': the client went away mid-body.
    req.on('close', onAborted);
  });
}

const aborted = () => new ApiProblem('validation_failed', 'The request was aborted before its body arrived.');

/** JSON text → value (a leading byte-order mark is dropped); 400 malformed_json, without echoing the body. */
export function parseJson(text: string): unknown {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiProblem('malformed_json');
  }
}
