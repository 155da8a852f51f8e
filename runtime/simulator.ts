/**
 * The whole pipeline over a period, on a virtual clock, in a throw-away data folder (or one
 * kept for the `erpgov` commands that read a data folder, with `keepDataIn`): the
 * policy dry-run ("what would this policy have found last month?") and the harness for long
 * scenarios.
 *
 * The runtime runs in this process with a `ManualClock` installed as the process clock, the
 * state table in memory, no bus journal, one delivery at a time and deterministic event ids.
 * Events are delivered in event-time order; before each one, every schedule fires at each of
 * its simulated fire times up to the event's time (sweeps, hourly analysis, the daily
 * archive, the monthly report), and after the last event up to the end of the period. After
 * each event or fire the simulator waits until everything it caused (findings, commands,
 * notifications, audit records) has been delivered, so the same input always gives the same
 * output.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installClock, ManualClock } from '../functions/shared/clock.ts';
import { startLocalRuntime, type LocalRuntime } from './local-runtime.ts';
import type { BusEvent } from './put-events.ts';
import type { ReplayLine } from './replay-lines.ts';
import { copyStateTableToDataDir } from './state-snapshot.ts';

/** Bad input to a simulation: the CLI prints it as one line and exits 2. */
export class SimulationInputError extends Error {}

export interface SimulationOptions {
  readonly lines: readonly ReplayLine[];
  /** Start of the period; default: the first event's time. */
  readonly from?: Date;
  /** End of the period (schedules fire up to it); default: the last event's time. */
  readonly to?: Date;
  /** Where the throw-away data folder goes; default: the system's temporary folder. */
  readonly workDir?: string;
  /**
   * A new or empty folder to run in and keep as a data folder: its archive as the runtime
   * wrote it and, at the end, the state table (`dynamodb/`), so that `erpgov evidence`,
   * `report`, `findings` and `audit` can read the simulated period. Default: a throw-away folder.
   */
  readonly keepDataIn?: string;
  /** Called now and then with how far the simulation got. */
  readonly onProgress?: (progress: { readonly delivered: number; readonly total: number; readonly at: string }) => void;
}

export interface Refusal {
  readonly line: number;
  readonly errorCode: string;
  readonly errorMessage: string;
}

export interface SimulationRun<T> {
  readonly from: string;
  readonly to: string;
  readonly eventsInPeriod: number;
  readonly eventsOutsidePeriod: number;
  readonly accepted: number;
  readonly refusals: readonly Refusal[];
  readonly scheduleFires: Readonly<Record<string, number>>;
  /** The pipeline's own events and the operators' actions, in the order the bus took them. */
  readonly published: readonly BusEvent[];
  readonly deadLetters: number;
  readonly collected: T;
}

/** Detail-types the simulation keeps for its outputs. */
const KEPT = new Set(['Finding Raised', 'Finding Resolved', 'Finding Acknowledged', 'Finding Exception Granted', 'Command Issued']);

/** Ids that depend only on their position: the same input gets the same event ids. */
export function deterministicIds(seed = 'erpgov-simulate'): () => string {
  let n = 0;
  return () => {
    const h = createHash('sha256').update(`${seed}\n${n++}`).digest('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
  };
}

/**
 * Runs the period and, before the throw-away runtime stops, `collect` reads what it needs
 * from it (the outbox, the reports in `<dataDir>/archive`).
 */
export async function runSimulation<T>(options: SimulationOptions, collect: (runtime: LocalRuntime) => Promise<T>): Promise<SimulationRun<T>> {
  const timed = options.lines.map((line) => {
    if (line.time === undefined) throw new SimulationInputError(`line ${line.line} has no event time (Time / time): a simulation delivers events in event-time order, so every line needs one`);
    return { line, at: Date.parse(line.time) };
  });
  // Stable: lines with the same time keep the file's order.
  timed.sort((a, b) => a.at - b.at || a.line.line - b.line.line);
  const first = timed[0]?.at;
  const last = timed.at(-1)?.at;
  const from = options.from?.getTime() ?? first;
  const to = options.to?.getTime() ?? last;
  if (from === undefined || to === undefined) throw new SimulationInputError('the events file holds no events; a simulation needs at least one');
  if (to < from) throw new SimulationInputError(`the period ends (${new Date(to).toISOString()}) before it starts (${new Date(from).toISOString()}); --to must be after --from`);
  const inPeriod = timed.filter((t) => t.at >= from && t.at <= to);
  if (inPeriod.length === 0) {
    throw new SimulationInputError(`no event lies in the period ${new Date(from).toISOString()} .. ${new Date(to).toISOString()}; the file's events run from ${new Date(first as number).toISOString()} to ${new Date(last as number).toISOString()}`);
  }

  const dataDir = options.keepDataIn === undefined ? mkdtempSync(join(options.workDir ?? tmpdir(), 'erpgov-simulate-')) : emptyDataDir(options.keepDataIn);
  const clock = new ManualClock(new Date(from));
  const restoreClock = installClock(clock);
  let runtime: LocalRuntime | undefined;
  try {
    runtime = await startLocalRuntime({
      dataDir,
      armSchedules: false,
      durable: false,
      announce: false,
      clock,
      ids: deterministicIds(),
      concurrency: 1,
      retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
    });
    const rt = runtime;
    const published: BusEvent[] = [];
    rt.bus.observe((events) => {
      for (const e of events) if (KEPT.has(e['detail-type'])) published.push(e);
    });
    const scheduleFires: Record<string, number> = {};
    const countFires = rt.bus.observe((events) => {
      for (const e of events) if (e['detail-type'] === 'Scheduled Event' && e.source === 'aws.events') {
        const id = String(e.resources[0] ?? '').split('/').pop() ?? '';
        scheduleFires[id] = (scheduleFires[id] ?? 0) + 1;
      }
    });

    const fireUntil = async (until: number) => {
      for (let due = rt.scheduler.nextDue(); due !== null && due.getTime() <= until; due = rt.scheduler.nextDue()) {
        clock.advanceTo(due);
        rt.scheduler.tick(due);
        await rt.bus.whenIdle();
      }
    };

    const refusals: Refusal[] = [];
    let accepted = 0;
    for (const [i, { line, at }] of inPeriod.entries()) {
      await fireUntil(at);
      clock.advanceTo(new Date(at));
      const out = line.kind === 'entry' ? rt.putEntries([line.entry]) : rt.injectEvents([line.event]);
      const result = out.Entries[0];
      if (result && 'ErrorCode' in result) refusals.push({ line: line.line, errorCode: result.ErrorCode, errorMessage: result.ErrorMessage });
      else accepted++;
      await rt.bus.whenIdle();
      if (options.onProgress && (i % 500 === 0 || i === inPeriod.length - 1)) options.onProgress({ delivered: i + 1, total: inPeriod.length, at: new Date(at).toISOString() });
    }
    await fireUntil(to);
    clock.advanceTo(new Date(to));
    countFires();
    const collected = await collect(rt);
    if (options.keepDataIn !== undefined) await copyStateTableToDataDir(rt.dynamoDbUrl, rt.region, dataDir);
    return {
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      eventsInPeriod: inPeriod.length,
      eventsOutsidePeriod: timed.length - inPeriod.length,
      accepted,
      refusals,
      scheduleFires: Object.fromEntries(Object.entries(scheduleFires).sort(([a], [b]) => a.localeCompare(b))),
      published,
      deadLetters: rt.bus.stats.deadLettered,
      collected,
    };
  } finally {
    await runtime?.stop(1_000);
    restoreClock();
    if (options.keepDataIn === undefined) rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The folder a kept simulation runs in: created if need be, refused unless empty (a simulation never mixes with other data). */
function emptyDataDir(dir: string): string {
  if (existsSync(dir) && readdirSync(dir).length > 0) throw new SimulationInputError(`--data-dir: "${dir}" is not empty; a simulation keeps its data only in a new or empty folder`);
  mkdirSync(dir, { recursive: true });
  return dir;
}
