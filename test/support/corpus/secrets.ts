import { detailsEvent, envelope, Fake, type SecretCase } from './build.ts';
import { keyNameCases } from './secrets-keys.ts';
import { moreCases } from './secrets-more.ts';
import { providerCases } from './secrets-providers.ts';
import { textCases } from './secrets-text.ts';

/**
 * The redaction corpus (issue 13, part 6): a few hundred events with secrets planted the way real
 * services send them. Run through the pure transform by platform/redaction/src/corpus.test.ts;
 * exported so the pipeline tests can send the same events through real Kafka.
 */

/** Structures where the secret is decided by a parent key or by depth, not the leaf key. */
function structuralCases(): SecretCase[] {
  const f = new Fake('structural');
  const conn = f.password(18);
  const deep = f.alnum(40);
  const pascal = f.password(16);
  const envList = f.alnum(24);
  const yamlAfter = f.alnum(28);
  const before = f.password(14);
  const after = f.password(14);
  const headerMap = f.b64url(40);
  const numeric = f.number(12);
  const arr = [f.alnum(30), f.alnum(30)];
  return [
    {
      name: 'key-name: appsettings ConnectionStrings.Default under its parent',
      category: 'key-name',
      secrets: [conn],
      event: detailsEvent('appsettings', 0, {
        Logging: { LogLevel: { Default: 'Information' } },
        ConnectionStrings: { Default: `Host=pg;Database=app;Username=app;Password=${conn}` },
      }),
    },
    {
      name: 'key-name: secret 12 levels deep',
      category: 'key-name',
      secrets: [deep],
      event: detailsEvent('deep', 1, {
        a: { b: { c: { d: { e: { f: { g: { h: { i: { j: { k: { api_token: deep } } } } } } } } } } },
      }),
    },
    {
      name: 'key-name: PascalCase nested (Azure ARM parameters)',
      category: 'key-name',
      secrets: [pascal],
      event: detailsEvent('arm', 2, {
        parameters: { AdministratorLoginPassword: { value: pascal }, Location: { value: 'westeurope' } },
      }),
    },
    {
      name: 'key-name: env list with Name/Value capitals (ECS task definition)',
      category: 'key-name',
      secrets: [envList],
      event: detailsEvent('ecs', 3, {
        containerDefinitions: [{ Environment: [{ Name: 'SECRET_KEY', Value: envList }] }],
      }),
    },
    {
      name: 'key-name: YAML snippet as a changes value',
      category: 'key-name',
      secrets: [yamlAfter],
      event: {
        ...envelope('yaml change', 4),
        action: 'config.updated',
        changes: [
          {
            field: 'values.yaml',
            before: 'replicas: 2\n',
            after: `replicas: 3\nauth:\n  token: ${yamlAfter}\n`,
          },
        ],
      },
    },
    {
      name: 'key-name: changes[].field password with before and after',
      category: 'key-name',
      secrets: [before, after],
      event: {
        ...envelope('pw change', 5),
        action: 'user.updated',
        changes: [{ field: 'user.password', before, after }],
      },
    },
    {
      name: 'key-name: header map with lower-case keys (Node http)',
      category: 'key-name',
      secrets: [headerMap],
      event: detailsEvent('node headers', 6, {
        req: {
          headers: { host: 'api.example.com', 'x-amz-security-token': headerMap, 'user-agent': 'node' },
        },
      }),
    },
    {
      name: 'key-name: numeric secret under otp key',
      category: 'key-name',
      secrets: [numeric],
      event: detailsEvent('numeric', 7, { verify: { otp_secret: Number(numeric) } }),
    },
    {
      name: 'key-name: array of secrets under api_keys',
      category: 'key-name',
      secrets: arr,
      event: detailsEvent('array', 8, { service: 'geo', api_keys: arr }),
    },
  ];
}

export function secretCases(): SecretCase[] {
  return [...keyNameCases(), ...structuralCases(), ...textCases(), ...providerCases(), ...moreCases()];
}

/** The shortest fragment of a secret that must not survive. */
export const FRAGMENT_LENGTH = 10;

/**
 * Every sliding 10-character window of a secret (and the whole secret). Windows of only digits,
 * spaces and dashes holding fewer than 10 digits are left out: such runs occur in ordinary text
 * (dates, amounts); for card numbers every stretch of 10 of its digits is checked instead.
 */
export function fragmentsOf(secret: string): string[] {
  const out = new Set<string>([secret]);
  for (let i = 0; i + FRAGMENT_LENGTH <= secret.length; i++) {
    const window = secret.slice(i, i + FRAGMENT_LENGTH);
    if (/^[\d\s-]+$/.test(window) && window.replace(/\D/g, '').length < FRAGMENT_LENGTH) continue;
    out.add(window);
  }
  // A card printed with separators: every stretch holding 10 of its digits, separators kept
  // (`4111 1111 11`), so a number left mostly in clear is still caught.
  if (/^[\d\s-]+$/.test(secret)) {
    const digitAt = [...secret].flatMap((ch, i) => (/\d/.test(ch) ? [i] : []));
    for (let d = 0; d + FRAGMENT_LENGTH <= digitAt.length; d++) {
      out.add(secret.slice(digitAt[d], (digitAt[d + FRAGMENT_LENGTH - 1] ?? 0) + 1));
    }
  }
  return [...out];
}

export type { KeepCase, SecretCase } from './build.ts';
export { keepCases } from './keep.ts';
