import { connect as netConnect, type Socket } from 'node:net';
import { hostname as osHostname } from 'node:os';
import { connect as tlsConnect } from 'node:tls';
import type { AuditEventJson } from '@auditflow/schemas';
import { toCef } from './cef.ts';
import type { SyslogConfig } from './config.ts';
import { toOcsf } from './ocsf.ts';
import { type Delivery, DeliveryError, type Sender } from './sender.ts';
import { syslogSeverity } from './severity.ts';
import { formatSyslog, octetFrame } from './syslog-format.ts';

/**
 * Structured-data id of our element. 32473 is the enterprise number RFC 5612 reserves for
 * documentation; a receiver reads it as "auditflow's own parameters".
 */
export const SD_ID = 'auditflow@32473';

/**
 * Syslog over TCP or TLS (RFC 5424 messages, RFC 6587 octet counting), one connection kept
 * open. A batch counts as delivered when the kernel took all of it without a connection error;
 * syslog has no acknowledgement, so a connection that breaks right after can lose what was in
 * flight, and the runner resends the batch when the error shows during the write.
 */
export class SyslogSender implements Sender {
  private socket: Socket | undefined;
  private readonly hostname: string;

  constructor(
    private readonly config: SyslogConfig,
    private readonly productVersion: string,
  ) {
    this.hostname = config.hostname ?? osHostname();
  }

  payload(event: AuditEventJson, json: string): string {
    if (this.config.format === 'cef')
      return toCef(event, { vendor: 'Auditflow', product: 'Auditflow', version: this.productVersion });
    if (this.config.format === 'ocsf') return JSON.stringify(toOcsf(event, this.productVersion));
    return json;
  }

  message(event: AuditEventJson, json: string): string {
    return formatSyslog({
      facility: this.config.facility,
      severity: syslogSeverity(event),
      time: Date.parse(event.occurred_at),
      hostname: this.hostname,
      appName: this.config.app_name,
      procId: String(process.pid),
      msgId: event.action,
      structuredData: [
        {
          id: SD_ID,
          params: {
            id: event.id,
            tenant: event.tenant_id,
            outcome: event.outcome,
            actor: event.actor.id,
            correlation: event.correlation_id,
            via: event.ingest?.via,
            client: event.ingest?.client_id,
          },
        },
      ],
      msg: this.payload(event, json),
      // CEF collectors expect the line to start with "CEF:".
      bom: this.config.bom && this.config.format !== 'cef',
    });
  }

  render(event: AuditEventJson, json: string): string {
    return this.message(event, json);
  }

  /** Syslog has no answer that refuses one message: every failure here is the connection's, retried. */
  async send(delivery: Delivery, signal: AbortSignal): Promise<void> {
    const frames = Buffer.concat(delivery.items.map(octetFrame));
    signal.throwIfAborted();
    const socket = await this.connection();
    await new Promise<void>((resolve, reject) => {
      const fail = (err: Error): void => {
        cleanup();
        socket.destroy();
        reject(err instanceof DeliveryError ? err : new DeliveryError(`syslog write failed: ${err.message}`));
      };
      const onClose = (): void => fail(new DeliveryError('the syslog receiver closed the connection'));
      const timer = setTimeout(
        () => fail(new DeliveryError(`syslog write not done within ${this.config.timeout_ms} ms`)),
        this.config.timeout_ms,
      );
      const onAbort = (): void => fail(new DeliveryError('stopping: syslog write abandoned'));
      const cleanup = (): void => {
        clearTimeout(timer);
        socket.off('error', fail);
        socket.off('close', onClose);
        signal.removeEventListener('abort', onAbort);
      };
      socket.once('error', fail);
      socket.once('close', onClose);
      signal.addEventListener('abort', onAbort, { once: true });
      socket.write(frames, (err) => {
        if (err) return fail(err);
        cleanup();
        resolve();
      });
    });
  }

  private connection(): Promise<Socket> {
    const current = this.socket;
    if (current && !current.destroyed && current.writable) return Promise.resolve(current);
    const { host, port, tls } = this.config;
    return new Promise((resolve, reject) => {
      const socket =
        this.config.transport === 'tls'
          ? tlsConnect({
              host,
              port,
              servername: tls.servername ?? (/^[\d.:]+$/.test(host) ? undefined : host),
              ca: tls.ca_file,
              cert: tls.cert_file,
              key: tls.key_file,
              rejectUnauthorized: tls.reject_unauthorized,
            })
          : netConnect({ host, port });
      const ready = this.config.transport === 'tls' ? 'secureConnect' : 'connect';
      const timer = setTimeout(
        () => socket.destroy(new DeliveryError(`no syslog connection within ${this.config.timeout_ms} ms`)),
        this.config.timeout_ms,
      );
      socket.once(ready, () => {
        clearTimeout(timer);
        socket.setNoDelay(true);
        socket.setKeepAlive(true, 30_000);
        socket.resume(); // receivers send nothing; never let it pile up
        // Errors between batches only mark the connection dead; the next batch reconnects.
        socket.on('error', () => socket.destroy());
        this.socket = socket;
        resolve(socket);
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(
          err instanceof DeliveryError ? err : new DeliveryError(`cannot connect to syslog: ${err.message}`),
        );
      });
    });
  }

  async close(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (!socket || socket.destroyed) return;
    await new Promise<void>((resolve) => {
      socket.end(() => resolve());
      setTimeout(() => {
        socket.destroy();
        resolve();
      }, 2000).unref();
    });
  }
}
