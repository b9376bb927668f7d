import { describe, expect, it } from 'vitest';
import { escapeCefHeader, escapeCefValue, toCef } from './cef.ts';
import { destinationsFileSchema, type SyslogConfig } from './config.ts';
import { apiActivity, toOcsf } from './ocsf.ts';
import { SyslogSender } from './syslog.ts';
import { escapeSdValue, formatSyslog, headerField, octetFrame } from './syslog-format.ts';
import { jsonEvent } from './test-event.ts';

const cefOptions = { vendor: 'Auditflow', product: 'Auditflow', version: '0.1.0' };

describe('CEF', () => {
  it('escapes header pipes and backslashes, extension equals signs, backslashes and line breaks', () => {
    expect(escapeCefHeader('a|b\\c\nd')).toBe('a\\|b\\\\c d');
    expect(escapeCefValue('a=b\\c\nd\re')).toBe('a\\=b\\\\c\\nd\\re');
    expect(escapeCefValue('a|b')).toBe('a|b'); // pipes are fine in extension values
  });

  it('writes the CEF:0 header and the event as extension fields', () => {
    const line = toCef(
      jsonEvent({
        action: 'auth.login',
        category: 'authentication',
        outcome: 'denied',
        error: { class: 'auth_failure', code: '401', message: 'bad token = expired' },
      }),
      cefOptions,
    );
    expect(line.startsWith('CEF:0|Auditflow|Auditflow|0.1.0|auth.login|auth.login|5|')).toBe(true);
    expect(line).toContain(' msg=bad token \\= expired');
    expect(line).toContain('rt=1772368496789');
    expect(line).toContain('suid=u-42 suser=Ada Lovelace src=203.0.113.7');
    expect(line).toContain('cs1Label=tenant_id cs1=acme');
    expect(line).toContain('cs3Label=target cs3=merge_request:1001');
    expect(line).not.toMatch(/[\r\n]/);
  });

  it('leaves out a custom field and its label when the value is empty', () => {
    const line = toCef(jsonEvent({ correlation_id: undefined }), cefOptions);
    expect(line).not.toContain('cs2Label');
    expect(line).toContain('cs4Label=service cs4=review-bot');
  });
});

describe('RFC 5424', () => {
  const base = {
    facility: 13,
    severity: 6,
    time: Date.parse('2026-03-01T12:34:56.789Z'),
    hostname: 'host-1',
    appName: 'auditflow',
    procId: '123',
    msgId: 'git.push',
    msg: '{"a":1}',
    bom: false,
  };

  it('writes PRI, version, time, header fields, structured data and the message', () => {
    expect(
      formatSyslog({
        ...base,
        structuredData: [{ id: 'auditflow@32473', params: { tenant: 'a"c]m\\e', x: null } }],
      }),
    ).toBe(
      '<110>1 2026-03-01T12:34:56.789Z host-1 auditflow 123 git.push [auditflow@32473 tenant="a\\"c\\]m\\\\e"] {"a":1}',
    );
  });

  it('uses NILVALUE for empty fields and no structured data, cuts MSGID to 32, adds a BOM when asked', () => {
    const text = formatSyslog({ ...base, hostname: '', msgId: 'x'.repeat(40), bom: true });
    expect(text).toBe(`<110>1 2026-03-01T12:34:56.789Z - auditflow 123 ${'x'.repeat(32)} - \ufeff{"a":1}`);
    expect(headerField('a b\u00e9c', 10)).toBe('abc');
    expect(escapeSdValue('"]\\')).toBe('\\"\\]\\\\');
    expect(() => formatSyslog({ ...base, facility: 24 })).toThrow(RangeError);
  });

  it('frames with the byte length (not characters) per RFC 6587 octet counting', () => {
    expect(octetFrame('é!').toString('utf8')).toBe('3 é!');
  });
});

describe('OCSF', () => {
  it('maps authentication events to class 3002 with Logon/Logoff activities', () => {
    const login = toOcsf(jsonEvent({ action: 'auth.login', category: 'authentication', outcome: 'failure' }));
    expect(login).toMatchObject({
      class_uid: 3002,
      category_uid: 3,
      activity_id: 1,
      type_uid: 300201,
      status_id: 2,
      user: { uid: 'u-42', email_addr: 'ada@example.com' },
      src_endpoint: { ip: '203.0.113.7' },
      metadata: { uid: '0195f0c2-7b1e-7a3c-9d4e-1234567890ab', tenant_uid: 'acme', version: '1.1.0' },
    });
    expect(toOcsf(jsonEvent({ action: 'auth.logout', category: 'authentication' })).activity_id).toBe(2);
    expect(toOcsf(jsonEvent({ action: 'auth.token.rejected', category: 'authentication' })).activity_id).toBe(
      99,
    );
  });

  it('maps other audit events to API Activity (6003) with the operation, resource and time', () => {
    const api = toOcsf(jsonEvent());
    expect(api).toMatchObject({
      class_uid: 6003,
      category_uid: 6,
      activity_id: 1,
      type_uid: 600301,
      time: 1772368496789,
      status_id: 1,
      actor: { user: { uid: 'u-42' }, session: { uid: 's-1' } },
      api: { operation: 'gitlab.api.post_mr_note', service: { name: 'review-bot' } },
      resources: [{ uid: '1001', type: 'merge_request' }],
      unmapped: { details: { note: 'line one\nline two' } },
    });
  });

  it('reads the API activity from the action verbs', () => {
    expect(apiActivity('audit.archive.deleted')).toEqual({ id: 4, name: 'Delete' });
    expect(apiActivity('gitlab.api.get_mr_diff')).toEqual({ id: 2, name: 'Read' });
    expect(apiActivity('security.finding.auto_dismissed')).toEqual({ id: 3, name: 'Update' });
    expect(apiActivity('agent.flow.started')).toEqual({ id: 99, name: 'Other' });
  });
});

describe('ingest (the origin the pipeline stamped) in every format', () => {
  const receivedAt = Date.parse('2026-03-01T12:34:57.000Z');

  it('JSON: the ingest object as the JSON form has it', () => {
    expect(jsonEvent().ingest).toEqual({
      via: 'gateway',
      client_id: 'ci-bot',
      received_at: '2026-03-01T12:34:57.000Z',
    });
  });

  it('CEF: client id, door and receipt time as labelled custom fields', () => {
    const line = toCef(jsonEvent(), cefOptions);
    expect(line).toContain('cs6Label=ingest_client_id cs6=ci-bot');
    expect(line).toContain('flexString1Label=ingest_via flexString1=gateway');
    expect(line).toContain(`flexDate1Label=ingest_received_at flexDate1=${receivedAt}`);
    expect(toCef({ ...jsonEvent(), ingest: null }, cefOptions)).not.toMatch(/cs6|flexString1|flexDate1/);
  });

  it('OCSF: metadata.logged_time and one logger for the door, with the client id', () => {
    expect(toOcsf(jsonEvent()).metadata).toMatchObject({
      logged_time: receivedAt,
      loggers: [{ name: 'auditflow-gateway', uid: 'ci-bot', logged_time: receivedAt }],
    });
    expect(toOcsf({ ...jsonEvent(), ingest: null }).metadata).not.toHaveProperty('loggers');
  });

  it('syslog: via and client in the structured data', () => {
    const sender = new SyslogSender(
      destinationsFileSchema.parse({
        destinations: [{ name: 's', type: 'syslog', host: '127.0.0.1', port: 514, hostname: 'h' }],
      }).destinations[0] as SyslogConfig,
      '0.1.0',
    );
    const event = jsonEvent();
    expect(sender.render(event, JSON.stringify(event))).toContain(' via="gateway" client="ci-bot"]');
  });
});
