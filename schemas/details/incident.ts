/**
 * Incident facts (guide area 5): incidents and their response times against the severity
 * table (5.1), the use of offline mode in an emergency (5.2), and failure drills with the
 * recovery time they measured (5.3).
 */
import * as z from '../zod-mini.ts';
import { builtOnFirstUse, erpFact, identifier, label, list, moduleName, passedOrFailed, prose, timestamp } from './common.ts';

/** P1 = whole system down ... P4 = one user cannot log in; the policy's severity table gives each its response time. */
export const incidentSeverity = z.enum(['P1', 'P2', 'P3', 'P4']);
export type IncidentSeverity = z.infer<typeof incidentSeverity>;

const incidentId = () => identifier('Incident id, e.g. "INC-2026-0311".');

export const incidentOpened = builtOnFirstUse(() => erpFact('An incident was opened; its response clock starts (guide 5.1).', {
  incidentId: incidentId(),
  severity: incidentSeverity.check(z.describe('Severity per the policy\'s table: P1 whole system down, P2 a module down, P3 degraded, P4 one user affected.')),
  title: label('Short description, e.g. "Order entry times out for all users".'),
  modules: z.optional(list(moduleName(), 'Affected ERP modules.')),
  affectedUsers: z.optional(z.number().check(z.int(), z.nonnegative())).check(z.describe('Approximate number of users affected.')),
  reportedBy: identifier('Account or monitoring system that reported it.'),
  detectedAt: z.optional(timestamp('When the problem began, if earlier than the incident was opened.')),
  description: z.optional(prose('Details.')),
}));
export type IncidentOpened = z.infer<ReturnType<typeof incidentOpened>>;

export const incidentAcknowledged = builtOnFirstUse(() => erpFact('Someone took ownership of an incident; this stops the response clock (guide 5.1).', {
  incidentId: incidentId(),
  acknowledgedBy: identifier('Account of the responder.'),
  severity: z.optional(incidentSeverity).check(z.describe('Severity at acknowledgement, if it was re-assessed.')),
}));
export type IncidentAcknowledged = z.infer<ReturnType<typeof incidentAcknowledged>>;

export const incidentResolved = builtOnFirstUse(() => erpFact('An incident was resolved (guide 5.1, 5.2).', {
  incidentId: incidentId(),
  resolvedBy: identifier('Account of the person who resolved it.'),
  resolution: prose('What was done.'),
  rootCause: z.optional(prose('Root cause, once known.')),
  offlineModeUsed: z.optional(z.boolean()).check(z.describe('Whether core business (order entry, payment) ran in offline mode meanwhile (5.2).')),
  severity: z.optional(incidentSeverity).check(z.describe('Final severity, if re-assessed.')),
}));
export type IncidentResolved = z.infer<ReturnType<typeof incidentResolved>>;

export const drillKind = z.enum(['failover', 'restore', 'offline-mode', 'tabletop']);

export const drillCompleted = builtOnFirstUse(() => erpFact('A failure drill was run (guide 5.3: every quarter; it measures recovery time against the RTO).', {
  drillId: identifier('Drill id.'),
  scenario: label('Scenario rehearsed, e.g. "primary database lost; fail over to DR site".'),
  kind: drillKind.check(z.describe('Kind of drill.')),
  startedAt: timestamp('When the simulated failure began.'),
  finishedAt: timestamp('When the drill ended.'),
  recoveryTimeSeconds: z.number().check(z.nonnegative(), z.describe('Measured time from failure to service restored, in seconds; compared with the RTO.')),
  outcome: passedOrFailed.check(z.describe('Whether the drill met its objectives.')),
  recoveryPointSeconds: z.optional(z.number().check(z.nonnegative())).check(z.describe('Measured data loss window (newest data lost), in seconds; compared with the RPO.')),
  service: z.optional(identifier('Core service the drill exercised, e.g. "order-entry", "payment" (standby readiness, 5.2).')),
  participants: z.optional(list(identifier('Participant'), 'Accounts or people who took part.')),
  lessons: z.optional(prose('What the team learned and will change.')),
}));
export type DrillCompleted = z.infer<ReturnType<typeof drillCompleted>>;
