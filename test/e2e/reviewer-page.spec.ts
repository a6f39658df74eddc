import type { RunProgress } from '../../workflows/contracts';
import type { RunDetail } from '../../apps/control-plane/runs/runs.service';
import { waitFor } from '../support/wait';
import { BrowserHarness, runRoute } from './harness';

const MODEL = 'ui-intent';
const SELF_APPROVAL = 'You submitted this run: another reviewer must approve it';

/**
 * The reviewer page in headless Chromium against the real control plane, Temporal, MinIO and an in-process worker
 * running the Online Shoppers pipeline. The second test builds on the first: its run finds the first run's version
 * as champion.
 */
describe('reviewer page', () => {
  const h = new BrowserHarness();
  let datasetUri: string;

  beforeAll(async () => {
    await h.start('ui', { alice: 'engineer', bob: 'reviewer' });
    datasetUri = await h.uploadShoppers('alice');
  });
  afterAll(() => h.stop());
  afterEach(() => expect(h.pageErrors).toEqual([]));

  it('shows the submitter why she cannot approve, shows the reviewer the run, and promotes on approval', async () => {
    await h.env.withWorker(async () => {
      const detail = await h.runUntilApproval('alice', datasetUri, MODEL, 3);
      const progress = detail.progress as RunProgress;
      const route = runRoute(detail.workflowId);

      const alice = await h.signedIn('alice', route);
      expect(await alice.locator('main').getAttribute('data-status')).toBe('awaiting-approval');
      expect(await alice.locator('#approve').isDisabled()).toBe(true);
      expect(await alice.locator('#approval-blocked').textContent()).toBe(SELF_APPROVAL);
      await h.screenshot(alice, 'reviewer-page-alice');

      const bob = await h.signedIn('bob', '/ui');
      await bob.locator(`a[href="${route}"]`).click();
      await bob.locator('main[data-status="awaiting-approval"]').waitFor();
      expect(await bob.locator('#submitter').textContent()).toContain('alice (engineer)');
      const epochs = (model: string) => progress.training?.epochs.filter((e) => e.model === model).length;
      expect(epochs('candidate')).toBeGreaterThan(0);
      const chart = bob.locator('svg[data-chart="training curves"]');
      expect(await chart.locator('circle[data-series="candidate val loss"]').count()).toBe(epochs('candidate'));
      expect(await chart.locator('circle[data-series="baseline loss"]').count()).toBe(epochs('baseline'));
      expect(await chart.locator('polyline').count()).toBe(4);
      expect(await bob.locator('td[data-metric="rocAuc"]').textContent()).toBe(progress.metrics?.rocAuc.toFixed(3));
      expect(await bob.locator('#gates tbody tr').count()).toBe(progress.gates?.length);
      expect(await bob.locator('#slices tbody tr').count()).toBe(progress.slices?.length);
      expect(await bob.locator('#champion').textContent()).toContain('No champion yet');
      expect(await bob.locator('#approve').isEnabled()).toBe(true);
      await h.screenshot(bob, 'reviewer-page-bob');

      await bob.locator('#approve').click();
      expect(await bob.locator('#approval-message').textContent()).toBe('A comment is required.');
      await bob.locator('#comment').fill('gates, slices and curves reviewed in the page');
      await bob.locator('#approve').click();
      await bob.locator('main[data-status="promoted"]').waitFor({ timeout: 120_000 });
      expect(await bob.locator('#decision').textContent()).toContain('Approved by bob');
      expect(await bob.locator('#promoted').textContent()).toContain(progress.version);
      await h.screenshot(bob, 'reviewer-page-promoted');

      const champion = await h.api<{ version: string | null }>('bob', `/models/${MODEL}/aliases/champion`);
      expect(champion.version).toBe(progress.version);
    });
  }, 400_000);

  it('puts the champion beside the next candidate, with curves, and records a rejection', async () => {
    const before = await h.api<{ version: string | null }>('bob', `/models/${MODEL}/aliases/champion`);
    await h.env.withWorker(async () => {
      const detail = await h.runUntilApproval('alice', datasetUri, MODEL, 4);
      const progress = detail.progress as RunProgress;
      expect(progress.champion?.version).toBe(before.version);

      const bob = await h.signedIn('bob', runRoute(detail.workflowId));
      const champion = bob.locator('#champion');
      expect(await champion.locator('h2').textContent()).toContain(before.version);
      const rocAuc = champion.locator('td[data-champion-metric="rocAuc"]');
      expect(await rocAuc.textContent()).toBe(progress.champion?.metrics?.rocAuc.toFixed(3));
      expect(await champion.locator('circle').count()).toBe(Object.keys(progress.champion?.delta ?? {}).length);
      const curves = bob.locator('#curves');
      for (const chart of ['ROC', 'precision-recall', 'calibration']) {
        expect(await curves.locator(`svg[data-chart="${chart}"] polyline`).count()).toBe(1);
      }
      await h.screenshot(bob, 'reviewer-page-champion');

      await bob.locator('#comment').fill('no gain over the champion');
      await bob.locator('#reject').click();
      await bob.locator('main[data-status="rejected"]').waitFor({ timeout: 60_000 });
      expect(await bob.locator('#decision').textContent()).toContain('Rejected by bob');
    });
    const after = await h.api<{ version: string | null }>('bob', `/models/${MODEL}/aliases/champion`);
    expect(after.version).toBe(before.version);
  }, 400_000);

  it('shows the live canary rollout of an approved version, with its share and checks', async () => {
    const canary = '\ndeployment:\n  canary:\n    steps: [0.1, 0.5]\n    minRequests: 100000\n    checkInterval: 1s\n';
    await h.env.withWorker(async () => {
      const detail = await h.runUntilApproval('alice', datasetUri, MODEL, 5, canary);
      const body = JSON.stringify({ decision: 'approve', comment: 'canary it' });
      await h.api('bob', `/runs/${detail.workflowId}/approval`, { body, type: 'application/json' });
      await waitFor(
        () => h.api<RunDetail>('bob', `/runs/${detail.workflowId}`),
        (d) => d.progress?.status === 'canary',
        60_000,
      );
      const bob = await h.signedIn('bob', runRoute(detail.workflowId));
      const card = bob.locator('#canary');
      await card.locator('#canary-share').getByText('10% of callers').waitFor({ timeout: 15_000 });
      expect(await card.locator('tbody tr').first().textContent()).toContain('in progress');
      await h.screenshot(bob, 'reviewer-page-canary');
      const reason = JSON.stringify({ reason: 'end of the browser test' });
      await h.api('alice', `/models/${MODEL}/deployment/rollback`, { body: reason, type: 'application/json' });
      await bob.locator('main[data-status="rolled-back"]').waitFor({ timeout: 30_000 });
      expect(await bob.locator('#canary-decision').textContent()).toContain('rolled-back by alice (engineer)');
    });
  }, 400_000);
});
