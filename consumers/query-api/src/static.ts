import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the console is served (SPEC Interfaces: `GET /console`). */
export const CONSOLE_PATH = '/console';
/** The console's built files (`pnpm build` runs its Vite build): beside this package. */
export const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL('../../console/dist/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * No external origin at run time: scripts, styles and data come from the query API itself.
 * Inline styles are allowed for the chart library's positioning; frames may embed the console
 * (the host product's iframe), which is what viewer tokens are for.
 */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

export interface StaticFile {
  readonly body: Buffer;
  readonly headers: Record<string, string>;
}

/**
 * The console's files, read once at start into memory (a few hundred KB): a request can only
 * get one of these, never a path it made up. Any other `/console/...` path is the app's own
 * route and gets index.html. Undefined when the console was not built.
 */
export function loadConsole(dir: string): ((path: string) => StaticFile | undefined) | undefined {
  if (!existsSync(join(dir, 'index.html'))) return undefined;
  const files = new Map<string, StaticFile>();
  const walk = (at: string): void => {
    for (const name of readdirSync(at)) {
      const full = join(at, name);
      if (statSync(full).isDirectory()) walk(full);
      else {
        const path = `${CONSOLE_PATH}/${relative(dir, full).split(sep).join('/')}`;
        // Hashed asset names never change content: cache them; index.html always revalidates.
        const immutable = path.startsWith(`${CONSOLE_PATH}/assets/`);
        files.set(path, {
          body: readFileSync(full),
          headers: {
            'content-type': TYPES[extname(name)] ?? 'application/octet-stream',
            'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
            ...SECURITY_HEADERS,
          },
        });
      }
    }
  };
  walk(dir);
  const index = files.get(`${CONSOLE_PATH}/index.html`);
  return (path) => files.get(path) ?? (path.startsWith(`${CONSOLE_PATH}/assets/`) ? undefined : index);
}
