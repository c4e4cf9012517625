// The page in a real browser: Debian's Chromium, headless, driven by playwright-core (no browser
// download), against web/dist served on 127.0.0.1 by a tiny static server. Every request the page
// makes is checked to stay on that origin, and any console error fails the run.
//
// Screenshots go to target/web-screenshots/; with UPDATE_SCREENSHOTS=1, to web/screenshots/ (the
// committed ones the README shows).

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';
import { DIST, ROOT } from './helpers.mjs';
import { serve } from './server.mjs';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--no-first-run', '--disable-quic', '--disable-sync',
];
const SHOTS = process.env.UPDATE_SCREENSHOTS
  ? path.join(ROOT, 'web/screenshots')
  : path.join(ROOT, 'target/web-screenshots');
const VIEWPORT = { width: 1440, height: 900 }; // a laptop screen

// A NetworkPolicy a user might paste: it isolates every pod in Trident's namespace, so the
// controller's flows are blocked. Line 5 (`name: lockdown`) is where the findings point.
const PASTED = `# Lock the namespace down (pasted).
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: lockdown
  namespace: trident
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
`;

let server;
let context;
let userDataDir;
const foreign = [];
const problems = [];

function watch(page) {
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    if (!foreign.includes(r.url())) problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
  });
}

async function newPage() {
  const page = await context.newPage();
  watch(page);
  return page;
}

/** Waits until the page has linted what it shows (the status carries the lint time). */
async function linted(page) {
  await page.waitForSelector('#status[data-ms]');
  await page.waitForFunction(() => !document.querySelector('#status').textContent.includes('Loading'));
}

/** What a user reads off the results: findings (rule, place, message) and flow verdicts. */
function results(page) {
  return page.evaluate(() => ({
    verdict: document.querySelector('#verdict')?.textContent,
    findings: [...document.querySelectorAll('#findings .finding')].map((li) =>
      `${li.dataset.rule} ${li.dataset.file}:${li.dataset.line} ${li.querySelector('.full').textContent}`),
    flows: [...document.querySelectorAll('#flows tr.main')].map((tr) => `${tr.dataset.flow} ${tr.dataset.status}`),
  }));
}

async function shot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
}

before(async () => {
  assert.ok(existsSync(path.join(DIST, 'index.html')), 'web/dist is missing: run `cargo xtask web`');
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`);
  server = await serve();
  const origin = new URL(server.url).origin;
  userDataDir = mkdtempSync(path.join(tmpdir(), 'portmatrix-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: VIEWPORT,
    colorScheme: 'light',
  });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
  // Record, and stop, anything that would leave the origin.
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (new URL(url).origin === origin) return route.continue();
    foreign.push(url);
    return route.abort();
  });
  for (const p of context.pages()) await p.close();
});

after(async () => {
  await context?.close();
  await server?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

test('the page loads an example and lints it, under a CSP that allows only its origin', async () => {
  const page = await newPage();
  await page.goto(server.url);
  await linted(page);
  const csp = await page.getAttribute('meta[http-equiv="Content-Security-Policy"]', 'content');
  for (const directive of ["default-src 'self'", "script-src 'self' 'wasm-unsafe-eval'", "connect-src 'self'"]) {
    assert.ok(csp.includes(directive), `CSP lacks ${directive}: ${csp}`);
  }
  assert.ok((await page.locator('#example-list button').count()) >= 20);
  assert.match(await page.textContent('#status'), /^Linted 1 file in [\d.]+ ms$/);
  assert.match(await page.textContent('#verdict'), /blocked of the \d+ flows trident needs/);
  assert.ok((await page.locator('#flows tr.main.blocked').count()) > 0);
  await shot(page, 'example');
  await page.close();
});

let shared; // the URL and results of the pasted manifest, for the share-link test

test('pasting a manifest that blocks a flow shows the finding and highlights its line', async () => {
  const page = await newPage();
  await page.goto(server.url);
  await linted(page);
  await page.click('#clear');
  await page.focus('#editor-input');
  await page.evaluate((text) => navigator.clipboard.writeText(text), PASTED);
  await page.keyboard.press('Control+V');
  assert.equal(await page.inputValue('#editor-input'), PASTED);
  // Linted as the user types (debounced), without pressing anything.
  const finding = page.locator('#findings .finding[data-rule="PM101"][data-line="5"]').first();
  await finding.waitFor();
  assert.match(await finding.locator('.full').textContent(), /is blocked: .*isolated by trident\/lockdown \(manifest\.yaml:5\)/);
  assert.equal(await finding.getAttribute('data-file'), 'manifest.yaml');
  // The offending line is highlighted, underlined, marked in the gutter, and carries the message.
  const line = page.locator('#highlight .line.error[data-line="5"]');
  assert.equal(await line.count(), 1);
  assert.equal(await line.locator('.span.error').textContent(), 'lockdown');
  assert.match(await line.locator('.lens').textContent(), /^PM101 ×\d+: flow trident\//);
  assert.equal(await page.locator('#gutter .mark.error').count(), 1);
  assert.equal(await page.locator('#highlight .line.error').count(), 1);
  // The flow table: the backchannel is blocked, decided by the pasted policy's line.
  const row = page.locator('#flows tr.main[data-flow="trident/node-to-controller-backchannel"]');
  assert.equal(await row.getAttribute('data-status'), 'blocked');
  assert.match(await row.textContent(), /trident\/lockdown.*line 5 · ingress · isolates/);
  // Opening a finding shows its help and the rule's documentation.
  await finding.locator('details.item > summary').click();
  assert.match(await finding.locator('.help').textContent(), /^help: add an? (ingress|egress) rule/);
  await finding.locator('details.doc > summary').click();
  assert.match(await finding.locator('details.doc').textContent(), /About PM101: .+/);
  await page.waitForFunction(() => location.hash.startsWith('#v1:'));
  await shot(page, 'pasted-finding');
  shared = { url: page.url(), results: await results(page) };
  await page.close();
});

test('a share link reproduces the result', async () => {
  assert.ok(shared, 'needs the paste test');
  const page = await newPage();
  await page.goto(shared.url);
  await linted(page);
  assert.equal(await page.inputValue('#editor-input'), PASTED);
  assert.deepEqual(await results(page), shared.results);
  assert.ok(shared.results.findings.length > 0);
  // A damaged link says so instead of failing silently.
  await page.goto(`${server.url}#v1:AAAA`);
  await page.reload();
  await linted(page);
  assert.match(await page.textContent('#usage-error'), /damaged/);
  await page.close();
});

test('an example loads with one click', async () => {
  const page = await newPage();
  await page.goto(server.url);
  await linted(page);
  const name = 'trident-backchannel-missing';
  await page.click(`[data-example="${name}"]`);
  await page.waitForFunction((n) => document.querySelector('#example-note')?.textContent.includes(n), name);
  const text = readFileSync(path.join(ROOT, `fixtures/trident/${name}.yaml`), 'utf8');
  assert.equal(await page.inputValue('#editor-input'), text);
  assert.equal(await page.getAttribute(`[data-example="${name}"]`, 'aria-current'), 'true');
  assert.ok((await page.locator('#findings .finding').count()) > 0);
  await page.close();
});

test('keyboard alone: load an example, open a finding, go to its line', async () => {
  const page = await newPage();
  await page.goto(server.url);
  await linted(page);
  await page.focus('[data-example="trident-egress-open-to-world"]');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('#example-note')?.textContent.includes('trident-egress-open-to-world'));
  const summary = page.locator('#findings .finding details.item > summary').first();
  await summary.focus();
  await page.keyboard.press('Enter');
  const li = page.locator('#findings .finding').first();
  assert.equal(await li.locator('details.item').getAttribute('open'), '');
  const line = await li.getAttribute('data-line');
  // Opening it marks its line in the editor (on the details' toggle event, a task later).
  await page.locator(`#highlight .line.focus[data-line="${line}"]`).waitFor();
  // Tab reaches the "Go to" button; Enter puts the caret on the finding's line in the editor.
  await page.keyboard.press('Tab');
  assert.match(await page.evaluate(() => document.activeElement.textContent), /^Go to /);
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'editor-input');
  const caretLine = await page.evaluate(() => {
    const t = document.activeElement;
    return t.value.slice(0, t.selectionStart).split('\n').length;
  });
  assert.equal(String(caretLine), line);
  // Esc then Tab leaves the editor (Tab alone indents).
  await page.keyboard.press('Escape');
  await page.keyboard.press('Tab');
  assert.notEqual(await page.evaluate(() => document.activeElement.id), 'editor-input');
  await page.close();
});

test('files come in by picker and by drop; a profile file becomes the profile', async () => {
  const page = await newPage();
  await page.goto(server.url);
  await linted(page);
  await page.setInputFiles('#file-picker', [
    { name: 'deny.yaml', mimeType: 'application/yaml', buffer: Buffer.from(PASTED) },
    { name: '.portmatrix.yaml', mimeType: 'application/yaml', buffer: Buffer.from('drivers:\n  trident:\n    protocols: [nfsv4]\n') },
  ]);
  await page.waitForFunction(() => [...document.querySelectorAll('#file-tabs .tab')].some((t) => t.textContent.startsWith('deny.yaml')));
  await page.evaluate(() => {
    const dt = new DataTransfer();
    dt.items.add(new File(['apiVersion: v1\nkind: Namespace\nmetadata:\n  name: trident\n'], 'namespace.yaml'));
    window.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  });
  await page.waitForFunction(() => [...document.querySelectorAll('#file-tabs .tab')].some((t) => t.textContent.startsWith('namespace.yaml')));
  assert.match(await page.textContent('#status'), /^Linted 2 files in/);
  assert.deepEqual(
    await page.locator('#file-tabs .tab').evaluateAll((tabs) => tabs.map((t) => t.querySelector('.name').textContent)),
    ['deny.yaml', 'namespace.yaml', '⚙ profile'],
  );
  // The profile asked for NFSv4: its flows are checked, and blocked by the deny-all.
  assert.ok((await page.locator('#flows tr.main[data-flow*="nfs"]').count()) > 0);
  assert.equal(await page.getAttribute('#protocols button:text-is("nfsv4")', 'aria-pressed'), 'true');
  await page.close();
});

test('protocol toggles write the profile; the driver picker selects the matrix', async () => {
  const page = await newPage();
  await page.goto(server.url);
  await linted(page);
  const before = await page.locator('#flows tr.main').count();
  await page.click('#protocols button:text-is("iscsi")');
  await page.waitForFunction((n) => document.querySelectorAll('#flows tr.main').length !== n, before);
  await page.click('#file-tabs .tab:has-text("profile")');
  assert.match(await page.inputValue('#editor-input'), /^drivers:\n {2}trident:\n {4}protocols: \[iscsi\]/);
  assert.ok((await page.locator('#flows tr.main[data-flow*="iscsi"]').count()) > 0);
  // Choosing Huawei CSI instead lints the same files against its matrix.
  await page.click('#driver-picker button:text-is("NetApp Trident")');
  await page.click('#driver-picker button:text-is("Huawei CSI")');
  await page.waitForFunction(() => document.querySelector('#verdict')?.textContent.includes('huawei-csi'));
  await page.close();
});

// A policy whose YAML breaks mid-edit (an unclosed flow mapping): the file cannot be read, so
// nothing can be said about the flows, whatever the rest of the report shows.
const HALF_TYPED = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: half-typed
  namespace: trident
spec:
  podSelector: {
  policyTypes: [Ingress]
`;

/** Pastes `text` over the editor's content (as a user does with Ctrl+A, Ctrl+V). */
async function paste(page, text) {
  await page.focus('#editor-input');
  await page.keyboard.press('Control+A');
  await page.evaluate((t) => navigator.clipboard.writeText(t), text);
  await page.keyboard.press('Control+V');
  assert.equal(await page.inputValue('#editor-input'), text);
}

test('an input error makes the headline say the result is unknown, with the located error first', async () => {
  for (const scheme of ['light', 'dark']) {
    const page = await newPage();
    await page.emulateMedia({ colorScheme: scheme });
    await page.goto(server.url);
    await linted(page);
    await page.click('#clear');
    await paste(page, HALF_TYPED);
    await page.locator('#findings .finding[data-rule="PM000"]').waitFor();
    const summary = await page.textContent('#summary');
    assert.ok(!/[✓✔]/.test(summary), `no tick with an input error: ${summary}`);
    // The first thing said: the result is unknown, and why.
    assert.equal(await page.evaluate(() => document.querySelector('#summary').firstElementChild.id), 'verdict');
    assert.match(await page.textContent('#verdict'), /^!?Result unknown: 1 input error, so part of the input was not read\.$/);
    // Then where: the located error, before anything about the flows.
    const error = page.locator('#summary .input-errors li').first();
    assert.match(await error.textContent(), /^manifest\.yaml:8:3 invalid YAML: .+/);
    const at = (needle) => summary.indexOf(needle);
    assert.ok(at('manifest.yaml:8:3') >= 0 && at('manifest.yaml:8:3') < at('flows trident needs'), summary);
    assert.match(summary, /Fix it for a verdict\. In what was read, none of the 14 flows trident needs is blocked/);
    // The flow table says its statuses cover only what was read.
    assert.equal(await page.isVisible('#flows-unknown'), true);
    // The location is a link: it puts the caret on the error.
    await error.locator('button').click();
    assert.equal(await page.evaluate(() => document.activeElement.id), 'editor-input');
    assert.equal(await page.evaluate(() => {
      const t = document.activeElement;
      return t.value.slice(0, t.selectionStart).split('\n').length;
    }), 8);
    await shot(page, scheme === 'light' ? 'input-error' : 'input-error-dark');
    // Fixing the YAML gives a verdict again.
    await paste(page, HALF_TYPED.replace('podSelector: {', 'podSelector: {}'));
    await page.waitForFunction(() => !document.querySelector('#verdict').textContent.includes('unknown'));
    assert.match(await page.textContent('#verdict'), /^✗ \d+ blocked of the 14 flows trident needs\.$/);
    assert.equal(await page.isVisible('#flows-unknown'), false);
    await page.close();
  }
});

// A pasted policy with a line far wider than the editor (a runbook annotation).
const LONG_LINE = '    runbook.example.com/reason: "Isolate every pod of the trident namespace until the storage team has reviewed the egress to the ONTAP management LIFs; ticket STOR-4821"';
const WIDE = `${PASTED.replace('  namespace: trident\n', `  namespace: trident\n  annotations:\n${LONG_LINE}\n`)}`;

/** Where the editor's layers are, as the user sees them (viewport px). */
function geometry(page, line) {
  return page.evaluate((n) => {
    const ta = document.querySelector('#editor-input');
    const pre = document.querySelector('#highlight');
    const box = document.querySelector('#editor');
    const gutter = document.querySelector('#gutter');
    const first = pre.querySelector(`.line[data-line="${n}"]`);
    const range = document.createRange();
    range.setStart(first.firstChild.nodeType === 3 ? first.firstChild : first.firstChild.firstChild, 0);
    range.collapse(true);
    const cs = getComputedStyle(ta);
    const taRect = ta.getBoundingClientRect();
    const text = ta.value;
    const at = ta.selectionStart;
    const caretLine = text.slice(0, at).split('\n').length;
    const caretCol = at - (text.lastIndexOf('\n', at - 1) + 1);
    return {
      ta: { left: ta.scrollLeft, top: ta.scrollTop },
      pre: { left: pre.scrollLeft, top: pre.scrollTop },
      // Where line n starts in the textarea: its content box, one line height per line.
      taLine: {
        top: taRect.top + parseFloat(cs.paddingTop) + (n - 1) * parseFloat(cs.lineHeight) - ta.scrollTop,
        left: taRect.left + parseFloat(cs.paddingLeft) - ta.scrollLeft,
      },
      preLine: { top: first.getBoundingClientRect().top, left: range.getBoundingClientRect().left },
      fonts: [cs.font, getComputedStyle(pre).font, cs.tabSize, getComputedStyle(pre).tabSize],
      codeLeft: gutter.getBoundingClientRect().right,
      codeRight: box.getBoundingClientRect().left + box.clientLeft + box.clientWidth,
      caret: { line: caretLine, col: caretCol },
    };
  }, line);
}

/** The x of the caret in the highlight layer, measured on the character it stands before. */
function caretX(page) {
  return page.evaluate(() => {
    const ta = document.querySelector('#editor-input');
    const text = ta.value;
    const at = ta.selectionStart;
    const line = text.slice(0, at).split('\n').length;
    const col = at - (text.lastIndexOf('\n', at - 1) + 1);
    const el = document.querySelector(`#highlight .line[data-line="${line}"]`);
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    let left = col;
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (left <= node.length) {
        const r = document.createRange();
        r.setStart(node, left);
        r.collapse(true);
        return r.getBoundingClientRect().left;
      }
      left -= node.length;
    }
    return null;
  });
}

test('after pasting a long-line document the editor layers stay aligned and nothing hides', async () => {
  const page = await newPage();
  await page.goto(server.url);
  await linted(page);
  await page.click('#clear');
  // First a document that ends on its long line: the editor scrolls sideways to the caret ...
  await paste(page, WIDE.trimEnd().split('\n').filter((l) => l !== LONG_LINE).concat(LONG_LINE).join('\n'));
  await linted(page);
  let g = await geometry(page, 1);
  let x = await caretX(page);
  assert.ok(x > g.codeLeft && x <= g.codeRight + 1, `caret at ${x} shows between ${g.codeLeft} and ${g.codeRight}`);
  // ... then, over it, one that ends with a newline: the caret is at the start of a line, so the
  // start of every line shows again (not under the gutter).
  await paste(page, WIDE);
  await page.locator('#findings .finding[data-rule="PM101"][data-line="5"]').first().waitFor();
  await page.waitForTimeout(50); // the caret reveal runs on the next frame
  g = await geometry(page, 5);
  assert.deepEqual(g.ta, g.pre, 'the textarea scrolls with the highlight layer');
  assert.deepEqual(g.ta, { left: 0, top: 0 });
  assert.equal(g.fonts[0], g.fonts[1]);
  assert.equal(g.fonts[2], g.fonts[3]);
  assert.ok(Math.abs(g.taLine.top - g.preLine.top) < 0.5, `line 5: textarea ${g.taLine.top}, highlight ${g.preLine.top}`);
  assert.ok(Math.abs(g.taLine.left - g.preLine.left) < 0.5, `line 5: textarea ${g.taLine.left}, highlight ${g.preLine.left}`);
  assert.ok(g.preLine.left >= g.codeLeft, `line starts at ${g.preLine.left}, under the gutter (ends at ${g.codeLeft})`);
  // Clicking a character of the highlight puts the caret before that very character.
  const lockdown = await page.evaluate(() => {
    const span = document.querySelector('#highlight .line[data-line="5"] .span.error');
    const r = document.createRange();
    r.setStart(span.firstChild, 0);
    r.setEnd(span.firstChild, 1);
    const b = r.getBoundingClientRect();
    return { x: b.left + 1, y: b.top + b.height / 2 };
  });
  await page.mouse.click(lockdown.x, lockdown.y);
  assert.equal(await page.evaluate(() => document.activeElement.selectionStart), WIDE.indexOf('lockdown'));
  // The long line: End shows its end, Home its start again.
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('End');
  await page.waitForTimeout(50);
  g = await geometry(page, 8);
  assert.deepEqual(g.caret, { line: 8, col: LONG_LINE.length });
  x = await caretX(page);
  assert.ok(x > g.codeLeft && x <= g.codeRight + 1, `caret at ${x} shows between ${g.codeLeft} and ${g.codeRight}`);
  assert.deepEqual(g.ta, g.pre);
  assert.ok(Math.abs(g.taLine.left - g.preLine.left) < 0.5, `scrolled: textarea ${g.taLine.left}, highlight ${g.preLine.left}`);
  await page.keyboard.press('Home');
  await page.waitForTimeout(50);
  g = await geometry(page, 8);
  assert.ok(g.preLine.left >= g.codeLeft, `after Home the line starts at ${g.preLine.left}, under the gutter (ends at ${g.codeLeft})`);
  // The inline message ends inside the editor, cut with its whole text as the title, ...
  const messages = await page.locator('#findings .finding[data-line="5"] .full').allTextContents();
  assert.ok(messages.length > 1);
  const lens = page.locator('#highlight .line[data-line="5"] .lens');
  const fit = await lens.evaluate((el) => ({ cut: el.scrollWidth > el.clientWidth, right: el.getBoundingClientRect().right, title: el.title }));
  assert.ok(fit.right <= g.codeRight + 0.5, `lens ends at ${fit.right}, past the editor's edge ${g.codeRight}`);
  assert.ok(!fit.cut || fit.title, 'a cut lens has a title');
  for (const m of messages) assert.ok(fit.title.includes(m), `lens title lacks: ${m}`);
  // ... which shows on hover, though the textarea lies over the lens.
  const box = await lens.boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  assert.equal(await page.getAttribute('#editor-input', 'title'), fit.title);
  await page.mouse.move(box.x + box.width / 2, box.y + 5 * box.height);
  assert.equal(await page.getAttribute('#editor-input', 'title'), null);
  await shot(page, 'long-line-paste');
  await page.close();
});

test('finding messages can be read whole: on hover, and on one click or Enter', async () => {
  const page = await newPage();
  await page.goto(server.url);
  await linted(page);
  await page.click('#clear');
  await paste(page, WIDE);
  await page.locator('#findings .finding[data-rule="PM101"]').first().waitFor();
  const rows = await page.locator('#findings .finding').evaluateAll((lis) => lis.map((li) => {
    const msg = li.querySelector('.msg');
    return { cut: msg.scrollWidth > msg.clientWidth, title: msg.title, full: li.querySelector('.full').textContent };
  }));
  assert.ok(rows.some((r) => r.cut), 'the test needs a message too long for its row');
  for (const r of rows) assert.ok(!r.cut || r.title === r.full, `a cut message has its whole text as title: ${r.full}`);
  // Keyboard: Tab to a row (it shows the focus), Enter opens it on the whole message, wrapped.
  await page.locator('#findings .finding details.item > summary').first().focus();
  await page.keyboard.press('Tab');
  const second = page.locator('#findings .finding').nth(1);
  assert.equal(await second.locator('details.item > summary').evaluate((el) => el === document.activeElement && el.matches(':focus-visible')), true);
  await page.keyboard.press('Enter');
  assert.equal(await second.locator('details.item').getAttribute('open'), '');
  const full = second.locator('.full');
  assert.equal(await full.isVisible(), true);
  assert.equal(await full.textContent(), rows[1].full);
  assert.equal(await full.evaluate((el) => el.scrollWidth <= el.clientWidth), true);
  await shot(page, 'finding-open');
  // One click opens another the same way.
  const third = page.locator('#findings .finding').nth(2);
  await third.locator('details.item > summary').click();
  assert.equal(await third.locator('.full').isVisible(), true);
  assert.equal(await third.locator('.full').textContent(), rows[2].full);
  await page.close();
});

test('dark mode and a narrower laptop screen', async () => {
  const page = await newPage();
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.goto(server.url);
  await linted(page);
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(bg, 'rgb(18, 21, 27)');
  await page.click('[data-example="trident-partial-storage-and-dns"]');
  await page.waitForFunction(() => document.querySelector('#example-note')?.textContent.includes('partial-storage'));
  await shot(page, 'dark');
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.emulateMedia({ colorScheme: 'light' });
  // The narrower editor cuts its inline messages again, so they still end inside it.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const lenses = await page.evaluate(() => {
    const box = document.querySelector('#editor');
    const right = box.getBoundingClientRect().left + box.clientLeft + box.clientWidth;
    return [...document.querySelectorAll('#highlight .lens')].map((l) => ({ right, end: l.getBoundingClientRect().right, title: l.title }));
  });
  assert.ok(lenses.length > 0);
  for (const l of lenses) assert.ok(l.end <= l.right + 0.5, `lens ends at ${l.end}, past the editor's edge ${l.right}: ${l.title}`);
  await shot(page, 'laptop-1280');
  await page.close();
});

test('no request left the origin and the page logged no error', () => {
  assert.deepEqual(foreign, []);
  assert.deepEqual(problems, []);
  const paths = new Set(server.requests.map((u) => new URL(u, server.url).pathname));
  for (const p of paths) assert.ok(existsSync(path.join(DIST, p === '/' ? 'index.html' : p)), `requested ${p}, not in web/dist`);
  assert.ok(paths.has('/portmatrix_bg.wasm'));
});
