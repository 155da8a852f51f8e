/**
 * `erpgov schedule list` and `erpgov schedule run <id> [--at TIME]`: the schedules of the routing
 * table with their next and last fire times, and one fire on the running runtime, made exactly
 * as the scheduler makes it (an EventBridge "Scheduled Event" through the bus), printed with
 * what the invocation returned and what it published.
 */
import { parseArgs } from 'node:util';
import { routingTable } from '../infra/routes.ts';
import { nextFireTime } from '../infra/schedule.ts';
import type { ScheduleRunResult } from '../runtime/local-runtime.ts';
import { liveRuntime } from '../runtime/runtime-file.ts';
import { fileFireMemory, type ScheduleStatus } from '../runtime/scheduler.ts';
import { dataDirFrom } from './options.ts';
import { adminCall, requireRuntime } from './runtime-client.ts';
import { UsageError } from './usage.ts';

type Out = (line: string) => void;
const stdout: Out = (line) => process.stdout.write(`${line}\n`);

const scheduleIds = () => routingTable.flatMap((fn) => fn.schedules.map((s) => s.id));

export async function runScheduleCommand(args: string[], out: Out = stdout): Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { at: { type: 'string' }, json: { type: 'boolean' }, 'data-dir': { type: 'string' } } });
  const dataDir = dataDirFrom(values['data-dir']);
  switch (sub) {
    case 'list': {
      if (positionals.length > 0 || values.at !== undefined) throw new UsageError('schedule list takes no schedule id and no --at; did you mean `schedule run`?');
      const schedules = liveRuntime(dataDir) ? (await adminCall<{ Schedules: ScheduleStatus[] }>(await requireRuntime(dataDir, 'schedule list'), 'ListSchedules', {})).Schedules : stoppedSchedules(dataDir, new Date());
      if (values.json) {
        out(JSON.stringify(schedules, null, 2));
        return 0;
      }
      for (const s of schedules) out(`${s.id.padEnd(26)} ${s.functionName.padEnd(18)} ${s.expression.padEnd(20)} next ${s.next ?? 'never'}   last ${s.last ?? 'never'}`);
      out(`${schedules.length} schedule(s)${liveRuntime(dataDir) ? '' : ` (runtime stopped: next times from now, last fires from ${dataDir})`}`);
      return 0;
    }
    case 'run': {
      const known = scheduleIds();
      if (positionals.length !== 1) throw new UsageError(`schedule run: give exactly one schedule id; allowed: ${known.join(', ')}`);
      const id = positionals[0] as string;
      if (!known.includes(id)) throw new UsageError(`schedule run: unknown schedule "${id}"; allowed: ${known.join(', ')}`);
      const at = values.at === undefined ? undefined : fireTime(values.at);
      const runtime = await requireRuntime(dataDir, 'schedule run');
      const result = await adminCall<ScheduleRunResult>(runtime, 'RunSchedule', { ScheduleId: id, ...(at ? { At: at.toISOString() } : {}) });
      if (values.json) out(JSON.stringify(result, null, 2));
      else printRun(result, out);
      return result.delivery.outcome === 'delivered' ? 0 : 1;
    }
    default:
      throw new UsageError(`schedule: unknown subcommand "${sub ?? ''}"; allowed: list, run`);
  }
}

/** `--at`: an ISO 8601 date or time. */
function fireTime(value: string): Date {
  const at = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value) ? new Date(value) : new Date(Number.NaN);
  if (Number.isNaN(at.getTime())) throw new UsageError(`--at: "${value}" is not a time; allowed: ISO 8601, e.g. 2026-11-30T10:45:00Z or 2026-11-30T18:45:00+08:00`);
  return at;
}

/** With the runtime stopped: the next fires from now, and the last ones it remembered in the data folder. */
function stoppedSchedules(dataDir: string, now: Date): ScheduleStatus[] {
  const fires = fileFireMemory(dataDir).read();
  return routingTable.flatMap((fn) =>
    fn.schedules.map((s) => ({ functionName: fn.name, id: s.id, expression: s.expression, description: s.description, next: nextFireTime(s.schedule, now)?.toISOString() ?? null, last: fires[s.id]?.lastFiredAt ?? null })),
  );
}

function printRun(result: ScheduleRunResult, out: Out): void {
  out(`fired ${result.scheduleId} (${result.functionName}) at ${result.event.time}: Scheduled Event ${result.event.id}, resources ${result.event.resources.join(', ')}`);
  const d = result.delivery;
  if (d.outcome === 'delivered') out(`returned: ${JSON.stringify(d.result)}${d.attempts > 1 ? ` (after ${d.attempts} attempts)` : ''}`);
  else if (d.outcome === 'dead-lettered') out(`FAILED after ${d.attempts} attempt(s): ${d.error.name}: ${d.error.message} (kept as a dead letter: erpgov dlq list)`);
  else out('the runtime stopped before the invocation ended; it is delivered after the next start');
  out(`published ${result.published.length} event(s)${result.published.length > 0 ? ':' : ''}`);
  for (const p of result.published) out(`  ${p.detailType.padEnd(16)} ${p.source}  ${p.id ?? ''}${p.severity ? `  [${p.severity}]` : ''}${p.title ? ` ${p.title}` : ''}`);
}
