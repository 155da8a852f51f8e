/**
 * Where the notifier's secrets come from, read once per container:
 *  - on AWS, the Secrets Manager secret named by NOTIFIER_SECRET_ARN (JSON:
 *    `{ "slackWebhookUrl": "...", "mailFrom": "...", "smtpUrl": "..." }`); mail goes
 *    through SES unless the secret names an SMTP relay;
 *  - locally, `<ERPGOV_DATA_DIR>/notifications.json` (same keys), overridden by the
 *    environment: ERPGOV_SLACK_WEBHOOK_URL, ERPGOV_SMTP_URL, ERPGOV_MAIL_FROM.
 * Missing settings leave that channel to the console and on-disk outbox. Error messages
 * name the setting and what is allowed, never its value: the values are secrets.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigurationError } from '../shared/config.ts';

export const SECRET_ARN_ENV = 'NOTIFIER_SECRET_ARN';
export const MAIL_TRANSPORT_ENV = 'NOTIFIER_MAIL_TRANSPORT';
export const LOCAL_SETTINGS_FILE = 'notifications.json';

export interface ChannelSettings {
  readonly slackWebhookUrl: string | undefined;
  readonly mail:
    | { readonly transport: 'smtp'; readonly url: string; readonly from: string }
    | { readonly transport: 'ses'; readonly from: string }
    | undefined;
  /** Where the settings came from, safe to log. */
  readonly origin: string;
}

interface RawSettings {
  slackWebhookUrl?: unknown;
  smtpUrl?: unknown;
  mailFrom?: unknown;
}

export async function loadChannelSettings(env: NodeJS.ProcessEnv = process.env, secrets?: SecretsManagerClient): Promise<ChannelSettings> {
  const secretArn = nonBlank(env[SECRET_ARN_ENV]);
  if (secretArn !== undefined) {
    const client = secrets ?? new SecretsManagerClient({});
    const out = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
    const raw = parseJson(out.SecretString ?? '{}', `secret ${SECRET_ARN_ENV}`);
    // On AWS, mail goes through SES with the function's role unless an SMTP relay is named.
    return validate(raw, `Secrets Manager (${SECRET_ARN_ENV})`, env[MAIL_TRANSPORT_ENV] === 'ses' ? 'ses' : 'smtp');
  }
  const file = nonBlank(env.ERPGOV_DATA_DIR) === undefined ? undefined : join(env.ERPGOV_DATA_DIR as string, LOCAL_SETTINGS_FILE);
  const fromFile = file === undefined ? {} : await readOptionalJson(file);
  const raw: RawSettings = {
    slackWebhookUrl: nonBlank(env.ERPGOV_SLACK_WEBHOOK_URL) ?? fromFile.slackWebhookUrl,
    smtpUrl: nonBlank(env.ERPGOV_SMTP_URL) ?? fromFile.smtpUrl,
    mailFrom: nonBlank(env.ERPGOV_MAIL_FROM) ?? fromFile.mailFrom,
  };
  return validate(raw, file === undefined ? 'environment' : `environment and ${LOCAL_SETTINGS_FILE}`, 'smtp');
}

function validate(raw: RawSettings, origin: string, fallbackMail: 'smtp' | 'ses'): ChannelSettings {
  const slackWebhookUrl = optionalString(raw.slackWebhookUrl, 'slackWebhookUrl (ERPGOV_SLACK_WEBHOOK_URL)', origin);
  if (slackWebhookUrl !== undefined && !/^https?:\/\//.test(slackWebhookUrl)) {
    throw new ConfigurationError(`slackWebhookUrl (ERPGOV_SLACK_WEBHOOK_URL) from ${origin} must be an http(s) URL, e.g. https://hooks.slack.com/services/...; value not shown, it is a secret`);
  }
  const smtpUrl = optionalString(raw.smtpUrl, 'smtpUrl (ERPGOV_SMTP_URL)', origin);
  if (smtpUrl !== undefined && !/^smtps?:\/\/[^/]/.test(smtpUrl)) {
    throw new ConfigurationError(`smtpUrl (ERPGOV_SMTP_URL) from ${origin} must look like smtp://user:pass@host:587 or smtps://user:pass@host:465; value not shown, it is a secret`);
  }
  const from = optionalString(raw.mailFrom, 'mailFrom (ERPGOV_MAIL_FROM)', origin);
  if (smtpUrl !== undefined && from === undefined) {
    throw new ConfigurationError(`mailFrom (ERPGOV_MAIL_FROM) from ${origin} is required when an SMTP URL is set: the sender address, e.g. "erpgov@example.com"`);
  }
  let mail: ChannelSettings['mail'];
  if (smtpUrl !== undefined && from !== undefined) mail = { transport: 'smtp', url: smtpUrl, from };
  else if (fallbackMail === 'ses' && from !== undefined) mail = { transport: 'ses', from };
  return { slackWebhookUrl, mail, origin };
}

function optionalString(value: unknown, name: string, origin: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new ConfigurationError(`${name} from ${origin} must be a string, not ${typeof value}`);
  return nonBlank(value);
}

async function readOptionalJson(file: string): Promise<RawSettings> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ConfigurationError(`${file} cannot be read (${(err as NodeJS.ErrnoException).code})`);
  }
  return parseJson(text, file);
}

function parseJson(text: string, origin: string): RawSettings {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // The parser's message quotes the text, which holds secrets.
    throw new ConfigurationError(`${origin} is not valid JSON; expected { "slackWebhookUrl", "smtpUrl", "mailFrom" }`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigurationError(`${origin} must be a JSON object with slackWebhookUrl, smtpUrl, mailFrom`);
  return value as RawSettings;
}

function nonBlank(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
