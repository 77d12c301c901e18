/**
 * A canteen device (the business wallet / АПК at a school canteen, seed 002) serves one school.
 * Registering or moving it needs that school in the registry and not closed: the service reads
 * the school's stream and passes its status in the command's context.
 * Details checks, first failing wins: label empty → school_not_registered → school_closed.
 */
import type { DeviceDetails } from './events';
import { createRegistryDecider, type DetailsRefusal, type PutContext } from './lifecycle';

export function checkDeviceDetails(details: DeviceDetails, context: PutContext): DetailsRefusal | undefined {
  if (details.label.trim() === '') return { code: 'validation_failed', field: 'label', detail: 'a device has a label' };
  if (context.schoolStatus === undefined) throw new Error('invariant violated: a device put carries its school status');
  if (context.schoolStatus === 'none') return { code: 'school_not_registered', field: 'schoolId', detail: details.schoolId };
  if (context.schoolStatus === 'closed') return { code: 'school_closed', field: 'schoolId', detail: details.schoolId };
  return undefined;
}

export const deviceRegistry = createRegistryDecider<DeviceDetails>({ kind: 'device', check: checkDeviceDetails });
