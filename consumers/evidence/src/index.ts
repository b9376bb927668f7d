export { collectEvidence, type EvidenceSources, type ReportRequest } from './collect.ts';
export { digestCoverage } from './coverage.ts';
export { FRAMEWORK_DEFINITIONS } from './frameworks.ts';
export { type GeneratedReport, generateReport } from './generate.ts';
export * from './model.ts';
export {
  type ArchivedReport,
  type AuditSink,
  archiveReport,
  publishReport,
  REPORTS_PREFIX,
  type Requester,
  reportAuditEvent,
  reportKey,
} from './publish.ts';
export { AU3_FIELDS, missingFields, REPORT_ACTION } from './queries.ts';
export { renderHtml } from './render/html.ts';
export { CONTENT_TYPES, renderReport } from './render/index.ts';
export { renderMarkdown } from './render/markdown.ts';
export { chromiumExecutable } from './render/pdf.ts';
export { SECTION_TITLES } from './render/view.ts';
export { DEFAULT_INDEX, evidenceSourcesFromEnv, type SourceOverrides } from './sources.ts';
export { summarize } from './summary.ts';
