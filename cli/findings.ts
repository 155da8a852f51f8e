/**
 * `erpgov findings list | show | ack | exception`: the findings every function keeps through the
 * shared lifecycle (functions/shared/findings), read from the state table — through the running
 * runtime's DynamoDB endpoint, or from the data folder when it is stopped.
 *
 * Acknowledging and granting an exception are events on the bus like everything else
 * (`Finding Acknowledged`, `Finding Exception Granted`, source `erp.operator`), so the audit
 * trail records them and the notifier hears them; the finding desk applies them. The command
 * checks first and refuses an unknown or resolved finding (exit 2, nothing sent), then waits
 * until the desk has applied the action.
 */
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { searchTrail } from '../functions/shared/audit-trail/audit-queries.ts';
import { dynamoAuditTrailStore } from '../functions/shared/audit-trail/audit-trail-store.ts';
import { LIVE_STATES, isLive, type StoredFinding } from '../functions/shared/findings/finding.ts';
import { dynamoFindingsStore, type FindingsStore } from '../functions/shared/findings/findings-store.ts';
import { DAY_MS, utcDay } from '../functions/shared/time.ts';
import { OPERATOR_SOURCE } from '../schemas/details/pipeline.ts';
import { areaOfControl, GUIDE_AREAS } from '../schemas/controls.ts';
import { PIPELINE_EVENT_BUS_NAME } from '../schemas/envelope.ts';
import { validateDetail, type CommandIssued } from '../schemas/registry.ts';
import { dataDirFrom } from './options.ts';
import { eventBridgeClient, requireRuntime } from './runtime-client.ts';
import { withStateTable } from './state-access.ts';
import { UsageError } from './usage.ts';

type Out = (line: string) => void;
const stdout: Out = (line) => process.stdout.write(`${line}\n`);

const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
const STATE_ORDER = [...LIVE_STATES, 'resolved'];

/** How long ack/exception wait for the finding desk to apply the action. */
const APPLY_TIMEOUT_MS = 20_000;

export async function runFindingsCommand(args: string[], out: Out = stdout): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'list':
      return list(rest, out);
    case 'show':
      return show(rest, out);
    case 'ack':
      return acknowledge(rest, out);
    case 'exception':
      return exception(rest, out);
    default:
      throw new UsageError(`findings: unknown subcommand "${sub ?? ''}"; allowed: list, show, ack, exception`);
  }
}

async function list(args: string[], out: Out): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { open: { type: 'boolean' }, area: { type: 'string' }, control: { type: 'string' }, severity: { type: 'string' }, json: { type: 'boolean' }, 'data-dir': { type: 'string' }, endpoint: { type: 'string' } },
  });
  if (positionals.length > 0) throw new UsageError(`findings list: unexpected "${positionals[0]}"; it takes only options (see --help)`);
  const { area, control, severity } = values;
  if (area !== undefined && !(GUIDE_AREAS as readonly string[]).includes(area)) throw new UsageError(`--area: "${area}" is not an area; allowed: ${GUIDE_AREAS.join(', ')}`);
  if (control !== undefined && !/^[1-6]\.[1-9]\d*$/.test(control)) throw new UsageError(`--control: "${control}" is not a control of the guide; allowed: N.N with N 1-6, e.g. 2.3`);
  if (severity !== undefined && !(SEVERITIES as readonly string[]).includes(severity)) throw new UsageError(`--severity: "${severity}" is not a severity; allowed: ${SEVERITIES.join(', ')}`);
  return withStateTable(stateAccess(values), async ({ docs, tableName, via }) => {
    const findings = (await dynamoFindingsStore(docs, tableName).list())
      .map((r) => r.finding)
      .filter((f) => (!values.open || isLive(f)) && (area === undefined || areaOfControl(f.raised.control) === area) && (control === undefined || f.raised.control === control) && (severity === undefined || f.raised.severity === severity))
      .sort(byStateSeverityAge);
    if (values.json) {
      out(JSON.stringify(findings, null, 2));
      return 0;
    }
    for (const f of findings) {
      const subject = `${f.raised.subject.type} ${f.raised.subject.id}`;
      const extra = f.state === 'excepted' && f.exception ? ` (exception: ${f.exception.owner} until ${f.exception.until})` : f.state === 'acknowledged' && f.acknowledgedBy ? ` (by ${f.acknowledgedBy})` : '';
      out(`${f.state.padEnd(12)} ${f.raised.severity.padEnd(8)} ${f.raised.control.padEnd(5)} ${f.findingId}  ${f.raised.title} — ${subject}, since ${f.firstRaisedAt}${extra}`);
    }
    out(`${findings.length} finding(s)${values.open ? ' live' : ''} (${via})`);
    return 0;
  });
}

async function show(args: string[], out: Out): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' }, 'data-dir': { type: 'string' }, endpoint: { type: 'string' } } });
  const findingId = onePositional(positionals, 'show');
  return withStateTable(stateAccess(values), async ({ docs, tableName }) => {
    const finding = await knownFinding(dynamoFindingsStore(docs, tableName), findingId);
    // The commands issued for it, as the audit trail recorded them (the function's own Command Issued events).
    const from = utcDay(finding.firstRaisedAt);
    const to = utcDay(Math.max(Date.now(), Date.parse(finding.updatedAt)) + DAY_MS);
    const records = await searchTrail(dynamoAuditTrailStore(docs, tableName), { from, to, keyword: findingId, source: `erpgov.${finding.detectedBy}`, limit: 1000 });
    const commands = records
      .filter((r) => r.detailType === 'Command Issued')
      .map((r) => ({ issuedAt: r.occurredAt, eventId: r.eventId, ...(JSON.parse(r.originalEvent) as { detail: CommandIssued }).detail }))
      .filter((c) => c.findingId === findingId);
    if (values.json) {
      out(JSON.stringify({ finding, commands }, null, 2));
      return 0;
    }
    const r = finding.raised;
    out(`${finding.findingId}`);
    out(`  ${r.title}`);
    out(`  state ${finding.state}, severity ${r.severity}, control ${r.control}, mode ${r.mode}, detected by ${finding.detectedBy}`);
    out(`  subject: ${r.subject.type} ${r.subject.id}${r.subject.name ? ` (${r.subject.name})` : ''}`);
    out(`  first raised ${finding.firstRaisedAt}, updated ${finding.updatedAt}${finding.resolvedAt ? `, resolved ${finding.resolvedAt}` : ''}${r.dueAt ? `, due ${r.dueAt}` : ''}`);
    if (finding.exception) out(`  exception: owner ${finding.exception.owner}, until ${finding.exception.until}: ${finding.exception.reason}`);
    out('evidence:');
    out(`  ${r.evidence.summary}`);
    if (r.evidence.eventIds.length > 0) out(`  events: ${r.evidence.eventIds.join(', ')}`);
    for (const [key, value] of Object.entries(r.evidence.facts ?? {})) out(`  ${key}: ${JSON.stringify(value)}`);
    out('history:');
    for (const h of finding.history) out(`  ${h.at}  ${h.state.padEnd(16)} by ${h.by}${h.note ? `: ${h.note}` : ''}`);
    out(`commands issued: ${commands.length === 0 ? 'none' : ''}`);
    for (const c of commands) {
      const what = c.role ?? c.grantId ?? c.permissions?.join(', ') ?? '';
      out(`  ${c.issuedAt}  ${c.command} ${what} on ${c.account}  commandId ${c.commandId} (the ERP quotes it back)${c.executeBy ? `, execute by ${c.executeBy}` : ''}`);
    }
    return 0;
  });
}

async function acknowledge(args: string[], out: Out): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { by: { type: 'string' }, note: { type: 'string' }, 'data-dir': { type: 'string' } } });
  const findingId = onePositional(positionals, 'ack');
  if (values.by === undefined || values.by.trim() === '') throw new UsageError('findings ack: --by PERSON is required (who is on it)');
  const detail = { schemaVersion: 1, findingId, acknowledgedBy: values.by.trim(), ...(values.note ? { note: values.note } : {}) };
  return operatorAction(values['data-dir'], 'Finding Acknowledged', detail, values.by.trim(), 'acknowledged', out);
}

async function exception(args: string[], out: Out): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { owner: { type: 'string' }, until: { type: 'string' }, reason: { type: 'string' }, by: { type: 'string' }, 'data-dir': { type: 'string' } },
  });
  const findingId = onePositional(positionals, 'exception');
  for (const flag of ['owner', 'until', 'reason'] as const) {
    if (values[flag] === undefined || values[flag].trim() === '') throw new UsageError(`findings exception: --${flag} is required (an exception is documented: an owner, an expiry and a reason)`);
  }
  const until = exceptionExpiry(values.until as string, new Date());
  const grantedBy = values.by?.trim() || userInfo().username;
  const detail = { schemaVersion: 1, findingId, owner: (values.owner as string).trim(), until, reason: (values.reason as string).trim(), grantedBy };
  return operatorAction(values['data-dir'], 'Finding Exception Granted', detail, grantedBy, 'excepted', out);
}

/** `--until`: a date (through that day, UTC) or an ISO time, in the future. */
export function exceptionExpiry(value: string, now: Date): string {
  const at = /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T23:59:59Z`) : /^\d{4}-\d{2}-\d{2}T/.test(value) ? new Date(value) : new Date(Number.NaN);
  if (Number.isNaN(at.getTime())) throw new UsageError(`--until: "${value}" is not a date; allowed: YYYY-MM-DD (through that day, UTC) or an ISO time such as 2026-12-31T18:00:00+08:00`);
  if (at.getTime() <= now.getTime()) throw new UsageError(`--until: "${value}" is not in the future; an exception must end after now (${now.toISOString()})`);
  return at.toISOString();
}

async function operatorAction(dataDirFlag: string | undefined, detailType: 'Finding Acknowledged' | 'Finding Exception Granted', detail: Record<string, unknown>, by: string, state: 'acknowledged' | 'excepted', out: Out): Promise<number> {
  const findingId = detail.findingId as string;
  const check = validateDetail(detailType, detail);
  if (!check.ok) throw new UsageError(`findings: ${check.message}`);
  const dataDir = dataDirFrom(dataDirFlag);
  const runtime = await requireRuntime(dataDir, `${detailType === 'Finding Acknowledged' ? 'findings ack' : 'findings exception'} (an event on the bus)`);
  return withStateTable({ dataDir, endpoint: runtime.dynamoDbUrl }, async ({ docs, tableName }) => {
    const store = dynamoFindingsStore(docs, tableName);
    const finding = await knownFinding(store, findingId);
    if (!isLive(finding)) throw new UsageError(`finding "${findingId}" is resolved (${finding.resolvedAt ?? finding.updatedAt}); only live findings (open, acknowledged, excepted) can be ${state}`);
    const client = eventBridgeClient(runtime.eventBridgeUrl);
    const sentAt = Date.now();
    try {
      const result = await client.send(new PutEventsCommand({ Entries: [{ EventBusName: PIPELINE_EVENT_BUS_NAME, Source: OPERATOR_SOURCE, DetailType: detailType, Detail: JSON.stringify(detail) }] }));
      const entry = result.Entries?.[0];
      if (!entry?.EventId) throw new Error(`the bus refused the ${detailType} event: ${entry?.ErrorCode} ${entry?.ErrorMessage}`);
      const applied = await waitUntilApplied(store, findingId, (f) => f.history.some((h) => h.state === state && h.by === by && Date.parse(h.at) >= sentAt - 1_000));
      if (!applied) {
        out(`sent ${detailType} for ${findingId} (event ${entry.EventId}), but the finding desk has not applied it within ${APPLY_TIMEOUT_MS / 1000} s; see \`erpgov dlq list\``);
        return 1;
      }
      out(`${findingId}: ${applied.state}${state === 'excepted' && applied.exception ? ` until ${applied.exception.until} (owner ${applied.exception.owner})` : ` by ${by}`} — event ${entry.EventId} on the bus and in the audit trail`);
      return 0;
    } finally {
      client.destroy();
    }
  });
}

async function waitUntilApplied(store: FindingsStore, findingId: string, applied: (f: StoredFinding) => boolean): Promise<StoredFinding | undefined> {
  const deadline = Date.now() + APPLY_TIMEOUT_MS;
  for (;;) {
    const current = (await store.get(findingId))?.finding;
    if (current && applied(current)) return current;
    if (Date.now() > deadline) return undefined;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function knownFinding(store: FindingsStore, findingId: string): Promise<StoredFinding> {
  const found = await store.get(findingId);
  if (!found) throw new UsageError(`finding "${findingId}" is unknown; allowed: an id that \`erpgov findings list\` shows`);
  return found.finding;
}

function onePositional(positionals: string[], sub: string): string {
  if (positionals.length !== 1 || positionals[0]?.trim() === '') throw new UsageError(`findings ${sub}: give exactly one finding id (got ${positionals.length}); \`erpgov findings list\` shows them`);
  return (positionals[0] as string).trim();
}

function stateAccess(values: { 'data-dir'?: string; endpoint?: string }) {
  return { dataDir: dataDirFrom(values['data-dir']), ...(values.endpoint ? { endpoint: values.endpoint } : {}) };
}

function byStateSeverityAge(a: StoredFinding, b: StoredFinding): number {
  return (
    STATE_ORDER.indexOf(a.state) - STATE_ORDER.indexOf(b.state) ||
    SEVERITIES.indexOf(a.raised.severity) - SEVERITIES.indexOf(b.raised.severity) ||
    a.firstRaisedAt.localeCompare(b.firstRaisedAt) ||
    a.findingId.localeCompare(b.findingId)
  );
}
