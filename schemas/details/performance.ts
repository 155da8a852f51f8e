/**
 * Performance facts (guide area 3): resource and business metrics compared with thresholds
 * (3.1 CPU, memory, free disk; 3.2 order latency, report duration), and the raw material for
 * bottleneck hunting (3.3: slow SQL, the modules that fail most often).
 */
import * as z from '../zod-mini.ts';
import { builtOnFirstUse, erpFact, identifier, label, list, moduleName, prose, timestamp } from './common.ts';

export const metricStatistic = z.enum(['sample', 'average', 'p95', 'p99', 'max']);
export type MetricStatistic = z.infer<typeof metricStatistic>;

export const metricName = z.enum(['cpu', 'memory', 'disk-free', 'order-latency', 'report-duration']);
export type MetricName = z.infer<typeof metricName>;

/**
 * Each metric has exactly one unit, and the sample must say it: a latency sent in
 * milliseconds while the threshold is in seconds would otherwise pass silently as 1000× worse.
 */
export const metricUnits: Readonly<Record<MetricName, 'percent' | 'seconds'>> = {
  cpu: 'percent',
  memory: 'percent',
  'disk-free': 'percent',
  'order-latency': 'seconds',
  'report-duration': 'seconds',
};

/** Most datapoints one Metric Sample may carry (a host's metrics of one scrape, or a short backlog). */
export const MAX_DATAPOINTS_PER_SAMPLE = 500;

const metricField = () => metricName.check(z.describe('What was measured: "cpu" and "memory" (percent used), "disk-free" (percent free), "order-latency" (seconds to process one order), "report-duration" (seconds to generate one report).'));
const valueField = () => z.number().check(z.nonnegative(), z.describe('The measured value, in `unit`.'));
const unitField = () => z.enum(['percent', 'seconds']).check(z.describe('"percent" for cpu, memory and disk-free (0–100); "seconds" for order-latency and report-duration.'));

/** One datapoint of a sample that carries several (same host; its own metric, value, unit and time). */
export const metricDatapoint = () => z
  .strictObject({
    metric: metricField(),
    value: valueField(),
    unit: unitField(),
    at: z.optional(timestamp('When the value was measured; the event\'s time if absent.')),
    statistic: z.optional(z.enum(['sample', 'average', 'p95', 'p99', 'max'])).check(z.describe('How the value aggregates its window; "sample" if absent.')),
    module: z.optional(moduleName()).check(z.describe('ERP module a business metric belongs to.')),
    volume: z.optional(identifier('Disk or volume, for disk-free.')),
  })
  .check(z.describe('One measurement of a metric of the sample\'s host.'));
export type MetricDatapoint = z.infer<ReturnType<typeof metricDatapoint>>;

/** A value in the unit its metric must be measured in: the field named when not. */
function checkUnit(point: { metric?: MetricName | undefined; unit?: string | undefined; value?: number | undefined }, ctx: z.core.$RefinementCtx, path: (string | number)[]) {
  if (point.metric === undefined || point.unit === undefined) return;
  const expected = metricUnits[point.metric];
  if (point.unit !== expected) {
    ctx.addIssue({ code: 'custom', path: [...path, 'unit'], input: point.unit, message: `must be "${expected}" for metric "${point.metric}"` });
  } else if (expected === 'percent' && point.value !== undefined && point.value > 100) {
    ctx.addIssue({ code: 'custom', path: [...path, 'value'], input: point.value, message: 'must be at most 100 (a percentage)' });
  }
}

export const metricSample = builtOnFirstUse(() => erpFact('One measurement of a resource or business metric (guide 3.1, 3.2), or several: `datapoints` carries many measurements of the host at once (each with its own metric, unit and time).', {
  host: identifier('Server or instance measured, e.g. "erp-app-01"; for business metrics, the ERP instance.'),
  metric: z.optional(metricField()),
  value: z.optional(valueField()),
  unit: z.optional(unitField()),
  statistic: z.optional(z.enum(['sample', 'average', 'p95', 'p99', 'max'])).check(z.describe('How the value aggregates the measurement window; "sample" (a single reading) if absent.')),
  windowSeconds: z.optional(z.number().check(z.int(), z.positive())).check(z.describe('Length of the aggregation window, in seconds.')),
  module: z.optional(moduleName()).check(z.describe('ERP module a business metric belongs to, e.g. "orders".')),
  report: z.optional(label('Report name, for report-duration, e.g. "month-end P&L".')),
  volume: z.optional(identifier('Disk or volume, for disk-free, e.g. "/hana/data".')),
  datapoints: z.optional(z
    .array(metricDatapoint())
    .check(z.minLength(1), z.maxLength(MAX_DATAPOINTS_PER_SAMPLE)))
    .check(z.describe(`Several measurements of the host at once (at most ${MAX_DATAPOINTS_PER_SAMPLE}); given instead of, or besides, metric/value/unit.`)),
}).check(z.superRefine((sample, ctx) => {
  const single = [sample.metric, sample.value, sample.unit];
  if (sample.datapoints === undefined || single.some((field) => field !== undefined)) {
    for (const [field, given] of [['metric', sample.metric], ['value', sample.value], ['unit', sample.unit]] as const) {
      if (given === undefined) ctx.addIssue({ code: 'custom', path: [field], input: undefined, message: 'must be given (or send the measurements in datapoints)' });
    }
  }
  checkUnit(sample, ctx, []);
  sample.datapoints?.forEach((point, i) => checkUnit(point, ctx, ['datapoints', i]));
})));
export type MetricSample = z.infer<ReturnType<typeof metricSample>>;

export const slowQuery = builtOnFirstUse(() => erpFact('A database query ran slower than the APM\'s threshold (guide 3.3).', {
  system: identifier('Database or ERP instance, e.g. "sap-prd-hana".'),
  queryFingerprint: identifier('Stable id of the normalised statement, so repeated runs of one query group together.'),
  statement: z.optional(prose('Normalised SQL with literals stripped (never customer data), truncated as needed.')),
  durationSeconds: z.number().check(z.nonnegative(), z.describe('How long the query ran, in seconds.')),
  module: z.optional(moduleName()).check(z.describe('ERP module that issued the query.')),
  tables: z.optional(list(identifier('Table'), 'Tables the query touched; candidates for an index.')),
  rowsExamined: z.optional(z.number().check(z.int(), z.nonnegative())).check(z.describe('Rows the database examined.')),
  detectedBy: z.optional(label('Tool that reported it, e.g. "new-relic", "pg_stat_statements".')),
}));
export type SlowQuery = z.infer<ReturnType<typeof slowQuery>>;

export const moduleError = builtOnFirstUse(() => erpFact('An ERP module raised errors (guide 3.3: find the modules that fail most often).', {
  module: moduleName(),
  errorClass: identifier('Kind of error, stable across occurrences, e.g. "inventory-lock-conflict".'),
  message: z.optional(prose('Error message of the latest occurrence (no personal data).')),
  occurrences: z._default(z.number().check(z.int(), z.positive()), 1).check(z.describe('How many times the error occurred in the window; 1 if absent.')),
  windowSeconds: z.optional(z.number().check(z.int(), z.positive())).check(z.describe('Window the occurrences were counted over, in seconds.')),
  host: z.optional(identifier('Server that raised it.')),
}));
export type ModuleError = z.infer<ReturnType<typeof moduleError>>;

/** The measurements a sample carries, one per datapoint, in the order sent; the single form is one datapoint at the event's time. */
export function sampleDatapoints(sample: MetricSample, eventTime: string): { metric: MetricName; value: number; at: string; volume?: string; module?: string; statistic?: MetricStatistic }[] {
  const points: { metric: MetricName; value: number; at: string; volume?: string; module?: string; statistic?: MetricStatistic }[] = [];
  if (sample.metric !== undefined && sample.value !== undefined) {
    points.push({ metric: sample.metric, value: sample.value, at: eventTime, ...(sample.volume ? { volume: sample.volume } : {}), ...(sample.module ? { module: sample.module } : {}), ...(sample.statistic ? { statistic: sample.statistic } : {}) });
  }
  for (const point of sample.datapoints ?? []) {
    points.push({ metric: point.metric, value: point.value, at: point.at ?? eventTime, ...(point.volume ? { volume: point.volume } : {}), ...(point.module ? { module: point.module } : {}), ...(point.statistic ? { statistic: point.statistic } : {}) });
  }
  return points;
}
