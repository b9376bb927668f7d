import { writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { parseWhen } from '@auditflow/archive';
import {
  evidenceSourcesFromEnv,
  FORMATS,
  FRAMEWORKS,
  type Framework,
  generateReport,
  type ReportFormat,
} from '@auditflow/evidence';
import { systemTenantFromEnv } from '@auditflow/schemas';
import { Command, Option } from 'commander';
import { emitCliAudit } from '../audit.ts';
import { archiveEnv } from './archive.ts';

interface ReportOptions {
  framework: Framework;
  from: string;
  to: string;
  tenant?: string;
  format: ReportFormat;
  out?: string;
  index?: string;
  rawTopic?: string;
  cleanTopic?: string;
  dlqTopic?: string;
  quarantineTopic?: string;
  sanitizerGroup?: string;
  indexerGroup?: string;
  archiverGroup?: string;
  lagSeconds?: string;
}

/**
 * `auditflow report --framework soc2|iso27001|fedramp|gdpr --from … --to … [--tenant T]
 * --format md|html|json|pdf [--out FILE]` (SPEC Q4): the period's evidence report on stdout or in
 * FILE. It is handed out only once archived (with its SHA-256) and its audit event acknowledged
 * by Kafka; the key and the hash go to stderr. AUDITFLOW_ACTOR names who asked (default: the OS user).
 */
export function reportCommand(): Command {
  return new Command('report')
    .description(
      'compliance evidence report for a period: figures with their queries, AU-3, integrity, retention, loss',
    )
    .addOption(new Option('--framework <name>', 'the framework').choices(FRAMEWORKS).makeOptionMandatory())
    .requiredOption('--from <time>', 'period start (ISO, or an age like 90d)')
    .requiredOption('--to <time>', 'period end', 'now')
    .option('--tenant <id>', 'only this tenant')
    .addOption(new Option('--format <format>', 'output format').choices(FORMATS).default('md'))
    .option('--out <file>', 'write the report here (stdout without it)')
    .option('--index <pattern>', 'Elasticsearch indices (default audit-events*)')
    .option('--raw-topic <name>', 'raw topic (loss accounting)')
    .option('--clean-topic <name>', 'clean topic')
    .option('--dlq-topic <name>', 'DLQ topic')
    .option('--quarantine-topic <name>', 'quarantine topic')
    .option('--sanitizer-group <id>', "the sanitizer's consumer group")
    .option('--indexer-group <id>', "the indexer's consumer group")
    .option('--archiver-group <id>', "the archiver's consumer group")
    .option('--lag-seconds <n>', 'how long an event may take through a stage whose position is unknown')
    .action(async (o: ReportOptions) => {
      const env = archiveEnv();
      const lag = o.lagSeconds === undefined ? undefined : Number(o.lagSeconds);
      if (lag !== undefined && !(Number.isFinite(lag) && lag >= 0))
        throw new Error(`--lag-seconds: must be a number of seconds, not ${o.lagSeconds}`);
      const from = parseWhen(o.from, '--from');
      const to = parseWhen(o.to, '--to');
      const sources = evidenceSourcesFromEnv(env, {
        ...(o.index ? { index: o.index } : {}),
        topics: {
          ...(o.rawTopic ? { raw: o.rawTopic } : {}),
          ...(o.cleanTopic ? { clean: o.cleanTopic } : {}),
          ...(o.dlqTopic ? { dlq: o.dlqTopic } : {}),
          ...(o.quarantineTopic ? { quarantine: o.quarantineTopic } : {}),
        },
        groups: {
          ...(o.sanitizerGroup ? { sanitizer: o.sanitizerGroup } : {}),
          ...(o.indexerGroup ? { indexer: o.indexerGroup } : {}),
          ...(o.archiverGroup ? { archiver: o.archiverGroup } : {}),
        },
        ...(lag === undefined ? {} : { lagAllowanceMs: lag * 1000 }),
      });
      try {
        const generated = await generateReport(
          sources,
          { framework: o.framework, from, to, ...(o.tenant === undefined ? {} : { tenant: o.tenant }) },
          o.format,
          {
            // No audit record, no report: emitCliAudit waits for Kafka's acknowledgement.
            audit: (event) => emitCliAudit(env, event),
            systemTenant: systemTenantFromEnv(env),
            requester: { type: 'user', id: env.AUDITFLOW_ACTOR || userInfo().username, via: 'auditflow-cli' },
            env,
          },
        );
        if (o.out) writeFileSync(o.out, generated.body);
        else process.stdout.write(generated.body);
        process.stderr.write(
          `report ${generated.report.id}: sha256 ${generated.archived.sha256}, archived as ${generated.archived.key}\n`,
        );
      } finally {
        await sources.close();
      }
    });
}
