/**
 * Registered counterparts for tests. Service-level tests get a registry view filled by the real
 * registry services (deciders, command path) over their own memory log; API tests onboard
 * through the operator's HTTP door (simulators/registry.ts `onboard`).
 */
import { createMemoryEventStore } from '../adapters/eventstore/memory';
import { testStates } from './stream-states';
import { createRegistryView, type RegistryView } from '../application/registry/view';
import { createRegistryServices } from '../application/services/registry';
import { onboard, type Counterparts } from '../simulators/registry';
import type { Principal } from '../api/auth';
import type { client } from './http';

/** A view in which these shops, schools and devices are registered and active. */
export async function registeredCounterparts(counterparts: Counterparts): Promise<RegistryView> {
  const view = createRegistryView();
  const registry = createRegistryServices({ states: testStates(createMemoryEventStore()), view });
  let n = 0;
  const call = async (_method: string, path: string, body: unknown) => {
    const { rows, reason } = body as { rows: { id: string; details: never }[]; reason: string };
    const kind = path.includes('/shops/') ? 'shop' : path.includes('/schools/') ? 'school' : 'device';
    return {
      status: 200,
      body: await registry.import(
        kind,
        rows,
        { reason, activate: true },
        { commandId: `onboard-${++n}`, now: '2025-09-01T00:00:00.000Z', actor: { role: 'operator', id: 'test' } },
      ),
    };
  };
  await onboard(call, counterparts, 'test fixture');
  return view;
}

export const OPERATOR: Principal = { role: 'operator', sub: 'operator-test' };

/** Onboards counterparts through the real HTTP door with an operator token. */
export async function onboardOverHttp(
  call: ReturnType<typeof client>,
  token: (principal: Principal) => Promise<string>,
  counterparts: Counterparts,
): Promise<void> {
  const operator = await token(OPERATOR);
  await onboard(async (method, path, body) => call(method, path, { token: operator, body }), counterparts, 'test onboarding');
}
