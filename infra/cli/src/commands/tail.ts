import { setTimeout as sleep } from 'node:timers/promises';
import { Command } from 'commander';
import { commandEnv } from '../env.ts';
import { terminalSafe as safe, terminalJsonText } from '../render.ts';

/**
 * `auditflow tail [filters] [--json]` (L1, L2): follows the streamer's SSE stream in the
 * terminal and, when the connection drops or the stream reports an overflow, reconnects with
 * Last-Event-ID so no event is missed or shown twice.
 */

interface TailOptions {
  action: string[];
  category: string[];
  actor: string[];
  target: string[];
  outcome: string[];
  tenant: string[];
  since?: string;
  json?: boolean;
}

/** The fields of an event a line shows (the JSON form). */
export interface TailEvent {
  id: string;
  occurred_at: string;
  action: string;
  outcome: string;
  tenant_id: string;
  actor: { type: string; id: string; email?: string | null; ip?: string | null };
  target?: { type: string; id?: string | null } | null;
  error?: { class: string; code?: string | null } | null;
  correlation_id?: string | null;
}

const ANSI = {
  dim: '\x1b[2m',
  red: '\x1b[31m',
  yellow: '\x1b[33m',
  green: '\x1b[32m',
  cyan: '\x1b[36m',
  reset: '\x1b[0m',
};
const OUTCOME_COLOUR: Record<string, string> = {
  success: ANSI.green,
  failure: ANSI.red,
  denied: ANSI.yellow,
};

/**
 * One readable line: time, tenant, outcome, action, actor → target, error, correlation id.
 * Every field goes through `terminalSafe`: event text is the emitter's, never the terminal's.
 */
export function formatLine(e: TailEvent, options: { colour: boolean }): string {
  const c = (code: string, text: string): string => (options.colour ? `${code}${text}${ANSI.reset}` : text);
  const time = safe(e.occurred_at).replace('T', ' ');
  const actor = `${safe(e.actor.type)}:${safe(e.actor.id)}${e.actor.ip ? `@${safe(e.actor.ip)}` : ''}`;
  const target = e.target ? ` → ${safe(e.target.type)}${e.target.id ? `:${safe(e.target.id)}` : ''}` : '';
  const error = e.error
    ? ` ${c(ANSI.red, `[${safe(e.error.class)}${e.error.code ? ` ${safe(e.error.code)}` : ''}]`)}`
    : '';
  const correlation = e.correlation_id ? ` ${c(ANSI.dim, `corr=${safe(e.correlation_id)}`)}` : '';
  const outcome = c(OUTCOME_COLOUR[e.outcome] ?? '', safe(e.outcome).padEnd(7));
  return `${c(ANSI.dim, time)} ${safe(e.tenant_id)} ${outcome} ${c(ANSI.cyan, safe(e.action))} ${actor}${target}${error}${correlation}`;
}

export interface SseFrame {
  id?: string;
  event: string;
  data: string;
}

/** Incremental SSE parsing (the subset the streamer writes): frames end with a blank line. */
export class SseParser {
  private buffer = '';
  /** Comment lines seen: the streamer's heartbeats. */
  comments = 0;

  feed(chunk: string): SseFrame[] {
    this.buffer += chunk.replace(/\r\n?/g, '\n');
    const frames: SseFrame[] = [];
    for (let end = this.buffer.indexOf('\n\n'); end >= 0; end = this.buffer.indexOf('\n\n')) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const frame: SseFrame = { event: 'message', data: '' };
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line === '') continue;
        if (line.startsWith(':')) {
          this.comments++;
          continue;
        }
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'id') frame.id = value;
        else if (field === 'event') frame.event = value;
        else if (field === 'data') data.push(value);
      }
      if (data.length === 0) continue;
      frame.data = data.join('\n');
      frames.push(frame);
    }
    return frames;
  }
}

export function streamQuery(o: TailOptions): URLSearchParams {
  const p = new URLSearchParams();
  const add = (key: string, values: string[]) => {
    for (const v of values) p.append(key, v);
  };
  add('action', o.action);
  add('category', o.category);
  add('actor', o.actor);
  add('target', o.target);
  add('outcome', o.outcome);
  add('tenant_id', o.tenant);
  return p;
}

class FatalStreamError extends Error {
  override readonly name = 'FatalStreamError';
}

async function follow(o: TailOptions): Promise<never> {
  const base = process.env.AUDITFLOW_STREAM_URL ?? 'http://127.0.0.1:8090';
  const token = process.env.AUDITFLOW_STREAM_TOKEN ?? commandEnv().AUDITFLOW_STREAM_TOKEN;
  const colour = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
  const query = streamQuery(o);
  let lastId: string | undefined;
  if (o.since) query.set('since', o.since);
  for (let attempt = 0; ; attempt++) {
    const url = `${base}/v1/stream?${query}`;
    try {
      const res = await fetch(url, {
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'text/event-stream',
          ...(lastId ? { 'last-event-id': lastId } : {}),
        },
      });
      if (res.status === 400 || res.status === 401 || res.status === 403) {
        const body = (await res.json().catch(() => ({}))) as { message?: string };
        throw new FatalStreamError(
          `the streamer answered ${res.status}: ${safe(body.message ?? res.statusText)}`,
        );
      }
      if (!res.ok || !res.body) throw new Error(`the streamer answered ${res.status}`);
      attempt = 0;
      const parser = new SseParser();
      const decoder = new TextDecoder();
      for await (const chunk of res.body) {
        for (const frame of parser.feed(decoder.decode(chunk as Uint8Array, { stream: true }))) {
          if (frame.id) lastId = frame.id;
          if (frame.event === 'overflow') {
            process.stderr.write('(fell behind the stream; resuming from the last event shown)\n');
            continue;
          }
          if (frame.event !== 'message') continue;
          process.stdout.write(
            o.json
              ? `${terminalJsonText(frame.data)}\n`
              : `${formatLine(JSON.parse(frame.data) as TailEvent, { colour })}\n`,
          );
        }
      }
      process.stderr.write('(stream ended; reconnecting)\n');
    } catch (err) {
      if (err instanceof FatalStreamError) throw err;
      if (attempt === 0 || attempt % 10 === 0)
        process.stderr.write(
          `(streamer at ${base} unavailable: ${safe((err as Error).message)}; retrying)\n`,
        );
    }
    // A resume re-reads from the last event shown: nothing missed, nothing twice.
    if (lastId) query.delete('since');
    await sleep(Math.min(10_000, 250 * 2 ** Math.min(attempt, 6)));
  }
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function tailCommand(): Command {
  return new Command('tail')
    .description('follow live audit events from the streamer (reconnects without gaps)')
    .option('--action <pattern>', 'action, * wildcards (repeatable)', collect, [])
    .option('--category <category>', 'category (repeatable)', collect, [])
    .option('--actor <id>', 'actor id or e-mail (repeatable)', collect, [])
    .option('--target <id>', 'target id or type:id (repeatable)', collect, [])
    .option('--outcome <outcome>', 'success | failure | denied | unknown (repeatable)', collect, [])
    .option('--tenant <id>', 'tenant id (repeatable)', collect, [])
    .option('--since <position|time>', 'start from a position or ISO time instead of now')
    .option('--json', 'print each event as one JSON line')
    .action(async (o: TailOptions) => {
      // `auditflow tail | head` closing the pipe is the reader being done, not an error.
      process.stdout.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'EPIPE') process.exit(0);
        throw err;
      });
      await follow(o);
    });
}
