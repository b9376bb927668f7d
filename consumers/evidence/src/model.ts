/**
 * The evidence report (SPEC Q4, issue 18): one period, one framework, every number with the
 * query behind it. The JSON form is this object as is (`REPORT_FORMAT` names its version), so
 * GRC tools can read it; Markdown, HTML and PDF render the same object.
 */

export const REPORT_FORMAT = 'auditflow.evidence-report/1';

export const FRAMEWORKS = ['soc2', 'iso27001', 'fedramp', 'gdpr'] as const;
export type Framework = (typeof FRAMEWORKS)[number];

export const FORMATS = ['md', 'html', 'json', 'pdf'] as const;
export type ReportFormat = (typeof FORMATS)[number];

/** The report's sections, in the order they are rendered. */
export const SECTIONS = ['activity', 'completeness', 'integrity', 'retention', 'loss'] as const;
export type SectionId = (typeof SECTIONS)[number];

/**
 * How an auditor re-runs a number: an Elasticsearch request (method, path, body), or a CLI
 * command for what is read from the archive and the topics.
 */
export type EvidenceQuery =
  | {
      readonly id: string;
      readonly kind: 'elasticsearch';
      readonly method: 'POST';
      readonly path: string;
      readonly body: Record<string, unknown>;
      /** The same figure through the query API, where it has one. */
      readonly queryApi?: string;
    }
  | { readonly id: string; readonly kind: 'cli'; readonly command: string };

export interface Count {
  readonly key: string;
  readonly count: number;
}

/** One number of the report and the query that produced it (by id, see `queries`). */
export interface Figure {
  readonly id: string;
  readonly label: string;
  readonly value: number;
  readonly query: string;
  /** What the figure counts, in words an auditor can hold against the query. */
  readonly definition: string;
  readonly breakdown?: readonly Count[];
}

export interface ActivitySection {
  readonly total: number;
  readonly figures: readonly Figure[];
  readonly byCategory: readonly Count[];
  readonly byOutcome: readonly Count[];
  /** Events per interval (day, or hour for periods of two days or less), by outcome. */
  readonly overTime: {
    readonly interval: '1h' | '1d';
    readonly buckets: readonly {
      readonly start: string;
      readonly total: number;
      readonly byOutcome: Record<string, number>;
    }[];
    readonly query: string;
  };
  readonly byCategoryQuery: string;
  /** Events carrying each compliance tag of this framework (the catalog's tags, stamped by the enricher). */
  readonly tagged: readonly Figure[];
}

/** An event lacking one or more AU-3 fields. */
export interface IncompleteEvent {
  readonly id: string;
  readonly time: string;
  readonly action: string;
  readonly missing: readonly string[];
}

export interface CompletenessSection {
  readonly total: number;
  readonly complete: number;
  /** complete / total; 1 for an empty period. */
  readonly share: number;
  readonly fields: readonly {
    readonly field: string;
    readonly definition: string;
    readonly missing: number;
    readonly query: string;
  }[];
  readonly incompleteQuery: string;
  /** The events lacking a field, oldest first, at most `listCap`. */
  readonly incomplete: readonly IncompleteEvent[];
  readonly incompleteTotal: number;
  readonly listCap: number;
}

export interface IntegritySection {
  readonly ok: boolean;
  readonly digests: number;
  readonly objects: number;
  readonly events: number;
  readonly problems: readonly { readonly kind: string; readonly key: string }[];
  /** Rolls being written while verify read: no problem, listed so a later run can tell. */
  readonly inFlight: readonly string[];
  readonly command: string;
  readonly coverage: {
    /** Hours of the period with events in the index. */
    readonly hoursWithEvents: number;
    /** Of those, hours whose archived objects are all listed in a signed digest. */
    readonly hoursDigested: number;
    /** Hours with events and no digest covering them (ISO start of the hour). */
    readonly hoursWithoutDigest: readonly string[];
    readonly query: string;
  };
}

export interface RetentionSection {
  readonly defaultClass: string;
  readonly classes: readonly {
    readonly name: string;
    readonly days: number;
    readonly transitions: readonly { readonly afterDays: number; readonly storageClass: string }[];
    /** Events of the class in the index, and the oldest one's time (null when it holds none). */
    readonly indexed: number;
    readonly oldestIndexed: string | null;
    /** Objects and events of the class in the archive (now), and the oldest event held. */
    readonly archivedObjects: number;
    readonly archivedEvents: number;
    readonly oldestArchived: string | null;
    /** Objects under Object Lock retention in force, and under a legal hold. */
    readonly locked: number;
    readonly legalHoldObjects: number;
    /** How the bucket's lifecycle rule stands against the policy (`auditflow retention apply`). */
    readonly lifecycle: string;
  }[];
  readonly oldestQuery: string;
  readonly objectLock: { readonly enabled: boolean; readonly mode?: string; readonly days?: number };
  readonly holds: readonly {
    readonly id: string;
    readonly tenant: string;
    readonly from: string;
    readonly to: string;
    readonly reason: string;
  }[];
  /** Deletion records the sweeper signed within the period, and whether their signature holds. */
  readonly sweeps: readonly {
    readonly key: string;
    readonly at: string;
    readonly objects: number;
    readonly signature: string;
  }[];
  /** `auditflow retention report` for the period: where the archive's figures come from. */
  readonly command: string;
}

export interface LossSection {
  readonly ok: boolean;
  readonly counts: Record<string, number>;
  readonly deadLetterReasons: Record<string, number>;
  /** The gaps reconcile named, at most the report's list cap; `gapsTotal` counts them all. */
  readonly gaps: readonly { readonly stage: string; readonly detail: string; readonly id?: string }[];
  readonly gapsTotal: number;
  readonly inFlight: number;
  readonly command: string;
  /** Why reconcile could not run (a topic or the store unreadable): the section proves nothing then. */
  readonly error?: string;
}

export interface ControlEvidence {
  readonly id: string;
  readonly title: string;
  /** What the control asks, in a line. */
  readonly requirement: string;
  /** Which sections and figures evidence it, and how. */
  readonly evidence: readonly {
    readonly section: SectionId;
    readonly figures?: readonly string[];
    readonly how: string;
  }[];
}

export interface ReportSummary {
  readonly sections: readonly {
    readonly section: SectionId;
    readonly ok: boolean;
    readonly finding: string;
  }[];
  /** Per control: the sections evidencing it that found a problem (none: ok). */
  readonly controls: readonly {
    readonly id: string;
    readonly ok: boolean;
    readonly problems: readonly SectionId[];
  }[];
}

export interface EvidenceReport {
  readonly format: typeof REPORT_FORMAT;
  readonly id: string;
  readonly framework: Framework;
  readonly frameworkName: string;
  readonly generatedAt: string;
  readonly period: { readonly from: string; readonly to: string };
  readonly tenant: string | null;
  readonly index: string;
  readonly controls: readonly ControlEvidence[];
  readonly summary: ReportSummary;
  readonly activity: ActivitySection;
  readonly completeness: CompletenessSection;
  readonly integrity: IntegritySection;
  readonly retention: RetentionSection;
  readonly loss: LossSection;
  readonly queries: readonly EvidenceQuery[];
}
