/** `erpgov start`: the local pipeline in one process, until Ctrl-C (graceful: nothing accepted is lost). */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { withCheckedCalendars } from '../schemas/policy-checks.ts';
import { loadPolicy } from '../schemas/policy-loader.ts';
import { exampleEvent } from '../schemas/index.ts';
import { routingTable } from '../infra/routes.ts';
import { stateTable } from '../infra/state-table.ts';
import { DEFAULT_MAX_BACKLOG, startLocalRuntime } from '../runtime/local-runtime.ts';
import { dataDirFrom, DEFAULT_DYNAMODB_PORT, DEFAULT_EVENTBRIDGE_PORT, maxBacklogFrom, portFrom } from './options.ts';
import { UsageError } from './usage.ts';

export async function runStart(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { 'data-dir': { type: 'string' }, port: { type: 'string' }, 'dynamodb-port': { type: 'string' }, policy: { type: 'string' }, 'max-backlog': { type: 'string' } },
  });
  if (positionals.length > 0) throw new UsageError(`start: unexpected "${positionals[0]}"; it takes only options (see erpgov start --help)`);
  const env = process.env;
  if (values.policy) env.ERPGOV_POLICY_FILE = values.policy;
  // The policy is validated once, before anything starts: a bad policy names its key and stops here.
  const policy = withCheckedCalendars(loadPolicy({ env }), env.ERPGOV_POLICY_FILE);
  const dataDir = dataDirFrom(values['data-dir']);
  // Before the runtime sets ERPGOV_DATA_DIR for its functions: is this the folder commands find by default?
  const isDefaultDir = dataDir === dataDirFrom(undefined);
  const eventBridgePort = portFrom(values.port, env.ERPGOV_EVENTBRIDGE_PORT, DEFAULT_EVENTBRIDGE_PORT, '--port');
  const dynamoDbPort = portFrom(values['dynamodb-port'], env.ERPGOV_DYNAMODB_PORT, DEFAULT_DYNAMODB_PORT, '--dynamodb-port');
  const maxBacklog = maxBacklogFrom(values['max-backlog'], env.ERPGOV_MAX_BACKLOG, DEFAULT_MAX_BACKLOG);
  const runtime = await startLocalRuntime({ dataDir, eventBridgePort, dynamoDbPort, maxBacklog }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'EADDRINUSE') {
      throw new Error(`${err.message}: ports ${eventBridgePort} (EventBridge) and ${dynamoDbPort} (DynamoDB) must be free; is another "erpgov start" running? Choose others with --port and --dynamodb-port`);
    }
    throw err;
  });

  const out = (line = '') => process.stdout.write(`${line}\n`);
  out('ERP governance pipeline — local runtime');
  out(`  EventBridge API : ${runtime.eventBridgeUrl}   (bus "erpgov-bus")`);
  out(`  DynamoDB API    : ${runtime.dynamoDbUrl}   (table "${stateTable.name}")`);
  out(`  data            : ${dataDir}`);
  out(`  policy          : ${env.ERPGOV_POLICY_FILE ?? 'shipped defaults'} (CPU ≤ ${policy.performance.cpu.maxPercent} %, leavers revoked within ${policy.access.leaverMoverRevocation.withinHours} h, logs kept ${policy.audit.retention.days} days)`);
  out(`  functions       : ${routingTable.map((f) => `${f.name} (${plural(f.rules.length, 'rule')}, ${plural(f.schedules.length, 'schedule')})`).join(', ')}`);
  if (runtime.recoveredDeliveries > 0) out(`  recovered       : ${runtime.recoveredDeliveries} deliveries accepted before the last stop, redelivering`);
  if (runtime.missedFires.length > 0) out(`  caught up       : ${runtime.missedFires.map((f) => `${f.scheduleId} (missed ${f.event.time})`).join(', ')}`);
  out(`  endpoints file  : ${join(dataDir, 'runtime.json')} (every erpgov command finds the runtime there)`);
  out(`  back-pressure   : PutEvents answers ThrottlingException while ${maxBacklog} events wait for delivery (--max-backlog)`);
  out();
  // Commands find this runtime through the data folder; name it when it is not the default.
  const dirFlag = isDefaultDir ? '' : ` --data-dir ${dataDir}`;
  out('Send a sample event (in another terminal):');
  out(`  npm run erpgov -- send-example${dirFlag}`);
  out('Or with the AWS CLI:');
  out(`  AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local aws events put-events --region ${runtime.region} --endpoint-url ${runtime.eventBridgeUrl} --entries '${JSON.stringify([exampleEvent('Operation Audited')])}'`);
  out('Then:');
  out(`  npm run erpgov -- schedule list${dirFlag}                      # schedules, next and last fire times`);
  out(`  npm run erpgov -- schedule run audit-high-risk-sweep --at <ISO time>${dirFlag}   # fire one now, "as of" a time`);
  out(`  npm run erpgov -- findings list --open${dirFlag}               # what is out of policy`);
  out('Ctrl-C stops gracefully.');

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      out(`\n${signal}: stopping — finishing deliveries in flight; anything pending is kept for the next start`);
      resolve();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  await runtime.stop();
  const s = runtime.bus.stats;
  out(`stopped: ${s.accepted} events accepted, ${s.direct} schedule fires, ${s.delivered} deliveries, ${s.retries} retries, ${s.deadLettered} dead-lettered, ${s.throttled} PutEvents calls throttled, ${runtime.bus.pendingDeliveries} pending for next start`);
  return 0;
}

const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;
