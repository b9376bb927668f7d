import { describe, expect, it } from 'vitest';
import { parseBytes, rotationInterval, SINK_SETTINGS, sinkFromEnv } from './sink-config.ts';

const s = SINK_SETTINGS;

describe('sinkFromEnv', () => {
  it('is Kafka when nothing is set, and stdout or a file when asked', () => {
    expect(sinkFromEnv({})).toEqual({ kind: 'kafka' });
    expect(sinkFromEnv({ [s.kind]: 'stdout' })).toEqual({ kind: 'stdout' });
    expect(
      sinkFromEnv({
        [s.kind]: 'file',
        [s.file]: '/var/log/app/audit.jsonl',
        [s.maxBytes]: '64MiB',
        [s.maxAge]: '15m',
        [s.keep]: '3',
      }),
    ).toEqual({
      kind: 'file',
      path: '/var/log/app/audit.jsonl',
      maxBytes: 64 * 2 ** 20,
      maxAgeMs: 900_000,
      keep: 3,
    });
    // Unset settings stay unset: the schema's defaults apply.
    expect(sinkFromEnv({ [s.kind]: 'file', [s.file]: 'a.jsonl' })).toEqual({ kind: 'file', path: 'a.jsonl' });
  });

  it('names the setting and the rule of every mistake', () => {
    const cases: [NodeJS.ProcessEnv, RegExp][] = [
      [{ [s.kind]: 'syslog' }, /AUDITFLOW_SINK="syslog" is not a sink: use one of kafka, stdout, file/],
      [{ [s.kind]: 'file' }, /AUDITFLOW_SINK_FILE is required with AUDITFLOW_SINK=file/],
      [
        { [s.kind]: 'stdout', [s.file]: 'a.jsonl' },
        /AUDITFLOW_SINK_FILE is set but AUDITFLOW_SINK is stdout/,
      ],
      [
        { [s.kind]: 'file', [s.file]: 'a', [s.maxBytes]: 'lots' },
        /AUDITFLOW_SINK_MAX_BYTES="lots" is not a size/,
      ],
      [
        { [s.kind]: 'file', [s.file]: 'a', [s.maxBytes]: '100' },
        /AUDITFLOW_SINK_MAX_BYTES: at least 1024 bytes/,
      ],
      [
        { [s.kind]: 'file', [s.file]: 'a', [s.maxAge]: 'hourly' },
        /AUDITFLOW_SINK_MAX_AGE="hourly" is not a duration/,
      ],
      [
        { [s.kind]: 'file', [s.file]: 'a', [s.maxAge]: '7m' },
        /AUDITFLOW_SINK_MAX_AGE: files rotate at clock boundaries/,
      ],
      [{ [s.kind]: 'file', [s.file]: 'a', [s.keep]: '0' }, /AUDITFLOW_SINK_KEEP: /],
      [
        { [s.kind]: 'file', [s.file]: 'a', [s.keep]: 'all' },
        /AUDITFLOW_SINK_KEEP="all" is not a whole number/,
      ],
    ];
    for (const [env, message] of cases) expect(() => sinkFromEnv(env), JSON.stringify(env)).toThrow(message);
  });
});

describe('rotationInterval', () => {
  it('accepts ages on clock boundaries only', () => {
    expect(rotationInterval(1000)).toBe('1s');
    expect(rotationInterval(15 * 60_000)).toBe('15m');
    expect(rotationInterval(6 * 3_600_000)).toBe('6h');
    expect(rotationInterval(2 * 86_400_000)).toBe('2d');
    for (const ms of [500, 7000, 7 * 60_000, 90 * 60_000, 5 * 3_600_000, 36 * 3_600_000]) {
      expect(rotationInterval(ms), String(ms)).toBeUndefined();
    }
  });
});

describe('parseBytes', () => {
  it('reads bytes and binary units', () => {
    expect(parseBytes('65536')).toBe(65536);
    expect(parseBytes('512KiB')).toBe(512 * 1024);
    expect(parseBytes('64M')).toBe(64 * 2 ** 20);
    expect(parseBytes('1 GiB')).toBe(2 ** 30);
    expect(parseBytes('2kb')).toBe(2048);
    expect(parseBytes('1.5M')).toBeUndefined();
    expect(parseBytes('M')).toBeUndefined();
  });
});
