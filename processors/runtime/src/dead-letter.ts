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
      'auditflow-source-topic': source.topic,
      'auditflow-source-partition': String(source.partition),
      'auditflow-source-offset': message.offset,
      'auditflow-stage': stage,
      'auditflow-reason': reason,
      ...(error === undefined ? {} : { 'auditflow-error': error.slice(0, 2000) }),
    },
  };
}
