/** `erpgov send-example`: puts one example event on the running local bus with the real EventBridge client. */
import { parseArgs } from 'node:util';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { exampleEvent, knownDetailTypes } from '../schemas/index.ts';
import { dataDirFrom } from './options.ts';
import { eventBridgeClient, eventBridgeEndpoint } from './runtime-client.ts';
import { UsageError } from './usage.ts';

export async function runSendExample(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { endpoint: { type: 'string' }, source: { type: 'string' }, 'data-dir': { type: 'string' } } });
  const detailType = positionals.join(' ') || 'Operation Audited';
  if (!knownDetailTypes.includes(detailType)) throw new UsageError(`unknown detail-type "${detailType}"; allowed: ${knownDetailTypes.join(', ')}`);
  // The running runtime of the data folder (runtime.json), unless --endpoint or the environment says otherwise.
  const endpoint = eventBridgeEndpoint(dataDirFrom(values['data-dir']), values.endpoint);
  const client = eventBridgeClient(endpoint);
  const entry = exampleEvent(detailType, values.source ?? 'erp.sap');
  try {
    const result = await client.send(new PutEventsCommand({ Entries: [entry] })).catch((err: Error) => {
      throw new Error(`could not reach the EventBridge endpoint ${endpoint} (${err.message}); is the runtime running? Start it with \`npm start\``, { cause: err });
    });
    const first = result.Entries?.[0];
    if (first?.EventId) {
      process.stdout.write(`sent "${detailType}" from ${entry.Source} to ${endpoint}: event id ${first.EventId}\n`);
      return 0;
    }
    process.stderr.write(`refused: ${first?.ErrorCode} ${first?.ErrorMessage}\n`);
    return 1;
  } finally {
    client.destroy();
  }
}
