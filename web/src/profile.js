// Reads and writes `drivers.<name>.protocols` in a profile's YAML text, for the protocol toggles.
// A line-based edit (not a YAML round trip), so the user's comments and layout survive; a profile
// written in flow style (`drivers: {...}`) is left alone and the caller says so.

const indentOf = (line) => /^ */.exec(line)[0].length;
const isBlankOrComment = (line) => /^\s*(#.*)?$/.test(line);
const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Lines [start, end) of the block below line `at` (more indented than it). */
function blockEnd(lines, at) {
  const base = indentOf(lines[at]);
  let end = at + 1;
  while (end < lines.length && (isBlankOrComment(lines[end]) || indentOf(lines[end]) > base)) end++;
  while (end > at + 1 && isBlankOrComment(lines[end - 1])) end--;
  return end;
}

function findKey(lines, from, to, indent, key) {
  const re = new RegExp(`^ {${indent}}${escapeRe(key)}:\\s*(#.*)?$`);
  for (let i = from; i < to; i++) if (re.test(lines[i])) return i;
  return -1;
}

/** The `protocols:` list of a driver in the profile, or null when the profile does not set it. */
export function readProtocols(text, driver) {
  const lines = text.split('\n');
  const d = findKey(lines, 0, lines.length, 0, 'drivers');
  if (d < 0) return null;
  const dEnd = blockEnd(lines, d);
  const child = lines.slice(d + 1, dEnd).find((l) => !isBlankOrComment(l));
  if (!child) return null;
  const k = findKey(lines, d + 1, dEnd, indentOf(child), driver);
  if (k < 0) return null;
  const kEnd = blockEnd(lines, k);
  for (let i = k + 1; i < kEnd; i++) {
    const m = /^(\s*)protocols:\s*(.*?)\s*(#.*)?$/.exec(lines[i]);
    if (!m) continue;
    if (m[2].startsWith('[')) {
      return m[2].replace(/^\[|\]$/g, '').split(',').map((s) => s.trim().replace(/^["']|["']$/g, '')).filter(Boolean);
    }
    const items = [];
    for (let j = i + 1; j < kEnd && /^\s*-\s/.test(lines[j]); j++) {
      items.push(lines[j].replace(/^\s*-\s*/, '').replace(/\s*#.*$/, '').trim().replace(/^["']|["']$/g, ''));
    }
    return items;
  }
  return null;
}

/**
 * The profile text with `drivers.<driver>.protocols` set to `list`, or null when the profile's
 * `drivers` is in flow style and cannot be edited line by line.
 */
export function writeProtocols(text, driver, list) {
  const value = `protocols: [${list.join(', ')}]`;
  const lines = text === '' ? [] : text.split('\n');
  const d = findKey(lines, 0, lines.length, 0, 'drivers');
  if (d < 0) {
    if (lines.some((l) => /^drivers\s*:/.test(l))) return null;
    const head = ['drivers:', `  ${driver}:`, `    ${value}`];
    return [...head, ...lines].join('\n') + (lines.length ? '' : '\n');
  }
  const dEnd = blockEnd(lines, d);
  const firstChild = lines.slice(d + 1, dEnd).find((l) => !isBlankOrComment(l));
  const childIndent = firstChild ? indentOf(firstChild) : 2;
  const k = findKey(lines, d + 1, dEnd, childIndent, driver);
  if (k < 0) {
    lines.splice(d + 1, 0, `${' '.repeat(childIndent)}${driver}:`, `${' '.repeat(childIndent * 2)}${value}`);
    return lines.join('\n');
  }
  const kEnd = blockEnd(lines, k);
  const grand = lines.slice(k + 1, kEnd).find((l) => !isBlankOrComment(l));
  const grandIndent = grand ? indentOf(grand) : childIndent * 2;
  for (let i = k + 1; i < kEnd; i++) {
    if (!new RegExp(`^ {${grandIndent}}protocols:`).test(lines[i])) continue;
    let j = i + 1;
    while (j < kEnd && /^\s*-\s/.test(lines[j]) && indentOf(lines[j]) >= grandIndent) j++;
    lines.splice(i, j - i, `${' '.repeat(grandIndent)}${value}`);
    return lines.join('\n');
  }
  lines.splice(k + 1, 0, `${' '.repeat(grandIndent)}${value}`);
  return lines.join('\n');
}
