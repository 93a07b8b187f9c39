// Demo page logic: cross-origin uploads to ossd with presigned URLs, a PostObject form, or the
// ali-oss browser SDK. The browser suite drives these same functions through `window.demo`.
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);

  function log(line, ok) {
    const div = document.createElement('div');
    div.textContent = `${new Date().toISOString().slice(11, 19)} ${line}`;
    div.className = ok ? 'ok' : 'err';
    $('log').prepend(div);
  }

  /** Show one result in the Result box and the log. */
  function report(what, r) {
    const status = r.error ? `${what}: ${r.error}` : `${what}: HTTP ${r.status}${r.code ? ` ${r.code}` : ''}`;
    $('status').textContent = status;
    $('status').className = r.ok ? 'ok' : 'err';
    if (r.etag !== undefined) $('etag').textContent = r.etag === null ? '(not readable: ETag not exposed)' : r.etag;
    if (r.text !== undefined) $('content').textContent = r.text.length > 600 ? `${r.text.slice(0, 600)}…` : r.text;
    log(status + (r.etag ? ` ETag ${r.etag}` : ''), r.ok);
    return r;
  }

  /** The OSS error Code in an XML error body, if any. */
  function errorCode(text) {
    if (!text || !text.includes('<Error>')) return undefined;
    const doc = new DOMParser().parseFromString(text, 'application/xml');
    const code = doc.querySelector('Error > Code');
    return code ? code.textContent : undefined;
  }

  const describeError = (e) => `${(e && e.name) || 'Error'}: ${(e && e.message) || e}`;

  /** fetch() that never throws: a CORS refusal becomes { ok: false, status: 0, error }. */
  async function request(what, url, init) {
    try {
      const res = await fetch(url, init);
      const text = await res.text();
      return report(what, {
        ok: res.ok,
        status: res.status,
        etag: res.headers.get('ETag'),
        requestId: res.headers.get('x-oss-request-id'),
        contentType: res.headers.get('Content-Type'),
        vary: res.headers.get('Vary'),
        text,
        code: errorCode(text),
      });
    } catch (e) {
      return report(what, { ok: false, status: 0, error: describeError(e) });
    }
  }

  /** PUT a Blob to a presigned URL (sign it with the Blob's type as Content-Type). */
  function putPresigned(url, body) {
    return request('PUT', url, { method: 'PUT', body });
  }

  /** GET a URL (presigned or public) and read the body as text. */
  function get(url, init) {
    return request('GET', url, { ...(init || {}), method: 'GET' });
  }

  /** Any method, for the refusal cases. */
  function send(method, url, init) {
    return request(method, url, { ...(init || {}), method });
  }

  /** The children of <PostResponse> (success_action_status 201), as { Bucket, Key, ETag, Location }. */
  function postResponse(text) {
    if (!text || !text.includes('<PostResponse')) return undefined;
    const doc = new DOMParser().parseFromString(text, 'application/xml');
    const out = {};
    for (const el of doc.documentElement.children) out[el.tagName] = el.textContent;
    return out;
  }

  /** PostObject: a multipart form with the policy fields, the file last. */
  async function postObject(action, fields, blob, filename) {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    form.append('file', blob, filename || 'upload.bin');
    const r = await request('POST', action, { method: 'POST', body: form });
    return { ...r, post: postResponse(r.text) };
  }

  /** An ali-oss browser client, path-style (sldEnable) because the page cannot set Host. */
  function sdkClient(opts) {
    return new OSS({
      region: 'oss-cn-hangzhou',
      sldEnable: true,
      secure: String(opts.endpoint).startsWith('https:'),
      timeout: 60000,
      ...opts,
    });
  }

  function sdkError(what, e) {
    return report(what, { ok: false, status: (e && e.status) || 0, code: e && e.code, error: describeError(e) });
  }

  /** Upload with the SDK (multipartUpload: a plain PUT below 100 KiB, parts above). */
  async function sdkUpload(client, key, blob, partSize) {
    const progress = [];
    try {
      const r = await client.multipartUpload(key, blob, {
        partSize: partSize || 1024 * 1024,
        parallel: 3,
        progress: (p) => {
          progress.push(p);
          $('progress').value = p;
        },
      });
      return report('SDK upload', { ok: true, status: r.res.status, etag: r.etag || r.res.headers.etag, progress, text: `${blob.size} bytes as ${key}` });
    } catch (e) {
      return { ...sdkError('SDK upload', e), progress };
    }
  }

  /** Read an object with the SDK; returns its size and SHA-256 so big objects need not travel. */
  async function sdkRead(client, key) {
    try {
      const r = await client.get(key);
      const bytes = r.content instanceof Uint8Array ? r.content : new Uint8Array(await new Response(r.content).arrayBuffer());
      const digest = await crypto.subtle.digest('SHA-256', bytes);
      const sha256 = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
      const head = new TextDecoder().decode(bytes.slice(0, 200));
      return { ...report('SDK get', { ok: true, status: r.res.status, etag: r.res.headers.etag, text: head }), size: bytes.length, sha256 };
    } catch (e) {
      return sdkError('SDK get', e);
    }
  }

  async function sdkDelete(client, key) {
    try {
      const r = await client.delete(key);
      return report('SDK delete', { ok: true, status: r.res.status });
    } catch (e) {
      return sdkError('SDK delete', e);
    }
  }

  // ---- wiring for a person using the page by hand ----
  function bodyFromForm() {
    const f = $('file').files[0];
    return f || new Blob([$('text').value], { type: 'text/plain' });
  }
  function objectUrl() {
    const key = $('key').value.split('/').map(encodeURIComponent).join('/');
    return `${$('endpoint').value.replace(/\/$/, '')}/${$('bucket').value}/${key}`;
  }
  function formClient() {
    return sdkClient({ endpoint: $('endpoint').value, bucket: $('bucket').value, accessKeyId: $('ak').value, accessKeySecret: $('sk').value });
  }

  function init() {
    $('page-origin').textContent = location.origin;
    const q = new URLSearchParams(location.search);
    for (const id of ['endpoint', 'bucket', 'key', 'ak']) if (q.get(id)) $(id).value = q.get(id);
    $('btn-put').onclick = () => putPresigned($('put-url').value.trim(), bodyFromForm());
    $('btn-get').onclick = () => get($('get-url').value.trim() || objectUrl());
    $('btn-sdk-put').onclick = () => sdkUpload(formClient(), $('key').value, bodyFromForm());
    $('btn-sdk-get').onclick = () => sdkRead(formClient(), $('key').value);
  }

  window.demo = { putPresigned, get, send, postObject, sdkClient, sdkUpload, sdkRead, sdkDelete, report, errorCode };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
