/**
 * Opens the HTML report in headless Debian Chromium (playwright-core, no browser
 * download): no console errors, no network requests, the SVG plots present; saves a
 * screenshot under test-output/. Skips with a printed reason when chromium is absent.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toHtml } from '../../src/report/html.js';
import { snapshotScore, snapshotSuite } from './fixture.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
if (!CHROMIUM) console.log('html-browser.test: skipped — no Debian chromium at /usr/bin/chromium (apt-get install -y chromium)');

function richSuite(): ReturnType<typeof snapshotSuite> {
  const suite = snapshotSuite();
  suite.probes[0] = { ...suite.probes[0]!, evidence: { ...suite.probes[0]!.evidence, z_by_rank: { 'rank_0.50': 7.1, 'rank_1.00': 5.12, 'rank_2.00': 3.4 } } };
  suite.probes[3] = {
    ...suite.probes[3]!,
    verdict: 'pass',
    score: 0.8,
    raw: 0.93,
    z_score: 2.2,
    message: 'linearity 0.93',
    evidence: { lambdas: [0, 0.25, 0.5, 0.75, 1, 1.25], mean_divergence_per_lambda: [0, 0.02, 0.07, 0.15, 0.26, 0.38], saturation_lambda: 1.0, weight: 1 },
  };
  suite.probes[1] = {
    ...suite.probes[1]!,
    evidence: { ...suite.probes[1]!.evidence, per_section: [{ section_id: 'a1', effective_sis: 0.08, passed: true }, { section_id: 'b2', effective_sis: 0.01, passed: false }] },
  };
  return suite;
}

describe.skipIf(!CHROMIUM)('HTML report in headless Chromium', () => {
  it('renders every plot with no console errors and no network', { timeout: 60_000 }, async () => {
    const { chromium } = await import('playwright-core');
    const html = toHtml(richSuite(), snapshotScore());
    expect(html).not.toMatch(/(src|href)=["']https?:/);
    const outDir = join(process.cwd(), 'test-output');
    mkdirSync(outDir, { recursive: true });
    const file = join(outDir, 'report.html');
    writeFileSync(file, html);
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const errors: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('request', (r) => {
        if (!r.url().startsWith('file:')) requests.push(r.url());
      });
      await page.goto(`file://${file}`);
      for (const id of ['sway-gauge', 'sway-category', 'sway-z', 'sway-ablation', 'sway-rank', 'sway-sis']) {
        expect(await page.locator(`svg#${id}`).count(), id).toBe(1);
      }
      expect(await page.locator('svg#sway-z rect.bar').count()).toBe(3);
      expect(await page.locator('svg#sway-ablation circle.marker').count()).toBe(6);
      expect(await page.locator('svg#sway-rank circle.marker').count()).toBe(3);
      const box = await page.locator('svg#sway-ablation').boundingBox();
      expect(box?.width ?? 0).toBeGreaterThan(300);
      expect(await page.locator('td.v-fail').count()).toBe(1);
      await page.screenshot({ path: join(outDir, 'report-html.png'), fullPage: true });
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
