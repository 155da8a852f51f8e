/**
 * `erpgov simulate --events FILE --out DIR [--policy FILE] [--from T --to T] [--data-dir D]`: the
 * whole pipeline over a period on a virtual clock (runtime/simulator.ts), in a throw-away data
 * folder (or in D, a new or empty folder kept as a data folder, so that `erpgov evidence
 * --data-dir D`, `report`, `findings` and `audit` read the simulated period), with nothing sent anywhere: no Slack, no mail, no console output from the functions. What it
 * would have done goes to DIR:
 *   findings.jsonl        every change of every finding (raised, updated, reopened, resolved,
 *                         acknowledged, excepted), with its simulated time
 *   commands.jsonl        the commands issued (with the commandId an ERP would quote back)
 *   notifications.jsonl   the messages the notifier would have sent (or still held) at the end
 *   reports/              every report due in the period (e.g. reports/permissions/YYYY-MM.*)
 *   summary.json          counts, the period, the schedule fires and every refused line
 * Same input, byte-identical output: no wall-clock time, no random id, everything sorted.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoOutboxStore, OUTBOX_STATES, type OutboxMessage } from '../functions/notifier/outbox-store.ts';
import { stateTable } from '../infra/state-table.ts';
import type { LocalRuntime } from '../runtime/local-runtime.ts';
import type { BusEvent } from '../runtime/put-events.ts';
import { runSimulation, SimulationInputError, type SimulationRun } from '../runtime/simulator.ts';
import { clearPolicyCache, loadPolicy, POLICY_FILE_ENV } from '../schemas/policy-loader.ts';
import { readEventsFile } from './replay.ts';
import { UsageError } from './usage.ts';
import { LOCAL_CREDENTIALS } from '../runtime/http-server.ts';

type Out = (line: string) => void;

/** Everything the notifier holds at the end of the period, in every state. */
const MAX_NOTIFICATIONS = 1_000_000;

export interface SimulationResult {
  readonly summary: SimulationSummary;
  /** Wall-clock seconds the run took (printed, never written to DIR). */
  readonly seconds: number;
}

export interface SimulationSummary {
  readonly period: { readonly from: string; readonly to: string };
  readonly policy: string;
  readonly events: { readonly inPeriod: number; readonly outsidePeriod: number; readonly accepted: number; readonly refused: number };
  readonly refusals: SimulationRun<unknown>['refusals'];
  readonly scheduleFires: Readonly<Record<string, number>>;
  readonly findings: Readonly<Record<string, number>>;
  readonly commands: number;
  readonly notifications: number;
  readonly reports: readonly string[];
  readonly deadLetters: number;
}

/** The environment a dry run must not inherit: it sends nothing anywhere. */
const CHANNEL_VARIABLES = ['ERPGOV_SLACK_WEBHOOK_URL', 'ERPGOV_SMTP_URL', 'ERPGOV_MAIL_FROM', 'NOTIFIER_SECRET_ARN', 'NOTIFIER_MAIL_TRANSPORT', 'ARCHIVE_BUCKET_NAME'];

export async function runSimulateCommand(args: string[], out: Out = (line) => process.stdout.write(`${line}\n`)): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { events: { type: 'string' }, out: { type: 'string' }, policy: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, quiet: { type: 'boolean' }, 'data-dir': { type: 'string' } },
  });
  if (positionals.length > 0) throw new UsageError(`simulate: unexpected "${positionals[0]}"; give the events with --events FILE`);
  if (values.events === undefined) throw new UsageError('simulate: --events FILE is required (JSON Lines, the shapes `erpgov replay` takes)');
  if (values.out === undefined) throw new UsageError('simulate: --out DIR is required (where findings.jsonl, commands.jsonl, notifications.jsonl and reports/ go)');
  const from = values.from === undefined ? undefined : periodBound('--from', values.from);
  const to = values.to === undefined ? undefined : periodBound('--to', values.to);
  if (from && to && to.getTime() < from.getTime()) throw new UsageError(`--to: "${values.to}" is before --from "${values.from}"; the period must run forwards`);
  const lines = readEventsFile(values.events);
  const result = await simulateToFolder({ lines, outDir: resolve(values.out), ...(values.policy ? { policyFile: values.policy } : {}), ...(from ? { from } : {}), ...(to ? { to } : {}), ...(values['data-dir'] ? { keepDataIn: resolve(values['data-dir']) } : {}) }, values.quiet ? () => undefined : (line) => process.stderr.write(`${line}\n`));
  const s = result.summary;
  out(`simulated ${s.period.from} .. ${s.period.to} with ${s.policy}: ${s.events.inPeriod} event(s) (${s.events.accepted} accepted, ${s.events.refused} refused${s.events.outsidePeriod > 0 ? `, ${s.events.outsidePeriod} outside the period` : ''}), ${Object.values(s.scheduleFires).reduce((a, b) => a + b, 0)} schedule fire(s)`);
  out(`findings: ${Object.entries(s.findings).map(([k, v]) => `${v} ${k}`).join(', ') || 'none'}; ${s.commands} command(s); ${s.notifications} notification(s); ${s.reports.length} report file(s)${s.deadLetters > 0 ? `; ${s.deadLetters} DEAD LETTER(S)` : ''}`);
  for (const r of s.refusals) out(`  line ${r.line}: refused, ${r.errorCode}: ${r.errorMessage}`);
  if (values['data-dir']) out(`data kept in ${resolve(values['data-dir'])}: erpgov evidence --data-dir ${values['data-dir']} --period ... reads it`);
  out(`→ ${resolve(values.out)} (${result.seconds.toFixed(1)} s, ${(s.events.inPeriod / Math.max(result.seconds, 1e-9)).toFixed(0)} simulated events/s)`);
  return 0;
}

function periodBound(flag: string, value: string): Date {
  const at = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value) ? new Date(value) : new Date(Number.NaN);
  if (Number.isNaN(at.getTime())) throw new UsageError(`${flag}: "${value}" is not a time; allowed: ISO 8601, e.g. 2026-03-01 or 2026-03-01T00:00:00Z`);
  return at;
}

export interface SimulateOptions {
  readonly lines: Parameters<typeof runSimulation>[0]['lines'];
  readonly outDir: string;
  readonly policyFile?: string;
  readonly from?: Date;
  readonly to?: Date;
  /** Keep the runtime's data in this new or empty folder (see runtime/simulator.ts). */
  readonly keepDataIn?: string;
}

/** Runs the simulation and writes its results to `outDir`; the functions' console output is held back meanwhile. */
export async function simulateToFolder(options: SimulateOptions, progress: Out = () => undefined): Promise<SimulationResult> {
  const env = process.env;
  const saved = Object.fromEntries([POLICY_FILE_ENV, 'POWERTOOLS_LOG_LEVEL', ...CHANNEL_VARIABLES].map((k) => [k, env[k]]));
  if (options.policyFile !== undefined) env[POLICY_FILE_ENV] = resolve(options.policyFile);
  for (const k of CHANNEL_VARIABLES) delete env[k];
  env.POWERTOOLS_LOG_LEVEL = 'ERROR';
  clearPolicyCache();
  const policyName = env[POLICY_FILE_ENV] ? String(env[POLICY_FILE_ENV]) : 'the shipped default policy';
  // A bad policy is the user's input: it stops here with its key, before anything runs.
  loadPolicy();

  const write = process.stdout.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  const started = performance.now();
  let run: SimulationRun<{ notifications: OutboxMessage[]; reports: string[] }>;
  try {
    run = await runSimulation(
      {
        lines: options.lines,
        ...(options.from ? { from: options.from } : {}),
        ...(options.to ? { to: options.to } : {}),
        ...(options.keepDataIn ? { keepDataIn: options.keepDataIn } : {}),
        onProgress: (p) => progress(`simulate: ${p.delivered}/${p.total} events, at ${p.at}`),
      },
      (runtime) => collect(runtime, options.outDir),
    );
  } catch (err) {
    if (err instanceof SimulationInputError) throw new UsageError(err.message);
    throw err;
  } finally {
    process.stdout.write = write;
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete env[k];
      else env[k] = v;
    }
    clearPolicyCache();
  }
  const seconds = (performance.now() - started) / 1000;

  const findingLines = findingChanges(run.published);
  const commands = run.published.filter((e) => e['detail-type'] === 'Command Issued').map((e) => ({ at: e.time, ...e.detail }));
  const notifications = run.collected.notifications.map(notificationLine).sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.messageId.localeCompare(b.messageId));
  const findings: Record<string, number> = {};
  for (const f of findingLines) findings[f.change] = (findings[f.change] ?? 0) + 1;
  const summary: SimulationSummary = {
    period: { from: run.from, to: run.to },
    policy: options.policyFile ?? policyName,
    events: { inPeriod: run.eventsInPeriod, outsidePeriod: run.eventsOutsidePeriod, accepted: run.accepted, refused: run.refusals.length },
    refusals: run.refusals,
    scheduleFires: run.scheduleFires,
    findings,
    commands: commands.length,
    notifications: notifications.length,
    reports: run.collected.reports,
    deadLetters: run.deadLetters,
  };
  writeJsonl(join(options.outDir, 'findings.jsonl'), findingLines);
  writeJsonl(join(options.outDir, 'commands.jsonl'), commands);
  writeJsonl(join(options.outDir, 'notifications.jsonl'), notifications);
  writeFileSync(join(options.outDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  return { summary, seconds };
}

/** Before the throw-away runtime goes: the outbox, and the reports copied out of its archive. */
async function collect(runtime: LocalRuntime, outDir: string): Promise<{ notifications: OutboxMessage[]; reports: string[] }> {
  const docs = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: runtime.dynamoDbUrl, region: runtime.region, credentials: LOCAL_CREDENTIALS }));
  try {
    const outbox = dynamoOutboxStore(docs, stateTable.name);
    const notifications: OutboxMessage[] = [];
    for (const state of OUTBOX_STATES) notifications.push(...(await outbox.list(state, MAX_NOTIFICATIONS)));
    mkdirSync(outDir, { recursive: true });
    const reportsOut = join(outDir, 'reports');
    rmSync(reportsOut, { recursive: true, force: true });
    const reportsIn = join(runtime.dataDir, 'archive', 'reports');
    if (existsSync(reportsIn)) cpSync(reportsIn, reportsOut, { recursive: true });
    const reports = existsSync(reportsOut) ? (readdirSync(reportsOut, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[]).filter((d) => d.isFile()).map((d) => join(d.parentPath, d.name).slice(outDir.length + 1)).sort() : [];
    return { notifications, reports };
  } finally {
    docs.destroy();
  }
}

interface FindingLine {
  readonly at: string;
  readonly change: 'raised' | 'updated' | 'reopened' | 'resolved' | 'acknowledged' | 'excepted';
  readonly findingId: string;
  readonly [field: string]: unknown;
}

/** Each finding event as a change of the finding: the first raise opens it, later ones update or re-open it. */
function findingChanges(published: readonly BusEvent[]): FindingLine[] {
  const live = new Map<string, boolean>();
  const lines: FindingLine[] = [];
  for (const e of published) {
    const d = e.detail as Record<string, unknown> & { findingId: string };
    switch (e['detail-type']) {
      case 'Finding Raised': {
        const was = live.get(d.findingId);
        live.set(d.findingId, true);
        const { schemaVersion: _v, findingId, ...rest } = d;
        lines.push({ at: e.time, change: was === undefined ? 'raised' : was ? 'updated' : 'reopened', findingId, ...rest });
        break;
      }
      case 'Finding Resolved': {
        live.set(d.findingId, false);
        const { schemaVersion: _v, findingId, ...rest } = d;
        lines.push({ at: e.time, change: 'resolved', findingId, ...rest });
        break;
      }
      case 'Finding Acknowledged':
      case 'Finding Exception Granted': {
        const { schemaVersion: _v, findingId, ...rest } = d;
        lines.push({ at: e.time, change: e['detail-type'] === 'Finding Acknowledged' ? 'acknowledged' : 'excepted', findingId, ...rest });
        break;
      }
    }
  }
  // Stable: changes at the same simulated second keep the order the bus took them in.
  return lines.map((line, i) => ({ line, i })).sort((a, b) => a.line.at.localeCompare(b.line.at) || a.i - b.i).map(({ line }) => line);
}

function notificationLine(m: OutboxMessage) {
  return { createdAt: m.createdAt, state: m.state, channel: m.channel, recipient: m.recipient, about: m.about, messageId: m.messageId, payload: m.payload };
}

function writeJsonl(file: string, records: readonly unknown[]): void {
  writeFileSync(file, records.map((r) => `${JSON.stringify(r)}\n`).join(''));
}
