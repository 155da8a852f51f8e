/**
 * The routing table: for every function, the event patterns and schedules that reach it.
 * This is the only place a pattern is written. The CDK stack turns each rule into an
 * EventBridge rule and each schedule into a scheduled rule; the local runtime routes with
 * the same compiled patterns and fires the same schedules.
 */
import { PermanentError } from '../schemas/errors.ts';
import { PIPELINE_EVENT_BUS_NAME } from '../schemas/envelope.ts';
import { compileEventPattern, type CompiledEventPattern } from './event-pattern/index.ts';
import { FUNCTION_DEFAULTS, functionDeclarations, type BatchDeclaration, type FunctionCapabilities, type FunctionDeclaration, type RuleDeclaration, type ScheduleDeclaration, type StateStreamTrigger } from './function-routes.ts';
import { parseScheduleExpression, type Schedule } from './schedule.ts';

/** Name of the custom event bus ERP systems publish to (locally, the only bus the endpoint accepts). */
export const EVENT_BUS_NAME = PIPELINE_EVENT_BUS_NAME;
/** `source` prefix of events the pipeline itself emits (findings, commands). ERP systems use `erp.<system>`. */
export const PIPELINE_SOURCE_PREFIX = 'erpgov.';

export type RuleDefinition = RuleDeclaration;
export type ScheduleDefinition = ScheduleDeclaration;

/** A declaration with every capability filled in (the defaults where it gave none) and its handler entry. */
export interface FunctionDefinition extends FunctionCapabilities {
  readonly name: string;
  /** Present when the rules deliver in batches (SQS on AWS, the bus's batches locally). */
  readonly batch?: BatchDeclaration;
  /** Present when writes to the state table also run one of its schedules on AWS (a DynamoDB stream trigger). */
  readonly stateStreamTrigger?: StateStreamTrigger;
  readonly description: string;
  /** Handler module, relative to the repository root; it exports `handler`. */
  readonly entry: string;
  readonly rules: readonly RuleDefinition[];
  readonly schedules: readonly ScheduleDefinition[];
}

/** Fills in the defaults and the entry (`functions/<name>/handler.ts`). */
export function defineFunction(declaration: FunctionDeclaration): FunctionDefinition {
  return { ...FUNCTION_DEFAULTS, entry: `functions/${declaration.name}/handler.ts`, ...declaration };
}

/** The product's functions, defaults filled in. */
export const functionDefinitions: readonly FunctionDefinition[] = functionDeclarations.map(defineFunction);

export interface CompiledRule extends RuleDefinition {
  readonly compiled: CompiledEventPattern;
}
export interface CompiledSchedule extends ScheduleDefinition {
  readonly schedule: Schedule;
}
export interface RoutedFunction extends Omit<FunctionDefinition, 'rules' | 'schedules'> {
  readonly rules: readonly CompiledRule[];
  readonly schedules: readonly CompiledSchedule[];
}

export class RoutingTableError extends PermanentError {
  constructor(readonly problems: readonly string[]) {
    super(`routing table is invalid:\n  - ${problems.join('\n  - ')}`);
  }
}

const KEBAB = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/**
 * Validates every definition (names, unique ids, patterns, schedule expressions) and compiles
 * the patterns. Throws one error listing every problem, so a bad table fails tests and synth.
 */
export function buildRoutingTable(definitions: readonly FunctionDefinition[]): readonly RoutedFunction[] {
  const problems: string[] = [];
  const seenFunctions = new Set<string>();
  const seenIds = new Set<string>();
  const routed: RoutedFunction[] = [];
  for (const fn of definitions) {
    if (!KEBAB.test(fn.name)) problems.push(`function name "${fn.name}" must be kebab-case (a-z, 0-9, -)`);
    if (seenFunctions.has(fn.name)) problems.push(`function "${fn.name}" is declared twice`);
    seenFunctions.add(fn.name);
    if (fn.rules.length === 0 && fn.schedules.length === 0) {
      problems.push(`function "${fn.name}" has no rule and no schedule, so nothing would ever invoke it`);
    }
    if (fn.batch) {
      const { size, maxWaitSeconds } = fn.batch;
      if (!Number.isInteger(size) || size < 1 || size > 10_000) problems.push(`batch size of "${fn.name}" must be an integer from 1 to 10000, not ${size}`);
      if (!(maxWaitSeconds >= 0 && maxWaitSeconds <= 300)) problems.push(`batch maxWaitSeconds of "${fn.name}" must be from 0 to 300, not ${maxWaitSeconds}`);
      if (size > 10 && maxWaitSeconds === 0) problems.push(`batch of "${fn.name}": SQS takes more than 10 records a batch only with a batching window (maxWaitSeconds > 0)`);
      if (fn.rules.length === 0) problems.push(`function "${fn.name}" declares a batch but has no rule to batch`);
    }
    if (fn.stateStreamTrigger) problems.push(...streamTriggerProblems(fn.name, fn.stateStreamTrigger, fn.schedules.map((s) => s.id)));
    /** Checks each id (kebab-case, unique across the table) and compiles each entry; a failure becomes a problem, not a throw. */
    const compileEach = <T extends { id: string }, C>(kind: 'rule' | 'schedule', entries: readonly T[], compile: (entry: T) => C): C[] => {
      const compiled: C[] = [];
      for (const entry of entries) {
        if (!KEBAB.test(entry.id)) problems.push(`${kind} id "${entry.id}" of "${fn.name}" must be kebab-case`);
        if (seenIds.has(entry.id)) problems.push(`rule/schedule id "${entry.id}" is used twice`);
        seenIds.add(entry.id);
        try {
          compiled.push(compile(entry));
        } catch (err) {
          problems.push(`${kind} "${entry.id}" of "${fn.name}": ${(err as Error).message}`);
        }
      }
      return compiled;
    };
    const rules: CompiledRule[] = compileEach('rule', fn.rules, (rule) => ({ ...rule, compiled: compileEventPattern(rule.eventPattern) }));
    const schedules: CompiledSchedule[] = compileEach('schedule', fn.schedules, (sched) => ({ ...sched, schedule: parseScheduleExpression(sched.expression) }));
    routed.push({ ...fn, rules, schedules });
  }
  if (problems.length > 0) throw new RoutingTableError(problems);
  return routed;
}

/** What is wrong with function `name`'s stream trigger, given its schedule ids (none: it is sound). */
function streamTriggerProblems(name: string, trigger: StateStreamTrigger, scheduleIds: readonly string[]): string[] {
  const problems: string[] = [];
  const of = `stream trigger of "${name}"`;
  for (const [key, prefix] of Object.entries(trigger.keyPrefixes) as [string, unknown][]) {
    if (typeof prefix !== 'string' || prefix === '') problems.push(`${of}: key prefix ${key} must be a non-empty string (an empty one lets every write to the state table invoke it), not ${JSON.stringify(prefix)}`);
  }
  if (!scheduleIds.includes(trigger.runs)) problems.push(`${of} runs "${trigger.runs}", which is none of its schedules (${scheduleIds.join(', ') || 'it has none'})`);
  return problems;
}

export const routingTable: readonly RoutedFunction[] = buildRoutingTable(functionDefinitions);
