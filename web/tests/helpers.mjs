// Shared by the Node tests: paths, the npm package, and the native CLI to compare against.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const PKG = path.join(ROOT, 'wasm/pkg');
export const DIST = path.join(ROOT, 'web/dist');
export const BIN = path.join(PKG, 'bin/portmatrix-wasm.js');

const require = createRequire(import.meta.url);

/** The npm package, loaded the way the issue asks: `require('./wasm/pkg')` from the repo root. */
export function loadPackage() {
  if (!existsSync(path.join(PKG, 'package.json'))) {
    throw new Error('wasm/pkg is missing: run `cargo xtask web` first');
  }
  return require(PKG);
}

/** The native CLI: $PORTMATRIX_BIN, else target/debug/portmatrix (built here when missing). */
export function cliPath() {
  const bin = process.env.PORTMATRIX_BIN || path.join(ROOT, 'target/debug/portmatrix');
  if (!existsSync(bin)) {
    const built = spawnSync('cargo', ['build', '-p', 'portmatrix'], { cwd: ROOT, stdio: 'inherit' });
    if (built.status !== 0) throw new Error('cannot build the CLI (cargo build -p portmatrix)');
  }
  return bin;
}

/** Runs a command from the repo root (no .portmatrix.yaml there); returns {status, stdout, stderr}. */
export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 64 << 20, ...opts });
  if (r.error) throw r.error;
  return r;
}
