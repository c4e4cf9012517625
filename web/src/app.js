// The portmatrix page: files in, one call of the WebAssembly build of the core, the report out.
// All analysis is in the module (the same core as the CLI); this file only keeps the page's state
// (files, profile, drivers; mirrored in the URL fragment) and draws the report.

import init, { lint, rules, examples, drivers, version } from './portmatrix.js';
import { $, h, debounce } from './dom.js';
import * as editor from './editor.js';
import { renderSummary, renderFindings, renderFlows, renderLegend } from './results.js';
import { encodeState, decodeState } from './share.js';
import { readProtocols, writeProtocols } from './profile.js';

const PROFILE = -1; // `state.active` when the profile tab is shown
const DEFAULT_PROFILE_NAME = '.portmatrix.yaml';
const FIRST_EXAMPLE = 'trident-default-deny';
const LINT_DELAY_MS = 250;

const state = {
  files: [{ name: 'manifest.yaml', text: '' }],
  active: 0,
  profile: { name: DEFAULT_PROFILE_NAME, text: '' },
  drivers: [],
  example: null,
};
let report = null;
let usageError = null;
let ruleDocs = new Map();
let exampleList = [];
let driverInfo = [];
let lastFragment = '';
let focusLine = 0;
let notice = ''; // shown once above the results (a link that could not be opened)

const els = {};

// ------------------------------------------------------------------------------------- state

const activeDoc = () => (state.active === PROFILE ? state.profile : state.files[state.active]);

function uniqueName(name) {
  const taken = new Set(state.files.map((f) => f.name));
  if (!taken.has(name)) return name;
  const [, base, ext] = /^(.*?)(\.[^.]*)?$/.exec(name);
  for (let i = 2; ; i++) if (!taken.has(`${base}-${i}${ext || ''}`)) return `${base}-${i}${ext || ''}`;
}

function loadExample(name) {
  const ex = exampleList.find((e) => e.name === name);
  if (!ex) return;
  state.files = [{ ...ex.file }];
  state.profile = ex.profile ? { ...ex.profile } : { name: DEFAULT_PROFILE_NAME, text: '' };
  state.drivers = [ex.driver];
  state.active = 0;
  state.example = ex.name;
  focusLine = 0;
  refreshAll();
  els.editorBox.scrollTop = 0;
}

async function addFiles(fileList) {
  const read = await Promise.all([...fileList].map(async (f) => ({ name: f.name, text: await f.text() })));
  const pristine = state.example !== null || (state.files.length === 1 && !state.files[0].text.trim());
  if (pristine && read.some((f) => !isProfileName(f.name))) state.files = [];
  if (pristine) state.example = null;
  for (const f of read) {
    if (isProfileName(f.name)) {
      state.profile = f;
      continue;
    }
    const same = state.files.findIndex((g) => g.name === f.name);
    if (same >= 0) state.files[same] = f;
    else state.files.push({ name: uniqueName(f.name), text: f.text });
  }
  if (!state.files.length) state.files.push({ name: 'manifest.yaml', text: '' });
  state.active = read.every((f) => isProfileName(f.name)) ? PROFILE : Math.max(0, state.files.findIndex((g) => g.name === read.find((f) => !isProfileName(f.name))?.name));
  refreshAll();
}

const isProfileName = (name) => /(^|[./])portmatrix\.ya?ml$/.test(name);

// ------------------------------------------------------------------------------------- lint

function runLint() {
  lintSoon.cancel();
  const request = { files: state.files };
  if (state.profile.text.trim()) request.profile = state.profile;
  if (state.drivers.length) request.drivers = state.drivers;
  const started = performance.now();
  try {
    report = lint(request);
    usageError = null;
  } catch (e) {
    if (e.name !== 'UsageError') throw e;
    report = null;
    usageError = e.message;
  }
  const ms = performance.now() - started;
  const n = state.files.length;
  els.status.textContent = `Linted ${n} file${n === 1 ? '' : 's'} in ${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;
  els.status.dataset.ms = ms.toFixed(2);
  renderResults();
  renderEditor();
  renderTabs();
  renderProtocols();
  saveFragment();
}
const lintSoon = debounce(runLint, LINT_DELAY_MS);

function refreshAll() {
  els.input.value = activeDoc().text;
  els.input.placeholder = state.active === PROFILE
    ? '# Optional deployment facts (see docs/profile.md), e.g.\ndrivers:\n  trident:\n    protocols: [nfsv4]\ncluster:\n  apiserver: ["192.168.10.2/32"]'
    : 'Paste Kubernetes NetworkPolicies (YAML or JSON), drop files here, or pick an example.';
  renderDrivers();
  renderExamples();
  runLint();
}

// ------------------------------------------------------------------------------------- URL

async function saveFragment() {
  const fragment = await encodeState(state);
  if (fragment === lastFragment) return;
  lastFragment = fragment;
  history.replaceState(null, '', `#${fragment}`);
}

async function loadFragment() {
  const decoded = await decodeState(location.hash);
  if (!decoded) return false;
  if (decoded.error) {
    notice = decoded.error;
    return false;
  }
  Object.assign(state, decoded.state);
  lastFragment = location.hash.slice(1);
  return true;
}

// ------------------------------------------------------------------------------------- drawing

function renderEditor() {
  const doc = activeDoc();
  const marks = editor.marksFor(report ? report.findings : [], doc.name);
  editor.render({ pre: els.pre, gutter: els.gutter, textarea: els.input }, doc.text, marks, focusLine);
  editor.fitLenses(editorParts());
}

const editorParts = () => ({ pre: els.pre, gutter: els.gutter, box: els.editorBox, textarea: els.input });

function countsFor(name) {
  const counts = { error: 0, warning: 0, info: 0 };
  for (const f of report ? report.findings : []) if (f.file === name) counts[f.severity]++;
  return counts;
}

function tabBadge(name) {
  const c = countsFor(name);
  const sev = c.error ? 'error' : c.warning ? 'warning' : c.info ? 'info' : null;
  if (!sev) return null;
  const total = c.error + c.warning + c.info;
  return h('span', { class: `count ${sev}`, title: `${c.error} errors, ${c.warning} warnings, ${c.info} info` }, total);
}

function renderTabs() {
  const tabs = state.files.map((f, i) => ({ label: f.name.split('/').pop(), index: i, file: f }));
  tabs.push({ label: state.profile.text.trim() ? '⚙ profile' : '⚙ profile (none)', index: PROFILE, file: state.profile });
  const made = tabs.map((t) => {
    const selected = t.index === state.active;
    const tab = h('button', {
      type: 'button', role: 'tab', class: 'tab', 'aria-selected': String(selected), 'aria-controls': 'editor-input',
      tabindex: selected ? '0' : '-1', title: t.index === PROFILE ? `Profile: ${t.file.name}` : t.file.name,
      dataset: { index: t.index },
      onclick: () => selectTab(t.index),
      onkeydown: (e) => {
        const order = tabs.map((x) => x.index);
        const at = order.indexOf(t.index);
        if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
          const next = order[(at + (e.key === 'ArrowRight' ? 1 : order.length - 1)) % order.length];
          selectTab(next);
          document.querySelector(`.tab[data-index="${next}"]`)?.focus();
          e.preventDefault();
        } else if (e.key === 'Delete' && t.index !== PROFILE) {
          closeFile(t.index);
        }
      },
    }, h('span', { class: 'name' }, t.label), tabBadge(t.file.name));
    if (t.index !== PROFILE && state.files.length > 1) {
      tab.append(h('span', {
        class: 'close', role: 'button', 'aria-label': `Close ${t.label}`, title: 'Close (Delete)',
        onclick: (e) => { e.stopPropagation(); closeFile(t.index); },
      }, '×'));
    }
    return tab;
  });
  // The profile tab stays in view however many files there are.
  const profileTab = made.pop();
  profileTab.classList.add('profile-tab');
  els.tabs.replaceChildren(h('div', { class: 'file-tabs', role: 'presentation' }, made), profileTab);
}

function selectTab(index) {
  state.active = index;
  focusLine = 0;
  els.input.value = activeDoc().text;
  refreshAll();
}

function closeFile(index) {
  state.files.splice(index, 1);
  if (!state.files.length) state.files.push({ name: 'manifest.yaml', text: '' });
  state.active = Math.min(Math.max(0, state.active === PROFILE ? PROFILE : state.active - (index <= state.active ? 1 : 0)), state.files.length - 1);
  refreshAll();
}

function renderResults() {
  const handlers = { onJump: jumpTo, onShow: showLine, onFlow: showFlow };
  renderSummary(els.summary, report, handlers);
  const message = [notice, usageError ? `${usageError.replace(/pass --driver \(([^)]*)\)/, 'pick a driver above ($1)')}.`.replace(/\.\.$/, '.') : '']
    .filter(Boolean).join(' ');
  notice = '';
  els.usage.hidden = !message;
  els.usage.textContent = message;
  renderFindings(els.findings, report, ruleDocs, handlers);
  renderFlows(els.flows, report, handlers);
  els.flowsUnknown.hidden = !report?.summary.input_errors;
  $('#findings-title').textContent = report ? `Findings (${report.findings.length})` : 'Findings';
  $('#flows-title').textContent = report ? `Flows the driver needs (${report.flows.length})` : 'Flows the driver needs';
}

function renderDrivers() {
  const chip = (label, pressed, onclick, title) =>
    h('button', { type: 'button', class: 'chip', 'aria-pressed': String(pressed), onclick, title }, label);
  els.driverPicker.replaceChildren(
    chip('Auto-detect', !state.drivers.length, () => { state.drivers = []; refreshAll(); },
      'Check the drivers named in the profile, else those whose namespace or workloads appear in the files'),
    ...driverInfo.map((d) => chip(d.title.replace(/ \(.*\)$/, ''), state.drivers.includes(d.name), () => {
      state.drivers = state.drivers.includes(d.name)
        ? state.drivers.filter((x) => x !== d.name)
        : [...state.drivers, d.name];
      refreshAll();
    }, `${d.title}: driver \`${d.name}\`${d.version ? `, matrix for ${d.version}` : ''}`)),
  );
}

function renderProtocols() {
  const names = state.drivers.length ? state.drivers : report ? report.drivers : [];
  els.protocols.replaceChildren(...names.map((name) => {
    const d = driverInfo.find((x) => x.name === name);
    if (!d || !d.protocols.length) return null;
    const set = readProtocols(state.profile.text, name);
    const on = (p) => (set ? set.includes(p) : d.features[p]?.default);
    return h('fieldset', {},
      h('legend', {}, `${d.title.replace(/ \(.*\)$/, '')} protocols${set ? ' (from the profile)' : ' (chart defaults; click to choose)'}`),
      h('div', { class: 'chips' }, d.protocols.map((p) => h('button', {
        type: 'button', class: 'chip', 'aria-pressed': String(Boolean(on(p))),
        title: d.features[p]?.description || p,
        onclick: () => toggleProtocol(d, p),
      }, p))));
  }));
}

function toggleProtocol(d, p) {
  const current = readProtocols(state.profile.text, d.name) ?? d.protocols.filter((x) => d.features[x]?.default);
  const next = current.includes(p) ? current.filter((x) => x !== p) : [...current, p];
  const text = writeProtocols(state.profile.text, d.name, next);
  if (text === null) {
    els.status.textContent = 'The profile uses flow style for `drivers`: edit its protocols in the profile tab.';
    return;
  }
  state.profile = { ...state.profile, text };
  if (state.active === PROFILE) els.input.value = text;
  runLint();
}

function renderExamples() {
  const byDriver = new Map();
  for (const e of exampleList) {
    if (!byDriver.has(e.driver)) byDriver.set(e.driver, []);
    byDriver.get(e.driver).push(e);
  }
  els.examples.replaceChildren(...[...byDriver].map(([driver, list]) => h('div', {},
    h('h3', {}, driverInfo.find((d) => d.name === driver)?.title || driver),
    h('ul', {}, list.map((e) => h('li', {}, h('button', {
      type: 'button', title: e.description, 'aria-current': String(state.example === e.name),
      dataset: { example: e.name },
      onclick: () => loadExample(e.name),
    }, e.name.startsWith(`${driver}-`) ? e.name.slice(driver.length + 1) : e.name)))))));
  const ex = exampleList.find((e) => e.name === state.example);
  els.exampleNote.hidden = !ex;
  if (ex) {
    els.exampleNote.replaceChildren(h('span', { class: 'clamp' }, h('strong', {}, `Example ${ex.name}: `), ex.description));
    els.exampleNote.title = ex.description;
  }
}

// ------------------------------------------------------------------------------------- navigation

function jumpTo(file, line, column = 1) {
  showLine(file, line);
  els.editorBox.scrollLeft = 0;
  const offset = editor.offsetOfLine(els.input.value, line) + Math.max(0, column - 1);
  els.input.focus({ preventScroll: true });
  els.input.setSelectionRange(offset, offset);
  markCurrentFindings();
}

/** Shows a line in the editor (switching file if needed) without moving the focus. */
function showLine(file, line) {
  const index = file === state.profile.name ? PROFILE : state.files.findIndex((f) => f.name === file);
  if (index < 0 && index !== PROFILE) return;
  if (index !== state.active) {
    state.active = index;
    els.input.value = activeDoc().text;
    renderTabs();
  }
  focusLine = line;
  renderEditor();
  scrollToLine(line);
}

function scrollToLine(line) {
  const lineHeight = els.pre.querySelector('.line')?.offsetHeight || 20;
  const top = (line - 1) * lineHeight;
  const box = els.editorBox;
  if (top < box.scrollTop || top > box.scrollTop + box.clientHeight - 2 * lineHeight) {
    box.scrollTop = Math.max(0, top - box.clientHeight / 3);
  }
}

function showFlow(id) {
  const row = document.getElementById(`flow-${id}`);
  if (!row) return;
  row.scrollIntoView({ block: 'center' });
  row.tabIndex = -1;
  row.focus();
}

/** Marks the findings on the caret's line in the list, and scrolls the first into view. */
function markCurrentFindings() {
  const line = editor.lineAt(els.input.value, els.input.selectionStart);
  const file = activeDoc().name;
  let first = null;
  for (const li of els.findings.querySelectorAll('.finding')) {
    const f = report?.findings[Number(li.dataset.index)];
    const here = Boolean(f && f.file === file && f.line <= line && line <= Math.max(f.end_line || f.line, f.line));
    li.classList.toggle('current', here);
    if (here && !first) first = li;
  }
  if (first) first.scrollIntoView({ block: 'nearest' });
}

// ------------------------------------------------------------------------------------- events

function wire() {
  let escaped = false;
  els.input.addEventListener('input', () => {
    activeDoc().text = els.input.value;
    if (state.example) {
      state.example = null;
      renderExamples();
    }
    renderEditor();
    lintSoon();
  });
  els.input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      runLint();
    } else if (e.key === 'Escape') {
      escaped = true;
    } else if (e.key === 'Tab' && !escaped && !e.shiftKey) {
      // Indent with two spaces; Esc then Tab leaves the editor (keyboard users are not trapped).
      e.preventDefault();
      document.execCommand('insertText', false, '  ');
    } else {
      escaped = false;
    }
  });
  els.input.addEventListener('keyup', markCurrentFindings);
  els.input.addEventListener('click', markCurrentFindings);
  // After the browser's own caret reveal (which ignores the sticky gutter), make the caret show.
  const reveal = () => requestAnimationFrame(() => editor.revealCaret(editorParts()));
  els.input.addEventListener('input', reveal);
  els.input.addEventListener('keyup', reveal);
  // Should the textarea scroll anyway (a browser revealing the caret in it), the editor box takes
  // over that offset, so the text and its highlight stay on top of each other.
  els.input.addEventListener('scroll', () => {
    const { scrollLeft, scrollTop } = els.input;
    if (!scrollLeft && !scrollTop) return;
    els.input.scrollLeft = 0;
    els.input.scrollTop = 0;
    els.editorBox.scrollLeft += scrollLeft;
    els.editorBox.scrollTop += scrollTop;
  });
  // The textarea lies over the lenses: it shows the title of the one under the pointer.
  els.input.addEventListener('mousemove', (e) => {
    const title = editor.lensTitleAt(els.pre, e.clientX, e.clientY);
    if (title) els.input.title = title;
    else els.input.removeAttribute('title');
  });
  new ResizeObserver(() => editor.fitLenses(editorParts())).observe(els.editorBox);

  els.openFiles.addEventListener('click', () => els.picker.click());
  els.picker.addEventListener('change', () => {
    if (els.picker.files.length) addFiles(els.picker.files);
    els.picker.value = '';
  });
  $('#add-file').addEventListener('click', () => {
    state.files.push({ name: uniqueName('manifest.yaml'), text: '' });
    state.active = state.files.length - 1;
    refreshAll();
    els.input.focus();
  });

  $('#clear').addEventListener('click', () => {
    state.files = [{ name: 'manifest.yaml', text: '' }];
    state.profile = { name: DEFAULT_PROFILE_NAME, text: '' };
    state.active = 0;
    state.example = null;
    focusLine = 0;
    refreshAll();
    els.input.focus();
  });

  let dragDepth = 0;
  window.addEventListener('dragenter', (e) => {
    if (![...e.dataTransfer.types].includes('Files')) return;
    dragDepth++;
    els.drop.hidden = false;
  });
  window.addEventListener('dragleave', () => {
    if (--dragDepth <= 0) { dragDepth = 0; els.drop.hidden = true; }
  });
  window.addEventListener('dragover', (e) => e.preventDefault());
  window.addEventListener('drop', (e) => {
    e.preventDefault();
    dragDepth = 0;
    els.drop.hidden = true;
    if (e.dataTransfer.files.length) addFiles(e.dataTransfer.files);
  });

  $('#share').addEventListener('click', async () => {
    await saveFragment();
    try {
      await navigator.clipboard.writeText(location.href);
      els.status.textContent = 'Share link copied: it carries the files in its #fragment, which no server sees.';
    } catch {
      els.status.textContent = 'Copy the address bar: the link carries the files in its #fragment.';
    }
  });

  window.addEventListener('hashchange', async () => {
    if (location.hash.slice(1) === lastFragment) return;
    if (await loadFragment()) refreshAll();
  });
}

async function main() {
  for (const [key, sel] of Object.entries({
    status: '#status', input: '#editor-input', pre: '#highlight', gutter: '#gutter', editorBox: '#editor',
    tabs: '#file-tabs', summary: '#summary', usage: '#usage-error', findings: '#findings', flows: '#flows tbody',
    driverPicker: '#driver-picker', protocols: '#protocols', examples: '#example-list', exampleNote: '#example-note',
    flowsUnknown: '#flows-unknown', openFiles: '#open-files', picker: '#file-picker', drop: '#drop-overlay',
  })) els[key] = $(sel);

  await init();
  ruleDocs = new Map(rules().map((r) => [r.id, r]));
  exampleList = examples();
  driverInfo = drivers();
  $('#version').textContent = `portmatrix ${version()}`;
  renderLegend($('#legend'));
  wire();
  if (!(await loadFragment())) {
    loadExample(FIRST_EXAMPLE);
    return;
  }
  refreshAll();
}

main().catch((e) => {
  document.body.prepend(h('div', { class: 'usage-error', role: 'alert' }, `portmatrix failed to start: ${e.message}`));
  throw e;
});
