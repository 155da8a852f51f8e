/**
 * Incident facts (guide area 5): incidents and their response times against the severity
 * table (5.1), the use of offline mode in an emergency (5.2), and failure drills with the
 * recovery time they measured (5.3).
 */
import * as z from 'zod';
import { builtOnFirstUse, erpFact, identifier, label, list, moduleName, passedOrFailed, prose, timestamp } from './common.ts';

/** P1 = whole system down ... P4 = one user cannot log in; the policy's severity table gives each its response time. */
export const incidentSeverity = z.enum(['P1', 'P2', 'P3', 'P4']);
export type IncidentSeverity = z.infer<typeof incidentSeverity>;

const incidentId = () => identifier('Incident id, e.g. "INC-2026-0311".');

export const incidentOpened = builtOnFirstUse(() => erpFact('An incident was opened; its response clock starts (guide 5.1).', {
  incidentId: incidentId(),
  severity: incidentSeverity.describe('Severity per the policy\'s table: P1 whole system down, P2 a module down, P3 degraded, P4 one user affected.'),
  title: label('Short description, e.g. "Order entry times out for all users".'),
  modules: list(moduleName(), 'Affected ERP modules.').optional(),
  affectedUsers: z.number().int().nonnegative().optional().describe('Approximate number of users affected.'),
  reportedBy: identifier('Account or monitoring system that reported it.'),
  detectedAt: timestamp('When the problem began, if earlier than the incident was opened.').optional(),
  description: prose('Details.').optional(),
}));
export type IncidentOpened = z.infer<ReturnType<typeof incidentOpened>>;

export const incidentAcknowledged = builtOnFirstUse(() => erpFact('Someone took ownership of an incident; this stops the response clock (guide 5.1).', {
  incidentId: incidentId(),
  acknowledgedBy: identifier('Account of the responder.'),
  severity: incidentSeverity.optional().describe('Severity at acknowledgement, if it was re-assessed.'),
}));
export type IncidentAcknowledged = z.infer<ReturnType<typeof incidentAcknowledged>>;

export const incidentResolved = builtOnFirstUse(() => erpFact('An incident was resolved (guide 5.1, 5.2).', {
  incidentId: incidentId(),
  resolvedBy: identifier('Account of the person who resolved it.'),
  resolution: prose('What was done.'),
  rootCause: prose('Root cause, once known.').optional(),
  offlineModeUsed: z.boolean().optional().describe('Whether core business (order entry, payment) ran in offline mode meanwhile (5.2).'),
  severity: incidentSeverity.optional().describe('Final severity, if re-assessed.'),
}));
export type IncidentResolved = z.infer<ReturnType<typeof incidentResolved>>;

export const drillKind = z.enum(['failover', 'restore', 'offline-mode', 'tabletop']);

export const drillCompleted = builtOnFirstUse(() => erpFact('A failure drill was run (guide 5.3: every quarter; it measures recovery time against the RTO).', {
  drillId: identifier('Drill id.'),
  scenario: label('Scenario rehearsed, e.g. "primary database lost; fail over to DR site".'),
  kind: drillKind.describe('Kind of drill.'),
  startedAt: timestamp('When the simulated failure began.'),
  finishedAt: timestamp('When the drill ended.'),
  recoveryTimeSeconds: z.number().nonnegative().describe('Measured time from failure to service restored, in seconds; compared with the RTO.'),
  outcome: passedOrFailed.describe('Whether the drill met its objectives.'),
  recoveryPointSeconds: z.number().nonnegative().optional().describe('Measured data loss window (newest data lost), in seconds; compared with the RPO.'),
  service: identifier('Core service the drill exercised, e.g. "order-entry", "payment" (standby readiness, 5.2).').optional(),
  participants: list(identifier('Participant'), 'Accounts or people who took part.').optional(),
  lessons: prose('What the team learned and will change.').optional(),
}));
export type DrillCompleted = z.infer<ReturnType<typeof drillCompleted>>;
