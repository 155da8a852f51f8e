/**
 * What the behaviour rules need from an account's (or a module's) past, as counts: the
 * baseline of guide 6.4 and 3.3. An hour of the trail folds into one small aggregate; a
 * baseline of `baselineDays` is the merge of its hours' aggregates. So the hourly analysis
 * stores each closed hour's aggregate once and reads back a few hundred small items instead of
 * every record of the last two weeks. Pure.
 */
import { normaliseDeviceId } from '../shared/devices.ts';
import type { TrailFact } from './trail-facts.ts';

export interface Baseline {
  /** Operation Audited action (lower case) → actor → operations. Every action, so a policy change needs no recount. */
  readonly actions: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** Account → the devices (normalised) it logged in from successfully. */
  readonly devices: Readonly<Record<string, readonly string[]>>;
  /** Module → Module Error occurrences. */
  readonly moduleErrors: Readonly<Record<string, number>>;
}

/** Folds facts (already limited to the period) into counts. */
export function aggregateFacts(facts: readonly TrailFact[]): Baseline {
  const actions: Record<string, Record<string, number>> = {};
  const devices: Record<string, Set<string>> = {};
  const moduleErrors: Record<string, number> = {};
  for (const f of facts) {
    if (f.operation) {
      const { action, actor } = f.operation;
      if (action !== undefined && actor !== undefined) {
        const byActor = (actions[action] ??= {});
        byActor[actor] = (byActor[actor] ?? 0) + 1;
      }
    } else if (f.login?.outcome === 'success') {
      const { account, deviceId } = f.login;
      if (account !== undefined && deviceId !== undefined) (devices[account] ??= new Set()).add(normaliseDeviceId(deviceId));
    } else if (f.moduleError) {
      const { module, occurrences } = f.moduleError;
      if (module !== undefined) moduleErrors[module] = (moduleErrors[module] ?? 0) + occurrences;
    }
  }
  return { actions, devices: Object.fromEntries(Object.entries(devices).map(([a, set]) => [a, [...set].sort()])), moduleErrors };
}

export function mergeBaselines(parts: Iterable<Baseline>): Baseline {
  const actions: Record<string, Record<string, number>> = {};
  const devices: Record<string, Set<string>> = {};
  const moduleErrors: Record<string, number> = {};
  for (const part of parts) {
    for (const [action, byActor] of Object.entries(part.actions)) {
      const into = (actions[action] ??= {});
      for (const [actor, n] of Object.entries(byActor)) into[actor] = (into[actor] ?? 0) + n;
    }
    for (const [account, list] of Object.entries(part.devices)) {
      const into = (devices[account] ??= new Set());
      for (const d of list) into.add(d);
    }
    for (const [module, n] of Object.entries(part.moduleErrors)) moduleErrors[module] = (moduleErrors[module] ?? 0) + n;
  }
  return { actions, devices: Object.fromEntries(Object.entries(devices).map(([a, set]) => [a, [...set].sort()])), moduleErrors };
}
