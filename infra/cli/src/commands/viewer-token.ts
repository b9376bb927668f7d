import { Command } from 'commander';
import { commandEnv } from '../env.ts';
import { terminalSafe as safe } from '../render.ts';

interface ViewerTokenOptions {
  tenant: string;
  actor?: string;
  viewer?: string;
  ttl: string;
  url?: boolean;
}

const apiUrl = (): string => process.env.AUDITFLOW_QUERY_URL ?? 'http://127.0.0.1:8080';

/**
 * `auditflow viewer-token --tenant acme [--actor A] [--ttl 15m]` (SPEC Interfaces): mints a
 * viewer token through the query API, as a host product does (`POST /v1/viewer-tokens` with a
 * query client's token), so there is one signer and every issue is audited there. Prints the
 * token alone; `--url` prints the console URL with the token in its fragment instead.
 */
export function viewerTokenCommand(): Command {
  return new Command('viewer-token')
    .description('mint a short-lived console/API token scoped to one tenant (and optionally one actor)')
    .requiredOption('--tenant <id>', 'the tenant the token may read')
    .option('--actor <id>', "only this actor's events")
    .option('--viewer <id>', 'who will look (recorded with every page view and export)')
    .option('--ttl <duration>', 'lifetime, e.g. 15m or 1h (at most 24h)', '15m')
    .option('--url', 'print the console URL with the token (in the fragment) instead of the token')
    .action(async (o: ViewerTokenOptions) => {
      const token = process.env.AUDITFLOW_QUERY_TOKEN ?? commandEnv().AUDITFLOW_QUERY_TOKEN;
      let res: Response;
      try {
        res = await fetch(`${apiUrl()}/v1/viewer-tokens`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            tenant: o.tenant,
            ttl: o.ttl,
            ...(o.actor ? { actor: o.actor } : {}),
            ...(o.viewer ? { viewer: o.viewer } : {}),
          }),
        });
      } catch (err) {
        throw new Error(
          `the query API at ${apiUrl()} does not answer (${(err as Error).message}); start it or set AUDITFLOW_QUERY_URL`,
        );
      }
      const body = (await res.json().catch(() => ({}))) as {
        token?: string;
        console_path?: string;
        message?: string;
      };
      if (!res.ok || !body.token)
        throw new Error(`query API answered ${res.status}: ${safe(body.message ?? res.statusText)}`);
      process.stdout.write(`${o.url ? `${apiUrl()}${body.console_path}` : body.token}\n`);
    });
}
