// The package's `bin` (portmatrix-wasm): the CLI's exit codes (0, 1, 2) and its JSON output.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { BIN, cliPath, loadPackage, run } from './helpers.mjs';

const pm = loadPackage();
const cli = cliPath();
const examples = pm.examples();
const bin = (args, opts) => run(process.execPath, [BIN, ...args], opts);

const tmp = mkdtempSync(path.join(tmpdir(), 'portmatrix-wasm-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('every example: bin exit code and JSON == CLI', () => {
  for (const e of examples) {
    test(e.name, () => {
      const args = ['lint', '--format', 'json', '--driver', e.driver];
      if (e.profile) args.push('--profile', e.profile.name);
      args.push(e.file.name);
      const want = run(cli, args);
      const got = bin(args);
      assert.equal(got.status, want.status, got.stderr);
      assert.equal(got.stdout, want.stdout);
    });
  }
});

test('exit 0 when no finding reaches --fail-on, 1 when one does', () => {
  const deny = examples.find((e) => e.name === 'trident-default-deny').file.name;
  assert.equal(bin(['lint', '--driver', 'trident', deny]).status, 1);
  assert.equal(bin(['lint', '--driver', 'trident', '--fail-on', 'never', deny]).status, 0);
  const empty = path.join(tmp, 'empty.yaml');
  writeFileSync(empty, '# nothing here\n');
  // No policy: nothing blocked; what remains are infos (ungoverned flows) at most.
  const r = bin(['lint', '--driver', 'trident', '--format', 'json', empty]);
  assert.equal(r.status, 0, r.stdout);
  assert.equal(JSON.parse(r.stdout).summary.errors, 0);
  assert.equal(bin(['lint', '--driver', 'trident', '--fail-on', 'info', empty]).status, run(cli, ['lint', '--driver', 'trident', '--fail-on', 'info', empty]).status);
});

test('exit 2 for input errors, with the other files still reported', () => {
  const broken = examples.find((e) => e.name.endsWith('yaml-syntax-error'));
  const r = bin(['lint', '--format', 'json', '--driver', broken.driver, broken.file.name]);
  assert.equal(r.status, 2);
  assert.ok(JSON.parse(r.stdout).findings.some((f) => f.rule === 'PM000'));
  const missing = path.join(tmp, 'no-such-file.yaml');
  const deny = examples.find((e) => e.name === 'trident-default-deny').file.name;
  const m = bin(['lint', '--format', 'json', '--driver', 'trident', deny, missing]);
  assert.equal(m.status, 2);
  const report = JSON.parse(m.stdout);
  assert.ok(report.findings.some((f) => f.rule === 'PM000' && f.file === missing), m.stdout);
  assert.ok(report.summary.blocked > 0, 'the readable file is still analysed');
  assert.equal(m.status, run(cli, ['lint', '--driver', 'trident', deny, missing]).status);
});

test('exit 2 for usage errors, like the CLI', () => {
  const deny = examples.find((e) => e.name === 'trident-default-deny').file.name;
  for (const args of [
    ['lint', '--driver', 'tridnet', deny],
    ['lint'],
    ['lint', '--format', 'yaml', deny],
    ['lint', '--no-such-option', deny],
    ['frobnicate'],
  ]) {
    const r = bin(args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^error: /, args.join(' '));
  }
  assert.match(bin(['lint', '--driver', 'tridnet', deny]).stderr, /did you mean `trident`/);
});

test('text output shows the finding, its line and a caret, then the flow table', () => {
  const deny = examples.find((e) => e.name === 'trident-default-deny');
  const r = bin(['lint', '--driver', 'trident', deny.file.name]);
  assert.match(r.stdout, /error\[PM\d+\]: flow trident\//);
  assert.match(r.stdout, new RegExp(`--> ${deny.file.name}:\\d+:\\d+`));
  assert.match(r.stdout, /\n\s*\| +\^+/);
  assert.match(r.stdout, /FLOW +FROM +TO +PORTS +STATUS +DECIDED BY/);
  assert.match(r.stdout, /\d+ flows: \d+ allowed, \d+ blocked/);
  assert.doesNotMatch(bin(['lint', '-q', '--driver', 'trident', deny.file.name]).stdout, /DECIDED BY/);
});

test('stdin, directories, matrix, rules and --version', () => {
  const deny = examples.find((e) => e.name === 'trident-default-deny');
  const stdin = bin(['lint', '--format', 'json', '--driver', 'trident', '-'], { input: deny.file.text });
  assert.equal(stdin.status, 1);
  assert.equal(JSON.parse(stdin.stdout).findings[0].file, '<stdin>');
  const dir = bin(['lint', '--format', 'json', '--driver', 'trident', 'fixtures/trident']);
  const want = run(cli, ['lint', '--format', 'json', '--driver', 'trident', 'fixtures/trident']);
  assert.equal(dir.status, want.status);
  assert.equal(dir.stdout, want.stdout);
  assert.equal(bin(['matrix', '--driver', 'trident', '--format', 'csv']).stdout, run(cli, ['matrix', '--driver', 'trident', '--format', 'csv']).stdout);
  assert.match(bin(['rules']).stdout, /^PM000 /);
  assert.equal(bin(['--version']).stdout.trim(), `portmatrix-wasm ${pm.version()}`);
});

test('--eval-timeout stops a runaway user policy (the wasm module has no clock of its own)', () => {
  const dir = path.join(tmp, 'slow-policy');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  // About 10^12 steps: it would run for hours.
  writeFileSync(path.join(dir, 'slow.rego'), [
    'package slow', 'import rego.v1', '',
    'deny contains "never" if {',
    '\tn := count([[a, b] | some a in numbers.range(1, 1000000); some b in numbers.range(1, 1000000)])',
    '\tn < 0', '}', '',
  ].join('\n'));
  const deny = examples.find((e) => e.name === 'trident-default-deny').file.name;
  const started = Date.now();
  // A hang (the limit not working) fails here: spawnSync kills the child after 60 s and throws.
  const r = bin(['lint', '--driver', 'trident', '--eval-timeout', '2', '--policy', dir, deny], { timeout: 60000 });
  const secs = (Date.now() - started) / 1000;
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /eval-timeout 2 s/);
  assert.ok(secs < 30, `stopped after ${secs} s`);
  // Without a slow policy the limit changes nothing.
  const ok = bin(['lint', '--driver', 'trident', '--format', 'json', '--eval-timeout', '60', deny]);
  assert.equal(ok.stdout, run(cli, ['lint', '--driver', 'trident', '--format', 'json', deny]).stdout);
  assert.equal(ok.status, 1);
});
