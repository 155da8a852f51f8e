/**
 * CloudWatch "Alarm State Change" events exactly as AWS puts them on the default bus (metric,
 * metric-math, anomaly-band and composite alarms), read tolerantly: AWS's own examples carry
 * numbers as strings, `+0000` offsets, reasonData as a JSON string, and omit fields (no
 * previousState on a new alarm, no metrics on a composite one). Only `alarmName` and
 * `state.value` are required; everything else is kept when present. Pure.
 */
export interface AlarmChange {
  readonly alarmName: string;
  readonly state: string;
  readonly previousState?: string;
  readonly reason?: string;
  /** ISO time of the new state (the state's own timestamp, else the event's time). */
  readonly at: string;
  readonly account: string;
  readonly region: string;
  readonly arn?: string;
  readonly description?: string;
  readonly metrics: readonly string[];
  readonly threshold?: number;
}

export type AlarmParse = { ok: true; alarm: AlarmChange } | { ok: false; field: string };

const record = (value: unknown): Record<string, unknown> | undefined => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined);
const text = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' ? value : typeof value === 'number' ? String(value) : undefined);
const number = (value: unknown): number | undefined => {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isFinite(n) ? n : undefined;
};
const isoOf = (value: unknown): string | undefined => {
  const t = text(value);
  if (t === undefined) return undefined;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
};

export function parseAlarmChange(event: Record<string, unknown>): AlarmParse {
  const detail = record(event.detail);
  if (!detail) return { ok: false, field: 'detail' };
  const alarmName = text(detail.alarmName);
  if (!alarmName) return { ok: false, field: 'detail.alarmName' };
  const state = record(detail.state);
  const value = text(state?.value);
  if (!value) return { ok: false, field: 'detail.state.value' };
  const at = isoOf(state?.timestamp) ?? isoOf(event.time);
  if (!at) return { ok: false, field: 'detail.state.timestamp' };
  const configuration = record(detail.configuration);
  const metrics = (Array.isArray(configuration?.metrics) ? configuration.metrics : []).flatMap((m) => {
    const metric = record(record(record(m)?.metricStat)?.metric);
    const expression = text(record(m)?.expression);
    if (metric) return [`${text(metric.namespace) ?? '?'}/${text(metric.name) ?? '?'}`];
    return expression ? [expression] : [];
  });
  let threshold: number | undefined;
  const reasonData = text(state?.reasonData);
  if (reasonData) {
    try {
      threshold = number(record(JSON.parse(reasonData))?.threshold);
    } catch {
      // reasonData is informative only; a malformed one is ignored.
    }
  }
  const resources = Array.isArray(event.resources) ? event.resources.filter((r): r is string => typeof r === 'string') : [];
  const previousState = text(record(detail.previousState)?.value);
  const reason = text(state?.reason);
  const description = text(configuration?.description) ?? text(configuration?.alarmRule);
  return {
    ok: true,
    alarm: {
      alarmName,
      state: value,
      at,
      account: text(event.account) ?? 'unknown',
      region: text(event.region) ?? 'unknown',
      metrics,
      ...(previousState ? { previousState } : {}),
      ...(reason ? { reason } : {}),
      ...(resources[0] ? { arn: resources[0] } : {}),
      ...(description ? { description } : {}),
      ...(threshold !== undefined ? { threshold } : {}),
    },
  };
}
