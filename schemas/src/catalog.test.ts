import { describe, expect, it } from 'vitest';
import { loadCatalog, lookupAction, SEVERITIES } from './catalog.ts';
import { ACTION_PATTERN } from './json-form.ts';

const catalog = loadCatalog();

describe('action catalog (E3)', () => {
  it('gives every action a valid name, category, severity and compliance tags', () => {
    for (const [action, entry] of Object.entries(catalog.actions)) {
      expect(action, action).toMatch(ACTION_PATTERN);
      expect(entry.category, action).toMatch(/^[a-z_]+$/);
      expect(SEVERITIES, action).toContain(entry.severity);
      expect(entry.compliance.length, action).toBeGreaterThan(0);
      for (const tag of entry.compliance) expect(tag, action).toMatch(/^(SOC2|ISO27001|FedRAMP|GDPR):\S+$/);
      expect(entry.description.length, action).toBeGreaterThan(2);
    }
  });

  it('covers every domain the SPEC lists', () => {
    const required = [
      'gitlab.api.get_mr_details',
      'gitlab.api.get_mr_diff',
      'gitlab.api.post_mr_note',
      'gitlab.api.post_commit_discussion',
      'gitlab.api.get_project',
      'gitlab.api.clone',
      'gitlab.api.push',
      'jira.api.get_issue',
      'jira.api.transition_issue',
      'jira.api.comment_issue',
      'jira.api.search_issues',
      'llm.review.requested',
      'llm.coding.requested',
      'llm.response.received',
      'auth.webhook.verify',
      'auth.webhook.hmac_valid',
      'auth.webhook.hmac_invalid',
      'chatops.command.received',
      'chatops.task.started',
      'chatops.patch.generated',
      'chatops.patch.validated',
      'chatops.push.executed',
      'chatops.approval.approved',
      'chatops.approval.rejected',
      'git.clone',
      'git.fetch',
      'git.commit',
      'git.push',
      'git.rebase',
      'merge_conflict.detected',
      'merge_conflict.resolved',
      'agent.flow.started',
      'agent.flow.plan_generated',
      'agent.flow.paused',
      'agent.flow.resumed',
      'agent.flow.completed',
      'agent.flow.failed',
      'agent.resource.created',
      'security.finding.dismissed',
      'security.finding.auto_dismissed',
      'security.analysis.started',
      'security.analysis.completed',
      'security.finding.deleted',
      'security.config.enabled',
      'security.config.disabled',
      'security.config.updated',
      'security.sync.triggered',
      'security.sync.completed',
      'audit.log.exported',
      'auth.login',
      'auth.logout',
      'auth.rate_limited',
      'security.prompt_injection.blocked',
      'access.file.blocked',
      'access.tool.blocked',
      'access.sensitive_api',
    ];
    expect(required.filter((a) => !catalog.actions[a])).toEqual([]);
  });

  it('accepts and flags an unknown action', () => {
    expect(lookupAction(catalog, 'acme.widget.frobbed')).toEqual({
      known: false,
      action: 'acme.widget.frobbed',
    });
    expect(lookupAction(catalog, 'git.push')).toMatchObject({
      known: true,
      category: 'git',
      severity: 'high',
    });
  });
});
