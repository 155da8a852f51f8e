/**
 * The notifier's channels. Delivery code depends on these; the adapters (Slack webhook over
 * fetch, SMTP through nodemailer, SES v2, console + file) implement them. The stores are in
 * `outbox-store.ts`, `digest-store.ts` and `subject-store.ts`.
 */
import type { EmailPayload, SlackPayload } from './render.ts';
import type { SendResult } from './retry.ts';

export interface SlackSender {
  send(message: SlackPayload): Promise<SendResult>;
}

export interface MailSender {
  send(to: string, message: EmailPayload): Promise<SendResult>;
}
