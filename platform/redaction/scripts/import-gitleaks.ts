/**
 * Translates the vendored gitleaks rule set (rules/vendor/gitleaks/gitleaks.toml, unchanged
 * upstream) into our rule format (rules/gitleaks.json). Run after updating the vendored file:
 *   pnpm --filter @auditflow/redaction import-gitleaks
 * A rule that cannot be translated is dropped and listed with the reason in the output.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parse } from 'smol-toml';
import { z } from 'zod';
import { re2ToJs } from './re2-to-js.ts';

const VENDOR_DIR = new URL('../rules/vendor/gitleaks/', import.meta.url);
const OUTPUT = new URL('../rules/gitleaks.json', import.meta.url);
const UPSTREAM = {
  name: 'gitleaks',
  url: 'https://github.com/gitleaks/gitleaks',
  file: 'config/gitleaks.toml',
  version: 'v8.30.0-27-gb58d3f10',
  commit: 'b58d3f102cf3a2c84cb7f923d05c25c9b1aed84b',
  license: 'MIT (rules/vendor/gitleaks/LICENSE)',
};

/**
 * Cap for every unbounded repetition (`+`, `*`, `{n,}`). Longer than any real token the rules
 * describe (the longest upstream bound is 269), short enough that one failed attempt stays cheap.
 */
const REPETITION_BOUND = 400;
/**
 * Allowlist regexes run on one secret, match or line window (a few hundred characters) per
 * finding: a short bound keeps them cheap (`[a-z0-9-]*?api[a-z0-9-]*?:jar:` is tried at every
 * position of the match).
 */
const ALLOWLIST_REPETITION_BOUND = 64;

const upstreamAllowlist = z.object({
  description: z.string().optional(),
  condition: z.enum(['OR', 'AND']).optional(),
  regexTarget: z.enum(['secret', 'match', 'line']).optional(),
  regexes: z.array(z.string()).optional(),
  stopwords: z.array(z.string()).optional(),
  paths: z.array(z.string()).optional(),
  commits: z.array(z.string()).optional(),
});
const upstreamRule = z.object({
  id: z.string(),
  description: z.string(),
  regex: z.string().optional(),
  path: z.string().optional(),
  secretGroup: z.number().int().optional(),
  entropy: z.number().optional(),
  keywords: z.array(z.string()).optional(),
  allowlists: z.array(upstreamAllowlist).optional(),
});
const upstreamConfig = z.object({
  allowlist: upstreamAllowlist.optional(),
  rules: z.array(upstreamRule),
});

type UpstreamAllowlist = z.infer<typeof upstreamAllowlist>;

/**
 * Our additions to upstream allowlists. generic-api-key (key names containing key, token,
 * secret, …) leaves bare UUIDs to the key-name pair scanner (src/pairs.ts), which knows that
 * `idempotency_key` or `request_token_id` name no secret while `api_key` does.
 */
const LOCAL_ALLOWLISTS: Record<string, UpstreamAllowlist[]> = {
  'generic-api-key': [
    {
      description: 'auditflow: a bare UUID is an id unless its key name says secret (pairs.ts decides)',
      regexes: ['^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'],
    },
  ],
};

/**
 * Upstream rules left out on purpose, with the reason (kept in the output's `dropped`).
 * kubernetes-secret-yaml nests bounded lazy spans three deep (`kind: secret (?s:.){0,200}?
 * data: (?s:.){0,100}? \s+ [\w.-]+: …`): each start position costs their product, 45-58 ms
 * per 100 KB in the adversarial test even with small bounds; upstream runs it on .yaml files
 * only. Secret values in YAML are left to the key-name pair scanner and the generic rules.
 */
const LEFT_OUT: Record<string, string> = {
  'kubernetes-secret-yaml':
    'super-linear in practice: three nested bounded lazy spans, 45-58 ms per 100 KB on adversarial input (limit 40); YAML secrets are left to the key-name pair scanner',
};

function translateRegex(pattern: string, bound = REPETITION_BOUND): { pattern: string; flags: string } {
  const js = re2ToJs(pattern, bound);
  new RegExp(js.source, `${js.flags}gd`); // must compile
  return { pattern: js.source, flags: js.flags };
}

/**
 * An upstream allowlist in our form, or undefined when it can never apply to an event: paths
 * and commits do not exist here, so a list of only those (or one that ANDs them) never allows.
 */
function translateAllowlist(a: UpstreamAllowlist) {
  const hasContent = (a.regexes?.length ?? 0) + (a.stopwords?.length ?? 0) > 0;
  const needsPathOrCommit = (a.paths?.length ?? 0) + (a.commits?.length ?? 0) > 0;
  if (!hasContent || (a.condition === 'AND' && needsPathOrCommit)) return undefined;
  return {
    ...(a.description ? { description: a.description } : {}),
    condition: a.condition === 'AND' ? 'and' : 'or',
    target: a.regexTarget ?? 'secret',
    regexes: (a.regexes ?? []).map((r) => translateRegex(r, ALLOWLIST_REPETITION_BOUND)),
    stopwords: (a.stopwords ?? []).map((w) => w.toLowerCase()),
  };
}

function main(): void {
  const toml = readFileSync(new URL('gitleaks.toml', VENDOR_DIR), 'utf8');
  const config = upstreamConfig.parse(parse(toml));
  const rules: unknown[] = [];
  const dropped: { id: string; reason: string }[] = [];
  for (const rule of config.rules) {
    const leftOut = LEFT_OUT[rule.id];
    if (leftOut) {
      dropped.push({ id: rule.id, reason: leftOut });
      continue;
    }
    if (rule.regex === undefined) {
      dropped.push({
        id: rule.id,
        reason: `path-only rule (${rule.path}): matches file names, events have none`,
      });
      continue;
    }
    if (!rule.keywords || rule.keywords.length === 0) {
      dropped.push({ id: rule.id, reason: 'no keywords: would run on every string' });
      continue;
    }
    try {
      const allowlists = [...(rule.allowlists ?? []), ...(LOCAL_ALLOWLISTS[rule.id] ?? [])]
        .map(translateAllowlist)
        .filter((a) => a !== undefined);
      rules.push({
        id: rule.id,
        description: rule.description,
        ...translateRegex(rule.regex),
        // gitleaks' default: the first non-empty capture group, else the whole match.
        secretGroup: rule.secretGroup ?? 'first',
        ...(rule.entropy ? { validator: 'shannon', minEntropy: rule.entropy } : {}),
        keywords: rule.keywords.map((k) => k.toLowerCase()),
        ...(allowlists.length > 0 ? { allowlists } : {}),
        ...(rule.path ? { upstreamPath: rule.path } : {}),
      });
    } catch (err) {
      dropped.push({ id: rule.id, reason: `pattern not translated: ${(err as Error).message}` });
    }
  }
  const global = config.allowlist ? translateAllowlist({ ...config.allowlist, paths: undefined }) : undefined;
  const out = {
    $comment:
      'GENERATED by scripts/import-gitleaks.ts from rules/vendor/gitleaks/gitleaks.toml: do not edit. RE2 patterns translated to JS with every repetition bounded; upstreamPath notes rules gitleaks limits to some file names (applied to every string here).',
    version: `gitleaks-${UPSTREAM.version}`,
    upstream: UPSTREAM,
    repetitionBound: REPETITION_BOUND,
    ...(global ? { allowlist: global } : {}),
    rules,
    dropped,
  };
  writeFileSync(OUTPUT, `${JSON.stringify(out, null, 2)}\n`);
  console.log(`${rules.length} rules translated, ${dropped.length} dropped`);
  for (const d of dropped) console.log(`  dropped ${d.id}: ${d.reason}`);
}

main();
