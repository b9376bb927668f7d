import { HEADERS } from '@auditflow/schemas';
import type { KafkaMessage, Message } from 'kafkajs';

/**
 * The record a stage writes to the DLQ or quarantine: the original key, bytes and headers, plus
 * where it came from and why. One shape for every stage, so operators and `reconcile` read one.
 */
export function deadLetter(
  source: { readonly topic: string; readonly partition: number },
  message: KafkaMessage,
  stage: string,
  reason: string,
  error?: string,
): Message {
  return {
    key: message.key,
    value: message.value,
    headers: {
      ...message.headers,
      [HEADERS.sourceTopic]: source.topic,
      [HEADERS.sourcePartition]: String(source.partition),
      [HEADERS.sourceOffset]: message.offset,
      [HEADERS.stage]: stage,
      [HEADERS.reason]: reason,
      ...(error === undefined ? {} : { [HEADERS.error]: error.slice(0, 2000) }),
    },
  };
}
