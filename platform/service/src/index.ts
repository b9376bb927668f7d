export { stageEnv } from './env.ts';
export { serveHealth } from './health.ts';
