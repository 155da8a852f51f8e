/**
 * What every governance handler wires once per container: its configuration, the state
 * table's document client, the shared findings store, the bus publisher and the policy.
 * Area-specific stores are built by the handler from `documents` and `tableName`.
 */
import { loadPolicy } from '../../schemas/policy-loader.ts';
import { busClient, stateDocumentClient } from './aws-clients.ts';
import { readFunctionConfig } from './config.ts';
import { eventBridgePublisher } from './event-publisher.ts';
import { dynamoFindingsStore } from './findings/findings-store.ts';

export function governanceWiring() {
  const config = readFunctionConfig();
  const documents = stateDocumentClient();
  return {
    config,
    documents,
    tableName: config.stateTableName,
    findings: dynamoFindingsStore(documents, config.stateTableName),
    publisher: eventBridgePublisher(busClient(), config.eventBusName),
    policy: loadPolicy(),
  };
}
