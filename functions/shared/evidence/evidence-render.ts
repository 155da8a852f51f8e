/**
 * Renders the evidence pack's files from its index: `index.html` (self-contained: styles,
 * data and the charting library uPlot inlined, no network), `index.json`, the findings as CSV
 * and JSONL, and each evidence file wrapped with the period it covers and when it was made.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { StoredFinding } from '../findings/finding.ts';
import { STATUS_LABELS, type ControlEvidence, type EvidenceIndex } from './evidence-index.ts';
import type { Period } from './period.ts';
import type { Language } from '../../../schemas/controls.ts';

/** Wraps an evidence file's content with its period and time of making. */
export const evidenceJson = (period: Period, generatedAt: string, kind: string, content: unknown): string =>
  `${JSON.stringify({ kind, period: { label: period.label, from: period.from, to: period.to }, generatedAt, content }, null, 2)}\n`;

const csvCell = (value: unknown): string => {
  const text = value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

export const FINDING_COLUMNS = ['period', 'generated_at', 'finding_id', 'control', 'rule', 'detected_by', 'severity', 'title', 'subject_type', 'subject_id', 'state', 'first_raised_at', 'updated_at', 'resolved_at', 'exception_owner', 'exception_until', 'exception_reason', 'summary'] as const;

/** One flat row per finding: the `findings` table locally (DuckDB) and on AWS (Glue). */
export function findingRow(f: StoredFinding, period: string, generatedAt: string): Record<(typeof FINDING_COLUMNS)[number], string | null> {
  return {
    period,
    generated_at: generatedAt,
    finding_id: f.findingId,
    control: f.raised.control,
    rule: f.rule,
    detected_by: f.detectedBy,
    severity: f.raised.severity,
    title: f.raised.title,
    subject_type: f.raised.subject.type,
    subject_id: f.raised.subject.id,
    state: f.state,
    first_raised_at: f.firstRaisedAt,
    updated_at: f.updatedAt,
    resolved_at: f.resolvedAt ?? null,
    exception_owner: f.exception?.owner ?? null,
    exception_until: f.exception?.until ?? null,
    exception_reason: f.exception?.reason ?? null,
    summary: f.raised.evidence.summary,
  };
}

export function findingsCsv(findings: readonly StoredFinding[], period: string, generatedAt: string): string {
  const lines = [FINDING_COLUMNS.join(',')];
  for (const f of findings) {
    const row = findingRow(f, period, generatedAt);
    lines.push(FINDING_COLUMNS.map((c) => csvCell(row[c])).join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** JSONL: one finding a line, whole (history and evidence), with the period and the time of making. */
export function findingsJsonl(findings: readonly StoredFinding[], period: string, generatedAt: string): string {
  return findings.map((f) => `${JSON.stringify({ period, generatedAt, ...f })}\n`).join('');
}

const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
/** JSON safe inside a <script> element. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

const UI: Readonly<Record<string, { en: string; zh: string }>> = {
  title: { en: 'ERP governance evidence', zh: 'ERP治理审计证据' },
  period: { en: 'Period', zh: '期间' },
  generated: { en: 'Made', zh: '生成时间' },
  control: { en: 'Control', zh: '控制项' },
  area: { en: 'Area', zh: '领域' },
  requirement: { en: 'Requirement', zh: '要求' },
  status: { en: 'Status', zh: '状态' },
  figures: { en: 'Figures', zh: '指标' },
  findings: { en: 'Findings', zh: '问题' },
  files: { en: 'Evidence files', zh: '证据文件' },
  exceptions: { en: 'Exceptions', zh: '例外' },
  abnormal: { en: 'Abnormal operations and what was done (6.3)', zh: '异常操作及处理情况(6.3)' },
  charts: { en: 'Charts', zh: '图表' },
  leavers: { en: 'Time to revoke leavers (hours)', zh: '离职人员权限回收用时(小时)' },
  episodes: { en: 'Threshold episodes (minutes over the threshold)', zh: '阈值超限事件(超限分钟数)' },
  response: { en: 'MTTA / MTTR by severity (minutes)', zh: '按级别的平均响应/恢复时间(分钟)' },
  rto: { en: 'RTO trend by quarter (minutes)', zh: '按季度的恢复时间目标趋势(分钟)' },
  none: { en: 'none', zh: '无' },
  noData: { en: 'no data for the period', zh: '本期无数据' },
  summary: { en: 'Summary', zh: '概要' },
};

/** uPlot's files, inlined into the page: from node_modules (in a Lambda, the copy the stack puts beside the bundle). */
function uplotAssets(): { js: string; css: string } {
  const require = createRequire(import.meta.url);
  const js = readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8').replace(/<\/script/gi, '<\\/script');
  const css = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
  return { js, css };
}

function controlRow(c: ControlEvidence, lang: Language): string {
  const other: Language = lang === 'en' ? 'zh' : 'en';
  const figures = Object.entries(c.figures)
    .map(([k, v]) => `<li><span class="k">${escapeHtml(k)}</span> <span class="v">${escapeHtml(v === null ? '–' : String(v))}</span></li>`)
    .join('');
  const findings = c.findings.length === 0 ? UI.none?.[lang] ?? '' : `<ul>${c.findings
    .map((f) => `<li><code>${escapeHtml(f.findingId)}</code> ${escapeHtml(f.title)} — ${escapeHtml(f.subject)} <b>${escapeHtml(f.stateAtEnd)}</b><ol class="timeline">${f.history.map((h) => `<li>${escapeHtml(h.at)} ${escapeHtml(h.state)} · ${escapeHtml(h.by)}${h.note ? `: ${escapeHtml(h.note)}` : ''}</li>`).join('')}</ol></li>`)
    .join('')}</ul>`;
  const exceptions = c.exceptions.map((e) => `<div class="exception">${escapeHtml(UI.exceptions?.[lang] ?? '')}: ${escapeHtml(e.owner)} → ${escapeHtml(e.until)} (${escapeHtml(e.reason)})</div>`).join('');
  const files = c.evidenceFiles.map((f) => `<a href="${escapeHtml(f)}">${escapeHtml(f.replace(/^evidence\//, ''))}</a>`).join('<br>');
  return `<tr data-control="${c.control}" data-status="${c.status}"><td class="control">${c.control}</td><td>${escapeHtml(c.area[lang])}</td><td>${escapeHtml(c.title[lang])}<div class="alt">${escapeHtml(c.title[other])}</div></td><td class="status s-${c.status}">${escapeHtml(c.statusLabel[lang])}<div class="alt">${escapeHtml(c.statusLabel[other])}</div></td><td><ul class="figures">${figures}</ul></td><td>${findings}${exceptions}</td><td>${files}</td></tr>`;
}

export function renderHtml(index: EvidenceIndex, lang: Language): string {
  const t = (key: string) => UI[key]?.[lang] ?? key;
  const { js, css } = uplotAssets();
  const summary = Object.entries(index.summary).map(([s, n]) => `<span class="pill s-${s}">${escapeHtml(STATUS_LABELS[s as keyof typeof STATUS_LABELS][lang])}: ${n}</span>`).join(' ');
  const abnormal = index.abnormalOperations.length === 0 ? `<p>${t('none')}</p>` : `<table id="abnormal"><tbody>${index.abnormalOperations.map((a) => `<tr><td>${a.control}</td><td><code>${escapeHtml(a.findingId)}</code></td><td>${escapeHtml(a.title)} — ${escapeHtml(a.subject)}</td><td>${escapeHtml(a.raisedAt)}</td><td>${escapeHtml(a.outcome)}</td></tr>`).join('')}</tbody></table>`;
  const charts = [['leavers', 'chart-leavers'], ['episodes', 'chart-episodes'], ['response', 'chart-response'], ['rto', 'chart-rto']].map(([key, id]) => `<figure><figcaption>${t(key as string)}</figcaption><div id="${id}" class="chart"></div></figure>`).join('');
  return `<!doctype html>
<html lang="${lang === 'zh' ? 'zh-CN' : 'en'}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>${t('title')} ${escapeHtml(index.period.label)}</title>
<style>${css}
body{font-family:system-ui,"Noto Sans CJK SC",sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.4em;vertical-align:top;font-size:.9em}
.alt{color:#777;font-size:.85em}.figures{list-style:none;padding:0;margin:0}.k{color:#555}.v{font-weight:bold}
.s-met{background:#e6f4ea}.s-findings-open{background:#fde8e8}.s-findings-resolved{background:#fff4d6}.s-exception{background:#ece6f8}.s-no-data{background:#eee}
.pill{padding:.2em .6em;border-radius:1em}.timeline{font-size:.85em;color:#555}figure{display:inline-block;margin:1em}.exception{color:#5b3fa0}
</style>
</head>
<body>
<h1>${t('title')} · ${escapeHtml(index.period.label)}</h1>
<p>${t('period')}: <b id="period">${escapeHtml(index.period.firstDay)} … ${escapeHtml(index.period.lastDay)}</b> · ${t('generated')}: <span id="generated">${escapeHtml(index.generatedAt)}</span></p>
<h2>${t('summary')}</h2><p>${summary}</p>
<table id="controls"><thead><tr><th>${t('control')}</th><th>${t('area')}</th><th>${t('requirement')}</th><th>${t('status')}</th><th>${t('figures')}</th><th>${t('findings')}</th><th>${t('files')}</th></tr></thead>
<tbody>
${index.controls.map((c) => controlRow(c, lang)).join('\n')}
</tbody></table>
<h2>${t('abnormal')}</h2>${abnormal}
<h2>${t('charts')}</h2>${charts}
<script>${js}</script>
<script>
const charts = ${scriptJson(index.charts)};
const noData = ${scriptJson(t('noData'))};
function bars(id, labels, series) {
  const el = document.getElementById(id);
  if (labels.length === 0) { el.textContent = noData; return; }
  const xs = labels.map((_, i) => i);
  const colors = ['#3b6ea8', '#c0504d', '#9bbb59'];
  new uPlot({
    width: 520, height: 240,
    scales: { x: { time: false, range: [-0.5, labels.length - 0.5] } },
    axes: [{ values: (u, ticks) => ticks.map((i) => labels[i] ?? '') , splits: () => xs }, {}],
    series: [{}].concat(series.map((s, i) => ({ label: s.label, stroke: colors[i], fill: colors[i] + '88', paths: s.line ? undefined : uPlot.paths.bars({ size: [0.6 / series.length, 60], align: 0 }) }))),
  }, [xs].concat(series.map((s) => s.values)), el);
}
bars('chart-leavers', charts.leaverRevocationHours.map((l) => l.person), [{ label: 'hours', values: charts.leaverRevocationHours.map((l) => l.hours) }]);
bars('chart-episodes', charts.thresholdEpisodes.map((e) => e.label), [{ label: 'minutes', values: charts.thresholdEpisodes.map((e) => e.minutes) }]);
bars('chart-response', charts.responseTimes.map((r) => r.severity), [{ label: 'MTTA', values: charts.responseTimes.map((r) => r.mttaMinutes) }, { label: 'MTTR', values: charts.responseTimes.map((r) => r.mttrMinutes) }]);
bars('chart-rto', charts.rtoTrend.map((r) => r.quarter), [{ label: 'best RTO', values: charts.rtoTrend.map((r) => r.bestRtoMinutes) }, { label: 'target', values: charts.rtoTrend.map((r) => r.targetMinutes), line: true }]);
</script>
</body>
</html>
`;
}
