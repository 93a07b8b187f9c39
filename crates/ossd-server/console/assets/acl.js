// A bucket's ACL (GetBucketAcl / PutBucketAcl) and its hotlink protection (Get/PutBucketReferer).
import { oss, text, children, xmlEscape } from './api.js';
import { h, field, say, sayError } from './ui.js';
import { bucketTabs } from './app.js';

const ACLS = ['private', 'public-read', 'public-read-write'];

function aclForm(bucket, current) {
  const sel = h('select', {}, ACLS.map((a) => h('option', { value: a, selected: a === current }, a)));
  const form = h('form', { class: 'card', 'aria-labelledby': 'acl-h' }, h('h2', { id: 'acl-h' }, 'Bucket ACL'),
    h('p', { class: 'muted' }, 'private: only the owner and keys granted access; public-read: anyone may read; public-read-write: anyone may read and write.'),
    ...field('ACL', sel), h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary' }, 'Save ACL')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try { await oss('PUT', bucket, '', { query: { acl: '' }, headers: { 'x-oss-acl': sel.value } }); say(`ACL of ${bucket} is now ${sel.value}.`); } catch (ex) { sayError(ex); }
  });
  return form;
}

function refererForm(bucket, doc) {
  const root = doc && doc.documentElement;
  const list = (n) => (root ? [...root.getElementsByTagName(n)].flatMap((l) => children(l, 'Referer').map((r) => r.textContent)) : []);
  const flag = (n, d) => (root && text(root, n) ? text(root, n) === 'true' : d);
  const empty = h('input', { type: 'checkbox', checked: flag('AllowEmptyReferer', true) });
  const trunc = h('input', { type: 'checkbox', checked: flag('AllowTruncateQueryString', true) });
  const allow = h('textarea', { rows: 4 });
  allow.value = list('RefererList').join('\n');
  const deny = h('textarea', { rows: 3 });
  deny.value = list('RefererBlacklist').join('\n');
  const err = h('p', { class: 'error', role: 'alert' });
  const form = h('form', { class: 'card', 'aria-labelledby': 'ref-h' }, h('h2', { id: 'ref-h' }, 'Hotlink protection (Referer)'),
    h('p', { class: 'muted' }, 'Applies to anonymous requests and presigned URLs. An empty allow list allows every Referer.'),
    h('label', { class: 'inline' }, empty, 'Allow an empty Referer'),
    h('label', { class: 'inline' }, trunc, 'Ignore the query string'),
    ...field('Allowed referers (one per line; * and ? wildcards)', allow),
    ...field('Refused referers (one per line)', deny), err,
    h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary' }, 'Save referer settings')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    err.textContent = '';
    const refs = (t) => t.value.split('\n').map((s) => s.trim()).filter(Boolean).map((r) => `<Referer>${xmlEscape(r)}</Referer>`).join('');
    const body = `<?xml version="1.0" encoding="UTF-8"?><RefererConfiguration><AllowEmptyReferer>${empty.checked}</AllowEmptyReferer><AllowTruncateQueryString>${trunc.checked}</AllowTruncateQueryString><RefererList>${refs(allow)}</RefererList>${deny.value.trim() ? `<RefererBlacklist>${refs(deny)}</RefererBlacklist>` : ''}</RefererConfiguration>`;
    try { await oss('PUT', bucket, '', { query: { referer: '' }, body }); say(`Referer settings of ${bucket} saved.`); } catch (ex) { err.textContent = `${ex.code}: ${ex.message}`; }
  });
  return form;
}

export async function renderAcl(page, bucket) {
  const [acl, ref] = await Promise.all([
    oss('GET', bucket, '', { query: { acl: '' } }).then((r) => text(r.doc, 'Grant')),
    oss('GET', bucket, '', { query: { referer: '' } }).then((r) => r.doc, () => null),
  ]);
  page.replaceChildren(h('h1', {}, `ACL and referer of ${bucket}`), bucketTabs(bucket, 'acl'), aclForm(bucket, acl), refererForm(bucket, ref));
}
