import { homedir } from 'node:os';
import { join } from 'node:path';
import { createAuditProducer } from '@auditflow/producer';
import { systemTenantFromEnv } from '@auditflow/schemas';
import { readSettings, runService, secretSetting } from '@auditflow/service';
import { Client } from '@elastic/elasticsearch';
import { z } from 'zod';
import { queryClientsFromEnv } from './clients.ts';
import { OperatorPolicy } from './masking.ts';
import { createQueryApi } from './server.ts';
import { capabilityWarnings, isUnavailable, readQueryApiCapabilities } from './settings.ts';
import { VIEWER_KEY_ENV, viewerKeyFromEnv } from './viewer.ts';

const streamToken = z.string().min(16, 'at least 16 characters');

await runService({
  name: 'auditflow-query-api',
  // Validated once at start (issue 19): a bad clients file, viewer key or stream token stops it here.
  // The report and erasure settings too (issue 18): a malformed one stops the start; one left
  // unset turns its endpoint off (a warning now, 503 naming it on each request).
  settings: () => {
    const capabilities = readQueryApiCapabilities();
    const { env } = capabilities;
    const token = secretSetting('AUDITFLOW_STREAM_TOKEN');
    const viewerKey = secretSetting(VIEWER_KEY_ENV);
    return {
      env,
      clients: queryClientsFromEnv(),
      viewerKey: viewerKeyFromEnv({ ...process.env, [VIEWER_KEY_ENV]: viewerKey }),
      streamToken:
        token === undefined
          ? undefined
          : readSettings(z.object({ AUDITFLOW_STREAM_TOKEN: streamToken }), { AUDITFLOW_STREAM_TOKEN: token })
              .AUDITFLOW_STREAM_TOKEN,
      operators: OperatorPolicy.fromEnv(),
      selfTenant: systemTenantFromEnv(),
      capabilities,
    };
  },
  warnings: ({ capabilities }) => capabilityWarnings(capabilities),
  // No health port of the shell's: /healthz, /readyz and /metrics are on the API's own port.
  create: ({
    settings: { env, clients, viewerKey, streamToken, operators, selfTenant, capabilities },
    logger,
    registry,
  }) => {
    if (!viewerKey) logger.warn('viewer tokens are off: set AUDITFLOW_VIEWER_KEY (or AUDITFLOW_QUERY_TOKEN)');
    const producer = createAuditProducer(
      {
        brokers: env.KAFKA_BROKERS.split(','),
        schemaRegistryUrl: env.SCHEMA_REGISTRY_URL,
        clientId: 'auditflow-query-api',
        spool: {
          dir: env.AUDITFLOW_SPOOL_DIR ?? join(homedir(), '.cache', 'auditflow', 'spool', 'query-api'),
        },
      },
      { logger: logger.child({ component: 'producer' }), metricsRegistry: registry },
    );
    const es = new Client({ node: env.ELASTICSEARCH_URL });
    const { reports, chromium, pseudonymKey } = capabilities;
    // The API's own Elasticsearch client for reports too (the sources' one never connected).
    if (!isUnavailable(reports)) void reports.es.close();
    const api = createQueryApi({
      config: {
        host: env.AUDITFLOW_QUERY_HOST,
        port: env.AUDITFLOW_QUERY_PORT,
        index: 'audit-events*',
        exportCap: env.AUDITFLOW_EXPORT_CAP,
        clients,
        selfTenant,
        pagingAuditRows: env.AUDITFLOW_PAGING_AUDIT_ROWS,
        ...(viewerKey ? { viewerKey } : {}),
        operators,
        ...(isUnavailable(pseudonymKey) ? {} : { pseudonymKey }),
        reportSources: isUnavailable(reports) ? reports : { ...reports, es },
        chromium,
        ...(streamToken
          ? { live: { url: env.AUDITFLOW_STREAM_URL.replace(/\/+$/, ''), token: streamToken } }
          : {}),
      },
      es,
      producer,
      logger,
      registry,
    });
    return {
      ready: true,
      async start() {
        const address = await api.listen();
        logger.info({ address: `${address.address}:${address.port}` }, 'query API listening');
      },
      async stop() {
        await api.close();
        await producer.close();
        await es.close();
      },
    };
  },
});
