/**
 * The OpenAPI 3.1 document, generated from the zod schemas the routes validate with
 * (@asteasolutions/zod-to-openapi), and a plain HTML rendering of it for people (/docs):
 * no scripts, no CDN, so it works offline and under a strict Content-Security-Policy.
 */
import { OpenAPIRegistry, OpenApiGeneratorV31, extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { CODES } from '../domain/shared/codes';
import { PROBLEM_BASE, statusOf } from './problem';

extendZodWithOpenApi(z);

export function createRegistry(): OpenAPIRegistry {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'HS256 JWT with `role` and the subject fields of that role (see docs/API.md).',
  });
  return registry;
}

export type OpenApiDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>;

export function generateDocument(registry: OpenAPIRegistry): OpenApiDocument {
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Social Wallet ledger API',
      version: '1.0.0',
      description:
        'Free school meals and АСП food vouchers. Every failure is application/problem+json; ' +
        `its \`type\` is ${PROBLEM_BASE}<code> and \`code\` the bare stable code.`,
    },
    servers: [{ url: '/' }],
  });
}

const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

type Operation = { summary?: string; description?: string; tags?: string[]; parameters?: { name: string; in: string; required?: boolean }[]; requestBody?: { content?: Record<string, { schema?: unknown }> }; responses?: Record<string, { description?: string }> };

/** A readable page: endpoints grouped by tag, their roles, parameters, bodies, and the codes table. */
export function renderDocsHtml(doc: OpenApiDocument): string {
  const byTag = new Map<string, string[]>();
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const [method, raw] of Object.entries(item as Record<string, unknown>)) {
      const op = raw as Operation;
      const tag = op.tags?.[0] ?? 'other';
      const params = (op.parameters ?? []).map((p) => `<code>${escapeHtml(p.name)}</code> (${p.in}${p.required ? ', required' : ''})`).join(', ');
      const body = op.requestBody?.content
        ? Object.entries(op.requestBody.content)
            .map(([type, c]) => `<details><summary>${escapeHtml(type)}</summary><pre>${escapeHtml(JSON.stringify(c.schema ?? {}, null, 2))}</pre></details>`)
            .join('')
        : '';
      const responses = Object.entries(op.responses ?? {})
        .map(([status, r]) => `<li><b>${escapeHtml(status)}</b> ${escapeHtml(r.description ?? '')}</li>`)
        .join('');
      const html =
        `<section><h3><span class="m">${method.toUpperCase()}</span> <code>${escapeHtml(path)}</code></h3>` +
        `<p>${escapeHtml(op.summary ?? '')}</p><p class="d">${escapeHtml(op.description ?? '')}</p>` +
        (params ? `<p>Parameters: ${params}</p>` : '') +
        body +
        `<ul>${responses}</ul></section>`;
      byTag.set(tag, [...(byTag.get(tag) ?? []), html]);
    }
  }
  const codes = Object.entries(CODES)
    .map(([code, info]) => `<tr><td><code>${code}</code></td><td>${info.kind}</td><td>${statusOf(code as keyof typeof CODES)}</td><td>${escapeHtml(info.meaning)}</td></tr>`)
    .join('');
  const sections = [...byTag.entries()].map(([tag, ops]) => `<h2 id="${escapeHtml(tag)}">${escapeHtml(tag)}</h2>${ops.join('')}`).join('');
  const toc = [...byTag.keys()].map((t) => `<a href="#${escapeHtml(t)}">${escapeHtml(t)}</a>`).join(' · ');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(doc.info.title)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem}section{border-top:1px solid #ddd;padding:.3rem 0}
.m{display:inline-block;min-width:4rem;font-weight:bold}.d{white-space:pre-line;color:#444}pre{background:#f6f6f6;padding:.5rem;overflow:auto;font-size:12px}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.2rem .4rem;vertical-align:top}</style></head><body>
<h1>${escapeHtml(doc.info.title)} <small>${escapeHtml(doc.info.version)}</small></h1>
<p>${escapeHtml(doc.info.description ?? '')}</p><p>Machine-readable: <a href="/openapi.json">/openapi.json</a>. ${toc} · <a href="#codes">codes</a></p>
${sections}<h2 id="codes">Problem codes</h2><table><tr><th>code</th><th>kind</th><th>HTTP</th><th>meaning</th></tr>${codes}</table></body></html>`;
}
