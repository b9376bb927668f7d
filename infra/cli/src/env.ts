import { resolvePaths, type StackEnv, stackEnv } from '@auditflow/stack';

/**
 * Endpoints for commands: the process environment wins; anything unset falls back to the
 * local stack's values, so `pnpm auditflow topics create` works right after `stack up`.
 */
export function commandEnv(env: NodeJS.ProcessEnv = process.env): StackEnv {
  const local = stackEnv(resolvePaths());
  const merged = { ...local };
  for (const key of Object.keys(local) as (keyof StackEnv)[]) {
    const value = env[key];
    if (value) merged[key] = value;
  }
  return merged;
}
