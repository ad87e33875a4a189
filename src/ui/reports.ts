// Markdown renderings of engine results: connection test, pre-check, verify and cutover reports.
import type { CheckResult, ConnectionTestResult, CutoverReport, VerifyReport } from '../engine/api';
import { redactSecrets } from '../engine/errors';
import { formatCount, formatSeconds } from './task-monitor';

const LEVEL_MARK = { pass: '✅ pass', warn: '⚠️ warn', fail: '❌ fail' } as const;

/** Escapes text for a markdown table cell. */
function cell(s: string | undefined): string {
  return redactSecrets(s ?? '').replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}

export function checkCounts(results: CheckResult[]): { pass: number; warn: number; fail: number } {
  const c = { pass: 0, warn: 0, fail: 0 };
  for (const r of results) c[r.level]++;
  return c;
}

export function checkSummary(results: CheckResult[]): string {
  const c = checkCounts(results);
  return `${c.pass} passed, ${c.warn} warning${c.warn === 1 ? '' : 's'}, ${c.fail} failed`;
}

/** Failed checks first, then warnings, then passes; stable within a level. */
export function sortChecks(results: CheckResult[]): CheckResult[] {
  const order = { fail: 0, warn: 1, pass: 2 } as const;
  return results.map((r, i) => ({ r, i })).sort((a, b) => order[a.r.level] - order[b.r.level] || a.i - b.i).map((x) => x.r);
}

export function precheckMarkdown(task: string, results: CheckResult[]): string {
  const lines = [`# Pre-check: ${task}`, '', checkSummary(results), '', '| Result | Check | Object | Finding | Fix |', '|---|---|---|---|---|'];
  for (const r of sortChecks(results)) {
    lines.push(`| ${LEVEL_MARK[r.level]} | ${cell(r.title)} \`${cell(r.id)}\` | ${cell(r.object)} | ${cell(r.message)} | ${r.fix ? `\`${cell(r.fix)}\`` : ''} |`);
  }
  return lines.join('\n') + '\n';
}

export function connectionTestMarkdown(name: string, r: ConnectionTestResult): string {
  const lines = [`# Connection test: ${name}`, '', `Server: **${cell(r.version)}** (${r.engine === 'mysql' ? 'MySQL/MariaDB' : 'PostgreSQL'})`, '',
    '| Setting | Value | Fit for incremental sync | Fix |', '|---|---|---|---|'];
  for (const s of r.settings) lines.push(`| ${cell(s.name)} | ${cell(s.value)} | ${s.ok ? '✅' : '❌'} | ${s.fix ? `\`${cell(s.fix)}\`` : ''} |`);
  return lines.join('\n') + '\n';
}

/** The one-line notification after a connection test. */
export function connectionTestSummary(name: string, r: ConnectionTestResult): string {
  const bad = r.settings.filter((s) => !s.ok);
  const settings = r.settings.map((s) => `${s.name}=${s.value}${s.ok ? '' : ' (needs change)'}`).join(', ');
  return `Ferry: ${name} connected — ${r.version}. ${bad.length === 0 ? 'Ready for incremental sync' : `${bad.length} setting${bad.length === 1 ? '' : 's'} to change for incremental sync`}${settings ? `: ${settings}` : ''}.`;
}

export function verifyMarkdown(task: string, r: VerifyReport): string {
  const lines = [`# Verify: ${task}`, '', r.equal ? '**Source and target are equal.**' : '**Source and target differ.**', '',
    `${formatCount(r.rowsCompared)} rows compared, ${r.startedAt} – ${r.finishedAt}.`, '',
    '| Table | Source rows | Target rows | Chunks | Mismatched chunks | Differences | Repaired |', '|---|---:|---:|---:|---:|---:|---:|'];
  for (const t of r.tables) {
    lines.push(`| ${cell(t.table)} | ${formatCount(t.sourceRows)} | ${formatCount(t.targetRows)} | ${t.chunks} | ${t.mismatchedChunks} | ${t.differences.length} | ${t.repaired} |`);
  }
  const withDiffs = r.tables.filter((t) => t.differences.length > 0);
  for (const t of withDiffs) {
    lines.push('', `## ${cell(t.table)}`, '', '| Key | Difference |', '|---|---|');
    for (const d of t.differences.slice(0, 100)) lines.push(`| ${cell(d.key.join(', '))} | ${d.kind} |`);
    if (t.differences.length > 100) lines.push(`| … | ${t.differences.length - 100} more |`);
  }
  return lines.join('\n') + '\n';
}

export function verifySummary(task: string, r: VerifyReport): string {
  if (r.equal) return `Ferry: ${task} verified — ${r.tables.length} tables, ${formatCount(r.rowsCompared)} rows, source and target are equal.`;
  const differing = r.tables.filter((t) => t.differences.length > 0 || t.mismatchedChunks > 0 || t.sourceRows !== t.targetRows);
  return `Ferry: ${task} differs in ${differing.length} table${differing.length === 1 ? '' : 's'}: ${differing.slice(0, 5).map((t) => t.table).join(', ')}${differing.length > 5 ? ', …' : ''}.`;
}

export function cutoverMarkdown(task: string, r: CutoverReport): string {
  const lines = [`# Cutover: ${task}`, '', `${r.differences === 0 ? '**Switch-over complete: the target is equal to the source.**' : `**${r.differences} differences found in the final verify.**`}`, '',
    `- Final source position: \`${cell(r.finalPosition)}\``, `- Rows verified: ${formatCount(r.rows)}`, `- Source made read-only: ${r.sourceReadOnly ? 'yes' : 'no'}`,
    `- ${r.startedAt} – ${r.finishedAt}`, '', '| Step | Result | Detail | Time |', '|---|---|---|---:|'];
  for (const s of r.steps) lines.push(`| ${cell(s.name)} | ${s.ok ? '✅' : '❌'} | ${cell(s.detail)} | ${formatSeconds(s.seconds)} |`);
  return lines.join('\n') + '\n';
}

export function cutoverSummary(task: string, r: CutoverReport): string {
  const failed = r.steps.filter((s) => !s.ok);
  if (failed.length === 0 && r.differences === 0) return `Ferry: ${task} switched over at ${r.finalPosition}; ${formatCount(r.rows)} rows verified equal.`;
  return `Ferry: ${task} cutover ${failed.length > 0 ? `failed at "${failed[0].name}": ${failed[0].detail}` : `found ${r.differences} differences`}.`;
}
