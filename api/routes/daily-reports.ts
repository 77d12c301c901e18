/**
 * The daily reports as delivered, any day: NOBD's per school with every pupil's status changes and
 * meals (NOBD sees every school, a social pedagogue their own), and the food programme's to the
 * service provider (seed 004 p. 28; the ministry sees it too). JSON or CSV.
 */
import { z } from 'zod';
import { dailyReportCsv, ofSchool, type DailyReport } from '../../projections/daily-reports/reports';
import type { ExchangeSide } from '../exchange-side';
import { ApiProblem } from '../problem';
import { defineRoute, json, text, type AnyRoute } from '../route';
import { idSchema, localDateSchema } from '../schemas';
import { dailyReportSchema } from '../answers';

const ROLES_OF_KIND = { nobd: ['nobd', 'social-pedagogue'], food: ['service-provider', 'ministry'] } as const;

export function dailyReportRoutes(deps: { exchanges: ExchangeSide }): AnyRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/reports/daily/{kind}/{date}',
      operationId: 'getDeliveredDailyReport',
      roles: ['nobd', 'social-pedagogue', 'service-provider', 'ministry'],
      tag: 'reports',
      summary: 'A day’s daily report as made after its midnight (Asia/Almaty): nobd (per school, per pupil) or food (activations and purchases per city).',
      description:
        'nobd: roles nobd (every school; ?schoolId= for one) and social-pedagogue (own school). food: service-provider, ministry. A day not over yet is 422 report_not_ready.',
      params: z.object({ kind: z.enum(['nobd', 'food']), date: localDateSchema }),
      query: z.object({ format: z.enum(['json', 'csv']).default('json'), schoolId: idSchema.optional() }),
      responses: { 200: { description: 'the report (format=json), or as CSV in sections', schema: dailyReportSchema, documents: ['text/csv'] } },
      refusals: ['report_not_ready'],
      async handle({ principal, params, query }) {
        if (!(ROLES_OF_KIND[params.kind] as readonly string[]).includes(principal.role))
          throw new ApiProblem('forbidden', `The ${params.kind} report is not for your role.`);
        const made = await deps.exchanges.dailyReport(params.kind, params.date);
        let report: DailyReport = made.report;
        const school = principal.role === 'social-pedagogue' ? principal.schoolId : query.schoolId;
        if (report.kind === 'nobd' && school) report = ofSchool(report, school);
        if (query.format === 'csv')
          return text(200, 'text/csv; charset=utf-8', dailyReportCsv(report), {
            'Content-Disposition': `attachment; filename="${params.kind}-daily-${params.date}.csv"`,
          });
        return json(200, { generatedAt: made.generatedAt, report });
      },
    }),
  ];
}
