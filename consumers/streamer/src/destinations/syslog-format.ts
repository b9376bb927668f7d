/**
 * RFC 5424 messages and RFC 6587 octet-counting frames. Header fields are printable US-ASCII
 * without spaces (NILVALUE `-` when empty); structured-data values escape `"`, `\` and `]`.
 */
export interface SyslogMessage {
  readonly facility: number;
  readonly severity: number;
  /** Milliseconds since the epoch; written as an RFC 3339 UTC time with milliseconds. */
  readonly time: number;
  readonly hostname: string;
  readonly appName: string;
  readonly procId: string;
  readonly msgId: string;
  /** SD-ID → params; `[]` or undefined writes the NILVALUE. */
  readonly structuredData?: readonly { id: string; params: Record<string, string | null | undefined> }[];
  readonly msg: string;
  /** RFC 5424 §6.4: a UTF-8 MSG starts with a byte order mark (some collectors want none). */
  readonly bom: boolean;
}

/** Printable ASCII (33–126), cut to the field's length; NILVALUE when nothing is left. */
export function headerField(value: string | null | undefined, max: number): string {
  const clean = (value ?? '').replace(/[^\x21-\x7e]/g, '').slice(0, max);
  return clean.length > 0 ? clean : '-';
}

export function escapeSdValue(value: string): string {
  return value.replace(/[\\"\]]/g, (c) => `\\${c}`);
}

/** SD-NAME: printable ASCII except `=`, space, `]`, `"`; at most 32 characters. */
const sdName = (value: string): string => value.replace(/[^\x21-\x7e]|[=\]"]/g, '').slice(0, 32);

export function formatSyslog(m: SyslogMessage): string {
  if (!Number.isInteger(m.facility) || m.facility < 0 || m.facility > 23)
    throw new RangeError('facility is 0..23');
  if (!Number.isInteger(m.severity) || m.severity < 0 || m.severity > 7)
    throw new RangeError('severity is 0..7');
  const pri = m.facility * 8 + m.severity;
  const sd =
    m.structuredData && m.structuredData.length > 0
      ? m.structuredData
          .map(({ id, params }) => {
            const pairs = Object.entries(params)
              .filter((e): e is [string, string] => typeof e[1] === 'string')
              .map(([k, v]) => ` ${sdName(k)}="${escapeSdValue(v)}"`)
              .join('');
            return `[${sdName(id)}${pairs}]`;
          })
          .join('')
      : '-';
  const header = [
    `<${pri}>1`,
    new Date(m.time).toISOString(),
    headerField(m.hostname, 255),
    headerField(m.appName, 48),
    headerField(m.procId, 128),
    headerField(m.msgId, 32),
    sd,
  ].join(' ');
  return `${header} ${m.bom ? '\ufeff' : ''}${m.msg}`;
}

/** RFC 6587 §3.4.1 octet counting: `MSG-LEN SP SYSLOG-MSG`, the length in bytes. */
export function octetFrame(message: string): Buffer {
  const body = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `, 'ascii'), body]);
}
