import { describe, expect, it } from 'vitest';
import { controlCatalogue, describeControl, areaOfControl } from '../../schemas/controls.ts';
import { toNotification, type NotifiedEvent } from '../../functions/notifier/notification.ts';
import { digestLineOf, renderDigest, renderEmail, renderSlack } from '../../functions/notifier/render.ts';

const raisedEvent: NotifiedEvent = {
  id: 'evt-42',
  time: '2026-03-02T01:00:00Z',
  detailType: 'Finding Raised',
  detail: {
    schemaVersion: 1, findingId: 'f-62', control: '6.2', title: 'High-risk operation not verified by a second person', severity: 'critical', mode: 'enforce',
    subject: { type: 'operation', id: 'op-1', name: 'delete <sales-order> & co' }, evidence: { summary: 'u1001 deleted 250 sales orders; nobody verified within 30 min', eventIds: ['e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7'] }, detectedBy: 'audit-analysis',
  },
};
const raised = toNotification(raisedEvent, undefined);

describe('control catalogue', () => {
  it('has every control of the guide, 1.1–6.4, in both languages', () => {
    expect(Object.keys(controlCatalogue)).toEqual(['1.1', '1.2', '1.3', '2.1', '2.2', '2.3', '2.4', '2.5', '3.1', '3.2', '3.3', '4.1', '4.2', '4.3', '4.4', '5.1', '5.2', '5.3', '6.1', '6.2', '6.3', '6.4']);
    for (const text of Object.values(controlCatalogue)) {
      expect(text.en).toMatch(/^[A-Z]/);
      expect(text.zh).toMatch(/[\u4e00-\u9fff]/);
    }
    expect(describeControl('9.9', 'en')).toBe('Control 9.9 of the maintenance guide');
    expect(areaOfControl('2.3')).toBe('access');
    expect(areaOfControl('6.2')).toBe('audit');
  });
});

describe('Slack rendering', () => {
  it('shows title, severity, control and its meaning, subject, evidence, first seen and id, escaped', () => {
    const message = renderSlack(raised, 'en');
    expect(message.text).toBe('[CRITICAL] Finding: High-risk operation not verified by a second person');
    expect(message.blocks[0]).toMatchObject({ type: 'header' });
    const text = JSON.stringify(message.blocks);
    expect(text).toContain(`6.2 — ${controlCatalogue['6.2']?.en}`);
    expect(text).toContain('operation op-1 (delete &lt;sales-order&gt; &amp; co)');
    expect(text).toContain('u1001 deleted 250 sales orders');
    expect(text).toContain('e1, e2, e3, e4, e5 (+2 more)');
    expect(text).toContain('2026-03-02T01:00:00Z');
    expect(text).toContain('f-62');
  });

  it('renders in Chinese when the policy says zh', () => {
    const message = renderSlack(raised, 'zh');
    expect(message.text).toBe('[严重] 发现问题: High-risk operation not verified by a second person');
    expect(JSON.stringify(message.blocks)).toContain(controlCatalogue['6.2']?.zh);
  });

  it('a resolution names the same finding, with the remembered title and first-seen time', () => {
    const resolved = toNotification(
      { id: 'evt-43', time: '2026-03-02T05:00:00Z', detailType: 'Finding Resolved', detail: { schemaVersion: 1, findingId: 'f-62', control: '6.2', severity: 'critical', mode: 'enforce', subject: { type: 'operation', id: 'op-1' }, resolution: 'fixed', resolvedBy: 'it.lead.sun' } },
      { key: 'f-62', title: raised.title, severity: 'critical', firstSeenAt: '2026-03-02T01:00:00Z', owner: undefined, incidentSeverity: undefined },
    );
    const message = renderSlack(resolved, 'en');
    expect(message.text).toBe('[CRITICAL] Resolved: High-risk operation not verified by a second person');
    const text = JSON.stringify(message.blocks);
    expect(text).toContain('it.lead.sun (fixed)');
    expect(text).toContain('2026-03-02T01:00:00Z');
    expect(text).toContain(':white_check_mark:');
  });
});

describe('e-mail rendering', () => {
  it('plain text and HTML in English, HTML escaped', () => {
    const mail = renderEmail(raised, 'en');
    expect(mail.subject).toBe('[CRITICAL] Finding: High-risk operation not verified by a second person');
    expect(mail.text).toContain('Control: 6.2 — ');
    expect(mail.text).toContain('Subject: operation op-1 (delete <sales-order> & co)');
    expect(mail.html).toContain('<html lang="en">');
    expect(mail.html).toContain('delete &lt;sales-order&gt; &amp; co');
    expect(mail.html).not.toContain('<sales-order>');
  });

  it('in Chinese', () => {
    const mail = renderEmail(raised, 'zh');
    expect(mail.subject).toBe('[严重] 发现问题: High-risk operation not verified by a second person');
    expect(mail.text).toContain('控制项: 6.2 — ');
    expect(mail.text).toContain('首次发现: 2026-03-02T01:00:00Z');
    expect(mail.html).toContain('<html lang="zh">');
  });
});

describe('digest rendering', () => {
  it('one summary with a line per notification, for Slack and e-mail', () => {
    const lines = [digestLineOf(raised), { ...digestLineOf(raised), key: 'f-63', title: 'Another' }];
    const period = { start: '2026-03-02T01:00:00.000Z', end: '2026-03-02T02:00:00.000Z' };
    const mail = renderDigest('email', 'it.lead', period, lines, 'en');
    expect(mail).toMatchObject({ channel: 'email', subject: 'Digest: 2 notification(s) for it.lead' });
    expect(mail.channel === 'email' && mail.text.split('\n').filter((l) => l.startsWith('- '))).toHaveLength(2);
    const slack = renderDigest('slack', 'it.lead', period, lines, 'zh');
    expect(slack.channel === 'slack' && slack.text).toBe('汇总:it.lead 共 2 条通知');
  });
});
