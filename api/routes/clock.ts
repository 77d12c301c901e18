/**
 * The clock, for an operator: what time the service thinks it is, and (dev mode on a virtual
 * clock only — `npm run demo`) moving it forward, with the deadlines that falls past fired at once:
 * the SMS reminder a parent would get five days later, a month's lapse, a табель turning final.
 */
import { z } from 'zod';
import type { Clock } from '../../adapters/clock/clock';
import type { ClockControl } from '../clock-control';
import { ApiProblem } from '../problem';
import { defineRoute, json, type AnyRoute } from '../route';
import { instantSchema } from '../schemas';

const clockState = z.object({
  now: z.string().describe('the service clock’s instant (UTC)'),
  movable: z.boolean().describe('whether POST /v1/ops/clock may move it (dev mode on a virtual clock)'),
});

export function clockRoutes(deps: { clock: Clock; clockControl?: ClockControl }): AnyRoute[] {
  const state = () => ({ now: deps.clock.now().toISOString(), movable: deps.clockControl !== undefined });
  return [
    defineRoute({
      method: 'get',
      path: '/v1/ops/clock',
      operationId: 'getClock',
      roles: ['operator'],
      tag: 'ops',
      summary: 'The service clock’s instant, and whether an operator may move it (dev mode on a virtual clock, as `npm run demo` runs).',
      responses: { 200: { description: 'the clock', schema: clockState } },
      refusals: [],
      async handle() {
        return json(200, state());
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/ops/clock',
      operationId: 'moveClock',
      roles: ['operator'],
      tag: 'ops',
      summary:
        'Dev mode on a virtual clock only: move the clock forward to `to` and fire every deadline now due (reminders, timeouts, lapses). Refused in production (clock_not_movable) and backwards (clock_cannot_go_back).',
      body: z.strictObject({ to: instantSchema }),
      idempotency: 'optional',
      responses: { 200: { description: 'moved', schema: clockState.extend({ deadlinesFired: z.number().int() }) } },
      refusals: ['clock_not_movable', 'clock_cannot_go_back'],
      async handle({ body }) {
        if (!deps.clockControl) throw new ApiProblem('clock_not_movable');
        const to = new Date(body.to);
        if (to.getTime() < deps.clock.now().getTime())
          throw new ApiProblem('clock_cannot_go_back', `The clock stands at ${deps.clock.now().toISOString()}; it only moves forward.`);
        const deadlinesFired = await deps.clockControl.moveTo(to);
        return json(200, { ...state(), deadlinesFired });
      },
    }),
  ];
}
