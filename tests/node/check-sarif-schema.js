// Checks SARIF files against the SARIF 2.1.0 JSON schema that @microsoft/sarif-multitool ships
// (its `validate` command does not report schema violations in 5.x, only its own rules).
// Usage: node check-sarif-schema.js FILE...   Exit 1 when a file does not conform.
'use strict';
const fs = require('fs');
const Ajv2020 = require('ajv/dist/2020');
const addFormats = require('ajv-formats');

function schemaPath() {
  for (const platform of ['linux', 'darwin', 'win32']) {
    try {
      return require.resolve(`@microsoft/sarif-multitool-${platform}/sarif-2.1.0.json`);
    } catch (_) {
      // not installed for this platform
    }
  }
  throw new Error('sarif-2.1.0.json not found: run `npm ci` in tests/node');
}

const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats(ajv);
const validate = ajv.compile(JSON.parse(fs.readFileSync(schemaPath(), 'utf8')));
let failed = 0;
for (const file of process.argv.slice(2)) {
  const log = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (validate(log)) {
    console.log(`schema ok: ${file}`);
  } else {
    failed += 1;
    for (const e of validate.errors) {
      console.log(`schema error: ${file}: ${e.instancePath || '/'} ${e.message}`);
    }
  }
}
process.exit(failed ? 1 : 0);
