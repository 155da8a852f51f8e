/**
 * AWS's own deployment and configuration events, exactly as AWS emits them, read tolerantly
 * (the shapes in AWS's user guides: CodePipeline pipeline/stage/action execution state changes,
 * CodeDeploy deployment state-change notifications, CloudFormation stack status changes, SSM
 * Parameter Store changes, SSM Change Calendar state changes, RDS DB parameter group events),
 * and what each means for the production gate (4.4) under the policy. Pure.
 *
 * Tolerant: AWS's own samples carry ids that are not UUIDs, no `version` or `resources`, odd
 * accounts, numbers sent as strings; only what the gate needs is required, everything else is
 * kept verbatim by the audit trail.
 */
import * as z from '../../schemas/zod-mini.ts';
import type { Policy } from '../../schemas/policy.ts';

const text = z.pipe(z.union([z.string(), z.number()]), z.transform(String));

/** The envelope as AWS services send it, keeping only what the gate reads. */
export const awsServiceEnvelope = z.looseObject({
  id: text,
  source: z.string().check(z.startsWith('aws.')),
  'detail-type': z.string().check(z.minLength(1)),
  time: z.string().check(z.refine((t) => !Number.isNaN(Date.parse(t)), { message: 'must be a date-time' })),
  resources: z.optional(z.array(z.unknown())),
  detail: z.record(z.string(), z.unknown()),
});
export type AwsServiceEnvelope = z.infer<typeof awsServiceEnvelope>;

const pipelineDetail = z.looseObject({ pipeline: z.string().check(z.minLength(1)), state: z.string().check(z.minLength(1)), 'execution-id': z.optional(text), stage: z.optional(z.string()), action: z.optional(z.string()) });
const codeDeployDetail = z.looseObject({ application: z.optional(z.string()), deploymentGroup: z.string().check(z.minLength(1)), deploymentId: z.optional(text), state: z.string().check(z.minLength(1)) });
const stackDetail = z.looseObject({ 'stack-id': z.string().check(z.minLength(1)), 'status-details': z.looseObject({ status: z.string().check(z.minLength(1)) }) });
const parameterDetail = z.looseObject({ name: z.string().check(z.minLength(1)), operation: z.string().check(z.minLength(1)) });
const calendarDetail = z.looseObject({ state: z.enum(['OPEN', 'CLOSED']), atTime: z.optional(z.string()) });
const rdsDetail = z.looseObject({ EventCategories: z._default(z.array(z.string()), []), SourceIdentifier: z.optional(z.string()), SourceArn: z.optional(z.string()), Message: z.optional(z.string()), EventID: z.optional(z.string()) });

/** The detail-types the change gate reads from AWS, by source (declared in the routing table's default-bus rule). */
export const AWS_GATE_SOURCES = ['aws.codepipeline', 'aws.codedeploy', 'aws.cloudformation', 'aws.ssm', 'aws.rds'] as const;

export interface AwsProductionChange {
  readonly kind: 'production-change';
  readonly service: 'codepipeline' | 'codedeploy' | 'cloudformation' | 'parameter-store' | 'rds-parameter-group';
  /** The resource name requests list in `deploymentTargets` (pipeline, deployment group, stack, parameter, parameter group). */
  readonly resource: string;
  /** One production change, however many events AWS sends about it (stage and action events of one execution). */
  readonly changeKey: string;
  readonly state: string;
  readonly summary: string;
  readonly eventId: string;
  readonly time: string;
  readonly mode: 'enforce' | 'report-only';
}

export interface AwsCalendarState {
  readonly kind: 'calendar-state';
  readonly calendar: string;
  readonly state: 'OPEN' | 'CLOSED';
  readonly at: string;
  readonly eventId: string;
}

export type AwsGateEvent = AwsProductionChange | AwsCalendarState | { readonly kind: 'ignored'; readonly reason: string };

const lastSegment = (arnOrName: string) => arnOrName.split(/[:/]/).filter(Boolean).pop() ?? arnOrName;
/** CloudFormation stack ids: arn:aws:cloudformation:region:account:stack/<name>/<uuid>. */
const stackName = (stackId: string) => stackId.match(/:stack\/([^/]+)/)?.[1] ?? stackId;

/** What an AWS service event means for the gate; throws only when the envelope itself is unreadable. */
export function readAwsGateEvent(raw: unknown, policy: Policy): AwsGateEvent {
  const envelope = awsServiceEnvelope.parse(raw);
  const settings = policy.change.awsProductionEvents;
  const production = new RegExp(settings.productionNamePattern, 'i');
  const time = new Date(envelope.time).toISOString();
  const base = { eventId: envelope.id, time };
  const detailType = envelope['detail-type'];
  const ignored = (reason: string): AwsGateEvent => ({ kind: 'ignored', reason });
  const upper = (list: readonly string[]) => list.map((s) => s.toUpperCase());

  switch (envelope.source) {
    case 'aws.codepipeline': {
      const parsed = pipelineDetail.safeParse(envelope.detail);
      if (!parsed.success) return ignored(`${detailType} without pipeline/state`);
      const d = parsed.data;
      const rule = settings.codePipeline;
      if (!upper(rule.states).includes(d.state.toUpperCase())) return ignored(`pipeline state ${d.state}`);
      const named = detailType === 'CodePipeline Pipeline Execution State Change' ? d.pipeline : d.stage;
      if (!named || !production.test(named)) return ignored(`not a production ${d.stage ? 'stage' : 'pipeline'}`);
      const where = d.stage ? `stage ${d.stage}${d.action ? ` action ${d.action}` : ''} of pipeline ${d.pipeline}` : `pipeline ${d.pipeline}`;
      return { kind: 'production-change', service: 'codepipeline', resource: d.pipeline, changeKey: `codepipeline:${d.pipeline}:${d['execution-id'] ?? envelope.id}`, state: d.state, summary: `CodePipeline ${where} ${d.state}`, mode: rule.mode, ...base };
    }
    case 'aws.codedeploy': {
      if (detailType !== 'CodeDeploy Deployment State-change Notification') return ignored(detailType);
      const parsed = codeDeployDetail.safeParse(envelope.detail);
      if (!parsed.success) return ignored('deployment without group/state');
      const d = parsed.data;
      const rule = settings.codeDeploy;
      if (!upper(rule.states).includes(d.state.toUpperCase()) || !production.test(d.deploymentGroup)) return ignored('not a production deployment');
      return { kind: 'production-change', service: 'codedeploy', resource: d.deploymentGroup, changeKey: `codedeploy:${d.deploymentId ?? envelope.id}`, state: d.state, summary: `CodeDeploy deployment ${d.deploymentId ?? ''} to ${d.application ?? ''}/${d.deploymentGroup} ${d.state}`.replace(/\s+/g, ' '), mode: rule.mode, ...base };
    }
    case 'aws.cloudformation': {
      if (detailType !== 'CloudFormation Stack Status Change') return ignored(detailType);
      const parsed = stackDetail.safeParse(envelope.detail);
      if (!parsed.success) return ignored('stack event without stack-id/status');
      const name = stackName(parsed.data['stack-id']);
      const status = parsed.data['status-details'].status;
      const rule = settings.cloudFormation;
      if (!upper(rule.states).includes(status.toUpperCase()) || !production.test(name)) return ignored('not a production stack change');
      return { kind: 'production-change', service: 'cloudformation', resource: name, changeKey: `cloudformation:${parsed.data['stack-id']}:${status}:${time}`, state: status, summary: `CloudFormation stack ${name} ${status}`, mode: rule.mode, ...base };
    }
    case 'aws.ssm': {
      if (detailType === 'Calendar State Change') {
        const parsed = calendarDetail.safeParse(envelope.detail);
        if (!parsed.success) return ignored('calendar event without OPEN/CLOSED state');
        const calendar = String(envelope.resources?.[0] ?? 'calendar');
        const at = parsed.data.atTime && !Number.isNaN(Date.parse(parsed.data.atTime)) ? new Date(parsed.data.atTime).toISOString() : time;
        return { kind: 'calendar-state', calendar, state: parsed.data.state, at, eventId: envelope.id };
      }
      if (detailType !== 'Parameter Store Change') return ignored(detailType);
      const parsed = parameterDetail.safeParse(envelope.detail);
      if (!parsed.success) return ignored('parameter event without name/operation');
      const rule = settings.parameterStore;
      if (!rule.operations.map((o) => o.toLowerCase()).includes(parsed.data.operation.toLowerCase()) || !production.test(parsed.data.name)) return ignored('not a production parameter change');
      return { kind: 'production-change', service: 'parameter-store', resource: parsed.data.name, changeKey: `parameter-store:${parsed.data.name}:${envelope.id}`, state: parsed.data.operation, summary: `SSM parameter ${parsed.data.name} ${parsed.data.operation}`, mode: rule.mode, ...base };
    }
    case 'aws.rds': {
      if (detailType !== 'RDS DB Parameter Group Event') return ignored(detailType);
      const parsed = rdsDetail.safeParse(envelope.detail);
      if (!parsed.success) return ignored('parameter group event unreadable');
      const rule = settings.rdsParameterGroups;
      const categories = parsed.data.EventCategories.map((c) => c.toLowerCase());
      const name = lastSegment(parsed.data.SourceArn ?? parsed.data.SourceIdentifier ?? String(envelope.resources?.[0] ?? ''));
      if (!rule.categories.some((c) => categories.includes(c.toLowerCase())) || !production.test(name)) return ignored('not a production parameter group change');
      return { kind: 'production-change', service: 'rds-parameter-group', resource: name, changeKey: `rds-parameter-group:${name}:${envelope.id}`, state: parsed.data.EventID ?? 'changed', summary: `RDS parameter group ${name}: ${parsed.data.Message ?? 'changed'}`, mode: rule.mode, ...base };
    }
    default:
      return ignored(`source ${envelope.source}`);
  }
}
