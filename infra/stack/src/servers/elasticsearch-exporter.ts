import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildGoModule } from '../install.ts';
import type { StackPaths } from '../paths.ts';
import { ELASTICSEARCH_URL } from './elasticsearch.ts';
import { type LocalServer, probe } from './server.ts';

/**
 * Prometheus' Elasticsearch exporter (prometheus-community), built from the Go module proxy like
 * Prometheus itself: cluster health (green/yellow/red), shards, the nodes' disk and JVM, and the
 * disk watermarks from the cluster settings. Elasticsearch has no Prometheus endpoint of its own.
 */
export const ES_EXPORTER_MODULE = 'github.com/prometheus-community/elasticsearch_exporter';
export const ES_EXPORTER_VERSION = '1.10.0';
export const ES_EXPORTER_PORT = 9114;

function distDir(paths: StackPaths): string {
  return join(paths.cache, 'dist', `elasticsearch_exporter-${ES_EXPORTER_VERSION}`);
}

/**
 * The exporter on `port` reading the Elasticsearch at `esUrl`. It starts serving about 10 s
 * after launch against the local integ-test-zip build, which has no `GET /` (the exporter waits
 * that long for the cluster's name, then goes on without it).
 */
export function createElasticsearchExporter(port = ES_EXPORTER_PORT, esUrl = ELASTICSEARCH_URL): LocalServer {
  const url = `http://127.0.0.1:${port}`;
  return {
    name: 'es-exporter',
    title: 'Elasticsearch exporter (Prometheus metrics of the cluster)',
    version: ES_EXPORTER_VERSION,
    ports: [port],
    startTimeoutS: 60,

    install: (paths, report) =>
      buildGoModule(
        distDir(paths),
        {
          modulePath: ES_EXPORTER_MODULE,
          version: `v${ES_EXPORTER_VERSION}`,
          pkg: '.',
          binary: 'elasticsearch_exporter',
          ldflags: `-s -w -X github.com/prometheus/common/version.Version=${ES_EXPORTER_VERSION}`,
        },
        report,
      ),

    async prepare(_paths, dirs) {
      mkdirSync(dirs.root, { recursive: true });
    },

    launch: (paths, dirs) => ({
      command: join(distDir(paths), 'bin', 'elasticsearch_exporter'),
      args: [
        `--es.uri=${esUrl}`,
        `--web.listen-address=127.0.0.1:${port}`,
        // The disk watermarks the disk alerts compare with.
        '--collector.clustersettings',
        '--es.timeout=5s',
      ],
      cwd: dirs.root,
    }),

    async ready() {
      return (await probe(`${url}/metrics`))?.status === 200;
    },

    async runningVersion() {
      const res = await probe(`${url}/metrics`);
      if (res?.status !== 200) return undefined;
      return /^elasticsearch_exporter_build_info\{[^}\n]*version="([^"\n]+)"/m.exec(res.body)?.[1];
    },
  };
}

export const esExporter: LocalServer = createElasticsearchExporter();
