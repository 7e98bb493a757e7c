import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toHtml } from '../../src/report/html.js';
import { executeSpec, loadSpecText } from '../../src/suite/execute.js';
import { demoSpecYaml } from '../../src/suite/demo-specs.js';
import { tinyFixtures } from '../support/fixtures.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const OUT = resolve(import.meta.dirname, '../../test-output');

describe('HTML report in headless Chromium', () => {
  it.skipIf(!CHROMIUM)('renders its plots with no console errors and no external requests', async () => {
    const fx = tinyFixtures('llama');
    const { suite, score } = await executeSpec(loadSpecText(demoSpecYaml(fx.base, fx.trained), 'demo.yaml', fx.root));
    // A long adapter id: the page must still fit a 1,280 px window.
    const html = toHtml({ ...suite, adapter_id: `/very/long/path/${'adapter-directory-name-'.repeat(12)}final` }, score);
    expect(html).not.toMatch(/(src|href)="https?:/);
    mkdirSync(OUT, { recursive: true });
    const file = join(OUT, 'report.html');
    writeFileSync(file, html);
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM!,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const problems: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(m.text());
      });
      page.on('pageerror', (e) => problems.push(String(e)));
      page.on('request', (r) => {
        if (!r.url().startsWith('file:')) requests.push(r.url());
      });
      await page.goto(`file://${file}`);
      expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(1280);
      const labels = await page.locator('svg text').allTextContents();
      expect(labels.filter((t) => /\d\.\d{6,}/.test(t))).toEqual([]);
      expect(labels).toContain('taught_prompts @ 0.5x');
      expect(await page.locator('svg#sway-null-samples circle.null-sample').count()).toBe(18);
      for (const id of ['sway-gauge', 'sway-category', 'sway-ablation', 'sway-rank-profile', 'sway-z', 'sway-null-samples']) {
        const box = await page.locator(`svg#${id}`).boundingBox();
        expect(box, id).not.toBeNull();
        expect(box!.width, id).toBeGreaterThan(100);
      }
      expect(await page.locator('svg#sway-ablation circle').count()).toBe(6);
      expect(await page.locator('#panel-probes tbody tr').count()).toBe(suite.probes.length);
      await page.screenshot({ path: join(OUT, 'report.png'), fullPage: true });
      expect(problems).toEqual([]);
      expect(requests).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
