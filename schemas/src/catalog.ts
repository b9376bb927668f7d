import { readFileSync } from 'node:fs';

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface CatalogEntry {
  readonly category: string;
  readonly severity: Severity;
  /** e.g. `SOC2:CC6.1`, `ISO27001:A.12.4`, `FedRAMP:AU-2`, `GDPR:Art30`. */
  readonly compliance: readonly string[];
  readonly description: string;
}

export interface ActionCatalog {
  readonly actions: Readonly<Record<string, CatalogEntry>>;
}

export const CATALOG_FILE = new URL('../catalog/actions.json', import.meta.url);

export function loadCatalog(file: URL | string = CATALOG_FILE): ActionCatalog {
  return JSON.parse(readFileSync(file, 'utf8')) as ActionCatalog;
}

export type Lookup = ({ known: true; action: string } & CatalogEntry) | { known: false; action: string };

/** Known actions get their entry; unknown ones are accepted and flagged (E3), never rejected. */
export function lookupAction(catalog: ActionCatalog, action: string): Lookup {
  const entry = catalog.actions[action];
  return entry ? { known: true, action, ...entry } : { known: false, action };
}
