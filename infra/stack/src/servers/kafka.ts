import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { run } from '../exec.ts';
import { installMavenClasspath } from '../install.ts';
import { pickJdk } from '../jdk.ts';
import type { StackPaths } from '../paths.ts';
import { installJmxAgent, jmxAgentConfig, jmxAgentOption } from './jmx-agent.ts';
import { type LocalServer, probe, type ServerDirs } from './server.ts';

export const KAFKA_VERSION = '4.3.1';
/** log4j-core's version in Kafka's dependency tree; the slf4j binding must match it. */
const LOG4J_VERSION = '2.25.4';
export const KAFKA_PORT = 9092;
const CONTROLLER_PORT = 9093;
/** The JMX exporter agent's metrics port of the stack's broker (infra/prometheus/jmx/kafka.yml). */
export const KAFKA_METRICS_PORT = 9404;

export function kafkaHome(paths: StackPaths): string {
  return join(paths.cache, 'dist', `kafka-${KAFKA_VERSION}`);
}

/** The classpath of the broker and Kafka's own tools (kafka-producer-perf-test lives in kafka-tools). */
export function kafkaClasspath(paths: StackPaths): string {
  return join(kafkaHome(paths), 'libs', '*');
}

/** A second listener that requires SASL/PLAIN with these users (for tests of client authentication). */
export interface SaslListener {
  readonly port: number;
  readonly users: Readonly<Record<string, string>>;
}

function saslProperties(sasl: SaslListener | undefined): string {
  if (!sasl) return '';
  const users = Object.entries(sasl.users)
    .map(([user, password]) => `user_${user}="${password}"`)
    .join(' ');
  return `sasl.enabled.mechanisms=PLAIN
listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required ${users};
`;
}

function serverProperties(data: string, port: number, controllerPort: number, sasl?: SaslListener): string {
  const saslListener = sasl ? `,SASL_PLAINTEXT://127.0.0.1:${sasl.port}` : '';
  return `# Written by auditflow stack: one node that is broker and KRaft controller.
process.roles=broker,controller
node.id=1
listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}${saslListener}
advertised.listeners=PLAINTEXT://127.0.0.1:${port}${saslListener}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT
${saslProperties(sasl)}controller.quorum.bootstrap.servers=127.0.0.1:${controllerPort}
log.dirs=${data}
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# Topics are created explicitly (auditflow topics create), as in production.
auto.create.topics.enable=false
group.initial.rebalance.delay.ms=0
log.retention.hours=168
`;
}

const LOG4J2 = `Configuration:
  Appenders:
    Console:
      name: STDOUT
      PatternLayout:
        pattern: "[%d] %p %m (%c)%n"
  Loggers:
    Logger:
      - name: kafka.request.logger
        level: WARN
      - name: org.apache.kafka.controller
        level: INFO
    Root:
      level: INFO
      AppenderRef:
        - ref: STDOUT
`;

function java(): string {
  return join(pickJdk('Kafka', 17).home, 'bin', 'java');
}

/**
 * A single-node KRaft broker on `port` (controller on `controllerPort`). The stack runs one on
 * the SPEC's 9092, with the JMX exporter agent serving its metrics on `metricsPort`; tests that
 * must stop a broker start their own on other ports, without the agent unless they give a port.
 */
export function createKafkaServer(
  port = KAFKA_PORT,
  controllerPort = CONTROLLER_PORT,
  sasl?: SaslListener,
  metricsPort?: number,
): LocalServer {
  return {
    name: 'kafka',
    title: 'Apache Kafka (KRaft)',
    version: KAFKA_VERSION,
    ports: [port, controllerPort, ...(sasl ? [sasl.port] : []), ...(metricsPort ? [metricsPort] : [])],
    startTimeoutS: 90,

    async install(paths) {
      await installMavenClasspath(kafkaHome(paths), [
        { groupId: 'org.apache.kafka', artifactId: 'kafka_2.13', version: KAFKA_VERSION },
        { groupId: 'org.apache.kafka', artifactId: 'kafka-tools', version: KAFKA_VERSION },
        { groupId: 'org.apache.logging.log4j', artifactId: 'log4j-slf4j-impl', version: LOG4J_VERSION },
      ]);
      if (metricsPort) await installJmxAgent(paths);
    },

    async prepare(paths: StackPaths, dirs: ServerDirs) {
      mkdirSync(dirs.data, { recursive: true });
      const props = join(dirs.root, 'server.properties');
      writeFileSync(props, serverProperties(dirs.data, port, controllerPort, sasl));
      writeFileSync(join(dirs.root, 'log4j2.yaml'), LOG4J2);
      if (existsSync(join(dirs.data, 'meta.properties'))) return;
      const cp = kafkaClasspath(paths);
      const { stdout } = await run(java(), ['-cp', cp, 'kafka.tools.StorageTool', 'random-uuid'], {
        what: 'generating a Kafka cluster id',
      });
      await run(
        java(),
        ['-cp', cp, 'kafka.tools.StorageTool', 'format', '--standalone', '-t', stdout.trim(), '-c', props],
        { what: 'formatting Kafka storage' },
      );
    },

    launch: (paths, dirs) => ({
      command: java(),
      args: [
        '-Xms256m',
        '-Xmx768m',
        '-XX:+UseG1GC',
        '-XX:MaxGCPauseMillis=20',
        '-Djava.awt.headless=true',
        `-Dlog4j2.configurationFile=${join(dirs.root, 'log4j2.yaml')}`,
        ...(metricsPort ? [jmxAgentOption(paths, metricsPort, jmxAgentConfig('kafka'))] : []),
        '-cp',
        kafkaClasspath(paths),
        'kafka.Kafka',
        join(dirs.root, 'server.properties'),
      ],
      cwd: dirs.root,
    }),

    // Readiness is a real Kafka ApiVersions round trip: a listening socket alone is not a broker.
    ready: () => apiVersionsAnswers(port),

    // A broker an older `stack up` started has no metrics agent: Prometheus reads it as down
    // (AuditflowKafkaBrokerDown) until it is restarted once.
    async afterReady(_paths, report) {
      if (!metricsPort || (await probe(`http://127.0.0.1:${metricsPort}/metrics`))?.status === 200) return;
      report?.(
        `serves no metrics on 127.0.0.1:${metricsPort} (started before its metrics agent was added); restart it once: pnpm auditflow stack down kafka && pnpm auditflow stack up`,
      );
    },

    async runningVersion() {
      return (await apiVersionsAnswers(port)) ? KAFKA_VERSION : undefined;
    },
  };
}

export const kafka: LocalServer = createKafkaServer(
  KAFKA_PORT,
  CONTROLLER_PORT,
  undefined,
  KAFKA_METRICS_PORT,
);

/** Sends an ApiVersions v0 request and checks for a well-formed response with error code 0. */
function apiVersionsAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => {
      const clientId = Buffer.from('auditflow-stack');
      // size, api_key=18 (ApiVersions), api_version=0, correlation_id=7, client_id
      const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length);
      body.writeInt16BE(18, 0);
      body.writeInt16BE(0, 2);
      body.writeInt32BE(7, 4);
      body.writeInt16BE(clientId.length, 8);
      clientId.copy(body, 10);
      const size = Buffer.alloc(4);
      size.writeInt32BE(body.length, 0);
      socket.write(Buffer.concat([size, body]));
    });
    let received = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 10) return;
      const correlationId = received.readInt32BE(4);
      const errorCode = received.readInt16BE(8);
      done(correlationId === 7 && errorCode === 0);
    });
  });
}
