// The results pane: the verdict line and counts, the findings list (with each rule's
// documentation from rules()), and the flow table coloured by status.

import { h } from './dom.js';

export const STATUS_TEXT = {
  blocked: 'Blocked: no part of the flow is allowed',
  partial: 'Partial: some protocols, ports or addresses are allowed, others not',
  allowed: 'Allowed: every part of the flow is allowed',
  ungoverned: 'Ungoverned: both ends on the host network or outside the cluster, so no NetworkPolicy can enforce it',
};
const LEGEND = {
  blocked: 'nothing allowed',
  partial: 'some ports, protocols or addresses allowed',
  allowed: 'fully allowed',
  ungoverned: 'NetworkPolicy cannot enforce it (host network, external)',
};

/** A finding's one-line text: `flow <id> (a -> b TCP 1) is ...` reads as `a -> b TCP 1 is ...`. */
function shortMessage(f) {
  const m = /^flow \S+ \(([^)]*)\)\s*(.*)$/s.exec(f.message);
  return m ? `${m[1]} ${m[2]}` : f.message;
}

const pill = (cls, text, title) => h('span', { class: `pill ${cls}`, title }, text);
const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The input errors (PM000): files or rules that could not be read, so the result is unknown. */
export const INPUT_ERROR = 'PM000';
const MAX_LISTED_ERRORS = 3;

/** What the flows say, on their own (the verdict when all the input was read). */
function flowVerdict(report) {
  const s = report.summary;
  const drivers = report.drivers.join(', ');
  if (s.flows === 0) return `No flow to check for ${drivers}.`;
  if (s.blocked + s.partial === 0) {
    const reach = s.ungoverned ? ` (${s.ungoverned} beyond NetworkPolicy's reach)` : '';
    return `None of the ${s.flows} flows ${drivers} needs is blocked${reach}.`;
  }
  const parts = [];
  if (s.blocked) parts.push(`${s.blocked} blocked`);
  if (s.partial) parts.push(`${s.partial} partly blocked`);
  return `${parts.join(' and ')} of the ${s.flows} flows ${drivers} needs.`;
}

const lowerFirst = (text) => text.charAt(0).toLowerCase() + text.slice(1);
const place = (f) => (f.file ? `${f.file}${f.line ? `:${f.line}:${f.column || 1}` : ''}` : '');

/**
 * The headline. An input error makes the result unknown (a policy that was not read may allow or
 * block any flow), so it says so first, with where the errors are, and gives the flows' statuses
 * only as what the read part says; no tick or cross, which would read as a verdict.
 */
function headline(report, onJump) {
  const s = report.summary;
  const errors = report.findings.filter((f) => f.rule === INPUT_ERROR);
  const count = Math.max(s.input_errors, errors.length);
  if (!count) {
    const ok = s.flows > 0 && s.blocked + s.partial === 0;
    const mark = s.flows === 0 ? '' : ok ? '✓ ' : '✗ ';
    return [h('div', { class: `verdict ${s.flows === 0 ? '' : ok ? 'ok' : 'bad'}`, id: 'verdict' }, `${mark}${flowVerdict(report)}`)];
  }
  const listed = errors.slice(0, MAX_LISTED_ERRORS);
  const more = count - listed.length;
  return [
    h('div', { class: 'verdict unknown', id: 'verdict' },
      h('span', { class: 'unknown-mark', 'aria-hidden': 'true' }, '!'),
      `Result unknown: ${plural(count, 'input error')}, so part of the input was not read.`),
    h('ul', { class: 'input-errors', 'aria-label': 'Input errors' }, listed.map((f) => h('li', {},
      f.file
        ? h('button', { type: 'button', class: 'link', title: `Go to ${place(f)}`, onclick: () => onJump(f.file, f.line || 1, f.column || 1) }, place(f))
        : null,
      h('span', { class: 'text' }, f.file ? ` ${f.message}` : f.message))),
    more > 0 ? h('li', { class: 'more' }, `and ${plural(more, 'more')} in the findings below`) : null),
    h('div', { class: 'verdict-rest' },
      `Fix ${count === 1 ? 'it' : 'them'} for a verdict. In what was read, ${lowerFirst(flowVerdict(report))}`),
  ];
}

/** The verdict line and the status and severity counts. `onJump` goes to an input error. */
export function renderSummary(el, report, { onJump } = {}) {
  el.replaceChildren();
  if (!report) return;
  const s = report.summary;
  el.append(...headline(report, onJump || (() => {})));
  el.append(h('div', { class: 'group' }, h('span', { class: 'label' }, 'Flows'),
    ['blocked', 'partial', 'allowed', 'ungoverned'].map((st) =>
      pill(`${st}${s[st] ? '' : ' zero'}`, `${s[st]} ${st}`, STATUS_TEXT[st]))));
  el.append(h('div', { class: 'group' }, h('span', { class: 'label' }, 'Findings'),
    pill(`error${s.errors ? '' : ' zero'}`, plural(s.errors, 'error')),
    pill(`warning${s.warnings ? '' : ' zero'}`, plural(s.warnings, 'warning')),
    pill(`info${s.infos ? '' : ' zero'}`, `${s.infos} info`)));
}

function ruleDoc(rule) {
  if (!rule) return null;
  return h('details', { class: 'doc' },
    h('summary', {}, `About ${rule.id}: ${rule.title}`),
    h('p', {}, rule.description),
    rule.remediation ? h('p', {}, h('b', {}, 'Fix: '), rule.remediation) : null,
    rule.related_resources.length
      ? h('ul', {}, rule.related_resources.map((r) =>
          h('li', {}, /^https:\/\//.test(r) ? h('a', { href: r, rel: 'noopener noreferrer', target: '_blank' }, r) : r)))
      : null,
  );
}

/**
 * The findings list, dense like an editor's problems panel: one line each (severity, rule,
 * message, place), opened for the full message, the help and the rule's documentation.
 * `onShow(file, line)` marks a line in the editor, `onJump` also moves the caret there, and
 * `onFlow(id)` shows a flow in the table.
 */
export function renderFindings(el, report, rules, { onShow, onJump, onFlow }) {
  el.replaceChildren();
  if (!report) return;
  if (!report.findings.length) {
    el.append(h('li', { class: 'ok-note' }, '✓ No findings.'));
    return;
  }
  const oneFile = new Set(report.findings.map((f) => f.file).filter(Boolean)).size <= 1;
  report.findings.forEach((f, i) => {
    const rule = rules.get(f.rule);
    const where = f.file ? (oneFile ? `line ${f.line}` : `${f.file.split('/').pop()}:${f.line}`) : 'flow';
    const details = h('details', { class: 'item' },
      h('summary', {},
        h('span', { class: `sev ${f.severity}`, 'aria-label': f.severity }, f.severity),
        h('span', { class: 'rule' }, f.rule),
        // One line while the list is scanned; the whole message on hover (title), and below the
        // row once it is opened (a click, or Enter on the focused row).
        h('span', { class: 'msg', title: f.message }, shortMessage(f)),
        h('span', { class: 'where', title: f.file ? `${f.file}:${f.line}:${f.column}` : 'a flow no file expresses' }, where)),
      h('div', { class: 'body' },
        h('p', { class: 'full' }, f.message),
        f.help ? h('p', { class: 'help' }, h('b', {}, 'help: '), f.help) : null,
        h('div', { class: 'actions' },
          f.file
            ? h('button', { type: 'button', class: 'link', onclick: () => onJump(f.file, f.line, f.column) },
                `Go to ${f.file}:${f.line}:${f.column}`)
            : null,
          f.flow ? h('button', { type: 'button', class: 'link', onclick: () => onFlow(f.flow) }, `Show flow ${f.flow}`) : null),
        ruleDoc(rule)));
    details.addEventListener('toggle', () => {
      if (details.open && f.file) onShow(f.file, f.line);
    });
    el.append(h('li', { class: `finding ${f.severity}`, dataset: { index: i, rule: f.rule, file: f.file || '', line: f.line || '' } }, details));
  });
}

/** The legend of the flow table's colours. */
export function renderLegend(el) {
  el.replaceChildren(...['blocked', 'partial', 'allowed', 'ungoverned'].map((st) =>
    h('span', {}, pill(st, st), LEGEND[st])));
}

/** The flow table: one row per required flow, with the deciding rules and their lines. */
export function renderFlows(tbody, report, { onJump }) {
  tbody.replaceChildren();
  if (!report) return;
  const order = { blocked: 0, partial: 1, allowed: 2, ungoverned: 3 };
  const flows = [...report.flows].sort((a, b) => order[a.status] - order[b.status]);
  const oneFile = new Set(report.flows.flatMap((f) => f.decided_by.map((d) => d.file))).size <= 1;
  for (const f of flows) {
    const decided = f.decided_by.length
      ? h('div', { class: 'decided' }, f.decided_by.map((d) =>
          h('div', {},
            h('button', { type: 'button', class: 'link', title: `Show ${d.policy} in the editor (${d.file}:${d.line})`, onclick: () => onJump(d.file, d.line, d.column) },
              d.policy),
            h('div', { class: 'effect' },
              `${oneFile ? 'line ' : `${d.file.split('/').pop()}:`}${d.line} · ${d.direction} · ${d.effect === 'isolate' ? 'isolates' : 'allows'}`))))
      : h('span', { class: 'none' }, {
          ungoverned: 'no NetworkPolicy can apply',
          allowed: 'not isolated: no policy selects these pods',
        }[f.status] || '–');
    tbody.append(h('tr', { class: `main ${f.status}`, id: `flow-${f.id}`, dataset: { flow: f.id, status: f.status } },
      h('td', { rowspan: 2 }, pill(f.status, f.status, STATUS_TEXT[f.status])),
      h('td', { title: f.purpose },
        h('div', { class: 'ends' }, `${f.from} → ${f.to}`),
        h('div', { class: 'port' }, `${f.protocol} ${f.ports.join(', ')}`,
          f.service ? h('span', { class: 'svc', title: 'the Service clients dial' }, ` via ${f.service}`) : null)),
      h('td', {}, decided)));
    tbody.append(h('tr', { class: `why ${f.status}` },
      h('td', { colspan: 2, class: 'reason' }, h('span', { class: 'id' }, f.id), ` ${f.reason}`)));
  }
}
