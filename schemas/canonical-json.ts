/**
 * JSON with object keys sorted (by code unit) and undefined-valued keys left out, so equal
 * values always give equal text: what the audit chain hashes, what evidence manifests sign and
 * what tells two deliveries of one ERP operation apart. Pure; one home for the rule.
 *
 * Written as loops over strings, not entries arrays sorted and mapped: the seal pass hashes
 * every record of the trail with it.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ',') + canonicalJson(value[i]);
    return `${out}]`;
  }
  const object = value as Record<string, unknown>;
  // `sort()` without a comparator orders by UTF-16 code units, as the rule says.
  const keys = Object.keys(object).sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    const v = object[key];
    if (v === undefined) continue;
    out += (first ? '' : ',') + JSON.stringify(key) + ':' + canonicalJson(v);
    first = false;
  }
  return `${out}}`;
}
