/**
 * Whether a function runs as the only instance of itself, and under which name. The local
 * runtime runs every function as a single instance (its invocations share one process) and
 * names that instance in `ERPGOV_SOLE_INSTANCE`, new at every start and removed at the stop;
 * the CDK stack never sets it, as Lambda runs many containers at once. A function may then
 * remember what only it writes for as long as the name stays the same: nothing writes behind
 * its back, and a restart (or another data folder) comes with a new name.
 */
export const SOLE_INSTANCE_VARIABLE = 'ERPGOV_SOLE_INSTANCE';

/**
 * A value made once per sole instance: `create` runs again when the instance's name changes;
 * undefined while the function is not a sole instance (on AWS).
 */
export function perSoleInstance<T>(create: () => T, env: NodeJS.ProcessEnv = process.env): () => T | undefined {
  let made: { readonly name: string; readonly value: T } | undefined;
  return () => {
    const name = env[SOLE_INSTANCE_VARIABLE];
    if (!name) return undefined;
    if (made?.name !== name) made = { name, value: create() };
    return made.value;
  };
}
