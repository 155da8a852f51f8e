/**
 * MailSender over SMTP with nodemailer (local mode, or any mail relay): host, port, TLS and
 * credentials from one URL, `smtp://user:pass@host:587` (STARTTLS when offered) or
 * `smtps://user:pass@host:465` (TLS from the start). The password lives in the transport
 * only; errors are reported by code and server reply, and scrubbed of the password anyway.
 */
import type { Transporter } from 'nodemailer';
import type { MailSender } from './ports.ts';
import type { SendResult } from './retry.ts';

export const SMTP_TIMEOUT_MS = 10_000;

interface SmtpError {
  readonly code?: string;
  readonly responseCode?: number;
  readonly response?: string;
  readonly message?: string;
}

export interface SmtpSenderOptions {
  readonly url: string;
  readonly from: string;
  /** Accept a self-signed certificate (a local relay); never on by default. */
  readonly allowSelfSigned?: boolean;
}

export function smtpSender(options: SmtpSenderOptions): MailSender {
  // nodemailer is loaded on the first mail, not when the notifier starts: most notifiers
  // (SES on AWS, Slack only) never need it, and a cold start should not pay for it.
  let transport: Promise<Transporter> | undefined;
  const transportOnce = () => (transport ??= import('nodemailer').then(({ default: nodemailer }) => nodemailer.createTransport({
    url: options.url,
    connectionTimeout: SMTP_TIMEOUT_MS,
    greetingTimeout: SMTP_TIMEOUT_MS,
    socketTimeout: SMTP_TIMEOUT_MS,
    // nodemailer's own logger could print the AUTH exchange.
    logger: false,
    debug: false,
    ...(options.allowSelfSigned ? { tls: { rejectUnauthorized: false } } : {}),
  } as Parameters<typeof nodemailer.createTransport>[0])));
  const secrets = secretsOf(options.url);
  return {
    async send(to, message): Promise<SendResult> {
      try {
        await (await transportOnce()).sendMail({ from: options.from, to, subject: message.subject, text: message.text, html: message.html });
        return { ok: true };
      } catch (err) {
        const e = err as SmtpError;
        const reply = e.response ?? e.message ?? 'unknown error';
        return {
          ok: false,
          // A 5xx SMTP reply is permanent (no such mailbox, relaying denied); 4xx and
          // connection errors are transient.
          permanent: e.responseCode !== undefined && e.responseCode >= 500,
          error: redact(`SMTP ${e.code ?? 'error'}${e.responseCode ? ` ${e.responseCode}` : ''}: ${reply}`, secrets),
        };
      }
    },
  };
}

function secretsOf(url: string): string[] {
  try {
    const parsed = new URL(url);
    return [parsed.password, decodeURIComponent(parsed.password)].filter((s) => s.length > 0);
  } catch {
    return [];
  }
}

function redact(text: string, secrets: readonly string[]): string {
  return secrets.reduce((out, secret) => out.replaceAll(secret, '***'), text);
}
