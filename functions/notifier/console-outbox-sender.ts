/**
 * The sender when a channel is not configured (a fresh `npm start`): each message is printed
 * to the console and appended to `<data dir>/outbox/YYYY-MM-DD.md`, one readable entry per
 * message, so nothing is lost and a person can read what would have been sent. Each says
 * plainly that it was not sent ("not sent: no channel configured"), without Slack markup or
 * emoji shortcodes, and the outbox records the message as such (`notSent`).
 *
 * `ERPGOV_QUIET` (any value but empty or "false") silences the printed copy — the test runner
 * sets it, so a green run is not a wall of notifications; the file copy is written either way.
 */
import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { processClock, type Clock } from '../shared/clock.ts';
import { utcDay } from '../shared/time.ts';
import type { MailSender, SlackSender } from './ports.ts';
import type { SlackPayload } from './render.ts';
import type { SendResult } from './retry.ts';

export interface ConsoleOutbox {
  readonly slack: SlackSender;
  readonly mail: MailSender;
}

export const QUIET_ENV = 'ERPGOV_QUIET';

/** Whether the printed copy is silenced (read at each message, so a test may switch it). */
export const consoleIsQuiet = (env: NodeJS.ProcessEnv = process.env): boolean => {
  const value = env[QUIET_ENV]?.trim().toLowerCase();
  return value !== undefined && value !== '' && value !== 'false' && value !== '0';
};

const toStdout = (text: string) => {
  if (!consoleIsQuiet()) process.stdout.write(text);
};

export function consoleOutboxSender(options: { dataDir: string | undefined; write?: (text: string) => void; clock?: Clock }): ConsoleOutbox {
  const write = options.write ?? toStdout;
  const clock = options.clock ?? processClock;
  const record = async (heading: string, body: string): Promise<SendResult> => {
    const at = clock.now();
    const entry = `## ${at.toISOString()} — ${heading}\n\n${body}\n\n---\n\n`;
    write(`[erpgov notification] ${heading}\n${body}\n\n`);
    if (options.dataDir !== undefined) {
      const folder = join(options.dataDir, 'outbox');
      await mkdir(folder, { recursive: true });
      await appendFile(join(folder, `${utcDay(at)}.md`), entry, 'utf8');
    }
    return { ok: true };
  };
  return {
    slack: { send: (message) => record(`${NOT_SENT}: ${message.text} (Slack message)`, slackAsText(message)).then(() => unsent) },
    mail: { send: (to, message) => record(`${NOT_SENT}: ${message.subject} (e-mail to ${to})`, message.text).then(() => unsent) },
  };
}

/** What the console and the outbox say of a message no channel carried; `notifications list` says the same. */
export const NOT_SENT = 'not sent: no channel configured';
const unsent: SendResult = { ok: true, notSent: NOT_SENT };

/** Slack's emoji shortcodes (`:red_circle:`) mean nothing in a terminal or a file: dropped. */
const EMOJI_SHORTCODE = /(^|\s):[a-z][a-z0-9_+-]*:(?=\s|$)/g;

/** The Block Kit message as lines of text: headers and fields, without the markup. */
function slackAsText(message: SlackPayload): string {
  const lines: string[] = [];
  for (const block of message.blocks) {
    const text = (block.text as { text?: string } | undefined)?.text;
    if (text !== undefined && block.type !== 'header') lines.push(text);
    for (const field of (block.fields as { text: string }[] | undefined) ?? []) lines.push(field.text.replace('\n', ': '));
    for (const element of (block.elements as { text: string }[] | undefined) ?? []) lines.push(element.text);
  }
  return lines.map((line) => line.replace(EMOJI_SHORTCODE, '$1').trim().replaceAll('*', '').replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&')).join('\n');
}
