// The editor: a transparent <textarea> over a <pre> that draws the text with light YAML colouring,
// highlighted lines, wavy underlines under the exact spans of findings, and each finding's message
// at the end of its first line (the "lens"). Both layers share font and line height, and neither
// wraps, so line N of one is line N of the other.

import { escapeHtml, SEVERITY_RANK } from './dom.js';

const KEY_RE = /^(\s*(?:-\s+)?)((?:"[^"\n]*"|'[^'\n]*'|[^\s#'"{}[\],:][^:#\n]*?)):(?=\s|$)/;
const MAX_TOKENIZED_LINES = 5000;
const LENS_MAX = 140;

/** Per-line marks for one file's findings: {severity, spans: [{from, to, severity}], lens}. */
export function marksFor(findings, file) {
  const marks = new Map();
  const get = (line) => {
    if (!marks.has(line)) marks.set(line, { severity: null, spans: [], lens: [] });
    return marks.get(line);
  };
  for (const f of findings) {
    if (f.file !== file || !f.line) continue;
    const end = Math.max(f.end_line || f.line, f.line);
    for (let line = f.line; line <= end; line++) {
      const m = get(line);
      if (!m.severity || SEVERITY_RANK[f.severity] > SEVERITY_RANK[m.severity]) m.severity = f.severity;
      const from = line === f.line ? (f.column || 1) - 1 : 0;
      const to = line === end && f.end_column ? f.end_column - 1 : Infinity;
      if (to > from) m.spans.push({ from, to, severity: f.severity });
    }
    get(f.line).lens.push(f);
  }
  return marks;
}

/** "PM101 ×9: <first message>": counts first, so they show even when the message is cut. */
function lensText(list) {
  const counts = new Map();
  for (const f of list) counts.set(f.rule, (counts.get(f.rule) || 0) + 1);
  const head = [...counts].map(([rule, n]) => (n > 1 ? `${rule} ×${n}` : rule)).join(', ');
  const text = `${head}: ${list[0].message}`;
  return text.length > LENS_MAX ? `${text.slice(0, LENS_MAX - 1)}…` : text;
}

/** Renders one line as HTML: tokens (key, comment) and finding spans, split at every boundary. */
function lineHtml(line, mark, tokenize) {
  const chars = Array.from(line);
  const ranges = [];
  if (tokenize) {
    const k = KEY_RE.exec(line);
    if (k) {
      const start = Array.from(k[1]).length;
      ranges.push({ from: start, to: start + Array.from(k[2]).length, cls: 'yk' });
    }
    const c = /(^|\s)#/.exec(line);
    if (c && !/["']/.test(line.slice(0, c.index))) {
      const start = Array.from(line.slice(0, c.index + c[1].length)).length;
      ranges.push({ from: start, to: chars.length, cls: 'yc' });
    }
  }
  for (const s of mark ? mark.spans : []) {
    ranges.push({ from: s.from, to: Math.min(s.to, chars.length), cls: `span ${s.severity}` });
  }
  if (!ranges.length) return escapeHtml(line);
  const cuts = new Set([0, chars.length]);
  for (const r of ranges) {
    cuts.add(Math.max(0, Math.min(r.from, chars.length)));
    cuts.add(Math.max(0, Math.min(r.to, chars.length)));
  }
  const points = [...cuts].sort((a, b) => a - b);
  let html = '';
  for (let i = 0; i + 1 < points.length; i++) {
    const [a, b] = [points[i], points[i + 1]];
    if (a === b) continue;
    const text = escapeHtml(chars.slice(a, b).join(''));
    const cls = ranges.filter((r) => r.from <= a && r.to >= b).map((r) => r.cls);
    html += cls.length ? `<span class="${cls.join(' ')}">${text}</span>` : text;
  }
  return html;
}

/** Draws `text` with `marks` into the highlight layer and the gutter. */
export function render({ pre, gutter, textarea }, text, marks, focusLine) {
  const lines = text.split('\n');
  const tokenize = lines.length <= MAX_TOKENIZED_LINES;
  let html = '';
  let gut = '';
  lines.forEach((line, i) => {
    const n = i + 1;
    const mark = marks.get(n);
    const cls = ['line'];
    if (mark?.severity) cls.push(mark.severity);
    if (n === focusLine) cls.push('focus');
    let body = lineHtml(line, mark, tokenize);
    if (mark?.lens.length) {
      const sev = mark.lens.reduce((s, f) => (SEVERITY_RANK[f.severity] > SEVERITY_RANK[s] ? f.severity : s), 'info');
      body += `<span class="lens ${sev}">${escapeHtml(lensText(mark.lens))}</span>`;
    }
    html += `<span class="${cls.join(' ')}" data-line="${n}">${body || ' '}</span>`;
    const title = mark?.lens.length ? ` title="${escapeHtml(mark.lens.map((f) => `${f.rule}: ${f.message}`).join('\n'))}"` : '';
    gut += `<div class="${mark?.severity ? `mark ${mark.severity}` : ''}"${title}>${n}</div>`;
  });
  pre.innerHTML = html;
  gutter.innerHTML = gut;
  // The textarea covers the highlight layer exactly; it must not scroll on its own.
  textarea.scrollTop = 0;
  textarea.scrollLeft = 0;
}

/** The 1-based line of a character offset. */
export function lineAt(text, offset) {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** The character offset where a 1-based line starts. */
export function offsetOfLine(text, line) {
  let offset = 0;
  for (let n = 1; n < line; n++) {
    const i = text.indexOf('\n', offset);
    if (i === -1) return text.length;
    offset = i + 1;
  }
  return offset;
}
