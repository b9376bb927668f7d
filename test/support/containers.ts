import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { GenericContainer, type StartedTestContainer, Wait } from 'testcontainers';
import type { Endpoints } from './endpoints.ts';

/**
 * The same four servers as `auditflow stack up`, as containers, for machines with a Docker
 * engine. Host ports are the SPEC's fixed ports so the env contract is identical.
 */
export async function startContainers(): Promise<{ endpoints: Endpoints; stop: () => Promise<void> }> {
  const accessKey = 'auditflowtest';
  const secretKey = 'auditflow-test-secret';
  const started: StartedTestContainer[] = [];
  try {
    const [kafka, registry, elasticsearch, minio] = await Promise.all([
      new GenericContainer('apache/kafka:4.1.0')
        .withExposedPorts({ container: 9092, host: 9092 })
        .withEnvironment({
          KAFKA_NODE_ID: '1',
          KAFKA_PROCESS_ROLES: 'broker,controller',
          KAFKA_LISTENERS: 'PLAINTEXT://:9092,CONTROLLER://:9093',
          KAFKA_ADVERTISED_LISTENERS: 'PLAINTEXT://127.0.0.1:9092',
          KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
          KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
          KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
          KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
          KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
          KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
          KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
          KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
        })
        .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
        .start(),
      new GenericContainer('apicurio/apicurio-registry:3.3.3')
        .withExposedPorts({ container: 8080, host: 8081 })
        .withWaitStrategy(Wait.forHttp('/apis/ccompat/v7/subjects', 8080))
        .start(),
      new GenericContainer('docker.elastic.co/elasticsearch/elasticsearch:8.19.4')
        .withExposedPorts({ container: 9200, host: 9200 })
        .withEnvironment({
          'discovery.type': 'single-node',
          'xpack.security.enabled': 'false',
          ES_JAVA_OPTS: '-Xms512m -Xmx512m',
        })
        .withWaitStrategy(Wait.forHttp('/_cluster/health?wait_for_status=yellow', 9200))
        .withStartupTimeout(180_000)
        .start(),
      new GenericContainer('minio/minio:RELEASE.2025-04-22T22-12-26Z')
        .withExposedPorts({ container: 9000, host: 9000 })
        .withEnvironment({ MINIO_ROOT_USER: accessKey, MINIO_ROOT_PASSWORD: secretKey })
        .withCommand(['server', '/data'])
        .withWaitStrategy(Wait.forHttp('/minio/health/ready', 9000))
        .start(),
    ]);
    started.push(kafka, registry, elasticsearch, minio);
    const endpoints: Endpoints = {
      KAFKA_BROKERS: '127.0.0.1:9092',
      SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081/apis/ccompat/v7',
      ELASTICSEARCH_URL: 'http://127.0.0.1:9200',
      S3_ENDPOINT: 'http://127.0.0.1:9000',
      S3_BUCKET: 'audit-archive',
      AWS_ACCESS_KEY_ID: accessKey,
      AWS_SECRET_ACCESS_KEY: secretKey,
      AWS_REGION: 'us-east-1',
    };
    const s3 = new S3Client({
      endpoint: endpoints.S3_ENDPOINT,
      region: endpoints.AWS_REGION,
      forcePathStyle: true,
      credentials: { accessKeyId: accessKey, secretAccessKey: secretKey },
    });
    await s3.send(new CreateBucketCommand({ Bucket: endpoints.S3_BUCKET, ObjectLockEnabledForBucket: true }));
    s3.destroy();
    return { endpoints, stop: async () => void (await Promise.all(started.map((c) => c.stop()))) };
  } catch (err) {
    await Promise.allSettled(started.map((c) => c.stop()));
    throw err;
  }
}
