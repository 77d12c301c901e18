/**
 * The registry as each process holds it in memory, for the hot path: a shop's or a canteen
 * device's every call is admitted (domain/registry/admission.ts) from here, never by a database
 * round trip per request.
 *
 * Fed two ways, one rule: an entry is replaced only by one with a higher stream version.
 *   - write-through: the registry services of this process `learn` what they just appended, so an
 *     operator's change is in force here the moment its answer is sent;
 *   - refresh: every `refreshIntervalMs` the entries whose read-model position moved since the
 *     last refresh (one small query), which brings other processes' changes within that interval.
 * The first refresh (at start) loads everything. The read model itself is fed from the events by
 * the projection runner (projections/registry/).
 */
import type { FoodVouchersProgram } from '../../domain/programs/food-vouchers';
import { FOOD_VOUCHERS } from '../../domain/programs/food-vouchers';
import { deviceAdmission, shopAdmission, type DeviceEntry, type SchoolEntry, type ShopEntry } from '../../domain/registry/admission';
import { refuse } from '../../domain/shared/errors';

/** How often a process picks up registry changes made by other processes. */
export const DEFAULT_REGISTRY_REFRESH_MS = 1000;

export interface RegistryChangeSet {
  readonly shops?: readonly ShopEntry[];
  readonly schools?: readonly SchoolEntry[];
  readonly devices?: readonly DeviceEntry[];
}

/** Where refreshes come from (projections/registry/queries.ts `registryChangesSince`). */
export interface RegistrySource {
  changesSince(position: bigint): Promise<RegistryChangeSet & { readonly position: bigint }>;
}

/** What the voucher services ask before a shop's or a device's call: a refusal throws its code. */
export interface CounterpartGate {
  admitShop(shopId: string): void;
  admitDevice(deviceId: string, schoolId: string): void;
}

export interface RegistryView extends CounterpartGate {
  shop(shopId: string): ShopEntry | undefined;
  school(schoolId: string): SchoolEntry | undefined;
  device(deviceId: string): DeviceEntry | undefined;
  learn(changes: RegistryChangeSet): void;
  refresh(): Promise<void>;
  /** Refreshes on a timer until stop(); errors go to onError and the next tick tries again. */
  start(): void;
  stop(): void;
}

export function createRegistryView(
  options: {
    source?: RegistrySource;
    refreshIntervalMs?: number;
    program?: FoodVouchersProgram;
    onError?: (error: unknown) => void;
  } = {},
): RegistryView {
  const shops = new Map<string, ShopEntry>();
  const schools = new Map<string, SchoolEntry>();
  const devices = new Map<string, DeviceEntry>();
  const program = options.program ?? FOOD_VOUCHERS;
  let position = 0n;
  let timer: NodeJS.Timeout | undefined;
  let refreshing: Promise<void> | undefined;

  const keep = <E extends { version: number }>(map: Map<string, E>, id: string, entry: E) => {
    const held = map.get(id);
    if (!held || held.version < entry.version) map.set(id, entry);
  };
  const learn = (changes: RegistryChangeSet) => {
    for (const shop of changes.shops ?? []) keep(shops, shop.shopId, shop);
    for (const school of changes.schools ?? []) keep(schools, school.schoolId, school);
    for (const device of changes.devices ?? []) keep(devices, device.deviceId, device);
  };
  const refreshOnce = async () => {
    if (!options.source) return;
    const changes = await options.source.changesSince(position);
    learn(changes);
    position = changes.position;
  };

  return {
    shop: (shopId) => shops.get(shopId),
    school: (schoolId) => schools.get(schoolId),
    device: (deviceId) => devices.get(deviceId),
    learn,
    refresh() {
      // Overlapping refreshes share one query: the cursor moves once per answer.
      refreshing ??= refreshOnce().finally(() => (refreshing = undefined));
      return refreshing;
    },
    start() {
      if (timer || !options.source) return;
      timer = setInterval(
        () => void this.refresh().catch((error: unknown) => options.onError?.(error)),
        options.refreshIntervalMs ?? DEFAULT_REGISTRY_REFRESH_MS,
      );
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
    admitShop(shopId) {
      const refusal = shopAdmission(shops.get(shopId), program);
      if (refusal) refuse(refusal, shopId);
    },
    admitDevice(deviceId, schoolId) {
      const device = devices.get(deviceId);
      const refusal = deviceAdmission(device, device ? schools.get(device.schoolId) : undefined, schoolId);
      if (refusal) refuse(refusal, deviceId);
    },
  };
}
