#!/usr/bin/env node
// portmatrix-wasm: the CLI's `lint`, `matrix` and `rules` on the WebAssembly build, for CI that
// has Node but not the native binary. Same exit codes as `portmatrix`: 0 no finding at or above
// --fail-on, 1 such findings, 2 a usage error or an input error.
'use strict';

const fs = require('fs');
const path = require('path');
const pm = require('..');
const { Worker, MessageChannel, receiveMessageOnPort } = require('worker_threads');

const EXIT_OK = 0;
const EXIT_FINDINGS = 1;
const EXIT_USAGE = 2;
const EXTENSIONS = new Set(['.yaml', '.yml', '.json']);
// Host-firewall dumps in directories, read when their content is one (as the CLI does).
const FIREWALL_EXTENSIONS = new Set(['.rules', '.v4', '.v6', '.iptables', '.ip6tables', '.xml', '.nft']);
const looksLikeFirewall = (p) => {
  try {
    const head = fs.readFileSync(p, 'utf8').slice(0, 4096).replace(/^\uFEFF/, '');
    return /^\s*(#[^\n]*\n\s*)*(\*(filter|nat|mangle|raw|security)\b|:[A-Z]+ (ACCEPT|DROP|-) \[|-A \S+ )/.test(head)
      || /^\s*(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*<(zone|service)\b/.test(head);
  } catch { return false; }
};
const SEVERITY = { info: 1, warning: 2, error: 3 };

const USAGE = `usage:
  portmatrix-wasm lint [OPTIONS] PATHS...   files, directories (*.yaml, *.yml, *.json, firewall
                                            dumps *.rules, *.v4, *.v6, *.xml), - for stdin
      -d, --driver D        driver to check (repeatable; default: the profile's, else detected)
      --profile FILE        profile (default: .portmatrix.yaml in the current directory)
      -f, --format F        human (default: text in the CLI's style) or json
      --fail-on S           error (default), warning, info or never
      -q, --quiet           findings only (human format)
      --policy FILE|DIR     your Rego rules (repeatable)
      --data FILE           JSON or YAML merged into the Rego data (repeatable)
      --matrix FILE         a communication matrix of your own (repeatable)
      --report-unused-ignores
      --eval-timeout SECS   stop the run (exit 2) when evaluation takes longer (default: no limit)
  portmatrix-wasm matrix --driver D [--format table|markdown|json|csv]
  portmatrix-wasm rules [ID]
  portmatrix-wasm --version
exit codes: 0 no finding at or above --fail-on; 1 such findings; 2 a usage or input error`;

class Usage extends Error {}

/** Parses `args` against `spec` ({name: 'flag' | 'value' | 'list'}, with aliases). */
function parseArgs(args, spec, aliases = {}) {
  const out = { _: [] };
  for (const [k, kind] of Object.entries(spec)) out[k] = kind === 'list' ? [] : kind === 'flag' ? false : undefined;
  for (let i = 0; i < args.length; i++) {
    let a = args[i];
    if (a === '-' || !a.startsWith('-')) { out._.push(a); continue; }
    if (a === '--') { out._.push(...args.slice(i + 1)); break; }
    let value;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) { value = a.slice(eq + 1); a = a.slice(0, eq); }
    const name = aliases[a] || a.replace(/^--/, '');
    const kind = spec[name];
    if (!kind) throw new Usage(`unknown option ${a}`);
    if (kind === 'flag') { out[name] = true; continue; }
    if (value === undefined) {
      if (i + 1 >= args.length) throw new Usage(`${a} needs a value`);
      value = args[++i];
    }
    if (kind === 'list') out[name].push(value); else out[name] = value;
  }
  return out;
}

function inputError(name, message, help, line = 1, column = 1) {
  return { rule: 'PM000', severity: 'error', message, help, flow: null, file: name, line, column, end_line: line, end_column: column };
}

/** The first invalid byte of a UTF-8 buffer, or -1. */
function invalidUtf8At(buf) {
  for (let i = 0; i < buf.length;) {
    const b = buf[i];
    const n = b < 0x80 ? 1 : (b >> 5) === 6 ? 2 : (b >> 4) === 14 ? 3 : (b >> 3) === 30 ? 4 : 0;
    if (!n || i + n > buf.length) return i;
    for (let k = 1; k < n; k++) if ((buf[i + k] & 0xc0) !== 0x80) return i;
    i += n;
  }
  return -1;
}

/** Reads files and directories as the CLI does; unreadable files become PM000 findings. */
function collect(paths) {
  const files = [];
  const errors = [];
  const read = (name, readBytes) => {
    let bytes;
    try { bytes = readBytes(); } catch (e) {
      errors.push(inputError(name, `cannot read ${name}: ${e.message}`, 'check the path and its permissions'));
      return;
    }
    const bad = invalidUtf8At(bytes);
    if (bad >= 0) {
      const prefix = bytes.subarray(0, bad).toString('utf8');
      const lines = prefix.split('\n');
      const column = Array.from(lines[lines.length - 1]).length + 1;
      errors.push(inputError(name, `invalid UTF-8 at byte ${bad}`, 'save the file as UTF-8', lines.length, column));
      return;
    }
    files.push({ name, text: bytes.toString('utf8') });
  };
  const walk = (dir, out) => {
    let entries;
    try { entries = fs.readdirSync(dir).sort(); } catch (e) {
      errors.push(inputError(dir, `cannot read ${dir}: ${e.message}`, 'check the path and its permissions'));
      return;
    }
    for (const entry of entries) {
      if (entry.startsWith('.') && entry !== '.portmatrix.yaml') continue;
      const p = path.join(dir, entry);
      const st = fs.lstatSync(p);
      if (st.isDirectory()) walk(p, out);
      else if (entry !== '.portmatrix.yaml' && EXTENSIONS.has(path.extname(entry))) out.push(p);
      else if (FIREWALL_EXTENSIONS.has(path.extname(entry)) && looksLikeFirewall(p)) out.push(p);
    }
  };
  for (const arg of paths) {
    if (arg === '-') { read('<stdin>', () => fs.readFileSync(0)); continue; }
    let found = [arg];
    try { if (fs.statSync(arg).isDirectory()) { found = []; walk(arg, found); } } catch { /* read() reports it */ }
    for (const p of found) read(p, () => fs.readFileSync(p));
  }
  return { files, errors };
}

function readNamed(paths, what) {
  return paths.map((p) => {
    try { return { name: p, text: fs.readFileSync(p, 'utf8') }; } catch (e) {
      throw new Usage(`cannot read ${what} ${p}: ${e.message}`);
    }
  });
}

function regoFiles(p) {
  const out = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir).sort()) {
      const q = path.join(dir, entry);
      if (fs.lstatSync(q).isDirectory()) walk(q);
      else if (entry.endsWith('.rego')) out.push(q);
    }
  };
  try { if (fs.statSync(p).isDirectory()) walk(p); else out.push(p); } catch (e) {
    throw new Usage(`cannot read ${p}: ${e.message}`);
  }
  return readNamed(out, 'policy');
}

/** Adds read errors to a report as the CLI does: sorted in, and counted. */
function withReadErrors(report, errors) {
  if (!errors.length) return report;
  const key = (f) => [f.file === null ? 1 : 0, f.file || '', f.line || 0, f.column || 0, f.rule, f.flow || '', f.message];
  const cmp = (a, b) => {
    const [x, y] = [key(a), key(b)];
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
    return 0;
  };
  report.findings = [...report.findings, ...errors].sort(cmp);
  const s = report.summary;
  s.errors += errors.length;
  s.input_errors += errors.length;
  s.files += errors.length;
  return report;
}

/** Columns padded to their widest cell. */
function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [header, ...rows]
    .map((r) => r.map((c, i) => (i + 1 === r.length ? c : c.padEnd(widths[i]))).join('  ').trimEnd())
    .join('\n');
}

/**
 * The report as text, in the spirit of the CLI's `--format human` (whose renderer is left out of
 * the WebAssembly module to keep it small): each finding with its line and a caret under the
 * span, then the flow table and the summary.
 */
function renderText(report, sources, { color, quiet }) {
  const paint = (code, s) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const sevColor = { error: '31;1', warning: '33;1', info: '36;1' };
  const byName = new Map(sources.map((s) => [s.name, s.text.split('\n')]));
  let out = '';
  for (const f of report.findings) {
    out += `${paint(sevColor[f.severity], `${f.severity}[${f.rule}]`)}: ${paint('1', f.message)}\n`;
    const lines = f.file ? byName.get(f.file) : undefined;
    if (f.file) out += `  --> ${f.file}:${f.line}:${f.column}\n`;
    if (lines && f.line && f.line <= lines.length) {
      const text = lines[f.line - 1];
      const gutter = ' '.repeat(String(f.line).length);
      const start = Math.max(0, f.column - 1);
      const end = f.end_line === f.line && f.end_column > f.column ? f.end_column - 1 : Array.from(text).length;
      out += `${gutter} |\n${f.line} | ${text}\n${gutter} | ${' '.repeat(start)}${paint(sevColor[f.severity], '^'.repeat(Math.max(1, end - start)))}\n`;
    }
    if (f.help) out += `  = help: ${f.help}\n`;
    out += '\n';
  }
  if (!quiet) {
    const rows = report.flows.map((f) => [
      f.id, f.from, f.to, `${f.protocol} ${f.ports.join(',')}`, f.status,
      f.decided_by.map((d) => `${d.file}:${d.line}`).join(', ') || '-',
    ]);
    out += `${table(['FLOW', 'FROM', 'TO', 'PORTS', 'STATUS', 'DECIDED BY'], rows)}\n`;
    const s = report.summary;
    out += `\n${s.flows} flows: ${s.allowed} allowed, ${s.blocked} blocked, ${s.partial} partial, ${s.ungoverned} ungoverned. Findings: ${s.errors} errors, ${s.warnings} warnings, ${s.infos} info.\n`;
  }
  return out;
}

/**
 * Lints in a worker thread and stops it after `seconds` (the CLI's --eval-timeout). regorus's
 * execution timer needs a clock that wasm32 does not have, so the limit on a user policy's
 * evaluation is enforced from outside: the worker is terminated, the run exits 2.
 */
function lintBounded(request, seconds) {
  if (!seconds) return pm.lint(request);
  const done = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(`
    const { workerData } = require('worker_threads');
    const pm = require(workerData.pkg);
    let out;
    try { out = { report: pm.lint(workerData.request) }; }
    catch (e) { out = { error: { name: e.name, message: e.message } }; }
    workerData.port.postMessage(out);
    Atomics.store(workerData.done, 0, 1);
    Atomics.notify(workerData.done, 0);
  `, { eval: true, workerData: { pkg: path.join(__dirname, '..'), request, done, port: port2 }, transferList: [port2] });
  const waited = Atomics.wait(done, 0, 0, seconds * 1000);
  if (waited === 'timed-out') {
    worker.terminate();
    throw new Usage(`evaluation stopped after --eval-timeout ${seconds} s; a policy is too expensive (check your --policy rules, or raise the limit)`);
  }
  const msg = receiveMessageOnPort(port1);
  worker.terminate();
  const out = msg && msg.message;
  if (!out) throw new Error('the lint worker ended without an answer');
  if (out.error) {
    const e = new Error(out.error.message);
    e.name = out.error.name;
    throw e;
  }
  return out.report;
}

function lint(args) {
  const o = parseArgs(args, {
    driver: 'list', profile: 'value', format: 'value', 'fail-on': 'value', quiet: 'flag',
    policy: 'list', data: 'list', matrix: 'list', 'report-unused-ignores': 'flag', 'eval-timeout': 'value',
  }, { '-d': 'driver', '-f': 'format', '-q': 'quiet' });
  const evalTimeout = o['eval-timeout'] === undefined ? 0 : Number(o['eval-timeout']);
  if (!Number.isFinite(evalTimeout) || evalTimeout < 0) throw new Usage(`--eval-timeout takes seconds, not \`${o['eval-timeout']}\``);
  const format = o.format || 'human';
  if (!['human', 'json'].includes(format)) throw new Usage(`unknown format \`${format}\` (portmatrix-wasm has human and json)`);
  const failOn = o['fail-on'] || 'error';
  if (!['error', 'warning', 'info', 'never'].includes(failOn)) throw new Usage(`unknown --fail-on \`${failOn}\``);
  if (!o._.length) throw new Usage('no input: pass files or directories, or `-` for stdin');

  const request = { files: [], drivers: o.driver };
  if (o.profile !== undefined) {
    request.profile = readNamed([o.profile], 'profile')[0];
  } else if (fs.existsSync('.portmatrix.yaml')) {
    request.profile = { name: '.portmatrix.yaml', text: fs.readFileSync('.portmatrix.yaml', 'utf8') };
  }
  request.policies = o.policy.flatMap(regoFiles);
  request.data = readNamed(o.data, 'data file');
  request.matrices = readNamed(o.matrix, 'matrix');
  request.reportUnusedIgnores = o['report-unused-ignores'];
  const { files, errors } = collect(o._);
  request.files = files;

  let report;
  if (format === 'json') {
    report = withReadErrors(lintBounded(request, evalTimeout), errors);
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    report = withReadErrors(lintBounded(request, evalTimeout), errors);
    const color = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
    const sources = [...request.files, ...(request.profile ? [request.profile] : [])];
    process.stdout.write(renderText(report, sources, { color, quiet: o.quiet }));
  }
  if (report.summary.input_errors > 0) return EXIT_USAGE;
  if (failOn === 'never') return EXIT_OK;
  const worst = Math.max(0, ...report.findings.map((f) => SEVERITY[f.severity]));
  return worst >= SEVERITY[failOn] ? EXIT_FINDINGS : EXIT_OK;
}

function main(argv) {
  const [command, ...rest] = argv;
  switch (command) {
    case 'lint':
      return lint(rest);
    case 'matrix': {
      const o = parseArgs(rest, { driver: 'value', format: 'value' }, { '-d': 'driver', '-f': 'format' });
      if (!o.driver) throw new Usage('matrix needs --driver');
      process.stdout.write(pm.matrix(o.driver, o.format || 'table'));
      return EXIT_OK;
    }
    case 'rules': {
      const rules = pm.rules();
      if (rest[0]) {
        const r = rules.find((x) => x.id.toLowerCase() === rest[0].toLowerCase());
        if (!r) throw new Usage(`unknown rule \`${rest[0]}\`; \`portmatrix-wasm rules\` lists them`);
        process.stdout.write(`${r.id} ${r.title} (${r.severity})\n\n${r.description}\n\nRemediation: ${r.remediation}\n`);
        for (const ref of r.related_resources) process.stdout.write(`See: ${ref}\n`);
      } else {
        const w = Math.max(...rules.map((r) => r.id.length));
        for (const r of rules) process.stdout.write(`${r.id.padEnd(w)}  ${r.severity.padEnd(7)}  ${r.title}\n`);
      }
      return EXIT_OK;
    }
    case '--version':
    case '-V':
      process.stdout.write(`portmatrix-wasm ${pm.version()}\n`);
      return EXIT_OK;
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return EXIT_OK;
    default:
      throw new Usage(command ? `unknown command \`${command}\`` : 'no command');
  }
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  if (e instanceof Usage || e.name === 'UsageError') {
    process.stderr.write(`error: ${e.message}\n${e instanceof Usage ? `\n${USAGE}\n` : ''}`);
    process.exitCode = EXIT_USAGE;
  } else {
    throw e;
  }
}
