/**
 * How the runner's failures reach the operator log: a failed batch at warn (it is retried); a
 * halt at error, naming the projection, the event and what to do (README "When a read model
 * halts"). The error itself goes through the logger's `safeError`: a database error shows its
 * SQLSTATE and the table or column, never its message (it can quote an event's values).
 */
import type { Logger } from '../../adapters/log/logger';
import { ProjectionHalted } from './halt';

export function logProjectionFailure(logger: Logger, projection: string, error: unknown): void {
  if (!(error instanceof ProjectionHalted)) {
    logger.warn({ projection, err: error }, 'projection batch failed; retrying');
    return;
  }
  logger.error(
    {
      alarm: 'projection_halted',
      projection,
      eventId: error.event.id,
      position: error.event.position.toString(),
      eventType: error.event.type,
      code: error.errorCode,
      err: error.cause,
      fix: `fix the cause and restart; if the fix changes how earlier events project: npx tsx app/cli.ts rebuild ${projection}`,
    },
    'projection halted: the other read models and the scheduler go on',
  );
}
