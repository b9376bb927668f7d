import { resolvePaths, type StackEnv, stackEnv } from '@auditflow/stack';

/** The local stack's S3 credentials: they belong to its own store and no other. */
const S3_CREDENTIAL =
  /^(AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AUDITFLOW_S3_[A-Z]+_(ACCESS_KEY_ID|SECRET_ACCESS_KEY))$/;

/**
 * Endpoints for commands: the process environment wins; anything unset falls back to the
 * local stack's values, so `pnpm auditflow topics create` works right after `stack up`. The
 * stack's S3 credentials (root and per-role identities) fall back only while the S3 endpoint is
 * the stack's own: against another store they would be refused (a signature mismatch) and, worse,
 * would mask the credentials that store was given.
 */
export function commandEnv(env: NodeJS.ProcessEnv = process.env): StackEnv {
  const local = stackEnv(resolvePaths());
  const otherStore = !!env.S3_ENDPOINT && env.S3_ENDPOINT !== local.S3_ENDPOINT;
  const merged: Record<string, string | undefined> = { ...local };
  for (const key of Object.keys(local)) {
    const value = env[key];
    if (value) merged[key] = value;
    else if (otherStore && S3_CREDENTIAL.test(key)) delete merged[key];
  }
  return merged as unknown as StackEnv;
}
