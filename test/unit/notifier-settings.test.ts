import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, describe, expect, it } from 'vitest';
import { loadChannelSettings } from '../../functions/notifier/channel-settings.ts';

const dir = mkdtempSync(join(tmpdir(), 'erpgov-notifier-settings-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadChannelSettings', () => {
  it('local: nothing configured leaves both channels to the console', async () => {
    expect(await loadChannelSettings({ ERPGOV_DATA_DIR: dir })).toMatchObject({ slackWebhookUrl: undefined, mail: undefined });
  });

  it('local: notifications.json, overridden by the environment', async () => {
    writeFileSync(join(dir, 'notifications.json'), JSON.stringify({ slackWebhookUrl: 'https://hooks.example/file', smtpUrl: 'smtps://u:p@mail.example:465', mailFrom: 'file@example.com' }));
    const settings = await loadChannelSettings({ ERPGOV_DATA_DIR: dir, ERPGOV_MAIL_FROM: 'env@example.com' });
    expect(settings).toMatchObject({ slackWebhookUrl: 'https://hooks.example/file', mail: { transport: 'smtp', url: 'smtps://u:p@mail.example:465', from: 'env@example.com' } });
    rmSync(join(dir, 'notifications.json'));
  });

  it('errors name the setting and what is allowed, never the secret value', async () => {
    const bad = loadChannelSettings({ ERPGOV_SLACK_WEBHOOK_URL: 'hooks.slack.com/services/SECRET-TOKEN' });
    await expect(bad).rejects.toThrow(/slackWebhookUrl \(ERPGOV_SLACK_WEBHOOK_URL\) from environment must be an http\(s\) URL/);
    await expect(bad).rejects.not.toThrow(/SECRET-TOKEN/);
    await expect(loadChannelSettings({ ERPGOV_SMTP_URL: 'smtp://u:hunter2@mail:25' })).rejects.toThrow(/mailFrom \(ERPGOV_MAIL_FROM\).*is required/);
    await expect(loadChannelSettings({ ERPGOV_SMTP_URL: 'http://u:hunter2@mail:25', ERPGOV_MAIL_FROM: 'a@b.c' })).rejects.not.toThrow(/hunter2/);
  });

  it('AWS: reads the secret named by NOTIFIER_SECRET_ARN; mail through SES unless an SMTP relay is named', async () => {
    const asked: string[] = [];
    const client = {
      send: async (command: GetSecretValueCommand) => {
        asked.push(String(command.input.SecretId));
        return { SecretString: JSON.stringify({ slackWebhookUrl: 'https://hooks.slack.com/services/X', mailFrom: 'erpgov@example.com' }) };
      },
    } as unknown as SecretsManagerClient;
    const settings = await loadChannelSettings({ NOTIFIER_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:1:secret:erpgov/notifications', NOTIFIER_MAIL_TRANSPORT: 'ses' }, client);
    expect(asked).toEqual(['arn:aws:secretsmanager:eu-west-1:1:secret:erpgov/notifications']);
    expect(settings).toMatchObject({ slackWebhookUrl: 'https://hooks.slack.com/services/X', mail: { transport: 'ses', from: 'erpgov@example.com' } });
  });
});
