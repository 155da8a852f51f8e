/**
 * Audit facts (guide area 6): any operation the ERP logs — data changes, deletes, exports,
 * permission changes. The pipeline keeps them for the retention period (6.1), checks that
 * high-risk operations (bulk deletes, sensitive exports) had a second person verify them
 * (6.2), flags abnormal ones for internal audit (6.3), and finds behaviour patterns (6.4).
 * Operations performed under a temporary grant are audited here too (2.4).
 */
import * as z from '../zod-mini.ts';
import { builtOnFirstUse, deviceId, erpFact, identifier, label, moduleName, prose } from './common.ts';

export const operationOutcome = z.enum(['success', 'failure', 'denied']);

export const operationAudited = builtOnFirstUse(() => erpFact('One audited ERP operation: who did what to which record, from which device (guide 6.1–6.4, 2.4).', {
  actor: identifier('Account that performed the operation.'),
  action: identifier('What was done, in the ERP\'s words, e.g. "delete", "export", "update", "approve", "permission-change".'),
  target: identifier('What it was done to: record type or id, e.g. "sales-order", "customer-master", "SO-100234".'),
  module: moduleName(),
  recordCount: z.optional(z.number().check(z.int(), z.nonnegative())).check(z.describe('Number of records affected; a delete above the policy\'s threshold is high-risk (6.2).')),
  deviceId: z.optional(deviceId()),
  outcome: z._default(operationOutcome, 'success').check(z.describe('"success", "failure", or "denied" (refused by the ERP\'s authorisation); "success" if absent.')),
  verifiedBy: z.optional(identifier('Account of the second person who verified a high-risk operation (6.2); absent means nobody did.')),
  dataCategory: z.optional(label('Category of the data touched, e.g. "customer", "payroll"; exports of sensitive categories are high-risk (6.2).')),
  grantId: z.optional(identifier('Temporary grant the operation ran under (2.4), if any.')),
  operationId: z.optional(identifier('The ERP\'s own id for this log entry, to match it with the ERP\'s log.')),
  sourceIp: z.optional(z.union([z.ipv4(), z.ipv6()])).check(z.describe('Client IP address.')),
}));
export type OperationAudited = z.infer<ReturnType<typeof operationAudited>>;

export const operationVerified = builtOnFirstUse(() => erpFact('A second person verified a high-risk operation (guide 6.2): the dual verification, sent apart from the operation itself. It may reach the pipeline before or after the operation; both orders are matched.', {
  operationId: identifier('The ERP\'s id of the verified operation: its Operation Audited.operationId. For an operation whose event carries no operationId (e.g. Role Assigned), the EventBridge event id PutEvents returned for that event.'),
  verifier: identifier('Account of the person who verified. Counts only if it is not the operation\'s actor, is on the policy\'s authorised verifiers (when that list is not empty), and verified within the policy\'s window.'),
  comment: z.optional(prose('What the verifier checked, e.g. "cleanup of cancelled 2019 orders, ticket CR-2211".')),
}));
export type OperationVerified = z.infer<ReturnType<typeof operationVerified>>;
