/**
 * Device binding (guide 2.2): how device ids compare, and the register of devices each account
 * is bound to (`audit.behaviourAnalysis.boundDevices`), shared by the access checks and the
 * behaviour analysis.
 */
import type { Policy } from '../../schemas/policy.ts';

/** MAC addresses compare without case or separators (3C:52:82:4A:9F:10 = 3c-52-82-4a-9f-10); other fingerprints as given. */
export function normaliseDeviceId(deviceId: string): string {
  const bare = deviceId.trim().replace(/[-:.]/g, '');
  return /^[0-9a-f]{12}$/i.test(bare) ? bare.toLowerCase() : deviceId.trim();
}

/** account (lower case) → its registered devices (normalised). Accounts absent from the register are bound by first use. */
export function deviceRegister(policy: Policy): ReadonlyMap<string, ReadonlySet<string>> {
  return new Map(Object.entries(policy.audit.behaviourAnalysis.boundDevices).map(([account, devices]) => [account.toLowerCase(), new Set(devices.map(normaliseDeviceId))]));
}
