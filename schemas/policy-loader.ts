/**
 * Loads the governance policy once, at start-up: a JSON file (partial, merged over the
 * shipped defaults) named by `ERPGOV_POLICY_FILE`, or the defaults when none is named. A bad
 * policy stops start-up with every problem listed as `key.path: value — what is allowed`,
 * never a half-applied policy.
 */
import { PermanentError } from './errors.ts';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { policySchema, type Policy } from './policy.ts';
import { describeIssues, formatProblem, type Problem } from './issues.ts';

export type { Policy } from './policy.ts';

export const POLICY_FILE_ENV = 'ERPGOV_POLICY_FILE';

export class PolicyError extends PermanentError {

  /** `origin` names where the policy came from (a file path), for the message. */
  constructor(
    readonly problems: Problem[],
    readonly origin = 'policy document',
  ) {
    super(`invalid governance policy (${origin}):\n${problems.map((problem) => `  - ${formatProblem(problem)}`).join('\n')}`);
  }
}

/** Validates a policy document (a partial is fine), applies the defaults, and freezes the result. */
export function parsePolicy(input: unknown, origin?: string): Policy {
  const result = policySchema.safeParse(input, { reportInput: true });
  if (!result.success) throw new PolicyError(describeIssues(result.error.issues, '', policySchema), origin);
  return deepFreeze(result.data);
}

let shipped: Policy | undefined;

/**
 * The shipped policy (the maintenance guide's figures), parsed on first use: a Lambda reads the
 * policy baked in at synth and never needs it, so its cold start does not pay for the parse.
 * Tests and the CLI import it as `defaultPolicy` from schemas/default-policy.ts.
 */
export function shippedPolicy(): Policy {
  shipped ??= parsePolicy({}, 'shipped defaults');
  return shipped;
}

// One parse per file for the life of the process: unbundled handlers (`functionPolicy`) call
// loadPolicy on every cold start and the local runtime once per function; the file is the same.
const loaded = new Map<string, Policy>();

/**
 * The policy from `options.file`, else from the file named by `ERPGOV_POLICY_FILE`, else the
 * defaults. Relative paths resolve against the working directory. Throws PolicyError naming
 * the file when it cannot be read, is not JSON, or breaks the schema.
 */
export function loadPolicy(options: { file?: string; env?: NodeJS.ProcessEnv } = {}): Policy {
  const file = options.file ?? nonBlank((options.env ?? process.env)[POLICY_FILE_ENV]);
  if (file === undefined) return shippedPolicy();
  const fullPath = resolve(file);
  const cached = loaded.get(fullPath);
  if (cached !== undefined) return cached;
  const policy = parsePolicy(readPolicyDocument(fullPath, file, `check ${POLICY_FILE_ENV} or --policy`), file);
  loaded.set(fullPath, policy);
  return policy;
}

let baked: Policy | undefined;

/**
 * The policy a governance function runs with. On AWS there is no policy file: the stack
 * validates the policy at synth (defaults applied, calendars parsed) and bakes the result, as
 * JSON, into each bundle with esbuild's `define`, which replaces exactly the expression
 * `process.env.ERPGOV_POLICY_INLINE` below. What was validated at synth is not validated again
 * at every cold start: it is read and frozen. In a bundle the test below is a constant, so
 * esbuild drops the `loadPolicy` branch and, with it, the policy schema (bytes and parse work
 * a Lambda never uses). Run unbundled (the local runtime, tests) it is `loadPolicy()`.
 */
export function functionPolicy(): Policy {
  if (process.env.ERPGOV_POLICY_INLINE) {
    baked ??= deepFreeze(JSON.parse(process.env.ERPGOV_POLICY_INLINE) as Policy);
    return baked;
  } else {
    // An `else`, not code after the return: esbuild drops a constant condition's dead branch
    // before it decides what the bundle uses; it removes unreachable statements only later.
    return loadPolicy();
  }
}

/** Forgets loaded files, so a test (or a reload command) reads them again. */
export function clearPolicyCache(): void {
  loaded.clear();
}

/**
 * The JSON document in the policy file at `fullPath`, not yet validated (the stack bakes the
 * document itself into the functions). `shown` is the path as the user gave it, for messages;
 * `hint` follows "does not exist" and says how the file is named (the variable, a CLI option,
 * a CDK context value). Throws PolicyError when the file cannot be read or is not JSON.
 */
export function readPolicyDocument(fullPath: string, shown: string, hint: string): unknown {
  let text: string;
  try {
    text = readFileSync(fullPath, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be read (${(err as Error).message})`;
    throw new PolicyError([{ path: 'policy file', value: shown, message: `${reason}; ${hint}` }], shown);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new PolicyError([{ path: 'policy file', value: shown, message: `is not valid JSON (${(err as Error).message})` }], shown);
  }
}

function nonBlank(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
