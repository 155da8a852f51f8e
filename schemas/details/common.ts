/**
 * Building blocks every detail schema shares, and the conventions they encode.
 *
 * Extra fields are ALLOWED. Every detail object is a `z.looseObject`: fields the contract does
 * not name pass validation and are carried through untouched (the generated JSON Schema says
 * so with `additionalProperties: {}`). Integrators routinely add vendor fields (an SAP client
 * number, a Kingdee organisation unit) and refusing them would force a contract change for
 * data no control reads. What the contract names is checked strictly; what it does not name
 * is carried, never interpreted — so a vendor field can never change a control's verdict.
 *
 * Facts, not verdicts. A schema requires what is needed to *interpret* a fact (who, what,
 * which record). Whether the fact complies with policy (a missing rollback plan, a direct
 * production edit) is a control's decision, reported as a finding: such fields are optional
 * here, so a non-compliant fact still arrives as evidence instead of being refused.
 *
 * Time. When a fact happened is the envelope's `time` (the ERP sets it with PutEvents `Time`;
 * EventBridge otherwise uses the moment of receipt). A detail carries its own timestamps only
 * for other moments: an expiry, the start and end of a backup, the date a departure takes
 * effect. Every timestamp is ISO-8601 with an explicit offset (`Z` or `+08:00`), never local.
 */
import * as z from '../zod-mini.ts';

/** The six areas of the maintenance guide, plus the pipeline's own events. */
export const guideArea = z.enum(['backup', 'access', 'performance', 'change', 'incident', 'audit', 'pipeline']);
export type GuideArea = z.infer<typeof guideArea>;

/** How a rule acts on a violation: `enforce` raises findings and issues commands; `report-only` only reports. */
export const ruleMode = z.enum(['enforce', 'report-only']);
export type RuleMode = z.infer<typeof ruleMode>;

/**
 * A schema built on its first use, not at module load, and kept. The detail schemas are built
 * this way: a Lambda validates only the few detail-types routed to it, and building all of
 * them at load cost ~35-40 ms of every cold start. The fields a file's schemas share are
 * plain functions (`account()`), called while the schema that uses them is built.
 */
export function builtOnFirstUse<S>(build: () => S): () => S {
  let built: S | undefined;
  return () => (built ??= build());
}

const schemaVersion1 = () =>
  z.literal(1).check(z.describe('Version of this detail-type\'s contract. A change that breaks integrators gets a new version; today every detail-type is at 1.'));

/** An identifier: account, person, backup, change... Trimmed; blank is refused. */
export function identifier(description: string) {
  return z.string().check(z.trim(), z.minLength(1), z.maxLength(256), z.describe(description));
}

/** A short human text: a title, a role name, a reason. */
export function label(description: string) {
  return z.string().check(z.trim(), z.minLength(1), z.maxLength(512), z.describe(description));
}

/** Free text that may run long: a rollback plan, a root cause. */
export function prose(description: string) {
  return z.string().check(z.trim(), z.minLength(1), z.maxLength(4000), z.describe(description));
}

export function timestamp(description: string) {
  return z.iso.datetime({ offset: true }).check(z.describe(`${description} ISO-8601 date-time with offset, e.g. 2026-03-01T09:30:00+08:00.`));
}

/** A list with at least one item (a role opens at least one module). */
export function nonEmptyList<T extends z.ZodMiniType>(item: T, description: string) {
  return z.array(item).check(z.minLength(1), z.maxLength(1000), z.describe(description));
}

export function list<T extends z.ZodMiniType>(item: T, description: string) {
  return z.array(item).check(z.maxLength(1000), z.describe(description));
}

export const moduleName = () => identifier('ERP module, as the ERP names it, e.g. "orders", "finance", "inventory", "production-planning".');

export const deviceId = () =>
  identifier('Device the action came from: its MAC address (guide 2.2 binds each account to a device) or another stable device fingerprint.');

export const passedOrFailed = z.enum(['passed', 'failed']);

/** A detail object: `schemaVersion` first, then the fact's fields; unknown fields allowed (see above). */
export function erpFact<S extends z.core.$ZodLooseShape>(description: string, shape: S) {
  return z.looseObject({ schemaVersion: schemaVersion1(), ...shape }).check(z.describe(description));
}

/**
 * Refinement: `later` must not be before `earlier` when both are present (a backup cannot
 * finish before it starts); with `strictlyAfter`, it must not equal it either (a grant that
 * expires as it starts grants nothing). Messages follow the "must ..." convention of
 * `schemas/issues.ts`.
 */
export function inOrder<K extends string>(earlier: K, later: K, { strictlyAfter = false } = {}) {
  return (value: Partial<Record<K, unknown>>, ctx: z.core.$RefinementCtx) => {
    const from = value[earlier];
    const to = value[later];
    if (typeof from !== 'string' || typeof to !== 'string') return;
    const gap = Date.parse(to) - Date.parse(from);
    if (gap < 0 || (strictlyAfter && gap === 0)) {
      ctx.addIssue({ code: 'custom', path: [later], input: to, message: `must be ${strictlyAfter ? 'after' : 'at or after'} ${earlier} (${from})` });
    }
  };
}
