/**
 * access-governance's stores, one per aggregate, over the one state table — what the flows
 * are given — with their DynamoDB implementations or their in-memory twins wired together
 * (the twins of stores that share a partition read each other, as the table does).
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoFindingsStore, memoryFindingsStore, type FindingsStore } from '../shared/findings/findings-store.ts';
import { dynamoAccountStore, memoryAccountStore, type AccountStore } from './account-store.ts';
import { dynamoGrantStore, memoryGrantStore, type GrantStore } from './grant-store.ts';
import { dynamoLeaverClockStore, memoryLeaverClockStore, type LeaverClockStore } from './leaver-clock-store.ts';
import { dynamoLoginStore, memoryLoginStore, type LoginStore } from './login-store.ts';
import { dynamoPersonStore, memoryPersonStore, type PersonStore } from './person-store.ts';
import { dynamoSignOffStore, memorySignOffStore, type SignOffStore } from './sign-off-store.ts';

export interface AccessStores {
  readonly accounts: AccountStore;
  readonly people: PersonStore;
  readonly clocks: LeaverClockStore;
  readonly grants: GrantStore;
  readonly logins: LoginStore;
  readonly signOffs: SignOffStore;
  /** The shared findings store: an account's findings in the account's partition, a person's in the person's (keys.ts). */
  readonly findings: FindingsStore;
}

export function dynamoAccessStores(client: DynamoDBDocumentClient, tableName: string, options: { maxSummaryChars?: number } = {}): AccessStores {
  return {
    accounts: dynamoAccountStore(client, tableName, options),
    people: dynamoPersonStore(client, tableName),
    clocks: dynamoLeaverClockStore(client, tableName),
    grants: dynamoGrantStore(client, tableName),
    logins: dynamoLoginStore(client, tableName),
    signOffs: dynamoSignOffStore(client, tableName),
    findings: dynamoFindingsStore(client, tableName),
  };
}

export function memoryAccessStores(): AccessStores & { readonly findings: ReturnType<typeof memoryFindingsStore> } {
  const findings = memoryFindingsStore();
  const grants = memoryGrantStore();
  return {
    accounts: memoryAccountStore({ grants, findings }),
    people: memoryPersonStore(findings),
    clocks: memoryLeaverClockStore(),
    grants,
    logins: memoryLoginStore(),
    signOffs: memorySignOffStore(),
    findings,
  };
}
