/**
 * SlackSender over a Slack incoming webhook (HTTP POST of Block Kit JSON). The webhook URL
 * is a secret: it is held in this closure only, never put into a result, an error or a log.
 */
import type { SlackSender } from './ports.ts';
import type { SendResult } from './retry.ts';

/** Slack answers within a second or two; a hung connection must not eat the function's timeout. */
export const SLACK_TIMEOUT_MS = 10_000;

export function slackWebhookSender(webhookUrl: string, options: { timeoutMs?: number } = {}): SlackSender {
  return {
    async send(message): Promise<SendResult> {
      let response: Response;
      try {
        response = await fetch(webhookUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json; charset=utf-8' },
          body: JSON.stringify({ text: message.text, blocks: message.blocks }),
          signal: AbortSignal.timeout(options.timeoutMs ?? SLACK_TIMEOUT_MS),
        });
      } catch (err) {
        // fetch's errors can quote the URL; only the error's kind is reported.
        const cause = (err as { cause?: { code?: unknown } }).cause;
        const reason = typeof cause?.code === 'string' ? cause.code : (err as Error).name;
        return { ok: false, error: `Slack webhook unreachable (${reason})` };
      }
      const body = (await response.text().catch(() => '')).slice(0, 200);
      if (response.ok) return { ok: true };
      const retryAfter = response.headers.get('retry-after');
      return {
        ok: false,
        status: response.status,
        ...(retryAfter !== null ? { retryAfter } : {}),
        // Slack's error bodies are short codes such as "invalid_blocks" or "no_service".
        error: `Slack webhook answered ${response.status}${body ? ` (${body.replace(/\s+/g, ' ')})` : ''}`,
      };
    },
  };
}
