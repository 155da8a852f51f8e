/**
 * AWS SDK clients, created once per process. Endpoints come from the standard
 * `AWS_ENDPOINT_URL_DYNAMODB` / `AWS_ENDPOINT_URL_EVENTBRIDGE` variables, which the local
 * runtime sets and AWS leaves unset, so the same code talks to dynalite or to DynamoDB.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';

let documentClient: DynamoDBDocumentClient | undefined;
let plainClient: DynamoDBClient | undefined;
let eventBridgeClient: EventBridgeClient | undefined;

export function stateDocumentClient(): DynamoDBDocumentClient {
  documentClient ??= DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
  return documentClient;
}

/**
 * The state table's plain client, for the one request every event waits on (the audit trail's
 * intent put): no document layer, and each command's middleware resolved once, not on every
 * send (`cacheMiddleware`, which the document client refuses). Middleware added to it after
 * its first send of a command does not run for that command.
 */
export function stateTableClient(): DynamoDBClient {
  plainClient ??= new DynamoDBClient({ cacheMiddleware: true });
  return plainClient;
}

export function busClient(): EventBridgeClient {
  eventBridgeClient ??= new EventBridgeClient({});
  return eventBridgeClient;
}
