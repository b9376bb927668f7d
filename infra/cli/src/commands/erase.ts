import { userInfo } from 'node:os';
import { ERASURE_ACTION, eraseAndAudit, planErasure, pseudonymKeyFromEnv } from '@auditflow/query-api';
import { Client } from '@elastic/elasticsearch';
import { Command } from 'commander';
import { emitCliAudit } from '../audit.ts';
import { commandEnv } from '../env.ts';

/**
 * `auditflow erase --subject ID --tenant T --reason TEXT` (SPEC G1, Interfaces): erases one
 * person's PII from the index (README: Subject erasure), talking to Elasticsearch directly like
 * `reconcile`, with the sanitizer's pseudonym key (AUDITFLOW_PSEUDONYM_KEY). The erasure is
 * audited (`audit.subject.erased`) through the SDK, finished or not.
 */
export function eraseCommand(): Command {
  return new Command('erase')
    .description(
      "erase one person's PII from the index: their events keep id, action, time and outcome, their identity becomes its keyed pseudonym",
    )
    .requiredOption('--subject <id>', "the person's actor id, as their events carry it")
    .requiredOption('--tenant <id>', 'the tenant whose events are erased')
    .requiredOption('--reason <text>', 'why (request reference); recorded in the audit event')
    .option(
      '--identifier <value...>',
      'other raw identifiers of the person (e-mail, phone, name) to replace in free text of their events',
    )
    .option('--index <pattern>', 'Elasticsearch indices', 'audit-events*')
    .option('--dry-run', 'count what would be erased; change and audit nothing')
    .option('--json', 'print the result as JSON')
    .action(
      async (o: {
        subject: string;
        tenant: string;
        reason: string;
        identifier?: string[];
        index: string;
        dryRun?: boolean;
        json?: boolean;
      }) => {
        const env: NodeJS.ProcessEnv = { ...process.env, ...commandEnv() };
        // Read first: without the sanitizer's key no pseudonym would match the ones in the index.
        const key = pseudonymKeyFromEnv(env);
        const es = new Client({ node: env.ELASTICSEARCH_URL ?? 'http://127.0.0.1:9200' });
        const audits: Promise<void>[] = [];
        const request = {
          index: o.index,
          tenant: o.tenant,
          subject: o.subject,
          identifiers: o.identifier ?? [],
          reason: o.reason,
        };
        try {
          if (o.dryRun) {
            const planned = await planErasure(es, key, request);
            const preview = {
              dryRun: true,
              matched: planned.matched,
              asActor: planned.asActor,
              asTarget: planned.asTarget,
              pseudonym: planned.plan.pseudonym,
              identifiersScrubbed: planned.plan.replacements.size,
            };
            process.stdout.write(
              o.json
                ? `${JSON.stringify(preview)}\n`
                : `would erase ${preview.matched} events in tenant ${o.tenant} (${preview.asActor} as actor, ${preview.asTarget} as target) under ${preview.pseudonym}; nothing changed\n`,
            );
            return;
          }
          const result = await eraseAndAudit(
            es,
            key,
            request,
            { type: 'admin_action', id: userInfo().username, via: 'cli' },
            (event) => audits.push(emitCliAudit(env, event)),
          );
          if (o.json) process.stdout.write(`${JSON.stringify(result)}\n`);
          else
            process.stdout.write(
              `erased ${result.erased} of ${result.matched} events in tenant ${o.tenant} (${result.asActor} as actor, ${result.asTarget} as target); the subject is now ${result.pseudonym}; audited as ${ERASURE_ACTION} ${result.erasureId}\n`,
            );
        } finally {
          await Promise.all(audits);
          await es.close();
        }
      },
    );
}
