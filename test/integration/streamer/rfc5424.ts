/**
 * A strict RFC 5424 parser for tests (no leniency: a message our destination writes must pass
 * it byte for byte), and RFC 6587 octet-counting deframing.
 */
export interface Rfc5424 {
  readonly pri: number;
  readonly facility: number;
  readonly severity: number;
  readonly version: 1;
  readonly timestamp: string;
  readonly hostname: string;
  readonly appName: string;
  readonly procId: string;
  readonly msgId: string;
  readonly structuredData: { id: string; params: Record<string, string> }[];
  /** MSG without its BOM. */
  readonly msg: string;
  readonly bom: boolean;
}

export class SyslogParseError extends Error {
  override readonly name = 'SyslogParseError';
}

/** Splits `MSG-LEN SP SYSLOG-MSG` frames; returns complete messages and the bytes left over. */
export function deframe(buffer: Buffer): { messages: string[]; rest: Buffer } {
  const messages: string[] = [];
  let at = 0;
  for (;;) {
    const space = buffer.indexOf(0x20, at);
    if (space < 0) break;
    const lenText = buffer.subarray(at, space).toString('ascii');
    if (!/^[1-9]\d{0,8}$/.test(lenText)) throw new SyslogParseError(`bad MSG-LEN ${JSON.stringify(lenText)}`);
    const len = Number(lenText);
    if (buffer.length < space + 1 + len) break;
    messages.push(buffer.subarray(space + 1, space + 1 + len).toString('utf8'));
    at = space + 1 + len;
  }
  return { messages, rest: buffer.subarray(at) };
}

const FULL_DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const FULL_TIME = /^([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d{1,6})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/;
const printable = (max: number) => new RegExp(`^[\\x21-\\x7e]{1,${max}}$`);

function headerField(value: string | undefined, max: number, what: string): string {
  if (value === undefined || !printable(max).test(value)) throw new SyslogParseError(`bad ${what}: ${value}`);
  return value;
}

function parseStructuredData(text: string): { sd: Rfc5424['structuredData']; rest: string } {
  if (text.startsWith('-')) return { sd: [], rest: text.slice(1) };
  const sd: Rfc5424['structuredData'] = [];
  let i = 0;
  const name = (): string => {
    const m = /^[\x21-\x7e]+?(?=[= \]"])/.exec(text.slice(i));
    const value = m?.[0];
    if (!value || value.length > 32 || /[= \]"]/.test(value))
      throw new SyslogParseError(`bad SD-NAME at ${i}`);
    i += value.length;
    return value;
  };
  while (text[i] === '[') {
    i++;
    const id = name();
    const params: Record<string, string> = {};
    while (text[i] === ' ') {
      i++;
      const key = name();
      if (text.slice(i, i + 2) !== '="') throw new SyslogParseError(`expected =" after ${key}`);
      i += 2;
      let value = '';
      for (;;) {
        const c = text[i];
        if (c === undefined) throw new SyslogParseError('unterminated PARAM-VALUE');
        if (c === '\\' && (text[i + 1] === '"' || text[i + 1] === '\\' || text[i + 1] === ']')) {
          value += text[i + 1];
          i += 2;
        } else if (c === '"') {
          i++;
          break;
        } else if (c === ']') {
          throw new SyslogParseError('unescaped ] in PARAM-VALUE');
        } else {
          value += c;
          i++;
        }
      }
      params[key] = value;
    }
    if (text[i] !== ']') throw new SyslogParseError(`expected ] at ${i}`);
    i++;
    sd.push({ id, params });
  }
  if (sd.length === 0) throw new SyslogParseError('STRUCTURED-DATA is neither - nor [...]');
  return { sd, rest: text.slice(i) };
}

export function parseRfc5424(text: string): Rfc5424 {
  const head = /^<(\d{1,3})>(\d{1,2}) /.exec(text);
  if (!head) throw new SyslogParseError('no <PRI>VERSION');
  const pri = Number(head[1]);
  if (pri > 191 || ((head[1] as string).length > 1 && head[1]?.startsWith('0')))
    throw new SyslogParseError(`bad PRI ${head[1]}`);
  if (head[2] !== '1') throw new SyslogParseError(`VERSION is ${head[2]}, not 1`);
  const fields = text.slice(head[0].length).split(' ');
  const [timestamp, hostname, appName, procId, msgId] = fields;
  if (timestamp !== '-') {
    const [date, time] = (timestamp ?? '').split('T');
    if (!date || !time || !FULL_DATE.test(date) || !FULL_TIME.test(time))
      throw new SyslogParseError(`bad TIMESTAMP ${timestamp}`);
  }
  headerField(hostname, 255, 'HOSTNAME');
  headerField(appName, 48, 'APP-NAME');
  headerField(procId, 128, 'PROCID');
  headerField(msgId, 32, 'MSGID');
  const afterHeader = fields.slice(5).join(' ');
  const { sd, rest } = parseStructuredData(afterHeader);
  let msg = '';
  if (rest.length > 0) {
    if (!rest.startsWith(' ')) throw new SyslogParseError('no SP before MSG');
    msg = rest.slice(1);
  }
  const bom = msg.startsWith('\ufeff');
  return {
    pri,
    facility: Math.floor(pri / 8),
    severity: pri % 8,
    version: 1,
    timestamp: timestamp as string,
    hostname: hostname as string,
    appName: appName as string,
    procId: procId as string,
    msgId: msgId as string,
    structuredData: sd,
    msg: bom ? msg.slice(1) : msg,
    bom,
  };
}
