export { readSettings, secretSetting, stageEnv } from './env.ts';
export { serveHealth } from './health.ts';
export {
  type ProgressReporter,
  runService,
  type Service,
  type ServiceContext,
  type ServiceOptions,
  type SettingWarning,
} from './run.ts';
