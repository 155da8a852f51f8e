/** The public surface of the event contract and the policy schema. */
export * from './registry.ts';
export { detailExamples, exampleEvent } from './examples.ts';
export type { ExampleEntry } from './examples.ts';
export * from './envelope.ts';
export { guideArea, ruleMode } from './details/common.ts';
export type { RuleMode } from './details/common.ts';
export * from './details/access.ts';
export * from './details/backup.ts';
export * from './details/performance.ts';
export * from './details/change.ts';
export * from './details/incident.ts';
export * from './details/audit.ts';
export * from './details/pipeline.ts';
export * from './policy.ts';
export { describeIssues, formatProblem, formatValue } from './issues.ts';
export type { Problem } from './issues.ts';
