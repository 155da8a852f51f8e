/**
 * Messages people read: Slack Block Kit and e-mail (plain text and HTML), in English or
 * Chinese. A message carries the title, severity, the control and what it means, the
 * subject, the key evidence and when it was first seen; a resolution names the same finding
 * or incident id, so it reads as the close of the earlier message. Pure.
 */
import { describeControl, type Language } from '../../schemas/controls.ts';
import type { Notification, NotificationState } from './notification.ts';

export type SlackPayload = { readonly channel: 'slack'; readonly text: string; readonly blocks: readonly Record<string, unknown>[] };
export type EmailPayload = { readonly channel: 'email'; readonly subject: string; readonly text: string; readonly html: string };
export type MessagePayload = SlackPayload | EmailPayload;

/** One line of a digest: a notification folded into the owner's summary. */
export interface DigestLine {
  readonly key: string;
  readonly state: NotificationState;
  readonly title: string;
  readonly severity: string;
  readonly control: string | undefined;
  readonly subject: string;
  readonly occurredAt: string;
  /** Finding or incident (absent on lines digested before it was recorded: read as the state's usual subject). */
  readonly kind?: Notification['kind'];
}

/** Evidence event ids shown in a message; the rest are counted. */
const SHOWN_EVENT_IDS = 5;

const words = {
  en: {
    raised: 'Finding', resolved: 'Resolved', opened: 'Incident opened', acknowledged: 'Incident acknowledged', findingAcknowledged: 'Finding acknowledged', excepted: 'Exception granted',
    severity: 'Severity', control: 'Control', subject: 'Subject', evidence: 'Evidence', firstSeen: 'First seen', id: 'Id', by: 'By', events: 'Events', more: 'more',
    resolution: 'Resolution', digest: (count: number, owner: string) => `Digest: ${count} notification(s) for ${owner}`, period: 'Period', footer: 'ERP governance pipeline',
  },
  zh: {
    raised: '发现问题', resolved: '已解决', opened: '故障已开启', acknowledged: '故障已确认', findingAcknowledged: '发现已确认', excepted: '已批准例外',
    severity: '严重程度', control: '控制项', subject: '对象', evidence: '证据', firstSeen: '首次发现', id: '编号', by: '处理人', events: '事件', more: '条未列出',
    resolution: '处理结果', digest: (count: number, owner: string) => `汇总:${owner} 共 ${count} 条通知`, period: '时段', footer: 'ERP 治理流水线',
  },
} as const;

const severityWords: Record<Language, Record<string, string>> = {
  en: { critical: 'CRITICAL', high: 'HIGH', medium: 'MEDIUM', low: 'LOW' },
  zh: { critical: '严重', high: '高', medium: '中', low: '低' },
};
const severityIcon: Record<string, string> = { critical: ':rotating_light:', high: ':red_circle:', medium: ':large_orange_circle:', low: ':white_circle:' };

interface Field {
  readonly label: string;
  readonly value: string;
}

/** The facts every rendering shows, in order. */
function fieldsOf(n: Notification, language: Language): Field[] {
  const w = words[language];
  const fields: Field[] = [
    { label: w.severity, value: `${severityWords[language][n.severity] ?? n.severity}${n.incidentSeverity ? ` (${n.incidentSeverity})` : ''}` },
  ];
  if (n.control !== undefined) fields.push({ label: w.control, value: `${n.control} — ${describeControl(n.control, language)}` });
  fields.push({ label: w.subject, value: `${n.subject.type} ${n.subject.id}${n.subject.name ? ` (${n.subject.name})` : ''}` });
  if (n.summary !== undefined) fields.push({ label: n.state === 'resolved' && n.kind === 'incident' ? w.resolution : w.evidence, value: n.summary });
  if (n.evidenceEventIds.length > 0) {
    const shown = n.evidenceEventIds.slice(0, SHOWN_EVENT_IDS).join(', ');
    const rest = n.evidenceEventIds.length - SHOWN_EVENT_IDS;
    fields.push({ label: w.events, value: rest > 0 ? `${shown} (+${rest} ${w.more})` : shown });
  }
  if (n.closedBy !== undefined) fields.push({ label: w.by, value: n.resolution ? `${n.closedBy} (${n.resolution})` : n.closedBy });
  fields.push({ label: w.firstSeen, value: n.firstSeenAt });
  fields.push({ label: w.id, value: n.key });
  return fields;
}

/** The step's word: an acknowledgement is of a finding or of an incident. */
function stepWord(state: NotificationState, kind: Notification['kind'] | undefined, language: Language): string {
  const w = words[language];
  return state === 'acknowledged' && kind === 'finding' ? w.findingAcknowledged : w[state];
}

export function headline(n: Notification, language: Language): string {
  const severity = severityWords[language][n.severity] ?? n.severity;
  return `[${severity}] ${stepWord(n.state, n.kind, language)}: ${n.title}`;
}

export function renderSlack(n: Notification, language: Language): SlackPayload {
  const title = headline(n, language);
  const icon = n.state === 'resolved' ? ':white_check_mark:' : severityIcon[n.severity] ?? '';
  const fields = fieldsOf(n, language);
  return {
    channel: 'slack',
    // The fallback text shows in notifications and in clients without Block Kit.
    text: title,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: truncate(`${title}`, 150), emoji: true } },
      { type: 'section', text: { type: 'mrkdwn', text: `${icon} *${escapeSlack(n.title)}*` } },
      { type: 'section', fields: fields.slice(0, 10).map((f) => ({ type: 'mrkdwn', text: truncate(`*${escapeSlack(f.label)}*\n${escapeSlack(f.value)}`, 2000) })) },
      { type: 'context', elements: [{ type: 'mrkdwn', text: `${words[language].footer} · ${escapeSlack(n.eventId)}` }] },
    ],
  };
}

export function renderEmail(n: Notification, language: Language): EmailPayload {
  const title = headline(n, language);
  const fields = fieldsOf(n, language);
  const text = [title, '', ...fields.map((f) => `${f.label}: ${f.value}`), '', `-- ${words[language].footer}`].join('\n');
  const rows = fields.map((f) => `<tr><th align="left" style="padding:2px 12px 2px 0">${escapeHtml(f.label)}</th><td>${escapeHtml(f.value)}</td></tr>`).join('');
  const html = `<!doctype html><html lang="${language}"><body><h2>${escapeHtml(title)}</h2><table>${rows}</table><p style="color:#888">${escapeHtml(words[language].footer)}</p></body></html>`;
  return { channel: 'email', subject: title, text, html };
}

function digestLineText(line: DigestLine, language: Language): string {
  const severity = severityWords[language][line.severity] ?? line.severity;
  const state = stepWord(line.state, line.kind, language);
  return `[${severity}] ${state}: ${line.title} — ${line.subject}${line.control ? ` (${line.control})` : ''} · ${line.occurredAt} · ${line.key}`;
}

export function renderDigest(channel: 'slack' | 'email', owner: string, period: { start: string; end: string }, lines: readonly DigestLine[], language: Language): MessagePayload {
  const w = words[language];
  const title = w.digest(lines.length, owner);
  const periodText = `${w.period}: ${period.start} – ${period.end}`;
  const items = lines.map((line) => digestLineText(line, language));
  if (channel === 'slack') {
    return {
      channel: 'slack',
      text: title,
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: truncate(title, 150), emoji: true } },
        { type: 'context', elements: [{ type: 'mrkdwn', text: escapeSlack(periodText) }] },
        { type: 'section', text: { type: 'mrkdwn', text: truncate(items.map((i) => `• ${escapeSlack(i)}`).join('\n'), 3000) } },
      ],
    };
  }
  return {
    channel: 'email',
    subject: title,
    text: [title, periodText, '', ...items.map((i) => `- ${i}`), '', `-- ${w.footer}`].join('\n'),
    html: `<!doctype html><html lang="${language}"><body><h2>${escapeHtml(title)}</h2><p>${escapeHtml(periodText)}</p><ul>${items.map((i) => `<li>${escapeHtml(i)}</li>`).join('')}</ul><p style="color:#888">${escapeHtml(w.footer)}</p></body></html>`,
  };
}

export function digestLineOf(n: Notification): DigestLine {
  return { key: n.key, state: n.state, kind: n.kind, title: n.title, severity: n.severity, control: n.control, subject: `${n.subject.type} ${n.subject.id}`, occurredAt: n.occurredAt };
}

/** Slack's mrkdwn treats &, < and > as control characters. */
function escapeSlack(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

function escapeHtml(text: string): string {
  return escapeSlack(text).replaceAll('"', '&quot;').replaceAll("'", '&#39;');
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
