/** Day arithmetic on UTC calendar days (YYYY-MM-DD), as the audit trail partitions its records. Pure. */

/** Every UTC day from `from` to `to` (YYYY-MM-DD, both inclusive), in order; empty when `to` is before `from`. */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  const end = Date.parse(`${to}T00:00:00Z`);
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= end; t += 86_400_000) days.push(new Date(t).toISOString().slice(0, 10));
  return days;
}
