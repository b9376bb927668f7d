export {
  COMPOSE_VERSION,
  type ComposeCheckResult,
  checkComposeFile,
  composeBinary,
  installCompose,
} from './compose.ts';
export { loadCredentials, type StackCredentials } from './credentials.ts';
export { formatEnv, STACK_ENV_KEYS, type StackEnv, stackEnv } from './env.ts';
export { StackError } from './errors.ts';
export { pickJdk } from './jdk.ts';
export { resolvePaths, type StackPaths } from './paths.ts';
export { groupCpuSeconds, launchDetached, portIsFree, runningPid, stopProcess, tail } from './process.ts';
export {
  ensureS3Identities,
  MC_VERSION,
  S3_ROLES,
  type S3Role,
  s3PolicyFile,
  s3RoleEnv,
  s3User,
} from './s3-identities.ts';
export { createElasticsearchServer, ELASTICSEARCH_VERSION } from './servers/elasticsearch.ts';
export { createElasticsearchExporter, ES_EXPORTER_VERSION } from './servers/elasticsearch-exporter.ts';
export {
  createKafkaServer,
  KAFKA_METRICS_PORT,
  KAFKA_VERSION,
  kafkaClasspath,
  type SaslListener,
} from './servers/kafka.ts';
export {
  createPrometheusServer,
  installPrometheus,
  localPrometheusConfig,
  PROMETHEUS_CONFIG_DIR,
  PROMETHEUS_URL,
  PROMETHEUS_VERSION,
  SCRAPE_TARGETS,
  type ScrapeTarget,
  SERVER_SCRAPE_TARGETS,
} from './servers/prometheus.ts';
export { createRegistryServer } from './servers/registry.ts';
export { createS3Server, localS3Client } from './servers/s3.ts';
export type { LocalServer } from './servers/server.ts';
export {
  logFile,
  SERVERS,
  type ServerStatus,
  stackDown,
  stackStatus,
  stackUp,
  startServer,
  stopServer,
} from './stack.ts';
