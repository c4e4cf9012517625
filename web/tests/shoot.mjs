// Dev helper: screenshots of the page at a given state, for design iteration.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { serve } from './server.mjs';

const { url, close } = await serve();
const ctx = await chromium.launchPersistentContext(mkdtempSync(path.join(tmpdir(), 'pm-chrome-')), {
  executablePath: '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-quic', '--disable-sync'],
  viewport: { width: Number(process.env.W || 1440), height: Number(process.env.H || 900) },
  colorScheme: process.env.DARK ? 'dark' : 'light',
});
const page = ctx.pages()[0] || await ctx.newPage();
page.on('console', (m) => console.log('console', m.type(), m.text()));
page.on('pageerror', (e) => console.log('pageerror', e.message));
await page.goto(url + (process.env.FRAG || ''));
await page.waitForSelector('#status[data-ms]');
if (process.env.EXAMPLE) { await page.click(`[data-example="${process.env.EXAMPLE}"]`); await page.waitForTimeout(300); }
await page.screenshot({ path: process.env.OUT || '/tmp/shot.png', fullPage: Boolean(process.env.FULL) });
await ctx.close();
await close();
