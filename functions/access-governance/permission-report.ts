/**
 * The monthly permission audit (guide 2.5): redundant permissions, read from each account's
 * current state (never the event history), so its cost grows with the accounts, not with the
 * events. JSON and CSV for machines, Markdown for the reviewer. Pure.
 */
import { areaReportKey } from '../../schemas/archive-layout.ts';
import type { Policy } from '../../schemas/policy.ts';
import { jobOf, leaverDeadline, moverExcessRoles, sodExcepted, splitConflicts } from './access-checks.ts';
import { heldPermissions, type AccountSnapshot, type RoleHolding } from './permission-state.ts';
import { addDays, endOfMonth, MONTH_PATTERN } from '../shared/time.ts';
import { reportRenderers } from '../shared/report-formats.ts';

export const REPORT_CATEGORIES = ['leaver-not-cleaned', 'mover-not-adjusted', 'unused-permission', 'sod-conflict', 'expired-grant-present', 'no-bound-person', 'outside-job'] as const;
export type ReportCategory = (typeof REPORT_CATEGORIES)[number];

export interface ReportItem {
  readonly category: ReportCategory;
  readonly account: string;
  readonly person: string | null;
  /** Role, grant or permission pair the item is about. */
  readonly what: string;
  readonly detail: string;
}

export interface PermissionReport {
  readonly month: string;
  /** The audit judges the state as of the end of the month. */
  readonly asOf: string;
  readonly accountsReviewed: number;
  readonly counts: Record<ReportCategory, number>;
  readonly items: readonly ReportItem[];
  /** Reviewers' sign-offs recorded for the month so far ("Permission Review Signed Off"). */
  readonly signOffs: readonly SignOff[];
}

export interface SignOff {
  readonly reviewer: string;
  readonly comment?: string;
  readonly time: string;
}

/** Incremental builder: add accounts one by one (memory: the findings only), then `finish`. */
export function permissionReportBuilder(month: string, policy: Policy) {
  if (!MONTH_PATTERN.test(month)) throw new Error(`month "${month}" is not YYYY-MM`);
  const asOf = endOfMonth(month);
  const asOfIso = asOf.toISOString();
  const unusedCutoff = addDays(asOf, -policy.access.permissionAudit.unusedPermissionDays).toISOString();
  const items: ReportItem[] = [];
  /** person → account → held permissions: segregation of duties across a person's accounts is judged at the end. */
  const heldByPerson = new Map<string, Map<string, ReadonlyMap<string, readonly string[]>>>();
  let accounts = 0;
  return {
    add(current: AccountSnapshot): void {
      // The state as of the end of the month, from the holdings' event times: what was
      // assigned after it is not yet held; what was revoked after it still was.
      const snapshot = stateAsOf(current, asOfIso);
      if (snapshot === undefined) return;
      accounts++;
      const { account } = snapshot.meta;
      const person = snapshot.person?.person ?? snapshot.meta.person ?? null;
      const push = (category: ReportCategory, what: string, detail: string) => items.push({ category, account, person, what, detail });
      const roles = [...snapshot.roles].sort((a, b) => (a.role + a.grantKey).localeCompare(b.role + b.grantKey));
      const held = heldPermissions(snapshot, asOf, policy.access.segregationOfDuties.rolePermissions);
      if (person !== null && held.size > 0) (heldByPerson.get(person) ?? heldByPerson.set(person, new Map()).get(person)!).set(account, held);

      if (person === null) push('no-bound-person', account, 'no person is bound to this account');

      const departedAt = snapshot.person?.departedAt;
      if (departedAt !== undefined && leaverDeadline(departedAt, policy) <= asOfIso) {
        for (const r of roles) push('leaver-not-cleaned', r.role, `left ${departedAt}; role still assigned`);
      } else if (snapshot.person?.transfer !== undefined && leaverDeadline(snapshot.person.transfer.effectiveAt, policy) <= asOfIso) {
        const t = snapshot.person.transfer;
        for (const r of moverExcessRoles(snapshot, policy)) push('mover-not-adjusted', r.role, `moved ${t.fromJob} → ${t.toJob} on ${t.effectiveAt}; role opens ${r.modules.join(', ')}`);
      }

      for (const r of roles) {
        if (r.eventTime >= unusedCutoff) continue;
        const lastUses = r.modules.map((m) => snapshot.lastUse[m]).filter((t): t is string => t !== undefined);
        const last = lastUses.sort().at(-1);
        if (last === undefined || last < unusedCutoff) {
          push('unused-permission', r.role, `no operation in ${r.modules.join(', ')} since ${last ?? 'assignment'} (limit ${policy.access.permissionAudit.unusedPermissionDays} days)`);
        }
      }

      for (const pair of policy.access.segregationOfDuties.conflicts) {
        if (!held.has(pair.first) || !held.has(pair.second)) continue;
        if (!sodExcepted(policy, [account], pair, asOf)) push('sod-conflict', `${pair.first} + ${pair.second}`, pair.reason);
      }

      // 2.1 least privilege: modules outside the job.
      const job = jobOf(snapshot);
      if (job !== undefined) {
        const allowed = policy.access.leastPrivilege.jobModules[job];
        for (const r of roles) {
          const excess = allowed === undefined ? r.modules : r.modules.filter((m) => !allowed.includes(m));
          if (excess.length > 0) push('outside-job', r.role, allowed === undefined ? `job "${job}" is not in the policy's job matrix; role opens ${excess.join(', ')}` : `job ${job} (allowed ${allowed.join(', ')}); role opens ${excess.join(', ')}`);
        }
      }

      for (const g of snapshot.grants) {
        if (g.grantExpiresAt > asOfIso || g.startsAt > asOfIso) continue;
        // Listed until the ERP confirms the revocation (a revocation under the grant), not when the pipeline commands it.
        const confirmed = current.roles.some((r) => r.grantKey === g.grantId && r.state === 'revoked' && r.eventTime <= asOfIso);
        if (!confirmed) push('expired-grant-present', g.grantId, `expired ${g.grantExpiresAt}; ${g.state === 'active' ? 'not yet ended' : 'revocation commanded, not yet confirmed by the ERP'}`);
        for (const r of roles) if (r.grantKey === g.grantId) push('expired-grant-present', `${r.role} (grant ${g.grantId})`, `grant expired ${g.grantExpiresAt}; role still assigned`);
      }
    },
    finish(): PermissionReport {
      for (const [person, held] of heldByPerson) {
        if (held.size < 2) continue;
        for (const { pair, first, second } of splitConflicts(held, policy, asOf)) {
          const accountsInvolved = [...new Set([...Object.keys(first), ...Object.keys(second)])].sort();
          const via = (holders: Record<string, readonly string[]>) => Object.entries(holders).map(([a, v]) => `${a} (${v.join(', ')})`).join(', ');
          items.push({ category: 'sod-conflict', account: accountsInvolved.join(' + '), person, what: `${pair.first} + ${pair.second}`, detail: `across accounts: ${pair.first} via ${via(first)}, ${pair.second} via ${via(second)}; ${pair.reason}` });
        }
      }
      const sorted = [...items].sort((a, b) => a.category.localeCompare(b.category) || a.account.localeCompare(b.account) || a.what.localeCompare(b.what));
      const counts = Object.fromEntries(REPORT_CATEGORIES.map((c) => [c, 0])) as Record<ReportCategory, number>;
      for (const item of sorted) counts[item.category]++;
      return { month, asOf: asOfIso, accountsReviewed: accounts, counts, items: sorted, signOffs: [] };
    },
  };
}

/**
 * The account as it stood at `asOfIso` from the holdings' event times (each holding is the
 * latest version by event time): a role assigned after it is left out, a role revoked after
 * it counts as held (it was assigned before its revocation), grants not yet started are left
 * out. Undefined for an account that did not exist yet (everything it has came later).
 */
export function stateAsOf(snapshot: AccountSnapshot, asOfIso: string): (AccountSnapshot & { readonly roles: readonly RoleHolding[] }) | undefined {
  const roles = snapshot.roles.filter((r) => (r.state === 'assigned' ? r.eventTime <= asOfIso : r.eventTime > asOfIso)).map((r) => (r.state === 'assigned' ? r : { ...r, state: 'assigned' as const }));
  const grants = snapshot.grants.filter((g) => g.startsAt <= asOfIso);
  const lastUse = Object.fromEntries(Object.entries(snapshot.lastUse).filter(([, t]) => t <= asOfIso));
  const existedBefore = snapshot.roles.some((r) => r.eventTime <= asOfIso || r.state === 'revoked') || grants.length > 0 || Object.keys(lastUse).length > 0;
  if (!existedBefore && snapshot.roles.length + snapshot.grants.length + Object.keys(snapshot.lastUse).length > 0) return undefined;
  return { ...snapshot, roles, grants, lastUse };
}

export function buildPermissionReport(month: string, snapshots: Iterable<AccountSnapshot>, policy: Policy): PermissionReport {
  const builder = permissionReportBuilder(month, policy);
  for (const s of snapshots) builder.add(s);
  return builder.finish();
}

export function renderJson(report: PermissionReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

const csvCell = (value: string | null) => {
  const text = value ?? '';
  // Quote, and defuse spreadsheet formulas.
  const safe = /^[=+\-@]/.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) || safe !== text ? `"${safe.replaceAll('"', '""')}"` : safe;
};

export function renderCsv(report: PermissionReport): string {
  const lines = ['month,category,account,person,what,detail'];
  for (const i of report.items) lines.push([report.month, i.category, i.account, i.person, i.what, i.detail].map(csvCell).join(','));
  return `${lines.join('\n')}\n`;
}

const TITLES: Record<ReportCategory, string> = {
  'leaver-not-cleaned': 'Leavers not cleaned up',
  'mover-not-adjusted': 'Movers whose permissions were not adjusted',
  'unused-permission': 'Permissions not used',
  'sod-conflict': 'Segregation-of-duties conflicts',
  'expired-grant-present': 'Expired temporary grants still present',
  'no-bound-person': 'Accounts without a bound person',
  'outside-job': 'Permissions outside the job (2.1)',
};

const mdCell = (text: string | null) => (text ?? '—').replaceAll('|', '\\|').replaceAll('\n', ' ');

export function renderMarkdown(report: PermissionReport): string {
  const out = [
    `# Permission audit ${report.month}`,
    '',
    `State as of ${report.asOf}; ${report.accountsReviewed} account(s) reviewed; ${report.items.length} redundant permission(s) found (guide 2.5).`,
    '',
    '| Category | Items |',
    '| --- | ---: |',
    ...REPORT_CATEGORIES.map((c) => `| ${TITLES[c]} | ${report.counts[c]} |`),
  ];
  for (const category of REPORT_CATEGORIES) {
    const items = report.items.filter((i) => i.category === category);
    if (items.length === 0) continue;
    out.push('', `## ${TITLES[category]}`, '', '| Account | Person | What | Detail |', '| --- | --- | --- | --- |');
    for (const i of items) out.push(`| ${mdCell(i.account)} | ${mdCell(i.person)} | ${mdCell(i.what)} | ${mdCell(i.detail)} |`);
  }
  out.push('', '## Sign-off', '');
  if (report.signOffs.length === 0) out.push('Not signed off yet: the reviewer sends a "Permission Review Signed Off" event with this month, their name and a comment.');
  for (const o of report.signOffs) out.push(`- ${mdCell(o.reviewer)}, ${o.time}${o.comment ? `: ${mdCell(o.comment)}` : ''}`);
  out.push('');
  return out.join('\n');
}

export const REPORT_FORMATS = reportRenderers({ json: renderJson, csv: renderCsv, md: renderMarkdown });
export type ReportFormat = keyof typeof REPORT_FORMATS;
export const reportKey = (month: string, format: ReportFormat) => areaReportKey('permissions', month, format);
