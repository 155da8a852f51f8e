/**
 * `erpgov notifications list [--state pending|sent|dead] [--limit N] [--json]`: the notifier's
 * outbox in the state table — what waits for a channel to come back (pending, with its next
 * attempt and last error), what went out (sent), and what will never go out (dead, with why).
 * With no channel configured, a "sent" message reached nobody: it says "not sent: no channel configured".
 */
import { parseArgs } from 'node:util';
import { dynamoOutboxStore, OUTBOX_STATES, type OutboxState } from '../functions/notifier/outbox-store.ts';
import { dataDirFrom, limitFrom } from './options.ts';
import { withStateTable } from './state-access.ts';
import { UsageError } from './usage.ts';

export async function runNotificationsCommand(args: string[], out: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'list') throw new UsageError(`notifications: unknown subcommand "${sub ?? ''}"; allowed: list`);
  const { values } = parseArgs({
    args: rest,
    options: { state: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' }, 'data-dir': { type: 'string' }, endpoint: { type: 'string' } },
  });
  const states: OutboxState[] = values.state === undefined ? [...OUTBOX_STATES] : [parseState(values.state)];
  const limit = limitFrom(values.limit, 50);
  const access = { dataDir: dataDirFrom(values['data-dir']), ...(values.endpoint ? { endpoint: values.endpoint } : {}) };
  return withStateTable(access, async ({ docs, tableName, via }) => {
    const outbox = dynamoOutboxStore(docs, tableName);
    for (const state of states) {
      const messages = await outbox.list(state, limit);
      if (values.json) {
        out(JSON.stringify({ state, messages }, null, 2));
        continue;
      }
      out(`${state} (${messages.length}${messages.length === limit ? '+' : ''}, ${via})`);
      for (const m of messages) {
        const title = m.payload.channel === 'email' ? m.payload.subject : m.payload.text;
        const when = state === 'pending' ? `next ${m.nextAttemptAt}` : state === 'sent' ? (m.notSent !== undefined ? `${m.notSent} (${m.sentAt})` : `sent ${m.sentAt}`) : `after ${m.attempts} attempt(s)`;
        out(`  ${m.messageId}  ${m.notSent !== undefined ? `${m.channel} (${m.notSent})` : `${m.channel} → ${m.recipient}`}  ${m.about}  "${title}"  attempts ${m.attempts}  ${when}${m.lastError ? `  last error: ${m.lastError}` : ''}`);
      }
    }
    return 0;
  });
}

function parseState(value: string): OutboxState {
  if ((OUTBOX_STATES as readonly string[]).includes(value)) return value as OutboxState;
  throw new UsageError(`--state: "${value}" is not an outbox state; allowed: ${OUTBOX_STATES.join(', ')}`);
}
