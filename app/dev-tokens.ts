/** Dev mode's sample bearer tokens, and tokens for tests and simulators, signed with the dev HS256 secret. */
import { ConfigError } from '../adapters/config-error';
import { signToken, type Principal } from '../api/auth';
import type { System } from './system';

/** The sample subjects dev tokens are minted for (the simulator's seed data uses the same ids). */
export const DEV_PRINCIPALS: Readonly<Record<string, Principal>> = {
  sdu: { role: 'sdu', sub: 'sdu-akmola' },
  nobd: { role: 'nobd', sub: 'nobd' },
  'sms-gateway': { role: 'sms-gateway', sub: 'sms-gateway-1' },
  citizen: { role: 'citizen', sub: 'citizen-demo', familyId: 'fam-demo-1', personId: 'person-demo-1' },
  merchant: { role: 'merchant', sub: 'shop-kokshetau-1', shopId: 'shop-kokshetau-1' },
  'canteen-device': { role: 'canteen-device', sub: 'device-school-1', deviceId: 'device-school-1', schoolId: 'school-1' },
  'social-pedagogue': { role: 'social-pedagogue', sub: 'pedagogue-school-1', schoolId: 'school-1' },
  auditor: { role: 'auditor', sub: 'auditor-1' },
  ministry: { role: 'ministry', sub: 'ministry-1' },
  operator: { role: 'operator', sub: 'operator-1' },
  bmg: { role: 'bmg', sub: 'bmg-nit' },
  'service-provider': { role: 'service-provider', sub: 'trade-authority' },
};

/** Dev mode only: one signed token per role (the CLI prints them at start). */
export async function devTokens(system: Pick<System, 'config' | 'secrets' | 'clock'>, principals = DEV_PRINCIPALS): Promise<Record<string, string>> {
  if (system.config.MODE !== 'dev') throw new ConfigError('devTokens: sample tokens exist only in MODE=dev.');
  const out: Record<string, string> = {};
  for (const [name, principal] of Object.entries(principals)) out[name] = await signToken(system.secrets.jwtSecret, principal, { now: system.clock.now() });
  return out;
}

/** A token for any subject (tests, the simulator), signed with the system's secret. */
export function tokenFor(system: Pick<System, 'secrets' | 'clock'>, principal: Principal, ttlSeconds?: number): Promise<string> {
  return signToken(system.secrets.jwtSecret, principal, { now: system.clock.now(), ...(ttlSeconds !== undefined ? { ttlSeconds } : {}) });
}
