import { auditEventSchema, HEADERS } from '@auditflow/schemas';
import avro from 'avsc';
import { consumeCount } from '../../support/consume.ts';
import { kafkaClient, registryClient } from '../../support/endpoints.ts';
import { avroRecord } from '../../support/records.ts';

/**
 * Records no stage of the streamer can ever show, one of each kind, written straight to Kafka
 * (a foreign producer, a bug upstream): bytes that are not the wire format, and Avro-valid
 * events without a JSON form (a time past what a date can hold; `details` that are not JSON).
 */
export const POISON_REASONS = {
  'not-wire-format': 'wrong_magic_byte',
  'time-out-of-range': 'json_form_failed',
  'details-not-json': 'json_form_failed',
} as const;

/** Writes each poison kind to every partition of the topic (whose schema is registered already). */
export async function plantPoison(topic: string, partitions: number): Promise<number> {
  const id = await registryClient().getLatestSchemaId(`${topic}-value`);
  const writer = avro.Type.forSchema(auditEventSchema as unknown as avro.Schema);
  const header = Buffer.alloc(5);
  header.writeInt32BE(id, 1);
  const wire = (overrides: Parameters<typeof avroRecord>[0]) =>
    Buffer.concat([header, writer.toBuffer(avroRecord(overrides))]);
  const values: Record<keyof typeof POISON_REASONS, Buffer> = {
    'not-wire-format': Buffer.from('{"action":"git.push","tenant_id":"acme"}'),
    'time-out-of-range': wire({ id: '0192f7a4-6b1e-7c3d-9a4b-0000000000f1', occurred_at: 9e15 }),
    'details-not-json': wire({ id: '0192f7a4-6b1e-7c3d-9a4b-0000000000f2', details: '{"unterminated": ' }),
  };
  const producer = kafkaClient('streamer-poison').producer();
  await producer.connect();
  const messages = [];
  for (let partition = 0; partition < partitions; partition++)
    for (const [key, value] of Object.entries(values)) messages.push({ key, value, partition });
  await producer.send({ topic, acks: -1, messages });
  await producer.disconnect();
  return messages.length;
}

/** The DLQ records of a test, as stage/reason/source key triples (the original key survives). */
export async function deadLettered(
  dlqTopic: string,
  expected: number,
  options: { settleMs?: number; timeoutMs?: number } = {},
) {
  const records = await consumeCount(dlqTopic, expected, {
    timeoutMs: options.timeoutMs ?? 60_000,
    settleMs: options.settleMs ?? 1500,
  });
  return records.map(({ message }) => {
    const header = (name: string) => message.headers?.[name]?.toString();
    return {
      key: message.key?.toString(),
      stage: header(HEADERS.stage),
      reason: header(HEADERS.reason),
      error: header(HEADERS.error),
      sourceTopic: header(HEADERS.sourceTopic),
      value: message.value,
    };
  });
}
