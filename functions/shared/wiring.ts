/**
 * What every governance handler wires once per container: its configuration, the state
 * table's document client, the shared findings store, the bus publisher and the policy, and
 * the area's own stores, built by `areaStores` from the same client and table. The result is
 * the flows' dependencies: each flow reads the ports it declares and ignores the rest.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { functionPolicy } from '../../schemas/policy-loader.ts';
import { busClient, stateDocumentClient } from './aws-clients.ts';
import { readFunctionConfig } from './config.ts';
import { eventBridgePublisher } from './event-publisher.ts';
import { dynamoFindingsStore } from './findings/findings-store.ts';

export function governanceWiring<S extends object = object>(areaStores: (documents: DynamoDBDocumentClient, tableName: string) => S = () => ({}) as S) {
  const config = readFunctionConfig();
  const documents = stateDocumentClient();
  const tableName = config.stateTableName;
  return {
    config,
    documents,
    tableName,
    findings: dynamoFindingsStore(documents, tableName),
    publisher: eventBridgePublisher(busClient(), config.eventBusName),
    policy: functionPolicy(),
    ...areaStores(documents, tableName),
  };
}
