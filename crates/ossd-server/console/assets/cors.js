// The CORS editor of a bucket: the OSS console's fields, add/edit/delete/reorder rules (the
// first match wins), validation by the server exactly as PutBucketCors (the error shown beside
// its field), lint warnings per rule, import/export of the XML document, and a simulator that
// runs the server's explain code against the rules as saved or as edited.
import { oss, api, text, children, xmlEscape, parseXml } from './api.js';
import { h, field, uid, say, sayError, confirmDialog } from './ui.js';
import { bucketTabs } from './app.js';

const METHODS = ['GET', 'PUT', 'DELETE', 'POST', 'HEAD'];
/** OSS's ArgumentName of a refused value → the editor's field. */
const FIELD_OF = {
  AllowedOrigin: 'origins', AllowedMethod: 'methods', AllowedHeader: 'headers', ExposeHeader: 'expose', MaxAgeSeconds: 'maxAge',
};

const lines = (s) => s.split('\n').map((l) => l.trim()).filter(Boolean);

/** The PutBucketCors document of `rules` and `vary`. */
export function toXml(rules, vary) {
  const el = (n, v) => `<${n}>${xmlEscape(v)}</${n}>`;
  const body = rules.map((r) => `<CORSRule>${r.origins.map((v) => el('AllowedOrigin', v)).join('')}${
    r.methods.map((v) => el('AllowedMethod', v)).join('')}${r.headers.map((v) => el('AllowedHeader', v)).join('')}${
    r.expose.map((v) => el('ExposeHeader', v)).join('')}${r.maxAge !== '' ? el('MaxAgeSeconds', r.maxAge) : ''}</CORSRule>`).join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<CORSConfiguration>${body}<ResponseVary>${vary ? 'true' : 'false'}</ResponseVary></CORSConfiguration>`;
}

/** Rules and ResponseVary of a CORSConfiguration document. */
export function fromXml(doc) {
  const root = doc.documentElement;
  if (root.tagName !== 'CORSConfiguration') throw new Error('The document is not a CORSConfiguration.');
  const all = (r, n) => children(r, n).map((e) => e.textContent.trim());
  const rules = children(root, 'CORSRule').map((r) => ({
    origins: all(r, 'AllowedOrigin'), methods: all(r, 'AllowedMethod'), headers: all(r, 'AllowedHeader'),
    expose: all(r, 'ExposeHeader'), maxAge: all(r, 'MaxAgeSeconds')[0] || '',
  }));
  return { rules, vary: text(root, 'ResponseVary').trim().toLowerCase() === 'true' };
}

export async function renderCors(page, bucket) {
  let rules = [];
  let vary = false;
  let savedXml = null;
  const cards = h('div', {});
  const general = h('p', { class: 'error', role: 'alert' });
  const configLint = h('ul', { class: 'warn' });
  const varyBox = h('input', { type: 'checkbox' });
  varyBox.addEventListener('change', () => { vary = varyBox.checked; });

  const errorSlots = []; // per rule: {origins, methods, ...} → <p>
  const lintSlots = [];

  const render = (focusSel) => {
    errorSlots.length = 0;
    lintSlots.length = 0;
    cards.replaceChildren(...rules.map((r, i) => ruleCard(r, i)));
    if (!rules.length) cards.append(h('p', { class: 'muted' }, 'No rules: browsers get no CORS headers from this bucket.'));
    varyBox.checked = vary;
    // Focus follows the moved rule: its same button, or the other one at the ends of the list.
    for (const sel of [].concat(focusSel || [])) {
      const el = cards.querySelector(sel);
      if (el && !el.disabled) { el.focus(); break; }
    }
  };

  const ruleCard = (r, i) => {
    const n = i + 1;
    const slot = {};
    const err = (k) => { slot[k] = h('p', { class: 'field-error', id: uid('err'), role: 'alert' }); return slot[k]; };
    const area = (label, k, hint) => {
      const e = err(k);
      const t = h('textarea', { rows: 3, 'aria-describedby': e.id, dataset: { field: k } });
      t.value = r[k].join('\n');
      t.addEventListener('input', () => { r[k] = lines(t.value); });
      return h('div', {}, ...field(label, t), h('p', { class: 'muted' }, hint), e);
    };
    const me = err('methods');
    const methods = h('fieldset', { 'aria-describedby': me.id }, h('legend', {}, 'Allowed methods'),
      METHODS.map((m) => {
        const c = h('input', { type: 'checkbox', value: m, checked: r.methods.includes(m), dataset: { field: 'methods' } });
        c.addEventListener('change', () => {
          r.methods = METHODS.filter((x) => x === m ? c.checked : r.methods.includes(x))
            .concat(r.methods.filter((x) => !METHODS.includes(x)));
        });
        return h('label', { class: 'inline' }, c, m);
      }), me);
    const ae = err('maxAge');
    const age = h('input', { type: 'text', inputmode: 'numeric', value: r.maxAge, 'aria-describedby': ae.id, dataset: { field: 'maxAge' } });
    age.addEventListener('input', () => { r.maxAge = age.value.trim(); });
    const btn = (label, aria, cls, fn) => {
      const b = h('button', { type: 'button', 'aria-label': aria, class: cls }, label);
      b.addEventListener('click', fn);
      return b;
    };
    const up = btn('Move up', `Move rule ${n} up`, '', () => { [rules[i - 1], rules[i]] = [rules[i], rules[i - 1]]; render([`[aria-label="Move rule ${n - 1} up"]`, `[aria-label="Move rule ${n - 1} down"]`]); });
    const down = btn('Move down', `Move rule ${n} down`, '', () => { [rules[i + 1], rules[i]] = [rules[i], rules[i + 1]]; render([`[aria-label="Move rule ${n + 1} down"]`, `[aria-label="Move rule ${n + 1} up"]`]); });
    up.disabled = i === 0;
    down.disabled = i === rules.length - 1;
    const del = btn('Delete rule', `Delete rule ${n}`, 'danger', () => { rules.splice(i, 1); render(); });
    const lint = h('ul', { class: 'lint', 'aria-label': `Warnings of rule ${n}` });
    errorSlots.push(slot);
    lintSlots.push(lint);
    return h('section', { class: 'rule', 'aria-labelledby': `rule-h-${n}`, dataset: { rule: n } },
      h('h3', { id: `rule-h-${n}` }, `Rule ${n}`),
      h('div', { class: 'grid' },
        area('Sources', 'origins', 'One origin per line, e.g. https://www.example.com; one * allowed.'),
        h('div', {}, methods, ...field('Cache timeout (MaxAgeSeconds)', age), ae),
        area('Allowed headers', 'headers', 'One per line; one * allowed (e.g. x-oss-*).'),
        area('Exposed headers', 'expose', 'One per line, e.g. ETag, x-oss-request-id.')),
      lint, h('div', { class: 'row' }, up, down, del));
  };

  const clearErrors = () => {
    general.textContent = '';
    for (const s of errorSlots) for (const p of Object.values(s)) p.textContent = '';
    for (const el of cards.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  };

  /** Shows `e` (a refusal of the document) beside the field of the rule the server named. */
  const showError = (e, located) => {
    const rule = Number((located || e).fields.RuleNumber || 0);
    const f = FIELD_OF[(located || e).fields.ArgumentName];
    const slot = rule && f && errorSlots[rule - 1] && errorSlots[rule - 1][f];
    const msg = `${e.code}: ${e.message}`;
    if (slot) {
      slot.textContent = msg;
      const input = cards.querySelector(`[data-rule="${rule}"] [data-field="${f}"]`);
      if (input) { input.setAttribute('aria-invalid', 'true'); input.focus(); }
    } else general.textContent = msg;
  };

  const showLint = async (xml) => {
    for (const l of lintSlots) l.replaceChildren();
    configLint.replaceChildren();
    if (!xml) return;
    try {
      const r = await api('POST', 'cors/lint', { xml });
      for (const w of r.warnings) {
        const li = h('li', { dataset: { id: w.id } }, `${w.message} Fix: ${w.fix}`);
        if (w.rule && lintSlots[w.rule - 1]) lintSlots[w.rule - 1].append(li); else configLint.append(li);
      }
    } catch (e) { showError(e, e); }
  };

  const loadSaved = async () => {
    try {
      const r = await oss('GET', bucket, '', { query: { cors: '' } });
      savedXml = r.text;
      ({ rules, vary } = fromXml(r.doc));
    } catch (e) {
      if (e.code !== 'NoSuchCORSConfiguration') throw e;
      savedXml = null;
      rules = [];
      vary = false;
    }
    render();
    await showLint(savedXml);
  };

  const addBtn = h('button', { type: 'button' }, 'Add rule');
  addBtn.addEventListener('click', () => {
    if (rules.length >= 10) { general.textContent = 'OSS allows at most 10 rules.'; }
    rules.push({ origins: [], methods: ['GET'], headers: [], expose: [], maxAge: '' });
    render(`[data-rule="${rules.length}"] textarea`);
  });
  const saveBtn = h('button', { type: 'button', class: 'primary' }, 'Save rules');
  saveBtn.addEventListener('click', async () => {
    clearErrors();
    const xml = toXml(rules, vary);
    try {
      await oss('PUT', bucket, '', { query: { cors: '' }, body: xml, headers: { 'Content-Type': 'application/xml' } });
      await loadSaved();
      say(`CORS rules of ${bucket} saved.`);
    } catch (e) {
      if (e.code !== 'InvalidArgument' && e.code !== 'MalformedXML') { sayError(e); return; }
      // The server's refusal as sent; the same parser, asked again, names the rule and field.
      const located = await api('POST', 'cors/lint', { xml }).then(() => null, (x) => x);
      showError(e, located);
    }
  });
  const checkBtn = h('button', { type: 'button' }, 'Check rules');
  checkBtn.addEventListener('click', () => { clearErrors(); showLint(toXml(rules, vary)); });
  const delAll = h('button', { type: 'button', class: 'danger' }, 'Delete all rules');
  delAll.addEventListener('click', async () => {
    if (!await confirmDialog(`Delete every CORS rule of ${bucket}?`)) return;
    try { await oss('DELETE', bucket, '', { query: { cors: '' } }); await loadSaved(); say('CORS rules deleted.'); } catch (e) { sayError(e); }
  });

  // Import and export.
  const xmlBox = h('textarea', { rows: 8, spellcheck: 'false' });
  const exportBtn = h('button', { type: 'button' }, 'Export saved XML');
  const download = h('a', { hidden: true, download: `${bucket}-cors.xml` }, 'Download the XML file');
  exportBtn.addEventListener('click', async () => {
    try {
      const r = await oss('GET', bucket, '', { query: { cors: '' } });
      xmlBox.value = r.text;
      download.href = URL.createObjectURL(new Blob([r.text], { type: 'application/xml' }));
      download.hidden = false;
    } catch (e) { sayError(e); }
  });
  const importBtn = h('button', { type: 'button' }, 'Import XML into the editor');
  importBtn.addEventListener('click', () => {
    clearErrors();
    const doc = parseXml(xmlBox.value);
    if (!doc) { general.textContent = 'The XML is not well-formed.'; return; }
    try { ({ rules, vary } = fromXml(doc)); render(); say('Imported: review the rules, then save them.'); } catch (e) { general.textContent = e.message; }
  });

  // The simulator.
  const origin = h('input', { placeholder: 'https://www.example.com', autocomplete: 'off' });
  const method = h('select', {}, METHODS.map((m) => h('option', { value: m }, m)));
  const reqHeaders = h('input', { placeholder: 'content-type, x-oss-date', autocomplete: 'off' });
  const name = uid('which');
  const asSaved = h('input', { type: 'radio', name, value: 'saved', checked: true });
  const asEdited = h('input', { type: 'radio', name, value: 'edited' });
  const out = h('div', { 'aria-live': 'polite', id: 'sim-out' });
  const runBtn = h('button', { type: 'submit', class: 'primary' }, 'Simulate');
  const sim = h('form', { class: 'card', 'aria-labelledby': 'sim-h' },
    h('h2', { id: 'sim-h' }, 'Simulator'),
    h('p', { class: 'muted' }, 'What the store answers a browser: the preflight and the actual response, rule by rule.'),
    h('div', { class: 'row' },
      h('div', { class: 'grow' }, ...field('Origin', origin)),
      h('div', {}, ...field('Method', method)),
      h('div', { class: 'grow' }, ...field('Request headers', reqHeaders))),
    h('fieldset', {}, h('legend', {}, 'Rules to use'),
      h('label', { class: 'inline' }, asSaved, 'As saved'), h('label', { class: 'inline' }, asEdited, 'As edited')),
    h('div', { class: 'row' }, runBtn), out);
  sim.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors();
    const xml = asEdited.checked ? toXml(rules, vary) : savedXml;
    try {
      const r = await api('POST', 'cors/explain', { xml, origin: origin.value.trim(), method: method.value, headers: reqHeaders.value });
      const hdrs = (wire) => wire.map(([k, v]) => `${k}: ${v}`).join('\n') || '(no CORS headers)';
      out.replaceChildren(
        h('p', { id: 'sim-verdict', class: r.allowed ? 'ok' : 'error' },
          r.allowed ? `Allowed by rule ${r.rule} (the first rule that matches decides).` : `Refused: ${r.reason || 'no rule matches; the preflight gets 403 AccessForbidden.'}`),
        r.rules.length ? h('div', { class: 'table-wrap' }, h('table', {}, h('caption', { class: 'muted' }, 'Rule by rule'),
          h('thead', {}, h('tr', {}, ['Rule', 'Role', 'Why'].map((c) => h('th', { scope: 'col' }, c)))),
          h('tbody', {}, r.rules.map((x) => h('tr', { dataset: { rule: x.rule } },
            h('td', {}, String(x.rule)), h('td', { class: x.role === 'decides' ? 'verdict-decides' : '' }, x.role), h('td', {}, x.reason)))))) : '',
        h('h3', {}, `Preflight answer: ${r.preflight.status}`),
        h('pre', { id: 'sim-preflight', dataset: { headers: JSON.stringify(r.preflight.headers) } }, hdrs(r.preflight.wire)),
        h('h3', {}, `Actual ${method.value} response: CORS headers`),
        h('pre', { id: 'sim-actual', dataset: { headers: JSON.stringify(r.actual.headers) } }, hdrs(r.actual.wire)));
    } catch (e) { showError(e, e); }
  });

  page.replaceChildren(
    h('h1', {}, `CORS rules of ${bucket}`), bucketTabs(bucket, 'cors'),
    h('p', { class: 'muted' }, 'Rules are tried in order; the first whose origin, method and requested headers match decides. At most 10 rules.'),
    h('div', { class: 'row' }, h('label', { class: 'inline' }, varyBox, 'Vary: Origin (ResponseVary)')),
    configLint, cards, general,
    h('div', { class: 'row' }, addBtn, saveBtn, checkBtn, delAll),
    sim,
    h('section', { class: 'card', 'aria-labelledby': 'xml-h' }, h('h2', { id: 'xml-h' }, 'Import and export'),
      ...field('CORS XML', xmlBox), h('div', { class: 'row' }, exportBtn, importBtn, download)));
  await loadSaved();
}
