/**
 * Slow SQL per ERP module (guide 3.3): slow executions counted per module and statement
 * fingerprint over tumbling windows; a module with `findingAtExecutions` or more in a window
 * is a hot spot (one finding per episode, naming the worst statements), which ends after a
 * window with fewer. Pure.
 *
 * The fingerprint is computed here from the statement with its literals normalised away
 * (strings, numbers, IN-lists, VALUES rows), so `WHERE id = 42` and `WHERE id = 7` count as
 * one statement whatever tool reported them; without a statement, the reporter's
 * `queryFingerprint` is the key.
 */
import { createHash } from 'node:crypto';
import { windowEndOf, windowStartOf } from './percentile-window.ts';

export interface SlowSqlRules {
  readonly minSeconds: number;
  readonly windowMinutes: number;
  readonly findingAtExecutions: number;
  readonly worstStatements: number;
}

export interface StatementTally {
  readonly statement?: string;
  readonly reportedFingerprint: string;
  readonly executions: number;
  readonly totalSeconds: number;
  readonly maxSeconds: number;
  readonly tables?: readonly string[];
}

export interface ModuleSlowSql {
  readonly module: string;
  /** 0 for a module never stored. */
  readonly version: number;
  readonly windowStart: string;
  readonly executions: number;
  /** Fingerprint → tally; at most MAX_STATEMENTS (the rest counted in `otherExecutions`). */
  readonly statements: Readonly<Record<string, StatementTally>>;
  readonly otherExecutions: number;
  /** Event ids taken into this window (bounded), so a redelivery counts nothing twice. */
  readonly recentEventIds: readonly string[];
  /** Start of the open hot-spot episode, if any. */
  readonly episodeStartedAt?: string;
}

export const MAX_STATEMENTS = 50;
const MAX_RECENT_EVENT_IDS = 200;
const MAX_STATEMENT_CHARS = 500;

/** The statement with literals replaced by `?`, comments dropped and whitespace collapsed. */
export function normaliseStatement(sql: string): string {
  return sql
    .replace(/--[^\n]*/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/'(?:[^']|'')*'/g, '?')
    .replace(/\b0x[0-9a-f]+\b/gi, '?')
    .replace(/(?<![\w$.])[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?\b/gi, '?')
    .replace(/\s+/g, ' ')
    .replace(/\(\s*\?(?:\s*,\s*\?)*\s*\)/g, '(?)')
    .replace(/\bVALUES\s*\(\?\)(?:\s*,\s*\(\?\))*/gi, 'VALUES (?)')
    .trim();
}

export function statementKey(statement: string | undefined, reportedFingerprint: string): string {
  if (statement === undefined || statement.trim() === '') return `fp:${reportedFingerprint}`;
  return `sql:${createHash('sha256').update(normaliseStatement(statement).toLowerCase()).digest('hex').slice(0, 20)}`;
}

export interface SlowQueryInput {
  readonly module: string;
  readonly queryFingerprint: string;
  readonly statement?: string;
  readonly durationSeconds: number;
  readonly tables?: readonly string[];
  readonly at: string;
  readonly eventId: string;
}

export type SlowSqlEffect =
  | { readonly kind: 'hot'; readonly startedAt: string; readonly at: string }
  | { readonly kind: 'cooled'; readonly startedAt: string; readonly at: string; readonly window: { start: string; executions: number } };

export interface SlowSqlStep {
  readonly state: ModuleSlowSql;
  readonly changed: boolean;
  readonly effects: readonly SlowSqlEffect[];
}

const emptyWindow = (module: string, version: number, windowStart: string, episodeStartedAt: string | undefined): ModuleSlowSql => ({
  module,
  version,
  windowStart,
  executions: 0,
  statements: {},
  otherExecutions: 0,
  recentEventIds: [],
  ...(episodeStartedAt ? { episodeStartedAt } : {}),
});

/**
 * Moves the module's tally to the window holding `at`: a window that ended hot keeps the
 * episode open into the window right after it; one that ended cold (or was followed by an
 * empty window) ends the episode.
 */
export function advanceWindow(before: ModuleSlowSql, rules: SlowSqlRules, at: string): SlowSqlStep {
  const start = windowStartOf(at, rules);
  if (start <= before.windowStart) return { state: before, changed: false, effects: [] };
  const effects: SlowSqlEffect[] = [];
  const hot = before.executions >= rules.findingAtExecutions;
  const next = windowEndOf(before.windowStart, rules);
  let episode = before.episodeStartedAt;
  if (episode !== undefined && (!hot || start > next)) {
    // Cold window, or the window after the hot one passed with no slow execution at all.
    const coldEnd = hot ? windowEndOf(next, rules) : next;
    effects.push({ kind: 'cooled', startedAt: episode, at: coldEnd, window: hot ? { start: next, executions: 0 } : { start: before.windowStart, executions: before.executions } });
    episode = undefined;
  }
  return { state: emptyWindow(before.module, before.version, start, episode), changed: true, effects };
}

/** Takes one slow execution into the module's tally (executions at or under `minSeconds` do not count). */
export function takeSlowQuery(before: ModuleSlowSql | undefined, rules: SlowSqlRules, query: SlowQueryInput): SlowSqlStep {
  if (!(query.durationSeconds > rules.minSeconds)) return { state: before ?? emptyWindow(query.module, 0, windowStartOf(query.at, rules), undefined), changed: false, effects: [] };
  const start = windowStartOf(query.at, rules);
  if (before !== undefined && (start < before.windowStart || before.recentEventIds.includes(query.eventId))) return { state: before, changed: false, effects: [] };
  const effects: SlowSqlEffect[] = [];
  let state = before ?? emptyWindow(query.module, 0, start, undefined);
  if (before !== undefined) {
    const moved = advanceWindow(before, rules, query.at);
    state = moved.state;
    effects.push(...moved.effects);
  }
  const key = statementKey(query.statement, query.queryFingerprint);
  const statements = { ...state.statements };
  let otherExecutions = state.otherExecutions;
  const known = statements[key];
  if (known !== undefined || Object.keys(statements).length < MAX_STATEMENTS) {
    const tables = [...new Set([...(known?.tables ?? []), ...(query.tables ?? [])])].slice(0, 20);
    statements[key] = {
      ...(query.statement ? { statement: normaliseStatement(query.statement).slice(0, MAX_STATEMENT_CHARS) } : known?.statement ? { statement: known.statement } : {}),
      reportedFingerprint: known?.reportedFingerprint ?? query.queryFingerprint,
      executions: (known?.executions ?? 0) + 1,
      totalSeconds: (known?.totalSeconds ?? 0) + query.durationSeconds,
      maxSeconds: Math.max(known?.maxSeconds ?? 0, query.durationSeconds),
      ...(tables.length > 0 ? { tables } : {}),
    };
  } else {
    otherExecutions++;
  }
  const executions = state.executions + 1;
  let episodeStartedAt = state.episodeStartedAt;
  if (episodeStartedAt === undefined && executions >= rules.findingAtExecutions) {
    episodeStartedAt = state.windowStart;
    effects.push({ kind: 'hot', startedAt: episodeStartedAt, at: query.at });
  } else if (episodeStartedAt !== undefined && executions >= rules.findingAtExecutions && isEvidenceStep(executions, rules)) {
    effects.push({ kind: 'hot', startedAt: episodeStartedAt, at: query.at });
  }
  const next: ModuleSlowSql = {
    ...state,
    executions,
    statements,
    otherExecutions,
    recentEventIds: [...state.recentEventIds, query.eventId].slice(-MAX_RECENT_EVENT_IDS),
    ...(episodeStartedAt ? { episodeStartedAt } : {}),
  };
  return { state: next, changed: true, effects };
}

/** The finding's evidence is refreshed when a window reaches the threshold and each time its count doubles, not at every execution. */
function isEvidenceStep(executions: number, rules: SlowSqlRules): boolean {
  const ratio = executions / rules.findingAtExecutions;
  return Number.isInteger(ratio) && (ratio & (ratio - 1)) === 0;
}

export interface WorstStatement {
  readonly fingerprint: string;
  readonly statement?: string;
  readonly executions: number;
  readonly totalSeconds: number;
  readonly maxSeconds: number;
  readonly tables?: readonly string[];
}

/** The statements that cost the module most time in the window, worst first. */
export function worstStatements(state: ModuleSlowSql, count: number): WorstStatement[] {
  return Object.entries(state.statements)
    .map(([key, t]) => ({ fingerprint: t.reportedFingerprint, key, ...t }))
    .sort((a, b) => b.totalSeconds - a.totalSeconds || b.maxSeconds - a.maxSeconds || a.key.localeCompare(b.key))
    .slice(0, count)
    .map(({ fingerprint, statement, executions, totalSeconds, maxSeconds, tables }) => ({ fingerprint, ...(statement ? { statement } : {}), executions, totalSeconds: Math.round(totalSeconds * 1000) / 1000, maxSeconds, ...(tables ? { tables } : {}) }));
}
