import { type AuditEvent, auditEventSchema, auditEventType } from '@auditflow/schemas';
import avro from 'avsc';
import { AuditflowError } from './errors.ts';

/**
 * The Confluent wire format (magic byte 0, 4-byte big-endian schema id, Avro body), read with
 * any registered writer version resolved to the current AuditEvent reader schema (E4).
 */

export type DecodeFailure =
  | 'empty'
  | 'wrong_magic_byte'
  | 'unknown_schema_id'
  | 'corrupt_avro'
  | 'oversized'
  | 'not_an_audit_event';

export class DecodeError extends AuditflowError {
  override readonly name = 'DecodeError';
  override readonly retriable = false;
  constructor(
    readonly reason: DecodeFailure,
    message: string,
  ) {
    super(message);
  }
}

/** The registry was unreachable: retry the batch, do not dead-letter the message. */
export class RegistryUnavailableError extends AuditflowError {
  override readonly name = 'RegistryUnavailableError';
  override readonly retriable = true;
}

/**
 * How long a schema id the registry answered 404 for stays unknown before it is asked again. Not
 * for good: the id may be registered a moment later (a producer racing its own registration, a
 * registry restored from backup), and a process must not dead-letter it for the rest of its life.
 */
export const UNKNOWN_SCHEMA_ID_TTL_MS = 5000;
const MAX_UNKNOWN_IDS = 10_000;

export class WireCodec {
  /** null: the schema exists but cannot be read as an AuditEvent (ids are immutable: for good). */
  private readonly resolvers = new Map<number, avro.Resolver | null>();
  /** Schema ids the registry did not know, with the time until which they are not asked again. */
  private readonly unknownUntil = new Map<number, number>();
  private readonly outputIds = new Map<string, Buffer>();

  constructor(
    private readonly registryUrl: string,
    private readonly maxBytes = 1_048_576,
    private readonly unknownIdTtlMs = UNKNOWN_SCHEMA_ID_TTL_MS,
  ) {}

  async decode(value: Buffer | null): Promise<AuditEvent> {
    if (!value || value.length === 0) throw new DecodeError('empty', 'empty message value');
    if (value.length > this.maxBytes)
      throw new DecodeError('oversized', `message of ${value.length} bytes exceeds ${this.maxBytes}`);
    if (value.length < 5 || value[0] !== 0) {
      throw new DecodeError('wrong_magic_byte', `first byte is ${value[0]}, not the Confluent magic byte 0`);
    }
    const id = value.readInt32BE(1);
    const resolver = await this.resolver(id);
    try {
      return auditEventType.fromBuffer(value.subarray(5), resolver) as AuditEvent;
    } catch (err) {
      throw new DecodeError(
        'corrupt_avro',
        `Avro body does not decode with schema ${id}: ${(err as Error).message}`,
      );
    }
  }

  /** Encodes with the current schema registered under `<topic>-value` (registered once). */
  async encode(topic: string, event: AuditEvent): Promise<Buffer> {
    return Buffer.concat([await this.header(topic), auditEventType.toBuffer(event)]);
  }

  /**
   * The 5-byte Confluent header (magic byte 0, schema id) of the current AuditEvent schema under
   * `<topic>-value`, registering it the first time (the SDK puts it before bodies it encoded at
   * emit time, the processors before every output).
   */
  async header(topic: string): Promise<Buffer> {
    let header = this.outputIds.get(topic);
    if (!header) {
      const id = await this.register(`${topic}-value`);
      header = Buffer.alloc(5);
      header.writeInt32BE(id, 1);
      this.outputIds.set(topic, header);
    }
    return header;
  }

  private async resolver(id: number): Promise<avro.Resolver> {
    const cached = this.resolvers.get(id);
    if (cached) return cached;
    if (cached === null) {
      throw new DecodeError('not_an_audit_event', `schema ${id} cannot be read as an AuditEvent`);
    }
    const unknownUntil = this.unknownUntil.get(id);
    if (unknownUntil !== undefined) {
      if (Date.now() < unknownUntil) {
        throw new DecodeError('unknown_schema_id', `schema id ${id} is not in the registry`);
      }
      this.unknownUntil.delete(id);
    }
    let res: Response;
    try {
      res = await fetch(`${this.registryUrl}/schemas/ids/${id}`, { signal: AbortSignal.timeout(5000) });
    } catch (err) {
      throw new RegistryUnavailableError(`schema registry unreachable: ${(err as Error).message}`);
    }
    if (res.status === 404) {
      // Hostile input can name any of 2^32 ids: the memory stays bounded (forgetting only costs a lookup).
      if (this.unknownUntil.size >= MAX_UNKNOWN_IDS) this.unknownUntil.clear();
      this.unknownUntil.set(id, Date.now() + this.unknownIdTtlMs);
      throw new DecodeError('unknown_schema_id', `schema id ${id} is not in the registry`);
    }
    if (!res.ok) throw new RegistryUnavailableError(`schema registry answered ${res.status} for id ${id}`);
    const { schema } = (await res.json()) as { schema: string };
    let resolver: avro.Resolver;
    try {
      resolver = auditEventType.createResolver(avro.Type.forSchema(JSON.parse(schema)));
    } catch (err) {
      this.resolvers.set(id, null);
      throw new DecodeError(
        'not_an_audit_event',
        `schema ${id} cannot be read as an AuditEvent: ${(err as Error).message}`,
      );
    }
    this.resolvers.set(id, resolver);
    return resolver;
  }

  private async register(subject: string): Promise<number> {
    let res: Response;
    try {
      res = await fetch(`${this.registryUrl}/subjects/${encodeURIComponent(subject)}/versions`, {
        method: 'POST',
        headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
        body: JSON.stringify({ schema: JSON.stringify(auditEventSchema) }),
        signal: AbortSignal.timeout(5000),
      });
    } catch (err) {
      throw new RegistryUnavailableError(`schema registry unreachable: ${(err as Error).message}`);
    }
    if (!res.ok)
      throw new RegistryUnavailableError(`registering ${subject} failed: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { id: number }).id;
  }
}
