/**
 * Card digests: how a canteen device recognises a pupil's ID card offline without the roster
 * holding an IIN. The roster carries, per school, a card key and per pupil
 * `card = base64url(HMAC-SHA256(cardKey, IIN))[0..22)`; the device reads the IIN from the card,
 * computes the same digest and looks it up. Seed 001 (appendix 2 p. 6) has the wallet send the
 * pupil's IIN to the canteen's system; the digest serves that purpose without the IIN itself.
 * It is no secret from whoever holds the device and its key (IINs are few enough to try them
 * all): it keeps IINs out of the roster's transport and storage, not out of a stolen device.
 */
import { createHmac } from 'node:crypto';

/** The school's card key, derived from the service's pseudonymisation secret (stable across restarts). */
export const rosterCardKey = (secret: string, schoolId: string): Buffer => createHmac('sha256', secret).update(`canteen-roster-card:${schoolId}`).digest();

export const cardDigest = (cardKey: Buffer, iin: string): string => createHmac('sha256', cardKey).update(iin).digest('base64url').slice(0, 22);
