/**
 * /docs: the OpenAPI document in Swagger UI (swagger-ui-dist, the project's own prebuilt bundle),
 * its script and style served from this origin out of node_modules — no CDN, so the page works
 * offline and under the Content-Security-Policy every answer carries (helmet's: scripts from
 * 'self' only, hence the start-up script is a file too, not inline). Swagger UI was chosen over
 * Redoc and Scalar as the lightest maintained viewer to install: one package and no dependencies
 * of its own to run (Redoc and Scalar bring React or Vue trees).
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

export const DOCS_ASSETS = ['swagger-ui-bundle.js', 'swagger-ui.css', 'docs.js'] as const;
export type DocsAsset = (typeof DOCS_ASSETS)[number];

const JAVASCRIPT = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

/**
 * Swagger UI's start-up: the document from this origin; no validator badge (it would send the
 * document to validator.swagger.io); "Try it out" calls this API with the token given in Authorize.
 */
const START_UP = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true, validatorUrl: null, persistAuthorization: false });
});
`;

export function docsPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Social Wallet ledger API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/docs.js"></script>
</body>
</html>
`;
}

const require = createRequire(import.meta.url);

/** The page's assets, each read from swagger-ui-dist once (1.9 MB in all) by the one reader a system builds. */
export function createDocsAssets(): (asset: DocsAsset) => Promise<{ contentType: string; body: string }> {
  const loaded = new Map<DocsAsset, Promise<{ contentType: string; body: string }>>();
  return (asset) => {
    let found = loaded.get(asset);
    if (!found) {
      found = load(asset);
      loaded.set(asset, found);
    }
    return found;
  };
}

async function load(asset: DocsAsset): Promise<{ contentType: string; body: string }> {
  if (asset === 'docs.js') return { contentType: JAVASCRIPT, body: START_UP };
  const body = await readFile(require.resolve(`swagger-ui-dist/${asset}`), 'utf8');
  return { contentType: asset.endsWith('.css') ? CSS : JAVASCRIPT, body };
}
