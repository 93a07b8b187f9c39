// Objects of a bucket: folders by "/", breadcrumbs, pages of keys, upload (picker and drag and
// drop), download, delete (one or selected), share links, details.
import { oss, ossUrl, api, text, children, xmlEscape } from './api.js';
import { h, field, say, sayError, confirmDialog, bytes, when, table } from './ui.js';
import { uploadFile } from './upload.js';
import { bucketTabs } from './app.js';

const PAGE_SIZES = [1000, 100, 20];

const folderHref = (bucket, prefix) => `#/b/${encodeURIComponent(bucket)}/objects/${encodeURIComponent(prefix)}`;

function crumbs(bucket, prefix) {
  const nav = h('nav', { class: 'crumbs', 'aria-label': 'Folder' });
  nav.append(h('a', { href: folderHref(bucket, '') }, bucket));
  let acc = '';
  for (const seg of prefix.split('/').filter(Boolean)) {
    acc += `${seg}/`;
    nav.append(h('span', { 'aria-hidden': 'true' }, '/'), h('a', { href: folderHref(bucket, acc) }, seg));
  }
  const last = nav.lastElementChild;
  last.setAttribute('aria-current', 'page');
  return nav;
}

async function details(panel, bucket, key) {
  const [head, acl] = await Promise.all([
    oss('HEAD', bucket, key),
    oss('GET', bucket, key, { query: { acl: '' } }).then((r) => text(r.doc, 'Grant')).catch((e) => `${e.code}`),
  ]);
  const g = (n) => head.headers.get(n) || '';
  const rows = [
    ['Key', key], ['Size', `${bytes(g('content-length'))} (${g('content-length')} bytes)`], ['ETag', g('etag')],
    ['CRC-64', g('x-oss-hash-crc64ecma')], ['Content type', g('content-type')], ['Last modified', when(g('last-modified'))],
    ['Storage class', g('x-oss-storage-class')], ['Object type', g('x-oss-object-type')], ['ACL', acl],
  ];
  for (const [k, v] of head.headers) if (k.startsWith('x-oss-meta-')) rows.push([`Metadata ${k.slice(11)}`, v]);
  const expires = h('input', { type: 'number', min: 1, max: 604800, value: 3600 });
  const link = h('input', { readonly: true, value: '' });
  const make = h('button', { type: 'button' }, 'Create share link');
  make.addEventListener('click', async () => {
    try {
      const r = await api('POST', 'presign', { bucket, key, expires_seconds: Number(expires.value) });
      link.value = r.url;
      link.focus();
      link.select();
    } catch (e) { sayError(e); }
  });
  const close = h('button', { type: 'button' }, 'Close details');
  close.addEventListener('click', () => panel.replaceChildren());
  panel.replaceChildren(h('section', { class: 'card', 'aria-labelledby': 'details-h' },
    h('h2', { id: 'details-h' }, `Details of ${key}`),
    h('dl', { class: 'details' }, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
    h('h2', {}, 'Share'),
    h('div', { class: 'row' }, h('div', {}, field('Link expires after (seconds)', expires)), make),
    field('Share link', link),
    h('div', { class: 'row' }, close)));
  panel.querySelector('h2').focus();
}

export async function renderObjects(page, bucket, prefix) {
  const status = h('p', { class: 'muted', role: 'status' });
  const listing = h('div', {});
  const panel = h('div', {});
  const uploads = h('div', { 'aria-label': 'Uploads' });
  const size = h('select', { class: 'compact' }, PAGE_SIZES.map((n) => h('option', { value: n }, String(n))));
  const tokens = ['']; // continuation token of each page shown so far
  let pageNo = 0;

  const load = async () => {
    const query = { 'list-type': '2', delimiter: '/', 'max-keys': size.value };
    if (prefix) query.prefix = prefix;
    if (tokens[pageNo]) query['continuation-token'] = tokens[pageNo];
    const r = await oss('GET', bucket, '', { query });
    const doc = r.doc.documentElement;
    const dec = (s) => s;
    const next = text(doc, 'NextContinuationToken');
    if (text(doc, 'IsTruncated') === 'true') tokens[pageNo + 1] = next; else tokens.length = pageNo + 1;
    const rows = [];
    for (const p of children(doc, 'CommonPrefixes')) {
      const full = dec(text(p, 'Prefix'));
      rows.push(h('tr', { dataset: { prefix: full } }, h('td', {}), h('td', {},
        h('a', { href: folderHref(bucket, full) }, `${full.slice(prefix.length)}`)), h('td', { class: 'num' }, 'folder'),
      h('td', { class: 'hide-narrow' }), h('td', {})));
    }
    for (const c of children(doc, 'Contents')) {
      const key = dec(text(c, 'Key'));
      if (key === prefix) continue;
      const name = key.slice(prefix.length);
      const info = h('button', { type: 'button', 'aria-label': `Details of ${key}` }, 'Details');
      info.addEventListener('click', () => details(panel, bucket, key).catch(sayError));
      const dl = h('a', {
        href: ossUrl(bucket, key, { 'response-content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(name)}` }),
        download: name, 'aria-label': `Download ${key}`,
      }, 'Download');
      const del = h('button', { type: 'button', class: 'danger', 'aria-label': `Delete ${key}` }, 'Delete');
      del.addEventListener('click', async () => {
        if (!await confirmDialog(`Delete ${key}?`)) return;
        try { await oss('DELETE', bucket, key); await load(); say(`Deleted ${key}.`); } catch (e) { sayError(e); }
      });
      rows.push(h('tr', { dataset: { key } },
        h('td', {}, h('input', { type: 'checkbox', value: key, 'aria-label': `Select ${key}` })),
        h('td', {}, name),
        h('td', { class: 'num' }, bytes(text(c, 'Size'))),
        h('td', { class: 'hide-narrow' }, when(text(c, 'LastModified'))),
        h('td', {}, h('div', { class: 'row' }, info, dl, del))));
    }
    listing.replaceChildren(rows.length
      ? table(`Objects in ${bucket}/${prefix}`, ['', 'Name', 'Size', 'Last modified', 'Actions'], rows)
      : h('p', { class: 'muted' }, 'This folder is empty.'));
    const th = listing.querySelectorAll('th')[3];
    if (th) th.classList.add('hide-narrow');
    prev.disabled = pageNo === 0;
    nextBtn.disabled = tokens.length <= pageNo + 1;
    status.textContent = `Page ${pageNo + 1}`;
  };

  const prev = h('button', { type: 'button' }, 'Previous page');
  const nextBtn = h('button', { type: 'button' }, 'Next page');
  prev.addEventListener('click', () => { pageNo -= 1; load().catch(sayError); });
  nextBtn.addEventListener('click', () => { pageNo += 1; load().catch(sayError); });
  size.addEventListener('change', () => { tokens.length = 1; pageNo = 0; load().catch(sayError); });

  const delSelected = h('button', { type: 'button', class: 'danger' }, 'Delete selected');
  delSelected.addEventListener('click', async () => {
    const keys = [...listing.querySelectorAll('input[type=checkbox]:checked')].map((c) => c.value);
    if (!keys.length) { say('Select objects first.', true); return; }
    if (!await confirmDialog(`Delete ${keys.length} object(s)?`)) return;
    const body = `<?xml version="1.0" encoding="UTF-8"?><Delete><Quiet>false</Quiet>${keys.map((k) => `<Object><Key>${xmlEscape(k)}</Key></Object>`).join('')}</Delete>`;
    try {
      const r = await oss('POST', bucket, '', { query: { delete: '' }, body });
      const failed = r.doc ? r.doc.getElementsByTagName('Error').length : 0;
      await load();
      say(failed ? `${failed} object(s) could not be deleted.` : `Deleted ${keys.length} object(s).`, failed > 0);
    } catch (e) { sayError(e); }
  });

  const picker = h('input', { type: 'file', multiple: true });
  const start = async (files) => {
    const all = [...files].map((f) => uploadFile(uploads, bucket, prefix + f.name, f));
    const ok = await Promise.all(all);
    if (ok.some(Boolean)) await load().catch(sayError);
  };
  picker.addEventListener('change', () => { start(picker.files); picker.value = ''; });
  const drop = h('div', { class: 'drop' }, 'Drop files here to upload them to this folder.');
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => { e.preventDefault(); drop.classList.remove('over'); start(e.dataTransfer.files); });

  page.replaceChildren(
    h('h1', {}, `Bucket ${bucket}`), bucketTabs(bucket, 'objects'), crumbs(bucket, prefix),
    h('section', { class: 'card', 'aria-label': 'Upload' }, h('div', { class: 'row' }, field('Choose files', picker)), drop, uploads),
    h('div', { class: 'row' }, delSelected, h('span', { class: 'grow' }), h('div', { class: 'row' }, ...field('Keys per page', size)), prev, nextBtn),
    status, listing, panel);
  await load();
}
