/**
 * The sender when a channel is not configured (a fresh `npm start`): each message is printed
 * to the console and appended to `<data dir>/outbox/YYYY-MM-DD.md`, one readable entry per
 * message, so nothing is lost and a person can read what would have been sent.
 */
import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { MailSender, SlackSender } from './ports.ts';
import type { SlackPayload } from './render.ts';
import type { SendResult } from './retry.ts';

export interface ConsoleOutbox {
  readonly slack: SlackSender;
  readonly mail: MailSender;
}

export function consoleOutboxSender(options: { dataDir: string | undefined; write?: (text: string) => void; now?: () => Date }): ConsoleOutbox {
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  const now = options.now ?? (() => new Date());
  const record = async (heading: string, body: string): Promise<SendResult> => {
    const at = now();
    const entry = `## ${at.toISOString()} — ${heading}\n\n${body}\n\n---\n\n`;
    write(`[erpgov notification] ${heading}\n${body}\n\n`);
    if (options.dataDir !== undefined) {
      const folder = join(options.dataDir, 'outbox');
      await mkdir(folder, { recursive: true });
      await appendFile(join(folder, `${at.toISOString().slice(0, 10)}.md`), entry, 'utf8');
    }
    return { ok: true };
  };
  return {
    slack: { send: (message) => record(`Slack: ${message.text}`, slackAsText(message)) },
    mail: { send: (to, message) => record(`e-mail to ${to}: ${message.subject}`, message.text) },
  };
}

/** The Block Kit message as lines of text: headers and fields, without the markup. */
function slackAsText(message: SlackPayload): string {
  const lines: string[] = [];
  for (const block of message.blocks) {
    const text = (block.text as { text?: string } | undefined)?.text;
    if (text !== undefined && block.type !== 'header') lines.push(text);
    for (const field of (block.fields as { text: string }[] | undefined) ?? []) lines.push(field.text.replace('\n', ': '));
    for (const element of (block.elements as { text: string }[] | undefined) ?? []) lines.push(element.text);
  }
  return lines.map((line) => line.replaceAll('*', '').replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&')).join('\n');
}
