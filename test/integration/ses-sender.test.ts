/**
 * The SES v2 mail sender against an HTTP server on loopback that answers as the SES v2 API
 * does (REST-JSON `POST /v2/email/outbound-emails`): the real SDK client, serialisation and
 * error mapping, without an AWS account.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sesSender } from '../../functions/notifier/ses-sender.ts';

interface Received {
  path: string;
  body: Record<string, any>;
}
const received: Received[] = [];
let reply: { status: number; type?: string; message?: string } = { status: 200 };
let server: Server;
let client: SESv2Client;

const readBody = async (req: IncomingMessage) => {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  return text;
};

beforeAll(async () => {
  server = createServer(async (req, res) => {
    received.push({ path: req.url ?? '', body: JSON.parse(await readBody(req)) });
    if (reply.status === 200) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ MessageId: `m-${received.length}` }));
    } else {
      res.writeHead(reply.status, { 'content-type': 'application/json', 'x-amzn-errortype': reply.type ?? 'Error' }).end(JSON.stringify({ message: reply.message ?? 'failed' }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  client = new SESv2Client({ endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
});
afterAll(async () => {
  client.destroy();
  await new Promise((r) => server.close(r));
});

const message = { channel: 'email' as const, subject: '[critical] 6.2 High-risk operation not verified', text: 'u1001 deleted 250 orders', html: '<p>u1001 deleted 250 orders</p>' };

describe('SES v2 sender', () => {
  it('sends one SendEmail with from, recipient, subject and both bodies', async () => {
    reply = { status: 200 };
    expect(await sesSender(client, 'erpgov@example.com').send('it-lead@example.com', message)).toEqual({ ok: true });
    const last = received.at(-1) as Received;
    expect(last.path).toBe('/v2/email/outbound-emails');
    expect(last.body).toMatchObject({
      FromEmailAddress: 'erpgov@example.com',
      Destination: { ToAddresses: ['it-lead@example.com'] },
      Content: { Simple: { Subject: { Data: message.subject }, Body: { Text: { Data: message.text }, Html: { Data: message.html } } } },
    });
  });

  it('treats throttling as retryable and a rejected message as permanent', async () => {
    reply = { status: 429, type: 'TooManyRequestsException', message: 'slow down' };
    expect(await sesSender(client, 'erpgov@example.com').send('a@example.com', message)).toMatchObject({ ok: false, status: 429, permanent: false });
    reply = { status: 400, type: 'MessageRejected', message: 'Email address is not verified.' };
    expect(await sesSender(client, 'erpgov@example.com').send('a@example.com', message)).toMatchObject({ ok: false, status: 400, permanent: true, error: expect.stringContaining('MessageRejected') });
  });
});
