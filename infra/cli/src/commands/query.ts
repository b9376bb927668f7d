import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { Command } from 'commander';
import { commandEnv } from '../env.ts';
import { terminalSafe as safe, terminalJson, terminalJsonLine } from '../render.ts';
import { readStdin, redactionKeysFromEnv, secretValueFingerprints } from '../secret-value.ts';

/**
 * Analyst commands (SPEC Q1–Q3, Q5): thin clients of the query API, so the CLI sees exactly
 * what the token's tenants allow and exports are audited in one place.
 */

interface QueryOptions {
  correlationId?: string;
  actor?: string;
  action?: string;
  target?: string;
  outcome?: string;
  tenant?: string;
  from?: string;
  to?: string;
  q?: string;
  format: string;
  limit?: string;
  size?: string;
  interval?: string;
}

const apiUrl = (): string => process.env.AUDITFLOW_QUERY_URL ?? 'http://127.0.0.1:8080';

function params(o: QueryOptions): URLSearchParams {
  const p = new URLSearchParams();
  const set = (key: string, value: string | undefined) => value !== undefined && p.set(key, value);
  set('correlation_id', o.correlationId);
  set('actor', o.actor);
  set('action', o.action);
  set('target', o.target);
  set('outcome', o.outcome);
  set('tenant_id', o.tenant);
  set('from', o.from);
  set('to', o.to);
  set('q', o.q);
  set('size', o.size);
  set('limit', o.limit);
  set('interval', o.interval);
  return p;
}

async function call(path: string): Promise<Response> {
  const token = process.env.AUDITFLOW_QUERY_TOKEN ?? commandEnv().AUDITFLOW_QUERY_TOKEN;
  let res: Response;
  try {
    res = await fetch(`${apiUrl()}${path}`, { headers: { authorization: `Bearer ${token}` } });
  } catch (err) {
    throw new Error(
      `the query API at ${apiUrl()} does not answer (${(err as Error).message}); start it or set AUDITFLOW_QUERY_URL`,
    );
  }
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { message?: string };
    // The message can echo what was asked: escaped like event text.
    throw new Error(`query API answered ${res.status}: ${safe(body.message ?? res.statusText)}`);
  }
  return res;
}

type Doc = {
  '@timestamp'?: string;
  event?: { action?: string };
  audit?: { outcome?: string; correlation_id?: string; target?: { type?: string; id?: string } };
  user?: { id?: string };
  organization?: { id?: string };
  service?: { name?: string };
};

/** One readable line per event; every field escaped for the terminal (see render.ts). */
export function formatRow(d: Doc): string {
  const target = d.audit?.target ? `${safe(d.audit.target.type)}:${safe(d.audit.target.id)}` : '-';
  return [
    safe(d['@timestamp'] ?? '-'),
    safe(d.audit?.outcome ?? '-').padEnd(7),
    safe(d.event?.action ?? '-').padEnd(32),
    `${safe(d.organization?.id ?? '-')}/${safe(d.user?.id ?? '-')}`.padEnd(24),
    target.padEnd(24),
    safe(d.service?.name ?? '-'),
  ].join('  ');
}

function filterOptions(command: Command): Command {
  return command
    .option('--correlation-id <id>', 'one request or session')
    .option('--actor <id>', 'actor id, name or e-mail')
    .option('--action <action>', 'action, * wildcards allowed (agent.flow.*)')
    .option('--target <id>', 'target id or name')
    .option('--outcome <outcome>', 'success | failure | denied | unknown')
    .option('--tenant <id>', 'tenant id')
    .option('--from <time>', 'ISO time or a duration back from now (24h, 30m, 7d)')
    .option('--to <time>', 'ISO time or a duration back from now')
    .option('--q <text>', 'text inside details');
}

export function queryCommands(): Command[] {
  const search = filterOptions(new Command('search').description('find audit events (newest first)'))
    .option('--format <format>', 'table | ndjson | json', 'table')
    .option('--size <n>', 'events per page', '50')
    .option('--all', 'follow cursors through every page')
    .option(
      '--secret-value',
      'events where the secret read from stdin was redacted (its fingerprint is sent, never the value)',
    )
    .option('--secret-value-file <file>', 'the same, the secret read from a file')
    .action(async (o: QueryOptions & { all?: boolean; secretValue?: boolean; secretValueFile?: string }) => {
      let cursor: string | null = null;
      let first = true;
      let fingerprints: string | undefined;
      if (o.secretValue || o.secretValueFile) {
        const keys = redactionKeysFromEnv(process.env, commandEnv().AUDITFLOW_REDACTION_KEY);
        const input = o.secretValueFile ? readFileSync(o.secretValueFile) : await readStdin();
        fingerprints = secretValueFingerprints(keys, input).join(',');
      }
      do {
        const p = params(o);
        if (fingerprints) p.set('secret_fingerprint', fingerprints);
        if (cursor) p.set('cursor', cursor);
        const page = (await (await call(`/v1/events?${p}`)).json()) as {
          events: Doc[];
          next_cursor: string | null;
        };
        if (o.format === 'json' && !o.all) {
          process.stdout.write(`${terminalJson(page, 2)}\n`);
          return;
        }
        for (const doc of page.events)
          process.stdout.write(`${o.format === 'table' ? formatRow(doc) : terminalJson(doc)}\n`);
        if (first && o.format === 'table' && page.events.length === 0)
          process.stderr.write('no events match\n');
        first = false;
        cursor = page.next_cursor;
      } while (o.all && cursor);
    });

  const exportCommand = filterOptions(
    new Command('export').description('export matching events as CSV or NDJSON (capped; audited)'),
  )
    .option('--format <format>', 'csv | ndjson', 'ndjson')
    .option('--limit <n>', 'at most this many rows (the server cap applies)')
    .action(async (o: QueryOptions) => {
      const p = params(o);
      p.set('format', o.format);
      const res = await call(`/v1/export?${p}`);
      const body = res.body as unknown as AsyncIterable<Uint8Array>;
      // Into a file or a pipe the evidence goes byte for byte; onto a terminal, escaped like
      // search and trace (event text must not drive the terminal).
      if (!process.stdout.isTTY) {
        for await (const chunk of body) process.stdout.write(chunk);
        return;
      }
      for await (const line of createInterface({
        input: Readable.from(body),
        crlfDelay: Number.POSITIVE_INFINITY,
      }))
        process.stdout.write(`${o.format === 'ndjson' ? terminalJsonLine(line) : safe(line)}\n`);
    });

  const summary = filterOptions(
    new Command('summary').description('counts by outcome, action and actor over time; failure rate'),
  )
    .option('--interval <interval>', 'bucket size: 30m, 1h, 1d', '1h')
    .option('--format <format>', 'table | json', 'table')
    .action(async (o: QueryOptions) => {
      const s = (await (await call(`/v1/summary?${params(o)}`)).json()) as {
        total: number;
        failure_rate: number;
        by_outcome: Record<string, number>;
        by_action: { action: string; total: number }[];
        top_actors: { actor: string; total: number }[];
      };
      if (o.format === 'json') {
        process.stdout.write(`${terminalJson(s, 2)}\n`);
        return;
      }
      process.stdout.write(`events: ${s.total}  failure rate: ${(s.failure_rate * 100).toFixed(1)}%\n`);
      process.stdout.write(
        `by outcome: ${Object.entries(s.by_outcome)
          .map(([k, v]) => `${safe(k)} ${v}`)
          .join(', ')}\n\ntop actions:\n`,
      );
      for (const a of s.by_action)
        process.stdout.write(`  ${String(a.total).padStart(8)}  ${safe(a.action)}\n`);
      process.stdout.write('\ntop actors:\n');
      for (const a of s.top_actors)
        process.stdout.write(`  ${String(a.total).padStart(8)}  ${safe(a.actor)}\n`);
    });

  const trace = new Command('trace')
    .description('the timeline of one correlation id across services')
    .argument('<correlation-id>')
    .option('--format <format>', 'table | ndjson | json', 'table')
    .action(async (id: string, o: { format: string }) => {
      const t = (await (await call(`/v1/trace/${encodeURIComponent(id)}`)).json()) as {
        services: string[];
        events: Doc[];
      };
      if (o.format === 'json') {
        process.stdout.write(`${terminalJson(t, 2)}\n`);
        return;
      }
      if (o.format === 'table')
        process.stdout.write(
          `${t.events.length} events across ${t.services.map(safe).join(', ') || 'no service'}\n`,
        );
      for (const doc of t.events)
        process.stdout.write(`${o.format === 'table' ? formatRow(doc) : terminalJson(doc)}\n`);
    });

  return [search, exportCommand, summary, trace];
}
