import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { ensureStateTable, startDynamoServer } from './runtime/dynamo-server.ts';
import { stateTable } from './infra/state-table.ts';
import { queryDueOnIndex } from './functions/shared/dynamo-access.ts';
const s = await startDynamoServer({ host: '127.0.0.1', port: 0 });
const c = new DynamoDBClient({ endpoint: s.url, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
await ensureStateTable(c, stateTable);
const d = DynamoDBDocumentClient.from(c);
for (const label of ['get', 'due', 'get', 'due']) {
  const t = performance.now();
  for (let i = 0; i < 200; i++) {
    if (label === 'get') await d.send(new GetCommand({ TableName: 'erpgov-state', Key: { pk: 'x', sk: 'y' } }));
    else await queryDueOnIndex(d, 'erpgov-state', 'NOTIFY#pending', new Date());
  }
  console.log(label, ((performance.now() - t) / 200).toFixed(2), 'ms');
}
d.destroy(); s.server.close();
