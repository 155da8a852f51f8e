/**
 * What happens after a delivery attempt: delivered; retried later (429, 5xx, network errors,
 * transient SMTP replies) with exponential back-off or the receiver's `Retry-After`; or dead
 * (any other 4xx, a permanent SMTP reply, or too many attempts). Pure.
 */
import type { Policy } from '../../schemas/policy.ts';
import { addMs, SECOND_MS } from '../shared/time.ts';

export type RetrySettings = Policy['notifications']['retry'];

/** What a sender reports; secrets (webhook URL, passwords) never go into `error`. */
export type SendResult =
  /** `notSent`: accepted by a stand-in (no channel configured): done, but nobody was told; says why. */
  | { readonly ok: true; readonly notSent?: string }
  | {
      readonly ok: false;
      /** HTTP status (Slack, SES) when there was a response. */
      readonly status?: number;
      /** The raw Retry-After header: seconds or an HTTP date. */
      readonly retryAfter?: string;
      /** The sender knows the failure is permanent (e.g. SMTP 5xx, SES MessageRejected). */
      readonly permanent?: boolean;
      readonly error: string;
    };

export type AttemptOutcome =
  | { readonly kind: 'sent'; readonly notSent?: string }
  | { readonly kind: 'retry'; readonly at: Date; readonly reason: string }
  | { readonly kind: 'dead'; readonly reason: string };

/** `attempt` is the number of the attempt that just ended, from 1. */
export function nextAttempt(result: SendResult, attempt: number, now: Date, settings: RetrySettings): AttemptOutcome {
  if (result.ok) return result.notSent === undefined ? { kind: 'sent' } : { kind: 'sent', notSent: result.notSent };
  if (isPermanent(result)) return { kind: 'dead', reason: `permanent failure: ${result.error}` };
  if (attempt >= settings.maxAttempts) return { kind: 'dead', reason: `gave up after ${attempt} attempts; last: ${result.error}` };
  const backOffMs = Math.min(settings.baseDelaySeconds * SECOND_MS * 2 ** (attempt - 1), settings.maxDelaySeconds * SECOND_MS);
  const askedMs = retryAfterMs(result.retryAfter, now);
  // The receiver knows best when it will take traffic again; capped so a bogus header cannot park a message for days.
  const delayMs = askedMs === undefined ? backOffMs : Math.min(askedMs, settings.maxDelaySeconds * SECOND_MS);
  return { kind: 'retry', at: addMs(now, delayMs), reason: result.error };
}

function isPermanent(result: Extract<SendResult, { ok: false }>): boolean {
  if (result.permanent === true) return true;
  const status = result.status;
  // 408 Request Timeout and 429 Too Many Requests are the 4xx replies worth repeating.
  return status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429;
}

/** Retry-After as delta-seconds ("120") or an HTTP date ("Wed, 21 Oct 2026 07:28:00 GMT"); undefined when absent or unreadable. */
export function retryAfterMs(header: string | undefined, now: Date): number | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * SECOND_MS;
  // An HTTP date names its day and month ("Wed, 21 Oct ..."); Date.parse alone would also take "-5".
  const at = /[a-z]{3}/i.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now.getTime());
}
