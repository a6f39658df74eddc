import type { INestApplication } from '@nestjs/common';
import { mkdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { RunDetail } from '../../apps/control-plane/runs/runs.service';
import type { Role } from '../../workflows/contracts';
import { startControlPlane } from '../support/control-plane';
import { ONLINE_SHOPPERS, sharedDataset } from '../support/datasets';
import { type TestEnvironment, createTestEnvironment } from '../support/environment';
import { waitFor } from '../support/wait';
import { ARTIFACTS, assertWebClientBuilt, launchChromium } from './browser';

/**
 * What the browser tests run against: the real control plane listening on an ephemeral port (tokens from a temp
 * tokens file), this file's buckets and task queues on the real servers, and headless Chromium.
 */
export class BrowserHarness {
  env!: TestEnvironment;
  base = '';
  /** Uncaught errors of every page opened: a test ends by expecting none. */
  readonly pageErrors: string[] = [];
  private app?: INestApplication;
  private browser?: Browser;
  private tokens: Record<string, string> = {};

  async start(label: string, users: Record<string, Role>): Promise<void> {
    assertWebClientBuilt();
    this.env = await createTestEnvironment(label);
    ({
      app: this.app,
      tokens: this.tokens,
      url: this.base,
    } = await startControlPlane(this.env, users, { listen: true }));
    this.browser = await launchChromium();
    await mkdir(ARTIFACTS, { recursive: true });
  }

  async stop(): Promise<void> {
    await this.browser?.close();
    await this.app?.close();
    await this.env?.close();
  }

  /** Calls the JSON API as `who`; throws with the status and body unless 2xx. */
  async api<T>(who: string, route: string, send?: { body: string | Blob; type: string }): Promise<T> {
    const res = await fetch(`${this.base}${route}`, {
      method: send ? 'POST' : 'GET',
      headers: { Authorization: `Bearer ${this.tokens[who]}`, ...(send ? { 'Content-Type': send.type } : {}) },
      body: send?.body,
    });
    if (!res.ok) throw new Error(`${send ? 'POST' : 'GET'} ${route}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  /** Uploads the Online Shoppers CSV as `who`; returns its `s3://` URI. */
  async uploadShoppers(who: string): Promise<string> {
    const csv = await readFile(sharedDataset(ONLINE_SHOPPERS));
    return (
      await this.api<{ uri: string }>(who, '/datasets?name=shoppers.csv', { body: new Blob([csv]), type: 'text/csv' })
    ).uri;
  }

  /**
   * Launches `pipelines/online-shoppers-intent.yaml` as `who` under `model` with `epochs`, and waits (a worker must
   * be running) until the run awaits approval.
   */
  async runUntilApproval(
    who: string,
    datasetUri: string,
    model: string,
    epochs: number,
    extraYaml = '',
  ): Promise<RunDetail> {
    let spec = await readFile(path.resolve(__dirname, '../../pipelines/online-shoppers-intent.yaml'), 'utf8');
    spec =
      spec.replace('name: shopper-intent', `name: ${model}`).replace('epochs: 40', `epochs: ${epochs}`) + extraYaml;
    const body = JSON.stringify({ spec, datasetUri });
    const { workflowId } = await this.api<{ workflowId: string }>(who, '/runs', { body, type: 'application/json' });
    return waitFor(
      () => this.api<RunDetail>(who, `/runs/${workflowId}`),
      (d) => d.progress?.status === 'awaiting-approval',
      180_000,
    );
  }

  /** A fresh browser context (its own session storage) signed in as `who` through the form on `route`, rendered. */
  async signedIn(who: string, route: string): Promise<Page> {
    const context = await this.browser!.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.on('pageerror', (err) => this.pageErrors.push(`${who} on ${route}: ${err.message}`));
    await page.goto(`${this.base}${route}`);
    await page.locator('#token').fill(this.tokens[who]);
    await page.locator('#login button[type=submit]').click();
    await page.locator('main[data-status]').waitFor();
    return page;
  }

  async screenshot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
  }
}

/** The page's route for a run. */
export const runRoute = (workflowId: string) => `/ui/runs/${encodeURIComponent(workflowId)}`;
