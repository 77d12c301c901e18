/**
 * The one router of the API: find-my-way (a radix tree) finds every route, then the route's
 * pipeline (api/route.ts) answers. How a request path matches a route, decided here once:
 *   - a trailing slash is ignored (`/health/` is `/health`), a doubled one is not;
 *   - letters match in either case (`/V1/ME/VOUCHERS`), path parameters keep theirs;
 *   - percent-encoded characters match what they encode (`/v1/me/%76ouchers` is
 *     `/v1/me/vouchers`: RFC 3986 §6.2.2.2 makes them equivalent); an encoded `/` (`%2F`) never
 *     splits a segment, it reaches the parameter as `/` and its schema refuses it;
 *   - a path that is not valid percent-encoding (`%E0%A4%A`, `%zz`) answers 400, wherever it is;
 *   - a GET route answers HEAD too (headers, no body); any other method of a known path is 404;
 *   - the request target may be absolute (`GET http://host/health`), as RFC 9112 §3.2.2 requires.
 * Path parameters are bounded by their zod schemas (a 400 naming the field), not by the router.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import findMyWay, { type HTTPMethod } from 'find-my-way';
import type { ServeRoute } from './route';

/** Beyond any URL node:http accepts (its header limit is 16 KiB): the router never refuses a long parameter. */
const MAX_PATH_PARAMETER_LENGTH = 64 * 1024;

export interface RouterAnswers {
  /** No route has this method and path. */
  readonly notFound: (req: IncomingMessage, res: ServerResponse) => void;
  /** The path is not valid percent-encoding. */
  readonly badUrl: (req: IncomingMessage, res: ServerResponse) => void;
}

export interface Router {
  /** Serves `method` on `path` (OpenAPI style, `/v1/holds/{holdId}`), HEAD too for a GET. */
  add(method: 'get' | 'post' | 'put' | 'delete', path: string, serve: ServeRoute): void;
  /** The request listener for `http.createServer`. */
  readonly listener: RequestListener;
}

/** The OpenAPI path `/v1/holds/{holdId}` as a router path `/v1/holds/:holdId`. */
export const routerPath = (path: string): string => path.replace(/\{(\w+)\}/g, ':$1');

export function createRouter(answers: RouterAnswers): Router {
  const tree = findMyWay({
    ignoreTrailingSlash: true,
    caseSensitive: false,
    maxParamLength: MAX_PATH_PARAMETER_LENGTH,
    // Makes `find` answer a bad URL with a null store (every route has one) instead of "no route".
    onBadUrl: () => undefined,
  });
  return {
    add(method, path, serve) {
      const methods: HTTPMethod[] = method === 'get' ? ['GET', 'HEAD'] : [method.toUpperCase() as HTTPMethod];
      tree.on(methods, routerPath(path), () => undefined, serve);
    },
    listener(req, res) {
      const found = tree.find(req.method as HTTPMethod, req.url ?? '/');
      if (!found) return answers.notFound(req, res);
      if (found.store === null) return answers.badUrl(req, res);
      void (found.store as ServeRoute)(req, res, found.params);
    },
  };
}
