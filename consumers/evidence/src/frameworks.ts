import type { ControlEvidence, Framework } from './model.ts';

/**
 * Which section of the report evidences which control. The sections are the same for every
 * framework (the log is one log); what differs is the control each number answers. Figure ids
 * are those of figures.ts.
 */
export interface FrameworkDefinition {
  readonly name: string;
  /** The prefix of the catalog's compliance tags for this framework (`SOC2:CC6.1`). */
  readonly tagPrefix: string;
  readonly controls: readonly ControlEvidence[];
}

const integrity = {
  section: 'integrity',
  how: 'verify over the period: every archived object hashed, listed in a signed (Ed25519), chained digest; hours with events and no digest',
} as const;
const loss = {
  section: 'loss',
  how: 'reconcile over the period: every emitted event in the clean topic, the index and the archive, or dead-lettered with its reason',
} as const;
const retention = {
  section: 'retention',
  how: 'the retention classes in force, the oldest event held per class, legal holds and signed sweeper deletions',
} as const;
const completeness = {
  section: 'completeness',
  how: 'share of events recording who, what, when, where, source and outcome, and the events lacking one',
} as const;

export const FRAMEWORK_DEFINITIONS: Readonly<Record<Framework, FrameworkDefinition>> = {
  soc2: {
    name: 'SOC 2 (Trust Services Criteria 2017, rev. 2022)',
    tagPrefix: 'SOC2:',
    controls: [
      {
        id: 'CC6.1',
        title: 'Logical access security',
        requirement: 'Logical access to information assets is restricted and access is recorded.',
        evidence: [
          {
            section: 'activity',
            figures: ['events', 'privileged', 'denials', 'failed_authentications', 'log_reads'],
            how: 'access recorded in the period: privileged actions, denied requests, failed authentications, and reads and exports of the log itself',
          },
          completeness,
        ],
      },
      {
        id: 'CC6.2',
        title: 'User registration and authorization',
        requirement: 'Credentials and access rights are issued, changed and removed under authorization.',
        evidence: [
          {
            section: 'activity',
            figures: ['configuration_changes', 'privileged'],
            how: 'configuration and permission changes (with their before and after values) and privileged actions, each with who authorized it',
          },
        ],
      },
      {
        id: 'CC7.2',
        title: 'Monitoring of system components',
        requirement: 'Anomalies and security events are detected through monitoring of the components.',
        evidence: [
          {
            section: 'activity',
            figures: ['denials', 'failed_authentications'],
            how: 'the security events monitoring acts on',
          },
          loss,
          integrity,
          retention,
        ],
      },
    ],
  },
  iso27001: {
    name: 'ISO/IEC 27001:2022 Annex A (A.12.4 in the 2013 numbering)',
    tagPrefix: 'ISO27001:',
    controls: [
      {
        id: 'A.8.15',
        title: 'Logging (2013: A.12.4.1, A.12.4.2, A.12.4.3)',
        requirement:
          'Logs recording activities, exceptions, faults and other relevant events are produced, stored, protected and analysed.',
        evidence: [
          {
            section: 'activity',
            figures: ['events', 'privileged', 'log_reads'],
            how: 'events logged by category, administrator (privileged) activity, and who read or exported the log',
          },
          completeness,
          integrity,
          retention,
        ],
      },
      {
        id: 'A.8.16',
        title: 'Monitoring activities',
        requirement: 'Networks, systems and applications are monitored for anomalous behaviour.',
        evidence: [
          {
            section: 'activity',
            figures: ['denials', 'failed_authentications', 'configuration_changes'],
            how: 'the anomalies monitoring looks for: denials, failed authentications, configuration changes',
          },
          loss,
        ],
      },
    ],
  },
  fedramp: {
    name: 'FedRAMP / NIST SP 800-53 Rev. 5 (AU family)',
    tagPrefix: 'FedRAMP:',
    controls: [
      {
        id: 'AU-2',
        title: 'Event logging',
        requirement: 'The event types selected for logging are logged.',
        evidence: [
          {
            section: 'activity',
            figures: ['events', 'privileged', 'failed_authentications', 'configuration_changes'],
            how: 'events logged by category and the event types AU-2 names (logons, privileged functions, configuration changes)',
          },
        ],
      },
      {
        id: 'AU-3',
        title: 'Content of audit records',
        requirement:
          'Each record says what happened, when, where, its source, its outcome and who was involved.',
        evidence: [completeness],
      },
      {
        id: 'AU-9',
        title: 'Protection of audit information',
        requirement: 'Audit information is protected from unauthorized access, modification and deletion.',
        evidence: [
          integrity,
          {
            section: 'activity',
            figures: ['log_reads'],
            how: 'every read and export of the log is itself audited',
          },
        ],
      },
      {
        id: 'AU-11',
        title: 'Audit record retention',
        requirement: 'Audit records are retained for the period the organization defines.',
        evidence: [retention],
      },
      {
        id: 'AU-12',
        title: 'Audit record generation',
        requirement: 'The system generates the audit records AU-2 selects.',
        evidence: [
          loss,
          { section: 'activity', figures: ['events'], how: 'records generated in the period' },
        ],
      },
    ],
  },
  gdpr: {
    name: 'GDPR (Regulation (EU) 2016/679), as it touches logging',
    tagPrefix: 'GDPR:',
    controls: [
      {
        id: 'Art. 30',
        title: 'Records of processing activities',
        requirement: 'Processing of personal data is recorded: what, by whom, when.',
        evidence: [
          {
            section: 'activity',
            figures: ['events', 'personal_data_access', 'log_reads'],
            how: 'access to personal data (actions the catalog tags GDPR:Art30) and reads and exports of the log, which holds personal data',
          },
          completeness,
        ],
      },
      {
        id: 'Art. 32',
        title: 'Security of processing',
        requirement: 'Integrity, confidentiality and resilience of processing, and a process to test them.',
        evidence: [
          {
            section: 'activity',
            figures: ['denials', 'failed_authentications'],
            how: 'refused and failed access',
          },
          integrity,
          loss,
          retention,
        ],
      },
    ],
  },
};
