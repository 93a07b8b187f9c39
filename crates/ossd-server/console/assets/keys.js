// Access keys (root only): create (the secret is shown once), disable, enable, delete, and
// grants per bucket. The server runs the admin API's own code for these.
import { api } from './api.js';
import { h, field, say, sayError, confirmDialog, when, table } from './ui.js';
import { listBucketNames } from './buckets.js';

export async function renderKeys(page) {
  const list = h('div', {});
  const secretBox = h('div', { 'aria-live': 'polite' });
  const buckets = await listBucketNames().catch(() => []);

  const refresh = async () => {
    const keys = await api('GET', 'keys');
    const rows = keys.map((k) => {
      const id = k.access_key_id;
      const toggle = h('button', { type: 'button', 'aria-label': `${k.enabled ? 'Disable' : 'Enable'} key ${id}` }, k.enabled ? 'Disable' : 'Enable');
      toggle.addEventListener('click', async () => {
        try { await api('PUT', `keys/${encodeURIComponent(id)}?enabled=${!k.enabled}`); await refresh(); } catch (e) { sayError(e); }
      });
      const del = h('button', { type: 'button', class: 'danger', 'aria-label': `Delete key ${id}` }, 'Delete');
      del.addEventListener('click', async () => {
        if (!await confirmDialog(`Delete the key ${id}? Programs using it stop working.`)) return;
        try { await api('DELETE', `keys/${encodeURIComponent(id)}`); say(`Key ${id} deleted.`); await refresh(); } catch (e) { sayError(e); }
      });
      const grants = Object.entries(k.grants || {}).map(([b, p]) => {
        const revoke = h('button', { type: 'button', 'aria-label': `Revoke ${p} on ${b} from ${id}` }, 'Revoke');
        revoke.addEventListener('click', async () => {
          try { await api('DELETE', `keys/${encodeURIComponent(id)}/grants/${encodeURIComponent(b)}`); await refresh(); } catch (e) { sayError(e); }
        });
        return h('li', {}, `${b}: ${p} `, revoke);
      });
      const bsel = h('select', {}, buckets.map((b) => h('option', { value: b }, b)));
      const psel = h('select', {}, ['read', 'write', 'owner'].map((p) => h('option', { value: p }, p)));
      const grant = h('button', { type: 'button', 'aria-label': `Grant to ${id}` }, 'Grant');
      grant.addEventListener('click', async () => {
        try { await api('PUT', `keys/${encodeURIComponent(id)}/grants/${encodeURIComponent(bsel.value)}?permission=${psel.value}`); await refresh(); } catch (e) { sayError(e); }
      });
      return h('tr', { dataset: { key: id } },
        h('td', {}, id, h('div', { class: 'muted' }, k.name)),
        h('td', {}, k.enabled ? 'enabled' : 'disabled'),
        h('td', { class: 'hide-narrow' }, when(new Date(k.created_ms).toISOString())),
        h('td', {}, h('ul', {}, grants), h('div', { class: 'row' },
          h('div', {}, ...field(`Bucket for ${id}`, bsel)), h('div', {}, ...field(`Permission for ${id}`, psel)), grant)),
        h('td', {}, h('div', { class: 'row' }, toggle, del)));
    });
    list.replaceChildren(rows.length ? table('Access keys', ['AccessKey ID', 'State', 'Created', 'Grants', ''], rows) : h('p', { class: 'muted' }, 'No keys besides root.'));
  };

  const name = h('input', { autocomplete: 'off' });
  const create = h('form', { class: 'card', 'aria-labelledby': 'newkey-h' }, h('h2', { id: 'newkey-h' }, 'Create a key'),
    ...field('Key name (a note for you)', name), h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary' }, 'Create key')), secretBox);
  create.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const k = await api('POST', `keys?name=${encodeURIComponent(name.value)}`);
      secretBox.replaceChildren(h('p', {}, 'Copy the secret now: it is not shown again.'),
        h('div', { class: 'secret' }, `AccessKey ID: ${k.access_key_id}`), h('div', { class: 'secret', id: 'new-secret' }, `AccessKey secret: ${k.access_key_secret}`));
      name.value = '';
      await refresh();
    } catch (ex) { sayError(ex); }
  });
  page.replaceChildren(h('h1', {}, 'Access keys'), create, list);
  await refresh();
}
