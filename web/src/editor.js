// The editor: a transparent <textarea> over a <pre> that draws the text with light YAML colouring,
// highlighted lines, wavy underlines under the exact spans of findings, and each finding's message
// at the end of its first line (the "lens"). Both layers share font and line height, and neither
// wraps, so line N of one is line N of the other. One element scrolls them both (the editor box,
// with the gutter sticky at its left): the textarea is as large as the highlight layer and never
// scrolls on its own, so the two cannot drift apart.

import { escapeHtml, SEVERITY_RANK } from './dom.js';

const KEY_RE = /^(\s*(?:-\s+)?)((?:"[^"\n]*"|'[^'\n]*'|[^\s#'"{}[\],:][^:#\n]*?)):(?=\s|$)/;
const MAX_TOKENIZED_LINES = 5000;
/** Below this room (px) a lens would show only its ellipsis: it keeps LENS_OFFSCREEN_WIDTH instead. */
const LENS_MIN_ROOM = 32;
/** The width of a lens that starts past the editor's edge (seen after scrolling sideways). */
const LENS_OFFSCREEN_WIDTH = 240;
/** Room kept between the caret and the editor's edges when it is scrolled into view (px). */
const CARET_MARGIN = 24;

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
  return `${head}: ${list[0].message}`;
}

/** Every message of a line, whole: the lens's and the gutter mark's hover text. */
const fullText = (list) => list.map((f) => `${f.rule}: ${f.message}`).join('\n');

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
      body += `<span class="lens ${sev}" title="${escapeHtml(fullText(mark.lens))}">${escapeHtml(lensText(mark.lens))}</span>`;
    }
    html += `<span class="${cls.join(' ')}" data-line="${n}">${body || ' '}</span>`;
    const title = mark?.lens.length ? ` title="${escapeHtml(fullText(mark.lens))}"` : '';
    gut += `<div class="${mark?.severity ? `mark ${mark.severity}` : ''}"${title}>${n}</div>`;
  });
  pre.innerHTML = html;
  gutter.innerHTML = gut;
  // The textarea covers the highlight layer exactly; it must not scroll on its own.
  textarea.scrollTop = 0;
  textarea.scrollLeft = 0;
}

/**
 * Cuts each lens (with an ellipsis; the whole text is its title) so that it ends inside the
 * editor's visible width: a message must not widen the document and hide past the right edge.
 * Call after render() and when the editor's size changes.
 */
export function fitLenses({ pre, gutter, box }) {
  const lenses = [...pre.querySelectorAll('.lens')];
  if (!lenses.length) return;
  const padRight = parseFloat(getComputedStyle(pre).paddingRight) || 0;
  const visible = box.clientWidth - gutter.offsetWidth - padRight;
  for (const l of lenses) l.style.maxWidth = '';
  // All reads first, then all writes: one layout however many lenses there are.
  const widths = lenses.map((l) => {
    const room = Math.floor(visible - l.offsetLeft);
    return room >= LENS_MIN_ROOM ? room : LENS_OFFSCREEN_WIDTH;
  });
  lenses.forEach((l, i) => { l.style.maxWidth = `${widths[i]}px`; });
}

/** The x of a character offset on a line of the highlight layer, relative to the layer (px). */
function columnX(pre, line, column) {
  const el = pre.querySelector(`.line[data-line="${line}"]`);
  if (!el) return null;
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT, {
    acceptNode: (n) => (n.parentElement.closest('.lens') ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT),
  });
  let left = column;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (left <= node.length) {
      const range = document.createRange();
      range.setStart(node, left);
      range.collapse(true);
      return range.getBoundingClientRect().left - pre.getBoundingClientRect().left;
    }
    left -= node.length;
  }
  return null;
}

/**
 * Scrolls the editor sideways so that the caret shows, with the sticky gutter taken into account
 * (the browser's own caret reveal ignores it, and leaves the first characters of every line under
 * the gutter after a paste or Home). Prefers no sideways scroll at all when the caret fits.
 */
export function revealCaret({ pre, gutter, box, textarea }) {
  const text = textarea.value;
  const at = textarea.selectionDirection === 'backward' ? textarea.selectionStart : textarea.selectionEnd;
  const start = text.lastIndexOf('\n', at - 1) + 1;
  const x = columnX(pre, lineAt(text, at), at - start);
  if (x === null) return;
  const room = box.clientWidth - gutter.offsetWidth; // the width where code shows
  const left = box.scrollLeft;
  if (x - CARET_MARGIN >= left && x + CARET_MARGIN <= left + room) return;
  if (x + CARET_MARGIN <= room) box.scrollLeft = 0;
  else if (x - CARET_MARGIN < left) box.scrollLeft = Math.max(0, x - room / 3);
  else box.scrollLeft = x + CARET_MARGIN - room;
}

/**
 * The whole messages of the lens under a point, or null: the textarea lies over the lenses and
 * would hide their titles, so it shows them as its own (see app.js).
 */
export function lensTitleAt(pre, x, y) {
  for (const el of document.elementsFromPoint(x, y)) {
    if (el.classList?.contains('lens') && pre.contains(el)) return el.title;
  }
  return null;
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
