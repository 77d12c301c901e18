/** Small pure helpers the read models share: local dates at replay speed, and who an event is about. */
import { kindOf, parseStream } from '../../domain/streams';
import { localDate, monthOf, type Instant, type LocalDate, type Month } from '../../domain/shared/calendar';
import type { Recorded } from '../projection';

/** Cache entries before the local-date cache starts over (bounded memory in a long rebuild). */
const LOCAL_DATE_CACHE_LIMIT = 50_000;
const localDates = new Map<string, LocalDate>();

/**
 * `localDate` in Asia/Almaty, memoised per UTC hour: Intl is ~10 µs a call, a rebuild makes
 * millions. Zone offsets here change only on whole hours, so every instant in one UTC hour has
 * the same offset; the cache key is the instant's UTC date and hour.
 */
export function localDay(instant: Instant): LocalDate {
  // Canonical 'YYYY-MM-DDTHH:…Z' strings can share an hour bucket; anything else goes the slow way.
  if (instant.length < 20 || instant[10] !== 'T' || !instant.endsWith('Z')) return localDate(instant);
  const hour = instant.slice(0, 13);
  const minutesAndRest = instant.slice(13);
  const bucket = localDates.get(hour);
  if (bucket !== undefined) return bucket;
  // Both ends of the hour must agree before the hour is cached (sub-hour zone offsets exist elsewhere).
  const start = localDate(`${hour}:00:00.000Z`);
  const end = localDate(`${hour}:59:59.999Z`);
  if (start !== end) return localDate(`${hour}${minutesAndRest}`);
  if (localDates.size >= LOCAL_DATE_CACHE_LIMIT) localDates.clear();
  localDates.set(hour, start);
  return start;
}

export function localMonth(instant: Instant): Month {
  return monthOf(localDay(instant));
}

/** The family an event is about: metadata first, then the data. */
export function familyOf(event: Recorded): string | undefined {
  const fromMeta = event.metadata.familyId;
  if (typeof fromMeta === 'string' && fromMeta) return fromMeta;
  const fromData = (event.data as { familyId?: unknown }).familyId;
  return typeof fromData === 'string' && fromData ? fromData : undefined;
}

/** A family's food-month stream → its family and month (domain/streams.ts parses every name). */
export function foodStream(stream: string): { familyId: string; month: Month } | undefined {
  const name = parseStream(stream);
  return name?.kind === 'food' ? { familyId: name.familyId, month: name.month } : undefined;
}

export const isMealsConsentStream = (stream: string) => kindOf(stream) === 'consentMeals';
export const isFoodConsentStream = (stream: string) => kindOf(stream) === 'consentFood';
