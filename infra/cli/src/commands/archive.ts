import { readFileSync } from 'node:fs';
import {
  ArchiveStore,
  applyLifecycle,
  archiverSettings,
  DEFAULT_GROUPS,
  EventNotArchivedError,
  type InclusionProof,
  lifecycleRules,
  loadHolds,
  markHold,
  parseWhen,
  policyHoldsOf,
  proveEvent,
  putHold,
  type ReconcileReport,
  type RetentionReport,
  reconcile,
  releaseHold,
  replay,
  retentionReport,
  type S3Role,
  s3Client,
  s3Settings,
  signingKey,
  sweep,
  verifyInclusionProof,
  verifyingKey,
  verifyStore,
} from '@auditflow/archive';
import { WireCodec } from '@auditflow/kafka';
import { kafkaSecurityFromEnv } from '@auditflow/producer';
import { loadRetentionPolicy, occurredAtWindowFromEnv, TOPICS } from '@auditflow/schemas';
import { Client } from '@elastic/elasticsearch';
import { Command } from 'commander';
import { Kafka, logLevel } from 'kafkajs';
import { emitCliAudit } from '../audit.ts';
import { commandEnv } from '../env.ts';

/**
 * Archive commands (SPEC A2–A5): verify, replay, retention, reconcile. They talk to the store
 * and Kafka directly (not through a service), with the same settings as the archiver.
 */

/** The process environment over the local stack's, with a key file taking over from the stack's key. */
export function archiveEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...commandEnv() };
  if (process.env.AUDITFLOW_ARCHIVE_SIGNING_KEY_FILE && !process.env.AUDITFLOW_ARCHIVE_SIGNING_KEY) {
    delete env.AUDITFLOW_ARCHIVE_SIGNING_KEY;
  }
  return env;
}

/** The store as one role sees it: the CLI's own S3 identity, or the sweeper's for deletions. */
function openStore(env: NodeJS.ProcessEnv, role: S3Role = 'cli'): ArchiveStore {
  const s3 = s3Settings(env, role);
  const settings = archiverSettings(env);
  return new ArchiveStore(
    s3Client(s3),
    s3.bucket,
    settings.AUDITFLOW_ARCHIVE_MULTIPART_MB * 1_048_576,
    settings.AUDITFLOW_ARCHIVE_PREFIX,
  );
}

const kafkaFor = (env: NodeJS.ProcessEnv): Kafka =>
  new Kafka({
    clientId: 'auditflow-cli',
    brokers: (env.KAFKA_BROKERS ?? '').split(','),
    ...kafkaSecurityFromEnv(env),
    logLevel: logLevel.NOTHING,
    retry: { retries: 5 },
  });

const out = (line: string) => process.stdout.write(`${line}\n`);

function verifyCommand(): Command {
  return new Command('verify')
    .description('check the archive: digest signatures and chain, each object hash, size and event count')
    .option('--from <time>', 'only objects of events from this time (ISO, or an age like 7d)')
    .option('--to <time>', 'only objects of events up to this time')
    .option('--tenant <id>', 'only this tenant')
    .option('--json', 'print the report as JSON')
    .action(async (o: { from?: string; to?: string; tenant?: string; json?: boolean }) => {
      const env = archiveEnv();
      const store = openStore(env);
      const report = await verifyStore(store, verifyingKey(env), {
        from: o.from ? parseWhen(o.from, '--from') : undefined,
        to: o.to ? parseWhen(o.to, '--to') : undefined,
        tenant: o.tenant,
      });
      if (o.json) out(JSON.stringify(report));
      else {
        out(
          `digests: ${report.digests}, objects listed: ${report.objects}, events in scope: ${report.events}`,
        );
        const lists = [
          ['bad signature', report.badSignatures],
          ['broken chain', report.brokenChain],
          ['missing', report.missing],
          ['altered', report.altered],
          ['extra (in no digest)', report.extra],
          ['deletion record with a bad signature', report.badDeletions],
          ['truncated', report.truncated],
        ] as const;
        for (const [label, keys] of lists) for (const key of keys) out(`${label}: ${key}`);
        // Not a problem: a roll the archiver was writing while verify read.
        for (const key of report.inFlight) out(`in flight (past its chain's newest digest): ${key}`);
        out(report.ok ? 'archive verified: no problems' : 'archive NOT verified: see the problems above');
      }
      process.exitCode = report.ok ? 0 : 1;
    });
}

function replayCommand(): Command {
  return new Command('replay')
    .description('re-publish archived events to a topic (marked as replayed), e.g. to rebuild the index')
    .requiredOption('--from <time>', 'events from this time (ISO, or an age like 7d)')
    .requiredOption('--to <time>', 'events up to this time', 'now')
    .option('--tenant <id>', 'only this tenant')
    .option('--topic <name>', 'topic to publish to', TOPICS.clean)
    .action(async (o: { from: string; to: string; tenant?: string; topic: string }) => {
      const env = archiveEnv();
      const result = await replay(openStore(env), kafkaFor(env), env.SCHEMA_REGISTRY_URL ?? '', {
        from: parseWhen(o.from, '--from'),
        to: parseWhen(o.to, '--to'),
        tenant: o.tenant,
        topic: o.topic,
      });
      out(`replayed ${result.events} events from ${result.objects} objects to ${result.topic}`);
    });
}

/** One audit event per deletion batch, through the SDK like any other producer. */
function auditDeletion(env: NodeJS.ProcessEnv, deleted: readonly string[], recordKey: string): Promise<void> {
  return emitCliAudit(env, {
    action: 'audit.archive.deleted',
    category: 'security_tool',
    actor: { type: 'system', id: 'auditflow-retention-sweeper' },
    target: { type: 'archive', id: recordKey, name: env.S3_BUCKET ?? 'audit-archive' },
    outcome: 'success',
    tenant_id: env.AUDITFLOW_SYSTEM_TENANT ?? 'auditflow',
    details: { objects: deleted.length, keys: deleted.slice(0, 100), deletion_record: recordKey },
  });
}

function retentionCommand(): Command {
  const retention = new Command('retention').description(
    'archive retention: lifecycle rules, sweeper, legal holds',
  );
  retention
    .command('apply')
    .description('set the bucket lifecycle rules from the policy, then delete expired objects not under hold')
    .option('--dry-run', 'print what would be set and deleted; change nothing')
    .option('--policy <file>', 'retention policy file (default: schemas/policies/retention.json)')
    .action(async (o: { dryRun?: boolean; policy?: string }) => {
      const env = archiveEnv();
      const store = openStore(env);
      const policy = loadRetentionPolicy(o.policy ?? env.AUDITFLOW_RETENTION_FILE);
      if (o.dryRun) {
        for (const rule of lifecycleRules(policy, store.prefix)) {
          out(
            `rule ${rule.ID}: expire after ${rule.Expiration?.Days} days, transitions ${JSON.stringify(rule.Transitions)}`,
          );
        }
      } else {
        const applied = await applyLifecycle(store, policy);
        out(`lifecycle: ${applied.rules.length} rules set (${applied.rules.map((r) => r.ID).join(', ')})`);
        if (applied.transitionsRefused) {
          out(
            `lifecycle: the store refused storage-class transitions (${applied.transitionsRefused}); expiry only`,
          );
        }
      }
      const report = await sweep(o.dryRun ? store : openStore(env, 'sweeper'), {
        signingKey: signingKey(env),
        policyHolds: policyHoldsOf(policy.legalHolds),
        dryRun: o.dryRun,
        audit: (deleted, recordKey) => auditDeletion(env, deleted, recordKey),
      });
      for (const key of report.deleted) out(`${o.dryRun ? 'would delete' : 'deleted'}: ${key}`);
      for (const key of report.held) out(`kept (legal hold): ${key}`);
      for (const key of report.locked) out(`kept (Object Lock still in force): ${key}`);
      out(
        `sweeper: ${report.examined} objects examined, ${report.deleted.length} ${o.dryRun ? 'expired' : 'deleted'}, ${report.held.length} held, ${report.locked.length} locked${report.deletionRecord ? `; record ${report.deletionRecord}` : ''}`,
      );
    });
  retention
    .command('hold')
    .description('place a legal hold on a tenant and time range (nothing in it can be deleted)')
    .requiredOption('--tenant <id>', 'tenant')
    .requiredOption('--from <time>', 'start of the range (ISO, or an age like 30d)')
    .requiredOption('--to <time>', 'end of the range', 'now')
    .requiredOption('--reason <text>', 'why (case number, request)')
    .action(async (o: { tenant: string; from: string; to: string; reason: string }) => {
      const store = openStore(archiveEnv());
      const hold = await putHold(store, {
        tenant: o.tenant,
        from: new Date(parseWhen(o.from, '--from')).toISOString(),
        to: new Date(parseWhen(o.to, '--to')).toISOString(),
        reason: o.reason,
      });
      const marked = await markHold(store, hold, true);
      out(`hold ${hold.id}: tenant ${hold.tenant} ${hold.from} .. ${hold.to}; ${marked.length} objects held`);
    });
  retention
    .command('release <id>')
    .description('release a legal hold set with `retention hold`')
    .action(async (id: string) => {
      const env = archiveEnv();
      const policy = loadRetentionPolicy(env.AUDITFLOW_RETENTION_FILE);
      const { hold, released } = await releaseHold(openStore(env), id, policyHoldsOf(policy.legalHolds));
      out(`released hold ${hold.id} (tenant ${hold.tenant}); ${released.length} objects no longer held`);
    });
  retention
    .command('holds')
    .description('list legal holds (from the bucket and the policy file)')
    .action(async () => {
      const env = archiveEnv();
      const policy = loadRetentionPolicy(env.AUDITFLOW_RETENTION_FILE);
      for (const h of await loadHolds(openStore(env), policyHoldsOf(policy.legalHolds))) {
        out(`${h.id}\t${h.tenant}\t${h.from}\t${h.to}\t${h.reason}`);
      }
    });
  retention.addCommand(retentionReportCommand());
  return retention;
}

/** `auditflow retention report`: per class, what is held and how it is protected (issue 18). */
function retentionReportCommand(): Command {
  return new Command('report')
    .description(
      'per retention class: the policy, objects and events held, the oldest event, Object Lock, lifecycle and legal holds; sweeps in the period',
    )
    .option('--tenant <id>', 'only this tenant')
    .option('--from <time>', 'sweeps and holds from this time (ISO, or an age like 90d)')
    .option('--to <time>', 'sweeps and holds up to this time', 'now')
    .option('--policy <file>', 'retention policy file (default: schemas/policies/retention.json)')
    .option('--json', 'print the report as JSON')
    .action(async (o: { tenant?: string; from?: string; to: string; policy?: string; json?: boolean }) => {
      const env = archiveEnv();
      const report = await retentionReport(
        openStore(env),
        loadRetentionPolicy(o.policy ?? env.AUDITFLOW_RETENTION_FILE),
        {
          tenant: o.tenant,
          from: o.from ? new Date(parseWhen(o.from, '--from')) : undefined,
          to: new Date(parseWhen(o.to, '--to')),
          publicKey: publicKeyIfSet(env),
        },
      );
      if (o.json) out(JSON.stringify(report));
      else for (const line of retentionReportLines(report)) out(line);
    });
}

/** The archive's public key, or undefined without one (deletion records then print as unchecked). */
function publicKeyIfSet(env: NodeJS.ProcessEnv): ReturnType<typeof verifyingKey> | undefined {
  if (
    !env.AUDITFLOW_ARCHIVE_PUBLIC_KEY_FILE &&
    !env.AUDITFLOW_ARCHIVE_SIGNING_KEY &&
    !env.AUDITFLOW_ARCHIVE_SIGNING_KEY_FILE
  )
    return undefined;
  return verifyingKey(env);
}

/** Left-aligned columns, two spaces apart. */
function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  return [header, ...rows].map((row) =>
    row
      .map((cell, i) => cell.padEnd(widths[i] as number))
      .join('  ')
      .trimEnd(),
  );
}

function retentionReportLines(report: RetentionReport): string[] {
  const day = (iso?: string) => (iso ? iso.slice(0, 10) : '-');
  const lines = [
    `archive ${report.bucket}/${report.prefix}${report.tenant === undefined ? '' : ` tenant ${printable(report.tenant)}`}, as of ${report.generatedAt}`,
    `Object Lock: ${report.objectLock.enabled ? 'enabled' : 'NOT enabled'}${report.objectLock.defaultRetention ? ` (default ${report.objectLock.defaultRetention.mode} ${report.objectLock.defaultRetention.days ?? report.objectLock.defaultRetention.years} ${report.objectLock.defaultRetention.days ? 'days' : 'years'})` : ''}`,
    '',
    ...table(
      [
        'class',
        'days',
        'objects',
        'events',
        'oldest event',
        'locked (gov/compl)',
        'unlocked',
        'held',
        'past retention',
        'lifecycle',
      ],
      report.classes.map((c) => [
        c.name + (c.policy?.isDefault ? ' (default)' : c.policy ? '' : ' (not in policy)'),
        c.policy ? String(c.policy.days) : '-',
        String(c.objects),
        String(c.events),
        c.oldestEvent?.occurredAt ?? '-',
        `${c.locked.GOVERNANCE}/${c.locked.COMPLIANCE}`,
        String(c.unlocked),
        String(c.legalHoldObjects),
        String(c.pastRetention),
        c.lifecycle.state,
      ]),
    ),
    '',
  ];
  for (const c of report.classes) {
    if (!c.policy) continue;
    const transitions = c.policy.transitions.map((t) => `${t.storageClass} after ${t.afterDays}d`).join(', ');
    const match = c.policy.match.map((m) => JSON.stringify(m)).join(' or ');
    lines.push(
      `${c.name}: keep ${c.policy.days} days; ${transitions || 'no transitions'}; matches ${match || (c.policy.isDefault ? 'unmatched events' : 'nothing')}; retain-until ${day(c.retainUntil?.earliest)} .. ${day(c.retainUntil?.latest)}`,
    );
  }
  lines.push(`legal holds: ${report.legalHolds.length}`);
  for (const h of report.legalHolds)
    lines.push(`  ${h.id}  ${printable(h.tenant)}  ${h.from} .. ${h.to}  ${printable(h.reason, 80)}`);
  lines.push(
    `sweeps in the period: ${report.sweeps.length} (${report.totals.deletedInPeriod} objects deleted)`,
  );
  for (const s of report.sweeps)
    lines.push(`  ${s.deletedAt}  ${s.objects} objects  ${s.reason}  signature ${s.signature}  ${s.key}`);
  lines.push(`total: ${report.totals.objects} objects, ${report.totals.events} events`);
  if (report.classesInferred > 0)
    lines.push(
      `note: ${report.classesInferred} objects' class inferred from their retain-until date (tags not readable)`,
    );
  return lines;
}

/** Control characters and escapes in tenant ids print escaped; long ids shortened for the table. */
function printable(text: string, max = 40): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it escapes
  const escaped = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(text)
    ? JSON.stringify(text).slice(1, -1)
    : text;
  return escaped.length > max ? `${escaped.slice(0, max - 1)}…` : escaped;
}

/** The per-stage, per-tenant table that opens the text report. */
function summaryTable(report: ReconcileReport): string[] {
  const header = ['stage', 'tenant', 'expected', 'present', 'dead-lettered', 'in flight', 'gaps'];
  const rows = report.summary.map((r) => [
    r.stage,
    printable(r.tenant),
    String(r.expected),
    String(r.present),
    String(r.deadLettered),
    String(r.inFlight),
    String(r.gaps),
  ]);
  return table(header, rows);
}

function reconcileCommand(): Command {
  return new Command('reconcile')
    .description(
      'prove every emitted event reached the clean topic, the index and the archive, or a DLQ record; events a stage has not reached yet are in flight, not gaps',
    )
    .requiredOption('--from <time>', 'window start (ISO, or an age like 24h)')
    .requiredOption('--to <time>', 'window end', 'now')
    .option('--tenant <id>', 'only this tenant')
    .option('--index <pattern>', 'Elasticsearch indices', 'audit-events*')
    .option('--raw-topic <name>', 'raw topic', TOPICS.raw)
    .option('--clean-topic <name>', 'clean topic', TOPICS.clean)
    .option('--dlq-topic <name>', 'DLQ topic', TOPICS.dlq)
    .option('--quarantine-topic <name>', 'quarantine topic', TOPICS.quarantine)
    .option('--sanitizer-group <id>', "the sanitizer's consumer group", DEFAULT_GROUPS.sanitizer)
    .option('--indexer-group <id>', "the indexer's consumer group", DEFAULT_GROUPS.indexer)
    .option('--archiver-group <id>', "the archiver's consumer group", DEFAULT_GROUPS.archiver)
    .option('--roll-seconds <n>', "the archiver's roll window (default AUDITFLOW_ARCHIVE_ROLL_SECONDS or 30)")
    .option('--lag-seconds <n>', 'how long an event may take through a stage whose position is unknown', '60')
    .option('--details', 'list every gap and in-flight event after the summary')
    .option('--json', 'print the whole report as JSON')
    .action(
      async (o: {
        from: string;
        to: string;
        tenant?: string;
        index: string;
        rawTopic: string;
        cleanTopic: string;
        dlqTopic: string;
        quarantineTopic: string;
        sanitizerGroup: string;
        indexerGroup: string;
        archiverGroup: string;
        rollSeconds?: string;
        lagSeconds: string;
        details?: boolean;
        json?: boolean;
      }) => {
        const env = archiveEnv();
        const seconds = (text: string, option: string): number => {
          const n = Number(text);
          if (!Number.isFinite(n) || n < 0)
            throw new Error(`${option}: must be a number of seconds, not ${text}`);
          return n * 1000;
        };
        const rollWindowMs = seconds(
          o.rollSeconds ?? env.AUDITFLOW_ARCHIVE_ROLL_SECONDS ?? '30',
          o.rollSeconds ? '--roll-seconds' : 'AUDITFLOW_ARCHIVE_ROLL_SECONDS',
        );
        const es = new Client({ node: env.ELASTICSEARCH_URL ?? 'http://127.0.0.1:9200' });
        const report = await reconcile(
          {
            kafka: kafkaFor(env),
            codec: new WireCodec(env.SCHEMA_REGISTRY_URL ?? ''),
            es,
            store: openStore(env),
          },
          {
            from: parseWhen(o.from, '--from'),
            to: parseWhen(o.to, '--to'),
            tenant: o.tenant,
            topics: { raw: o.rawTopic, clean: o.cleanTopic, dlq: o.dlqTopic, quarantine: o.quarantineTopic },
            indexPattern: o.index,
            groups: { sanitizer: o.sanitizerGroup, indexer: o.indexerGroup, archiver: o.archiverGroup },
            rollWindowMs,
            lagAllowanceMs: seconds(o.lagSeconds, '--lag-seconds'),
            window: occurredAtWindowFromEnv(env),
          },
        );
        await es.close();
        if (o.json) out(JSON.stringify(report));
        else {
          for (const line of summaryTable(report)) out(line);
          const c = report.counts;
          out(
            `emitted ${c.emitted} | raw ${c.raw} | clean ${c.clean} | indexed ${c.indexed} | archived ${c.archived} | dead-lettered ${c.deadLettered} | in flight ${c.inFlight}`,
          );
          for (const [reason, n] of Object.entries(report.deadLetterReasons))
            out(`dead-lettered (${printable(reason, 200)}): ${n}`);
          for (const gap of report.gaps.filter(
            (g) => g.stage === 'producer' || g.stage === 'raw' || o.details,
          ))
            out(`GAP ${gap.stage}: ${printable(gap.detail, 400)}`);
          if (o.details)
            for (const f of report.inFlight) out(`in flight ${f.stage}: ${printable(f.detail, 400)}`);
          const hidden = o.details
            ? 0
            : report.gaps.filter((g) => g.id !== undefined).length + report.inFlight.length;
          if (hidden > 0) out(`(${hidden} events not listed: --details lists them)`);
          const flight =
            c.inFlight > 0 ? `; ${c.inFlight} events still in flight (not gaps: run again later)` : '';
          out(report.gaps.length === 0 ? `no gaps${flight}` : `${report.gaps.length} gaps${flight}`);
        }
        process.exitCode = report.gaps.length === 0 ? 0 : 1;
      },
    );
}

/** `auditflow prove <event id>`: the event's inclusion proof as JSON on stdout (README: Inclusion proofs). */
function proveCommand(): Command {
  return new Command('prove')
    .description(
      'print the inclusion proof of one archived event (JSON): its line, Merkle path, signed digest, chain and head',
    )
    .argument('<event-id>', 'the event id')
    .action(async (eventId: string) => {
      try {
        out(JSON.stringify(await proveEvent(openStore(archiveEnv()), eventId), null, 2));
      } catch (err) {
        if (!(err instanceof EventNotArchivedError)) throw err;
        process.stderr.write(`${err.message}\n`);
        process.exitCode = 1;
      }
    });
}

/** `auditflow verify-proof <file>`: offline, with the public key only; exit 0 only for a valid proof. */
function verifyProofCommand(): Command {
  return new Command('verify-proof')
    .description('check an inclusion proof offline with the archive public key alone (exit 0 only if valid)')
    .argument('<file>', 'a proof printed by `auditflow prove` (- for stdin)')
    .option('--public-key <file>', 'the archive public key (PEM); default AUDITFLOW_ARCHIVE_PUBLIC_KEY_FILE')
    .action((file: string, o: { publicKey?: string }) => {
      const key = o.publicKey
        ? verifyingKey({ AUDITFLOW_ARCHIVE_PUBLIC_KEY_FILE: o.publicKey })
        : verifyingKey(archiveEnv());
      let proof: InclusionProof;
      try {
        proof = JSON.parse(readFileSync(file === '-' ? 0 : file, 'utf8')) as InclusionProof;
      } catch (err) {
        process.stderr.write(`${file}: not a JSON proof (${(err as Error).message})\n`);
        process.exitCode = 1;
        return;
      }
      const check = verifyInclusionProof(proof, key);
      for (const problem of check.problems) out(`problem: ${problem}`);
      if (check.ok) {
        out(
          `proof valid: event ${proof.event_id} is leaf ${proof.leaf_index} of ${proof.tree_size} in ${proof.digest_key}` +
            (proof.head ? `, which chains to the published head ${proof.head.key}` : ''),
        );
      } else out('proof NOT valid');
      process.exitCode = check.ok ? 0 : 1;
    });
}

export function archiveCommands(): Command[] {
  return [
    verifyCommand(),
    proveCommand(),
    verifyProofCommand(),
    replayCommand(),
    retentionCommand(),
    reconcileCommand(),
  ];
}
