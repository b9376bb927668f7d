import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../exec.ts';
import { installMavenArtifact, unpack } from '../install.ts';
import { pickJdk } from '../jdk.ts';
import { isRoot } from '../paths.ts';
import { type LocalServer, probe } from './server.ts';

export const ELASTICSEARCH_VERSION = '8.19.21';
export const ELASTICSEARCH_PORT = 9200;
const TRANSPORT_PORT = 9300;
export const ELASTICSEARCH_URL = `http://127.0.0.1:${ELASTICSEARCH_PORT}`;
/** Elasticsearch refuses to run as root; as root we start it as this system user. */
export const SERVICE_USER = 'auditflow';

function archiveDir(cache: string): string {
  return join(cache, 'dist', `elasticsearch-${ELASTICSEARCH_VERSION}`);
}

async function ensureServiceUser(): Promise<void> {
  try {
    await run('id', ['-u', SERVICE_USER], { what: 'looking up the service user' });
  } catch {
    await run('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', SERVICE_USER], {
      what: `creating the '${SERVICE_USER}' service user for Elasticsearch`,
    });
  }
}

/**
 * A single Elasticsearch node on `port` (transport on `transportPort`). The stack runs one on
 * the SPEC's 9200; tests that must stop Elasticsearch start their own on other ports.
 */
export function createElasticsearchServer(
  port = ELASTICSEARCH_PORT,
  transportPort = TRANSPORT_PORT,
): LocalServer {
  const url = `http://127.0.0.1:${port}`;
  return {
    name: 'elasticsearch',
    title: 'Elasticsearch (integ-test-zip, security off)',
    version: ELASTICSEARCH_VERSION,
    ports: [port, transportPort],
    startTimeoutS: 150,

    async install(paths) {
      await installMavenArtifact(
        archiveDir(paths.cache),
        `org.elasticsearch.distribution.integ-test-zip:elasticsearch:${ELASTICSEARCH_VERSION}:zip`,
      );
    },

    async prepare(paths, dirs) {
      // Unpacked per stack (not in the cache) so the service user can read it.
      const archive = join(archiveDir(paths.cache), `elasticsearch-${ELASTICSEARCH_VERSION}.zip`);
      await unpack(archive, join(dirs.root, 'dist'));
      const home = join(dirs.root, 'dist', `elasticsearch-${ELASTICSEARCH_VERSION}`);
      mkdirSync(dirs.data, { recursive: true });
      mkdirSync(join(dirs.root, 'logs'), { recursive: true });
      mkdirSync(join(dirs.root, 'tmp'), { recursive: true });
      writeFileSync(
        join(home, 'config', 'elasticsearch.yml'),
        `# Written by auditflow stack: one local node, security off, loopback only.
cluster.name: auditflow-local
node.name: local-1
network.host: 127.0.0.1
http.port: ${port}
transport.port: ${transportPort}
discovery.type: single-node
xpack.security.enabled: false
path.data: ${dirs.data}
path.logs: ${join(dirs.root, 'logs')}
action.destructive_requires_name: false
# A developer disk that is 90% full must not turn the local indices read-only.
cluster.routing.allocation.disk.threshold_enabled: false
`,
      );
      writeFileSync(join(home, 'config', 'jvm.options.d', 'heap.options'), '-Xms512m\n-Xmx512m\n');
      if (isRoot()) {
        await ensureServiceUser();
        await run('chown', ['-R', `${SERVICE_USER}:`, dirs.root], {
          what: 'handing Elasticsearch its files',
        });
      }
    },

    launch(_paths, dirs) {
      const home = join(dirs.root, 'dist', `elasticsearch-${ELASTICSEARCH_VERSION}`);
      const env = {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        ES_JAVA_HOME: pickJdk('Elasticsearch 8', 17).home,
        ES_TMPDIR: join(dirs.root, 'tmp'),
        LANG: 'C.UTF-8',
      };
      const script = join(home, 'bin', 'elasticsearch');
      if (!existsSync(script)) throw new Error(`Elasticsearch is not unpacked at ${home}`);
      if (!isRoot()) return { command: script, args: [], cwd: home, env };
      return {
        command: 'setpriv',
        args: ['--reuid', SERVICE_USER, '--regid', SERVICE_USER, '--init-groups', script],
        cwd: home,
        env: { ...env, HOME: dirs.root },
      };
    },

    async ready() {
      const res = await probe(`${url}/_cluster/health?wait_for_status=yellow&timeout=1s`);
      return res?.status === 200 && res.headers.get('x-elastic-product') === 'Elasticsearch';
    },

    async runningVersion() {
      // The integ-test-zip has no `GET /` handler; the nodes API reports the version.
      const res = await probe(`${url}/_nodes/_local?filter_path=nodes.*.version`);
      if (res?.status !== 200) return undefined;
      const nodes = (JSON.parse(res.body) as { nodes?: Record<string, { version: string }> }).nodes ?? {};
      return Object.values(nodes)[0]?.version;
    },
  };
}

export const elasticsearch: LocalServer = createElasticsearchServer();
