import { accessSync, constants, existsSync } from 'node:fs';
import { chromiumExecutable, type EvidenceSources, evidenceSourcesFromEnv } from '@auditflow/evidence';
import { CHROMIUM_ENV, presentSettings, queryApiSettings, settingMetaOf } from '@auditflow/schemas';
import { readSettings, type SettingWarning, secretSetting } from '@auditflow/service';
import type { z } from 'zod';
import { pseudonymKeyFromEnv } from './erasure.ts';

/** An optional part of the API that its settings leave off: the setting, and what is off. */
export interface Unavailable {
  readonly setting: string;
  /** One line: what is off and how to turn it on (the 503's message and the start warning). */
  readonly message: string;
}

/** The query API's settings beyond the plain values: the optional parts, each on or off. */
export interface QueryApiCapabilities {
  readonly env: z.output<typeof queryApiSettings>;
  /** GET /v1/reports: its sources (Elasticsearch client still to be replaced by the API's), or why off. */
  readonly reports: EvidenceSources | Unavailable;
  /** PDF reports: the browser's path, or why off. */
  readonly chromium: string | Unavailable;
  /** POST /v1/erasures: the sanitizer's pseudonym key, or why off. */
  readonly pseudonymKey: Buffer | Unavailable;
}

export const isUnavailable = (value: unknown): value is Unavailable =>
  typeof value === 'object' && value !== null && 'setting' in value && 'message' in value;

export const REPORTS_OFF: Unavailable = {
  setting: 'AUDITFLOW_ARCHIVE_PUBLIC_KEY_FILE',
  message:
    'not set (nor AUDITFLOW_ARCHIVE_SIGNING_KEY): evidence reports (GET /v1/reports) are off, they verify the archive with it; point it at the archive public key PEM',
};

export const ERASURE_OFF: Unavailable = {
  setting: 'AUDITFLOW_PSEUDONYM_KEY',
  message:
    'not set (nor AUDITFLOW_PSEUDONYM_KEY_FILE): subject erasure (POST /v1/erasures) is off; set the key the sanitizer uses',
};

/**
 * Reads and checks everything the query API reads, once at start: a malformed setting (a value
 * breaking its rule, a named file missing, a key or policy file that does not parse, a
 * `AUDITFLOW_CHROMIUM` that is not executable) throws, naming the variable and the rule; an
 * optional part whose setting is unset is returned as Unavailable (the service warns once and
 * its endpoint answers 503 naming the setting).
 */
export function readQueryApiCapabilities(env: NodeJS.ProcessEnv = process.env): QueryApiCapabilities {
  const settings = readSettings(queryApiSettings, env);
  const present = presentSettings(env);
  // A named file must be there now, not at the first request that reads it (doctor checks the same).
  for (const [variable, field] of Object.entries(queryApiSettings.shape)) {
    const path = present[variable];
    if (path !== undefined && settingMetaOf(field)?.file && !existsSync(path))
      throw new Error(`invalid configuration: ${variable}: file ${path} does not exist`);
  }
  const pseudonymKey = pseudonymKeyOrOff(env);
  const keyed =
    present.AUDITFLOW_ARCHIVE_PUBLIC_KEY_FILE ??
    present.AUDITFLOW_ARCHIVE_SIGNING_KEY ??
    present.AUDITFLOW_ARCHIVE_SIGNING_KEY_FILE;
  const reports = keyed === undefined ? REPORTS_OFF : evidenceSourcesFromEnv(present);
  return { env: settings, reports, chromium: chromiumOrOff(present), pseudonymKey };
}

function pseudonymKeyOrOff(env: NodeJS.ProcessEnv): Buffer | Unavailable {
  // Names the file setting when its file cannot be read, refuses both set.
  const key = secretSetting('AUDITFLOW_PSEUDONYM_KEY', presentSettings(env));
  if (key === undefined) return ERASURE_OFF;
  return pseudonymKeyFromEnv({ AUDITFLOW_PSEUDONYM_KEY: key });
}

/** The browser: AUDITFLOW_CHROMIUM must be executable when set; unset and none on the PATH is off. */
export function chromiumOrOff(env: NodeJS.ProcessEnv): string | Unavailable {
  const set = env[CHROMIUM_ENV];
  if (set) {
    try {
      accessSync(set, constants.X_OK);
    } catch {
      throw new Error(`invalid configuration: ${CHROMIUM_ENV}: ${set} is not an executable file`);
    }
    return set;
  }
  try {
    return chromiumExecutable({ PATH: env.PATH });
  } catch {
    return {
      setting: CHROMIUM_ENV,
      message:
        'not set and no chromium on the PATH: PDF reports (GET /v1/reports?format=pdf) are off, the other formats work; install chromium or point it at the browser',
    };
  }
}

/** The start warnings: one per part that is off (PDF only when reports are on). */
export function capabilityWarnings(capabilities: QueryApiCapabilities): SettingWarning[] {
  const off: Unavailable[] = [];
  if (isUnavailable(capabilities.reports)) off.push(capabilities.reports);
  else if (isUnavailable(capabilities.chromium)) off.push(capabilities.chromium);
  if (isUnavailable(capabilities.pseudonymKey)) off.push(capabilities.pseudonymKey);
  return off;
}
