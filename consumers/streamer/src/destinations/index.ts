import { readFileSync } from 'node:fs';
import { kafkaWithLogger, WireCodec } from '@auditflow/kafka';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { DeadLetters } from '../dead-letters.ts';
import type { DestinationConfig } from './config.ts';
import { destinationMetrics } from './metrics.ts';
import { DestinationRunner } from './runner.ts';
import type { Sender } from './sender.ts';
import { SyslogSender } from './syslog.ts';
import { WebhookSender } from './webhook.ts';

export { type DestinationConfig, describeTarget, loadDestinations } from './config.ts';
export { DestinationRunner, destinationStage, groupIdOf } from './runner.ts';
export { PERMANENT_STATUSES } from './sender.ts';
export { signatureHeader, verifySignature } from './signing.ts';

const productVersion = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

export function senderFor(config: DestinationConfig): Sender {
  return config.type === 'webhook'
    ? new WebhookSender(config, productVersion)
    : new SyslogSender(config, productVersion);
}

/** Every configured destination, each with its own consumer group; started and stopped together. */
export class Destinations {
  readonly runners: DestinationRunner[];
  private readonly deadLetters: DeadLetters;

  constructor(
    configs: readonly DestinationConfig[],
    deps: {
      brokers: readonly string[];
      registryUrl: string;
      topic: string;
      /** Where records a destination can never take go (`audit.dlq.v1`). */
      dlqTopic: string;
      logger: Logger;
      registry: Registry;
      onFatal?: (err: Error) => void;
    },
  ) {
    const kafka = kafkaWithLogger('auditflow-destinations', deps.brokers, deps.logger);
    const codec = new WireCodec(deps.registryUrl);
    const metrics = destinationMetrics(deps.registry);
    const deadLetters = new DeadLetters(kafka, deps.dlqTopic, deps);
    this.deadLetters = deadLetters;
    this.runners = configs.map(
      (config) =>
        new DestinationRunner(config, {
          kafka,
          codec,
          topic: deps.topic,
          sender: senderFor(config),
          deadLetters,
          logger: deps.logger,
          metrics,
          onFatal: deps.onFatal,
        }),
    );
  }

  get ready(): boolean {
    return this.runners.every((r) => r.ready);
  }

  async start(): Promise<void> {
    await Promise.all(this.runners.map((r) => r.start()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.runners.map((r) => r.stop()));
    await this.deadLetters.stop();
  }
}
