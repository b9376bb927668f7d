import { ConfigError } from '@auditflow/kafka';
import { parseDuration } from '@auditflow/schemas';
import { z } from 'zod';

/** Where emit() sends events: Kafka (through the spool), or a local sink in this process. */
export const SINK_KINDS = ['kafka', 'stdout', 'file'] as const;
export type SinkKind = (typeof SINK_KINDS)[number];

/** The environment settings `sinkFromEnv` reads, each validated once at start. */
export const SINK_SETTINGS = {
  kind: 'AUDITFLOW_SINK',
  file: 'AUDITFLOW_SINK_FILE',
  maxBytes: 'AUDITFLOW_SINK_MAX_BYTES',
  maxAge: 'AUDITFLOW_SINK_MAX_AGE',
  keep: 'AUDITFLOW_SINK_KEEP',
} as const;

const MIB = 2 ** 20;
export const FILE_SINK_DEFAULTS = { maxBytes: 64 * MIB, maxAgeMs: 3_600_000, keep: 10 } as const;
/** A file smaller than this would rotate on nearly every event. */
const MIN_FILE_BYTES = 1024;
/** The rotation library numbers rotated files of one moment up to 999. */
const MAX_KEEP = 999;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const INTERVAL_RULE =
  'files rotate at clock boundaries, so the age must be whole days, or hours dividing a day, or minutes dividing an hour, or seconds dividing a minute (e.g. 1d, 6h, 15m, 10s)';

/**
 * The rotation interval (rotating-file-stream's syntax) for a maximum age, or undefined when the
 * age does not fall on clock boundaries (rotation happens at 00:00, 00:15, ... for `15m`).
 */
export function rotationInterval(ms: number): string | undefined {
  const fits = (unit: number, per: number): boolean => ms % unit === 0 && per % (ms / unit) === 0;
  if (ms >= DAY) return ms % DAY === 0 ? `${ms / DAY}d` : undefined;
  if (ms >= HOUR) return fits(HOUR, 24) ? `${ms / HOUR}h` : undefined;
  if (ms >= MINUTE) return fits(MINUTE, 60) ? `${ms / MINUTE}m` : undefined;
  if (ms >= SECOND) return fits(SECOND, 60) ? `${ms / SECOND}s` : undefined;
  return undefined;
}

export const fileSinkSchema = z.strictObject({
  kind: z.literal('file'),
  /** The current file; rotated files are written beside it (`<name>.<UTC time>.<n>.jsonl`). */
  path: z.string().min(1, 'the JSONL file to write, e.g. /var/log/review-bot/audit.jsonl'),
  /** Rotate once the current file has reached this size (the line that crosses it stays whole). */
  maxBytes: z
    .number()
    .int()
    .min(MIN_FILE_BYTES, `at least ${MIN_FILE_BYTES} bytes`)
    .default(FILE_SINK_DEFAULTS.maxBytes),
  /** Rotate at every clock boundary of this period. */
  maxAgeMs: z
    .number()
    .int()
    .refine((ms) => rotationInterval(ms) !== undefined, INTERVAL_RULE)
    .default(FILE_SINK_DEFAULTS.maxAgeMs),
  /** Rotated files kept; older ones are deleted. */
  keep: z.number().int().min(1).max(MAX_KEEP).default(FILE_SINK_DEFAULTS.keep),
});

export const sinkSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('kafka') }),
  z.strictObject({ kind: z.literal('stdout') }),
  fileSinkSchema,
]);

export type SinkConfig = z.input<typeof sinkSchema>;
export type LocalSinkConfig = Exclude<SinkConfig, { kind: 'kafka' }>;
export type FileSinkSettings = z.output<typeof fileSinkSchema>;

const BYTES = /^(\d{1,13})\s*(?:([kmg])(?:i?b)?|b)?$/i;
const BYTE_UNITS = { k: 2 ** 10, m: 2 ** 20, g: 2 ** 30 } as const;

/** `65536`, `512KiB`, `64MiB`, `1G` in bytes, or undefined when it is not such a size. */
export function parseBytes(text: string): number | undefined {
  const match = BYTES.exec(text.trim());
  if (!match) return undefined;
  const unit = match[2]?.toLowerCase() as keyof typeof BYTE_UNITS | undefined;
  return Number(match[1]) * (unit ? BYTE_UNITS[unit] : 1);
}

/**
 * The sink chosen by the environment (`AUDITFLOW_SINK=kafka|stdout|file`, default kafka), read and
 * validated once: a ConfigError names the setting and the rule.
 */
export function sinkFromEnv(env: NodeJS.ProcessEnv = process.env): SinkConfig {
  const s = SINK_SETTINGS;
  const value = (name: string): string | undefined => {
    const raw = env[name]?.trim();
    return raw === undefined || raw === '' ? undefined : raw;
  };
  const kind = value(s.kind) ?? 'kafka';
  if (!(SINK_KINDS as readonly string[]).includes(kind)) {
    throw new ConfigError(
      `${s.kind}=${JSON.stringify(kind)} is not a sink: use one of ${SINK_KINDS.join(', ')}`,
    );
  }
  if (kind !== 'file') {
    for (const name of [s.file, s.maxBytes, s.maxAge, s.keep]) {
      if (value(name) !== undefined)
        throw new ConfigError(`${name} is set but ${s.kind} is ${kind}, not file`);
    }
    return { kind: kind as 'kafka' | 'stdout' };
  }
  const path = value(s.file);
  if (path === undefined) {
    throw new ConfigError(
      `${s.file} is required with ${s.kind}=file: the JSONL file to write, e.g. /var/log/app/audit.jsonl`,
    );
  }
  const parse = <T>(name: string, read: (raw: string) => T | undefined, rule: string): T | undefined => {
    const raw = value(name);
    if (raw === undefined) return undefined;
    const parsed = read(raw);
    if (parsed === undefined) throw new ConfigError(`${name}=${JSON.stringify(raw)} ${rule}`);
    return parsed;
  };
  const config = {
    kind: 'file' as const,
    path,
    maxBytes: parse(s.maxBytes, parseBytes, 'is not a size: use bytes or e.g. 512KiB, 64MiB, 1GiB'),
    maxAgeMs: parse(s.maxAge, parseDuration, 'is not a duration: use e.g. 10s, 15m, 1h, 1d'),
    keep: parse(s.keep, (raw) => (/^\d{1,6}$/.test(raw) ? Number(raw) : undefined), 'is not a whole number'),
  };
  const checked = fileSinkSchema.safeParse(config);
  if (!checked.success) {
    const names: Record<string, string> = {
      path: s.file,
      maxBytes: s.maxBytes,
      maxAgeMs: s.maxAge,
      keep: s.keep,
    };
    const lines = checked.error.issues.map(
      (i) => `${names[String(i.path[0])] ?? i.path.join('.')}: ${i.message}`,
    );
    throw new ConfigError(`invalid sink settings: ${lines.join('; ')}`);
  }
  // Unset settings stay unset, so the schema's defaults apply where the config is resolved.
  return Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined)) as SinkConfig;
}
