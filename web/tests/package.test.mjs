// The npm package (wasm/pkg) against the native CLI: every built-in example linted both ways
// gives the same report (flows, statuses, findings, summary), and usage errors agree.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ROOT, cliPath, loadPackage, run } from './helpers.mjs';

const pm = loadPackage();
const cli = cliPath();
const examples = pm.examples();

test('there is no .portmatrix.yaml at the repo root to skew the CLI', () => {
  assert.equal(existsSync(path.join(ROOT, '.portmatrix.yaml')), false);
});

test('the examples are the fixtures, with their profiles', () => {
  assert.ok(examples.length >= 20, `only ${examples.length} examples`);
  for (const e of examples) {
    assert.ok(existsSync(path.join(ROOT, e.file.name)), e.file.name);
    // Enforcement-layer fixtures: fixtures/layers/<format>/<stem>.<ext>, named <format>-<stem>,
    // with the driver and profile their expectation file names.
    const layer = e.file.name.match(/^fixtures\/layers\/([^/]+)\/(.+)\.(ya?ml|json|rules|xml)$/);
    if (layer) {
      assert.equal(e.name, `${layer[1]}-${layer[2]}`);
      assert.ok(['trident', 'huawei-csi'].includes(e.driver), e.driver);
      if (e.profile) assert.ok(existsSync(path.join(ROOT, e.profile.name)), e.profile.name);
      continue;
    }
    assert.match(e.file.name, new RegExp(`^fixtures/${e.driver}/${e.name}\\.ya?ml$`));
    if (e.profile) assert.equal(e.profile.name, e.file.name.replace(/\.ya?ml$/, '.portmatrix.yaml'));
  }
  const list = run(cli, ['lint', '--example', 'list']).stdout.trim().split('\n').sort();
  assert.deepEqual(examples.map((e) => e.name).sort(), list);
});

/** Lints through the package; a thrown UsageError becomes {usage: message}. */
function wasmLint(request) {
  try {
    return pm.lint(request);
  } catch (e) {
    if (e.name === 'UsageError') return { usage: e.message };
    throw e;
  }
}

/** Lints with the CLI; exit 2 with no report on stdout becomes {usage: message}. */
function cliLint(args) {
  const r = run(cli, ['lint', '--format', 'json', ...args]);
  if (r.status === 2 && !r.stdout.trim()) return { usage: r.stderr.replace(/^error: /, '').trim() };
  assert.ok([0, 1, 2].includes(r.status), `exit ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

for (const mode of ['driver', 'detected']) {
  describe(`every example, driver ${mode === 'driver' ? 'given' : 'detected'}: package == CLI --format json`, () => {
    for (const e of examples) {
      test(e.name, () => {
        const request = { files: [e.file] };
        const args = [];
        if (mode === 'driver') {
          request.drivers = [e.driver];
          args.push('--driver', e.driver);
        }
        if (e.profile) {
          request.profile = e.profile;
          args.push('--profile', e.profile.name);
        }
        const want = cliLint([...args, e.file.name]);
        const got = wasmLint(request);
        if (want.usage || got.usage) {
          assert.deepEqual(got, want);
          return;
        }
        // The parts the issue names first, for a readable failure; then everything.
        assert.deepEqual(got.flows.map((f) => [f.id, f.status]), want.flows.map((f) => [f.id, f.status]));
        assert.deepEqual(got.findings, want.findings);
        assert.deepEqual(got, want);
      });
    }
  });
}

test('several files and a profile given as text', () => {
  const a = examples.find((e) => e.name === 'trident-least-privilege');
  const b = examples.find((e) => e.name === 'trident-default-deny');
  const want = cliLint(['--profile', a.profile.name, a.file.name, b.file.name]);
  const got = pm.lint({ files: [a.file, b.file], profile: a.profile });
  assert.deepEqual(got, want);
  // Profile text only: findings in it are attributed to `.portmatrix.yaml`.
  const bad = pm.lint({ files: [b.file], profile: 'drivers:\n  trident:\n    protocols: [nfsv9]\n' });
  const f = bad.findings.find((x) => x.rule === 'PM000');
  assert.equal(f.file, '.portmatrix.yaml');
  assert.equal(f.line, 3);
});

test('bad input comes back as located findings, not exceptions', () => {
  const r = pm.lint({ files: [{ name: 'broken.yaml', text: 'kind: NetworkPolicy\nspec: [1, 2\n' }], drivers: ['trident'] });
  const f = r.findings.find((x) => x.rule === 'PM000');
  assert.ok(f, JSON.stringify(r.findings));
  assert.equal(f.file, 'broken.yaml');
  assert.ok(f.line >= 2);
  assert.ok(r.summary.input_errors >= 1);
});

test('misuse throws TypeError; usage errors throw UsageError', () => {
  assert.throws(() => pm.lint(), TypeError);
  assert.throws(() => pm.lint({ files: 'x.yaml' }), { name: 'TypeError', message: /files must be an array/ });
  assert.throws(() => pm.lint({ files: [{ name: 'a.yaml' }] }), { name: 'TypeError', message: /files\[0\]\.text is missing/ });
  assert.throws(() => pm.lint({ files: [], driver: ['trident'] }), { name: 'TypeError', message: /did you mean `drivers`/ });
  assert.throws(() => pm.lint({ files: [], drivers: ['tridnet'] }), { name: 'UsageError', message: /did you mean `trident`/ });
  assert.throws(() => pm.matrix('trident', 'xml'), { name: 'UsageError' });
  assert.throws(() => pm.matrix(42, 'json'), TypeError);
});

test('matrix, rules and version match the CLI', () => {
  for (const driver of pm.drivers().map((d) => d.name)) {
    for (const format of ['table', 'markdown', 'json', 'csv']) {
      assert.equal(pm.matrix(driver, format), run(cli, ['matrix', '--driver', driver, '--format', format]).stdout, `${driver} ${format}`);
    }
  }
  const ids = run(cli, ['rules']).stdout.trim().split('\n').slice(1).map((l) => l.split(/\s+/)[0]);
  assert.deepEqual(pm.rules().map((r) => r.id), ids);
  assert.ok(pm.rules().every((r) => r.title && r.description), 'every rule has a title and a description');
  assert.equal(`portmatrix ${pm.version()}`, run(cli, ['--version']).stdout.trim());
});

test('the package ships typings for the report', async () => {
  const { readFileSync } = await import('node:fs');
  const dts = readFileSync(path.join(ROOT, 'wasm/pkg/portmatrix.d.ts'), 'utf8');
  for (const name of ['interface LintRequest', 'interface Report', 'interface Finding', 'interface FlowReport', 'lint(request: LintRequest): Report', 'examples(): Example[]']) {
    assert.ok(dts.includes(name), `portmatrix.d.ts lacks ${name}`);
  }
});
