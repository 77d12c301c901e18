/**
 * The dashboard: pages for people who would rather look than read — pilot outcomes (ministry),
 * school meals (the regional education body, a school), operations (operator), a family's timeline
 * (auditor). The pages themselves are public and hold no data: every figure is fetched by the page
 * from the API with the user's own bearer token, so the API's roles and object-level rules decide
 * what each person sees, and a role that may not see a page gets the API's 403 and an empty page.
 */
import { z } from 'zod';
import { createDashboardFiles, DASHBOARD_ASSETS, DASHBOARD_PAGES, type DashboardFile } from '../dashboard-files';
import { defineRoute, text, type AnyRoute } from '../route';

const served = (file: DashboardFile) => text(200, file.contentType, file.body, { 'Cache-Control': file.cacheControl });

export function dashboardRoutes(): AnyRoute[] {
  const files = createDashboardFiles();
  return [
    defineRoute({
      method: 'get',
      path: '/dashboard',
      operationId: 'getDashboard',
      roles: 'public',
      tag: 'dashboard',
      summary: 'The dashboard’s start page: sign in with a bearer token (kept in the browser tab’s sessionStorage) and open the pages your role may see.',
      responses: { 200: { description: 'HTML', documents: ['text/html'] } },
      refusals: [],
      async handle() {
        return served(await files.page('index'));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/dashboard/{page}',
      operationId: 'getDashboardPage',
      roles: 'public',
      tag: 'dashboard',
      summary:
        'A dashboard page (its figures come from the API with the signed-in token): outcomes (ministry), meals (education authority, social pedagogue), ops (operator), timeline (auditor).',
      params: z.object({ page: z.enum(DASHBOARD_PAGES) }),
      responses: { 200: { description: 'HTML', documents: ['text/html'] } },
      refusals: [],
      async handle({ params }) {
        return served(await files.page(params.page));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/dashboard/assets/{asset}',
      operationId: 'getDashboardAsset',
      roles: 'public',
      tag: 'dashboard',
      summary: 'The dashboard’s scripts and style: our own files, and Chart.js from its npm package (no CDN).',
      params: z.object({ asset: z.enum(DASHBOARD_ASSETS) }),
      responses: { 200: { description: 'the asset', documents: ['text/javascript', 'text/css'] } },
      refusals: [],
      async handle({ params }) {
        return served(await files.asset(params.asset));
      },
    }),
  ];
}
