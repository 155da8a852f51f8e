/**
 * MailSender over Amazon SES v2 SendEmail (on AWS): the function's role sends as a verified
 * identity, so no mail credentials exist at all. Throttling is retried; a rejected message
 * or an unverified identity is permanent.
 */
import { SendEmailCommand, type SESv2Client } from '@aws-sdk/client-sesv2';
import type { MailSender } from './ports.ts';
import type { SendResult } from './retry.ts';

const PERMANENT_ERRORS = new Set(['MessageRejected', 'MailFromDomainNotVerifiedException', 'BadRequestException', 'NotFoundException', 'AccountSuspendedException', 'SendingPausedException']);

export function sesSender(client: SESv2Client, from: string): MailSender {
  return {
    async send(to, message): Promise<SendResult> {
      try {
        await client.send(
          new SendEmailCommand({
            FromEmailAddress: from,
            Destination: { ToAddresses: [to] },
            Content: {
              Simple: {
                Subject: { Data: message.subject, Charset: 'UTF-8' },
                Body: { Text: { Data: message.text, Charset: 'UTF-8' }, Html: { Data: message.html, Charset: 'UTF-8' } },
              },
            },
          }),
        );
        return { ok: true };
      } catch (err) {
        const e = err as Error & { $metadata?: { httpStatusCode?: number } };
        const status = e.$metadata?.httpStatusCode;
        return { ok: false, ...(status !== undefined ? { status } : {}), permanent: PERMANENT_ERRORS.has(e.name), error: `SES ${e.name}: ${e.message}` };
      }
    },
  };
}
