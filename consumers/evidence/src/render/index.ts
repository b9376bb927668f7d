import type { EvidenceReport, ReportFormat } from '../model.ts';
import { renderHtml } from './html.ts';
import { renderMarkdown } from './markdown.ts';
import { htmlToPdf } from './pdf.ts';
import { reportTitle } from './view.ts';

export const CONTENT_TYPES: Readonly<Record<ReportFormat, string>> = {
  json: 'application/json',
  md: 'text/markdown; charset=utf-8',
  html: 'text/html; charset=utf-8',
  pdf: 'application/pdf',
};

/** The report in one format, as the bytes handed out (and hashed, and archived). */
export async function renderReport(
  report: EvidenceReport,
  format: ReportFormat,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Buffer> {
  switch (format) {
    case 'json':
      return Buffer.from(`${JSON.stringify(report, null, 2)}\n`);
    case 'md':
      return Buffer.from(renderMarkdown(report));
    case 'html':
      return Buffer.from(renderHtml(report));
    case 'pdf':
      return htmlToPdf(renderHtml(report), { title: reportTitle(report), env });
  }
}
