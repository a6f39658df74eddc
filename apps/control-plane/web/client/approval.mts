/** Approve / reject with a required comment; disabled, with the reason, for the submitter and non-reviewers. */
import type { RunDetail } from '../../runs/runs.service';
import type { Identity, RunProgress } from '../../../../workflows/contracts';
import { ApiError, api } from './api.mjs';
import { card, h, when } from './dom.mjs';

/** Why `me` may not decide on the run, or `undefined` if they may (mirrors the workflow's update validator). */
export function blockedReason(me: Identity, p: RunProgress): string | undefined {
  if (me.subject === p.submitter.subject) return 'You submitted this run: another reviewer must approve it';
  if (me.role !== 'reviewer') return `You are ${me.subject} (${me.role}): only a reviewer can approve or reject`;
  return undefined;
}

function decisionCard(p: RunProgress): HTMLElement {
  const a = p.approval;
  if (!a) return card('approval', 'Approval', h('p', { class: 'muted' }, `No decision (status ${p.status}).`));
  return card(
    'approval',
    'Approval',
    h(
      'p',
      { id: 'decision' },
      `${a.decision === 'approve' ? 'Approved' : 'Rejected'} by `,
      h('b', {}, a.reviewer.subject),
      ` on ${when(a.at)}: “${a.comment}”`,
    ),
    h('p', { class: 'muted mono' }, `manifest sha256 ${a.manifestSha256}`),
  );
}

/**
 * The decision form while the run awaits approval; `onDecided` runs after the workflow accepted the decision.
 * The server enforces the same rules; the page only explains them before anyone clicks.
 */
export function approvalCard(run: RunDetail, me: Identity, onDecided: () => Promise<void>): HTMLElement {
  const p = run.progress;
  if (!p) return card('approval', 'Approval', h('p', { class: 'muted' }, 'Run detail unavailable.'));
  if (p.status !== 'awaiting-approval') return decisionCard(p);
  const reason = blockedReason(me, p);
  const comment = h('textarea', {
    id: 'comment',
    required: true,
    placeholder: 'What you checked (required)',
    disabled: Boolean(reason),
  });
  const approve = h('button', { id: 'approve', type: 'button', disabled: Boolean(reason) }, 'Approve and promote');
  const reject = h('button', { id: 'reject', type: 'button', disabled: Boolean(reason) }, 'Reject');
  const message = h('p', { id: 'approval-message', role: 'status' });
  const decide = async (decision: 'approve' | 'reject') => {
    if (!comment.value.trim()) {
      message.className = 'error';
      message.textContent = 'A comment is required.';
      return;
    }
    approve.disabled = reject.disabled = true;
    message.className = 'muted';
    message.textContent = 'Sending the decision…';
    try {
      await api.decide(run.workflowId, decision, comment.value.trim());
      message.textContent = decision === 'approve' ? 'Approved: waiting for the promotion…' : 'Rejected.';
      await onDecided();
    } catch (err) {
      message.className = 'error';
      message.textContent = err instanceof ApiError ? `${err.status}: ${err.message}` : String(err);
      approve.disabled = reject.disabled = false;
    }
  };
  approve.addEventListener('click', () => void decide('approve'));
  reject.addEventListener('click', () => void decide('reject'));
  return card(
    'approval',
    'Approval',
    h(
      'p',
      {},
      `This run awaits a reviewer's decision. Submitted by ${p.submitter.subject}; you are ${me.subject} (${me.role}).`,
    ),
    h('div', { class: 'approval' }, comment, approve, reject),
    reason ? h('p', { id: 'approval-blocked', class: 'reason' }, reason) : null,
    message,
  );
}
