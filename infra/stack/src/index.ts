export { StackError } from './errors.ts';
export { resolvePaths, type StackPaths } from './paths.ts';
export { loadCredentials, type StackCredentials } from './credentials.ts';
export { stackEnv, formatEnv, STACK_ENV_KEYS, type StackEnv } from './env.ts';
export { stackUp, stackDown, stackStatus, logFile, SERVERS, type ServerStatus } from './stack.ts';
export { kafkaClasspath, KAFKA_VERSION } from './servers/kafka.ts';
export { ELASTICSEARCH_VERSION } from './servers/elasticsearch.ts';
export { localS3Client } from './servers/s3.ts';
