// Small DOM helpers: elements are built with textContent (never innerHTML with data), messages go
// to one live region, confirmations use <dialog>.

/** Creates an element: h('button', {type: 'button', onclick: fn}, 'text', child...). */
export function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const kid of kids.flat(Infinity)) {
    if (kid === undefined || kid === null || kid === false) continue;
    el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  return el;
}

let seq = 0;
/** A unique element id. */
export function uid(prefix) { seq += 1; return `${prefix}-${seq}`; }

/** A labelled control: returns [label, control]. */
export function field(labelText, control) {
  if (!control.id) control.id = uid('f');
  return [h('label', { for: control.id }, labelText), control];
}

/** Shows a message in the status area (`bad` for errors). */
export function say(message, bad) {
  const s = document.getElementById('status');
  s.replaceChildren(h('div', { class: bad ? 'msg bad' : 'msg' }, message));
}

export function clearSay() { document.getElementById('status').replaceChildren(); }

/** Shows an error (an OssError or any Error) in the status area. */
export function sayError(e) {
  say(e && e.code ? `${e.code}: ${e.message}` : String(e && e.message ? e.message : e), true);
}

/** Asks for confirmation in a modal dialog; resolves to true or false. */
export function confirmDialog(question, confirmLabel) {
  return new Promise((resolve) => {
    const yes = h('button', { type: 'button', class: 'danger' }, confirmLabel || 'Delete');
    const no = h('button', { type: 'button' }, 'Cancel');
    const d = h('dialog', { 'aria-label': 'Confirm' }, h('p', {}, question), h('div', { class: 'row' }, yes, no));
    const finish = (v) => { d.close(); d.remove(); resolve(v); };
    yes.addEventListener('click', () => finish(true));
    no.addEventListener('click', () => finish(false));
    d.addEventListener('cancel', (e) => { e.preventDefault(); finish(false); });
    document.body.append(d);
    d.showModal();
    no.focus();
  });
}

/** Bytes for people. */
export function bytes(n) {
  const v = Number(n);
  if (!Number.isFinite(v)) return '';
  if (v < 1024) return `${v} B`;
  const u = ['KiB', 'MiB', 'GiB', 'TiB'];
  let x = v / 1024;
  let i = 0;
  while (x >= 1024 && i < u.length - 1) { x /= 1024; i += 1; }
  return `${x.toFixed(x < 10 ? 1 : 0)} ${u[i]}`;
}

/** A date for people (local time), from an ISO 8601 or HTTP date. */
export function when(s) {
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? s : d.toLocaleString();
}

/** A table with a header row. `head` is a list of strings, `rows` a list of lists of cells. */
export function table(caption, head, rows) {
  return h('div', { class: 'table-wrap' }, h('table', {},
    h('caption', { class: 'muted' }, caption),
    h('thead', {}, h('tr', {}, head.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, rows)));
}
