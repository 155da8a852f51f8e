/** `erpgov send-example`: puts one example event on the local bus with the real EventBridge client. */
import { parseArgs } from 'node:util';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { exampleEvent, knownDetailTypes } from '../schemas/index.ts';
import { DEFAULT_EVENTBRIDGE_PORT } from './options.ts';

export async function runSendExample(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { endpoint: { type: 'string' }, source: { type: 'string' } } });
  const detailType = positionals.join(' ') || 'Operation Audited';
  if (!knownDetailTypes.includes(detailType)) {
    process.stderr.write(`erpgov: unknown detail-type "${detailType}"; known: ${knownDetailTypes.join(', ')}\n`);
    return 2;
  }
  const endpoint = values.endpoint ?? process.env.AWS_ENDPOINT_URL_EVENTBRIDGE ?? `http://127.0.0.1:${DEFAULT_EVENTBRIDGE_PORT}`;
  const client = new EventBridgeClient({
    endpoint,
    region: process.env.AWS_REGION ?? 'us-east-1',
    // The local endpoint does not check signatures; real credentials are never needed here.
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const entry = exampleEvent(detailType, values.source ?? 'erp.sap');
  const result = await client.send(new PutEventsCommand({ Entries: [entry] }));
  client.destroy();
  const first = result.Entries?.[0];
  if (first?.EventId) {
    process.stdout.write(`sent "${detailType}" from ${entry.Source}: event id ${first.EventId}\n`);
    return 0;
  }
  process.stderr.write(`refused: ${first?.ErrorCode} ${first?.ErrorMessage}\n`);
  return 1;
}
