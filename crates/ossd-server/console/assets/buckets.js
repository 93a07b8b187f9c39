// Buckets: list (with GetBucketStat and GetBucketAcl), create, delete.
import { oss, text, children, xmlEscape } from './api.js';
import { h, field, say, sayError, confirmDialog, bytes, when, table } from './ui.js';

const ACLS = ['private', 'public-read', 'public-read-write'];
const CLASSES = ['Standard', 'IA', 'Archive', 'ColdArchive'];

/** The bucket naming rule OSS documents: 3 to 63 characters, lower-case letters, digits and
 * hyphens, starting and ending with a letter or digit. The server checks it again. */
export function bucketNameProblem(name) {
  if (name.length < 3 || name.length > 63) return 'A bucket name has 3 to 63 characters.';
  if (!/^[a-z0-9-]+$/.test(name)) return 'Use only lower-case letters, digits and hyphens (-).';
  if (name.startsWith('-') || name.endsWith('-')) return 'A bucket name starts and ends with a letter or digit.';
  return '';
}

export async function listBucketNames() {
  const r = await oss('GET', '', '');
  return [...r.doc.getElementsByTagName('Bucket')].map((b) => text(b, 'Name'));
}

async function bucketRow(b, refresh) {
  const name = text(b, 'Name');
  const [stat, acl] = await Promise.all([
    oss('GET', name, '', { query: { stat: '' } }).then((r) => r.doc).catch(() => null),
    oss('GET', name, '', { query: { acl: '' } }).then((r) => text(r.doc, 'Grant')).catch(() => ''),
  ]);
  const del = h('button', { type: 'button', class: 'danger', 'aria-label': `Delete bucket ${name}` }, 'Delete');
  del.addEventListener('click', async () => {
    if (!await confirmDialog(`Delete the bucket ${name}? This cannot be undone.`, 'Delete bucket')) return;
    try {
      await oss('DELETE', name, '');
      say(`Bucket ${name} deleted.`);
      refresh();
    } catch (e) {
      if (e.code === 'BucketNotEmpty') say(`The bucket ${name} is not empty: delete its objects (and multipart uploads) first.`, true);
      else sayError(e);
    }
  });
  return h('tr', { dataset: { bucket: name } },
    h('td', {}, h('a', { href: `#/b/${encodeURIComponent(name)}/objects` }, name)),
    h('td', { class: 'hide-narrow' }, text(b, 'Region') || text(b, 'Location')),
    h('td', {}, acl),
    h('td', { class: 'hide-narrow' }, text(b, 'StorageClass')),
    h('td', { class: 'hide-narrow' }, when(text(b, 'CreationDate'))),
    h('td', { class: 'num' }, stat ? text(stat, 'ObjectCount') : ''),
    h('td', { class: 'num' }, stat ? bytes(text(stat, 'Storage')) : ''),
    h('td', {}, del));
}

function createForm(refresh) {
  const name = h('input', { name: 'bucket', autocomplete: 'off', required: true, 'aria-describedby': 'bucket-name-error' });
  const acl = h('select', { name: 'acl' }, ACLS.map((a) => h('option', { value: a }, a)));
  const cls = h('select', { name: 'storage-class' }, CLASSES.map((c) => h('option', { value: c }, c)));
  const err = h('p', { id: 'bucket-name-error', class: 'error', role: 'alert' });
  const form = h('form', { class: 'card', 'aria-labelledby': 'create-bucket-h' },
    h('h2', { id: 'create-bucket-h' }, 'Create a bucket'),
    field('Bucket name', name), err,
    h('div', { class: 'row' },
      h('div', { class: 'grow' }, field('ACL', acl)),
      h('div', { class: 'grow' }, field('Storage class', cls))),
    h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary' }, 'Create bucket')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    err.textContent = bucketNameProblem(name.value);
    if (err.textContent) { name.setAttribute('aria-invalid', 'true'); name.focus(); return; }
    name.removeAttribute('aria-invalid');
    const body = `<?xml version="1.0" encoding="UTF-8"?><CreateBucketConfiguration><StorageClass>${xmlEscape(cls.value)}</StorageClass></CreateBucketConfiguration>`;
    try {
      await oss('PUT', name.value, '', { headers: { 'x-oss-acl': acl.value }, body });
      say(`Bucket ${name.value} created.`);
      name.value = '';
      refresh();
    } catch (ex) {
      err.textContent = `${ex.code}: ${ex.message}`;
      name.setAttribute('aria-invalid', 'true');
    }
  });
  return form;
}

export async function renderBuckets(page) {
  const list = h('div', {});
  const refresh = async () => {
    try {
      const r = await oss('GET', '', '');
      const buckets = children(r.doc.getElementsByTagName('Buckets')[0], 'Bucket');
      const rows = await Promise.all(buckets.map((b) => bucketRow(b, refresh)));
      list.replaceChildren(rows.length
        ? table('Buckets', ['Name', 'Region', 'ACL', 'Storage class', 'Created', 'Objects', 'Size', ''], rows)
        : h('p', { class: 'muted' }, 'No buckets yet.'));
      for (const th of list.querySelectorAll('th')) {
        if (['Region', 'Storage class', 'Created'].includes(th.textContent)) th.classList.add('hide-narrow');
      }
    } catch (e) { sayError(e); }
  };
  page.replaceChildren(h('h1', {}, 'Buckets'), createForm(refresh), list);
  await refresh();
}
