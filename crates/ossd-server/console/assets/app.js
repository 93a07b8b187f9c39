// The console's entry: sign-in and sign-out, the session, and the hash router.
import { api, setCsrf, whenSignedOut } from './api.js';
import { h, sayError, clearSay } from './ui.js';
import { renderBuckets } from './buckets.js';
import { renderObjects } from './objects.js';
import { renderCors } from './cors.js';
import { renderAcl } from './acl.js';
import { renderKeys } from './keys.js';

export const session = { id: '', root: false };

const $ = (id) => document.getElementById(id);
const view = $('view');
const signInForm = $('sign-in');

function showSignIn() {
  session.id = '';
  setCsrf('');
  $('nav').hidden = true;
  $('sign-out').hidden = true;
  $('who').textContent = '';
  view.replaceChildren(signInForm);
  signInForm.hidden = false;
  $('ak-secret').value = '';
  $('ak-id').focus();
}

function signedIn(s) {
  session.id = s.access_key_id;
  session.root = s.root;
  setCsrf(s.csrf);
  $('nav').hidden = false;
  $('nav-keys').hidden = !s.root;
  $('sign-out').hidden = false;
  $('who').textContent = `Signed in as ${s.access_key_id}${s.root ? ' (root)' : ''}`;
  signInForm.hidden = true;
  signInForm.remove();
}

whenSignedOut(() => { if (session.id) { showSignIn(); } });

signInForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  $('sign-in-error').textContent = '';
  try {
    const s = await api('POST', 'session', {
      access_key_id: $('ak-id').value.trim(),
      access_key_secret: $('ak-secret').value,
    });
    $('ak-secret').value = '';
    signedIn(s);
    if (!location.hash || location.hash === '#/') location.hash = '#/buckets';
    else route();
  } catch (err) {
    $('sign-in-error').textContent = `${err.code}: ${err.message}`;
  }
});

$('sign-out').addEventListener('click', async () => {
  try { await api('DELETE', 'session'); } catch (err) { sayError(err); }
  showSignIn();
});

/** Tabs of a bucket's pages. */
export function bucketTabs(bucket, current) {
  const tab = (id, label) => h('a', {
    href: `#/b/${encodeURIComponent(bucket)}/${id}`, 'aria-current': id === current ? 'page' : undefined,
  }, label);
  return h('nav', { class: 'tabs', 'aria-label': `Bucket ${bucket}` },
    tab('objects', 'Objects'), tab('cors', 'CORS'), tab('acl', 'ACL and referer'));
}

async function route() {
  if (!session.id) return;
  clearSay();
  const parts = location.hash.replace(/^#\/?/, '').split('/');
  const page = h('div', {});
  view.replaceChildren(page);
  try {
    if (parts[0] === 'b' && parts[1]) {
      const bucket = decodeURIComponent(parts[1]);
      const what = parts[2] || 'objects';
      const rest = decodeURIComponent(parts.slice(3).join('/'));
      if (what === 'cors') await renderCors(page, bucket);
      else if (what === 'acl') await renderAcl(page, bucket);
      else await renderObjects(page, bucket, rest);
    } else if (parts[0] === 'keys' && session.root) {
      await renderKeys(page);
    } else {
      await renderBuckets(page);
    }
  } catch (err) {
    sayError(err);
  }
  const heading = view.querySelector('h1');
  if (heading) { heading.tabIndex = -1; heading.focus({ preventScroll: true }); }
}

window.addEventListener('hashchange', route);

(async () => {
  let s = null;
  try { s = await api('GET', 'session'); } catch (err) { sayError(err); }
  if (s && s.signed_in) { signedIn(s); route(); } else showSignIn();
})();
