/**
 * The routing table: for every function, the event patterns and schedules that reach it.
 * This is the only place a pattern is written. The CDK stack turns each rule into an
 * EventBridge rule and each schedule into a scheduled rule; the local runtime routes with
 * the same compiled patterns and fires the same schedules.
 */
import { PIPELINE_EVENT_BUS_NAME } from '../schemas/envelope.ts';
import { compileEventPattern, type CompiledEventPattern } from './event-pattern/index.ts';
import { parseScheduleExpression, type Schedule } from './schedule.ts';

/** Name of the custom event bus ERP systems publish to (locally, the only bus the endpoint accepts). */
export const EVENT_BUS_NAME = PIPELINE_EVENT_BUS_NAME;
/** `source` prefix of events the pipeline itself emits (findings, commands). ERP systems use `erp.<system>`. */
export const PIPELINE_SOURCE_PREFIX = 'erpgov.';

export interface RuleDefinition {
  /** Stable id, unique across the table; becomes part of the AWS rule's logical id. */
  readonly id: string;
  readonly description: string;
  readonly eventPattern: Record<string, unknown>;
}

export interface ScheduleDefinition {
  readonly id: string;
  readonly description: string;
  /** EventBridge schedule expression: `rate(5 minutes)` or `cron(0 2 1 * ? *)` (UTC). */
  readonly expression: string;
}

export interface FunctionDefinition {
  /** kebab-case; the function's folder under `functions/`. */
  readonly name: string;
  readonly description: string;
  /** Handler module, relative to the repository root; it exports `handler`. */
  readonly entry: string;
  readonly rules: readonly RuleDefinition[];
  readonly schedules: readonly ScheduleDefinition[];
  /** What the function may do to the state table: grants on AWS, nothing more. */
  readonly stateAccess: 'read' | 'read-write';
  /** Whether it puts events (findings, commands) back on the bus. */
  readonly publishesEvents: boolean;
  /** Access to the archive bucket (audit-log archive, exported reports). */
  readonly archiveAccess: 'none' | 'write' | 'read-write';
  /** Reads the notification secret (Slack webhook, mail settings) from Secrets Manager. */
  readonly readsSecrets: boolean;
  /** Sends e-mail through SES. */
  readonly sendsEmail: boolean;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
}

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

export class RoutingTableError extends Error {
  override name = 'RoutingTableError';
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
    const rules: CompiledRule[] = [];
    for (const rule of fn.rules) {
      if (!KEBAB.test(rule.id)) problems.push(`rule id "${rule.id}" of "${fn.name}" must be kebab-case`);
      if (seenIds.has(rule.id)) problems.push(`rule/schedule id "${rule.id}" is used twice`);
      seenIds.add(rule.id);
      try {
        rules.push({ ...rule, compiled: compileEventPattern(rule.eventPattern) });
      } catch (err) {
        problems.push(`rule "${rule.id}" of "${fn.name}": ${(err as Error).message}`);
      }
    }
    const schedules: CompiledSchedule[] = [];
    for (const sched of fn.schedules) {
      if (!KEBAB.test(sched.id)) problems.push(`schedule id "${sched.id}" of "${fn.name}" must be kebab-case`);
      if (seenIds.has(sched.id)) problems.push(`rule/schedule id "${sched.id}" is used twice`);
      seenIds.add(sched.id);
      try {
        schedules.push({ ...sched, schedule: parseScheduleExpression(sched.expression) });
      } catch (err) {
        problems.push(`schedule "${sched.id}" of "${fn.name}": ${(err as Error).message}`);
      }
    }
    routed.push({ ...fn, rules, schedules });
  }
  if (problems.length > 0) throw new RoutingTableError(problems);
  return routed;
}

/** The product's functions. Later capabilities add their entries here, and only here. */
export const functionDefinitions: readonly FunctionDefinition[] = [
  {
    name: 'log-archiving',
    description: 'Audit trail (guide 6.1-6.4): every event on the bus becomes an append-only audit record.',
    entry: 'functions/log-archiving/handler.ts',
    rules: [
      {
        id: 'audit-every-event',
        description: 'Every event from any source; an empty prefix matches every string.',
        eventPattern: { source: [{ prefix: '' }] },
      },
    ],
    schedules: [],
    stateAccess: 'read-write',
    publishesEvents: false,
    archiveAccess: 'none',
    readsSecrets: false,
    sendsEmail: false,
    timeoutSeconds: 30,
    memoryMb: 512,
  },
  {
    name: 'audit-archive',
    description: 'Audit archive (guide 6.1): each closed day of the trail to compressed JSON Lines with a digest manifest; hourly anchors of the chain heads.',
    entry: 'functions/audit-archive/handler.ts',
    rules: [],
    schedules: [
      { id: 'archive-audit-daily', description: 'Daily at 00:30 UTC, after the day closed.', expression: 'cron(30 0 * * ? *)' },
      { id: 'audit-anchor-heads', description: 'Hourly: the chain heads of today and yesterday to the archive, so that verify notices a chain deleted together with its head.', expression: 'rate(1 hour)' },
    ],
    stateAccess: 'read',
    publishesEvents: true,
    archiveAccess: 'write',
    readsSecrets: false,
    sendsEmail: false,
    timeoutSeconds: 900,
    memoryMb: 1024,
  },
  {
    name: 'audit-analysis',
    description: 'Audit analysis (guide 6.2-6.4, 3.3): dual verification of high-risk operations; hourly behaviour analysis of the audit trail.',
    entry: 'functions/audit-analysis/handler.ts',
    rules: [
      {
        id: 'audit-high-risk-facts',
        description: 'Operations that may be high-risk and their verifications, from ERP systems only: the function\'s own findings (erpgov.*) never come back to it.',
        eventPattern: { source: [{ prefix: 'erp.' }], 'detail-type': ['Operation Audited', 'Role Assigned', 'Role Revoked', 'Operation Verified'] },
      },
    ],
    schedules: [
      { id: 'audit-high-risk-sweep', description: 'Every 5 minutes: high-risk operations whose verification window has passed.', expression: 'rate(5 minutes)' },
      { id: 'audit-behaviour-hourly', description: 'Hourly: behaviour analysis of the last closed hour of the audit trail.', expression: 'rate(1 hour)' },
    ],
    stateAccess: 'read-write',
    publishesEvents: true,
    archiveAccess: 'none',
    readsSecrets: false,
    sendsEmail: false,
    timeoutSeconds: 300,
    memoryMb: 1024,
  },
  {
    name: 'access-governance',
    description: 'Access governance (guide 2.1-2.5): least privilege and SoD, one person per account, 24 h leaver/mover clock, expiring grants, monthly permission audit.',
    entry: 'functions/access-governance/handler.ts',
    rules: [
      {
        id: 'access-facts',
        description: 'Role, grant, HR, login and operation facts and review sign-offs, from ERP systems only: the function\'s own findings and commands (erpgov.*) never come back to it.',
        eventPattern: {
          source: [{ prefix: 'erp.' }],
          'detail-type': ['Role Assigned', 'Role Revoked', 'Temporary Grant Issued', 'Employee Departed', 'Employee Transferred', 'Login', 'Operation Audited', 'Permission Review Signed Off'],
        },
      },
    ],
    schedules: [
      { id: 'access-sweep', description: 'Every 5 minutes: leaver/mover clocks past their deadline, temporary grants past their expiry.', expression: 'rate(5 minutes)' },
      { id: 'access-permission-audit', description: 'Daily at 02:00 UTC; on the policy\'s day of the month, the permission audit of the month before (2.5).', expression: 'cron(0 2 * * ? *)' },
    ],
    stateAccess: 'read-write',
    publishesEvents: true,
    archiveAccess: 'write',
    readsSecrets: false,
    sendsEmail: false,
    timeoutSeconds: 900,
    memoryMb: 1024,
  },
  {
    name: 'notifier',
    description: 'Notifier: findings and incident changes to Slack and e-mail, once per state change, through an outbox in the state table.',
    entry: 'functions/notifier/handler.ts',
    rules: [
      {
        id: 'notify-findings',
        description: 'Findings the pipeline\'s own functions raise and resolve (erpgov.*).',
        eventPattern: { source: [{ prefix: 'erpgov.' }], 'detail-type': ['Finding Raised', 'Finding Resolved'] },
      },
      {
        id: 'notify-incidents',
        description: 'Incident state changes reported by ERP systems (erp.*).',
        eventPattern: { source: [{ prefix: 'erp.' }], 'detail-type': ['Incident Opened', 'Incident Acknowledged', 'Incident Resolved'] },
      },
    ],
    schedules: [
      {
        id: 'notifier-outbox-drain',
        description: 'Every minute: summarise ended digest periods, and retry messages whose channel was down.',
        expression: 'rate(1 minute)',
      },
    ],
    stateAccess: 'read-write',
    publishesEvents: false,
    archiveAccess: 'none',
    readsSecrets: true,
    sendsEmail: true,
    timeoutSeconds: 120,
    memoryMb: 512,
  },
];

export const routingTable: readonly RoutedFunction[] = buildRoutingTable(functionDefinitions);
