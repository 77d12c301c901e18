/**
 * School meals at a glance: every school of a region (its education authority) or one school (its
 * social pedagogue) — табель status, pupils entitled, meals on the sheet, amount due, late records,
 * pupils fed per day, and school days with active vouchers but no meal on the sheet. Each school's
 * figures are those of its табель (GET /v1/schools/{schoolId}/tabel/{month}).
 */
import { z } from 'zod';
import type { Clock } from '../../adapters/clock/clock';
import { localDate, monthOf } from '../../domain/shared/calendar';
import { requireSameSchool } from '../auth';
import type { OverviewSide } from '../overview-side';
import { ApiProblem } from '../problem';
import { defineRoute, json, type AnyRoute } from '../route';
import { idSchema, monthSchema } from '../schemas';

const perDay = z.record(z.string(), z.number().int()).describe('school day (YYYY-MM-DD) → pupils fed');
const tabelStatus = z.enum(['in_progress', 'available', 'final']).describe('in_progress until the next month’s 1st, available from then, final from its 5th');
const school = z.object({
  schoolId: z.string(),
  region: z.string(),
  status: tabelStatus,
  entitledPupils: z.number().int(),
  mealCount: z.number().int(),
  mealPriceTiyn: z.number().int(),
  amountDueTiyn: z.number().int(),
  lateMealCount: z.number().int(),
  fedPerDay: perDay,
  daysWithoutRecords: z.array(z.object({ day: z.string(), activeVouchers: z.number().int() })),
});
export const mealsOverviewSchema = z.object({
  month: z.string(),
  currentMonth: z.string().describe('the service clock’s month (the default of `month`)'),
  status: tabelStatus,
  availableFrom: z.string(),
  finalFrom: z.string(),
  days: z.array(z.string()),
  schools: z.array(school),
  totals: z.object({
    schools: z.number().int(),
    entitledPupils: z.number().int(),
    mealCount: z.number().int(),
    amountDueTiyn: z.number().int(),
    lateMealCount: z.number().int(),
    daysWithoutRecords: z.number().int(),
    fedPerDay: perDay,
  }),
});

export function schoolMealsRoutes(deps: { overviews: OverviewSide; clock: Clock }): AnyRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/school-meals/overview',
      operationId: 'getSchoolMealsOverview',
      roles: ['education-authority', 'social-pedagogue'],
      tag: 'school',
      summary:
        'The табель of every school of your region (education authority; `schoolId` narrows it to one of them) or of your school (social pedagogue), for `month` (default: this month): status, pupils entitled, meals on the sheet, amount due, late records, pupils fed per day, and school days before today with active vouchers but no meal on the sheet.',
      query: z.object({ month: monthSchema.optional(), schoolId: idSchema.optional() }),
      responses: { 200: { description: 'the schools’ табели at a glance', schema: mealsOverviewSchema } },
      refusals: [],
      async handle({ principal, query }) {
        const currentMonth = monthOf(localDate(deps.clock.now()));
        const month = query.month ?? currentMonth;
        if (principal.role === 'social-pedagogue') {
          if (query.schoolId) requireSameSchool(principal, query.schoolId);
          return json(200, { ...(await deps.overviews.mealsOverview({ schoolId: principal.schoolId }, month)), currentMonth });
        }
        if (!query.schoolId) return json(200, { ...(await deps.overviews.mealsOverview({ region: principal.region }, month)), currentMonth });
        // Another region's school is refused as such (403), not answered as empty.
        const overview = await deps.overviews.mealsOverview({ schoolId: query.schoolId }, month);
        if (overview.schools.some((s) => s.region !== principal.region)) throw new ApiProblem('forbidden', 'This school is not in your region.');
        return json(200, { ...overview, currentMonth });
      },
    }),
  ];
}
