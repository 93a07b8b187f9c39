// Talking to the server: OSS requests through the console's proxy (the same pipeline and
// authorization as signed requests), the console's JSON endpoints, and uploads with progress.
// Every error is an OSS <Error> document; it becomes an OssError.

const BASE = '/-/console/api/';
let csrf = '';
let onSignedOut = () => {};

export class OssError extends Error {
  constructor(status, code, message, fields) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code || `HTTP${status}`;
    this.fields = fields || {};
  }
}

export function setCsrf(token) { csrf = token || ''; }
export function whenSignedOut(fn) { onSignedOut = fn; }

/** Parses an OSS XML text into a Document (or null). */
export function parseXml(text) {
  if (!text) return null;
  const doc = new DOMParser().parseFromString(text, 'application/xml');
  return doc.getElementsByTagName('parsererror').length ? null : doc;
}

/** The text of the first `name` element under `node`. */
export function text(node, name) {
  const el = node && node.getElementsByTagName(name)[0];
  return el ? el.textContent : '';
}

/** All direct children of `node` named `name`. */
export function children(node, name) {
  return node ? [...node.children].filter((c) => c.tagName === name) : [];
}

function errorFrom(status, body, headers) {
  if (headers.get('x-ossd-console') === 'signed-out') onSignedOut();
  let xml = body;
  if (!xml && headers.get('x-oss-err')) {
    try { xml = atob(headers.get('x-oss-err')); } catch { xml = ''; }
  }
  const doc = parseXml(xml);
  if (!doc) return new OssError(status, '', `HTTP ${status}`);
  const root = doc.documentElement;
  const fields = {};
  for (const c of root.children) fields[c.tagName] = c.textContent;
  return new OssError(status, fields.Code, fields.Message, fields);
}

/** Encodes an object key for a URL path, keeping `/`. */
export function encodeKey(key) {
  return key.split('/').map(encodeURIComponent).join('/');
}

/** The proxy URL of an OSS resource. */
export function ossUrl(bucket, key, query) {
  let path = BASE + 'oss/';
  if (bucket) path += encodeURIComponent(bucket) + '/';
  if (key) path += encodeKey(key);
  const q = query ? new URLSearchParams(query).toString().replace(/=(&|$)/g, '$1') : '';
  return q ? `${path}?${q}` : path;
}

function stateChanging(method) { return method !== 'GET' && method !== 'HEAD'; }

/**
 * One OSS request through the proxy. `query` values of '' are sent as bare sub-resources
 * (`?acl`). Resolves to {status, headers, text, doc}; rejects with OssError.
 */
export async function oss(method, bucket, key, { query, headers, body } = {}) {
  const h = new Headers(headers || {});
  if (stateChanging(method)) h.set('X-Ossd-Csrf', csrf);
  const r = await fetch(ossUrl(bucket, key, query), { method, headers: h, body, credentials: 'same-origin' });
  const t = await r.text();
  if (!r.ok) throw errorFrom(r.status, t, r.headers);
  return { status: r.status, headers: r.headers, text: t, doc: parseXml(t) };
}

/** A console JSON endpoint. */
export async function api(method, path, body) {
  const h = new Headers();
  if (stateChanging(method)) h.set('X-Ossd-Csrf', csrf);
  if (body !== undefined) h.set('Content-Type', 'application/json');
  const r = await fetch(BASE + path, {
    method, headers: h, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin',
  });
  const t = await r.text();
  if (!r.ok) throw errorFrom(r.status, t, r.headers);
  return t ? JSON.parse(t) : null;
}

/**
 * A request with upload progress (XHR): `onProgress(loadedBytes)`. Returns {xhr, done}, where
 * `done` resolves to the response headers' getter and text, and `xhr.abort()` cancels.
 */
export function upload(method, url, body, headers, onProgress) {
  const xhr = new XMLHttpRequest();
  const done = new Promise((resolve, reject) => {
    xhr.open(method, url);
    xhr.setRequestHeader('X-Ossd-Csrf', csrf);
    for (const [k, v] of Object.entries(headers || {})) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => onProgress && onProgress(e.loaded);
    xhr.onload = () => {
      const get = (n) => xhr.getResponseHeader(n);
      if (xhr.status >= 200 && xhr.status < 300) resolve({ header: get, text: xhr.responseText });
      else reject(errorFrom(xhr.status, xhr.responseText, { get }));
    };
    xhr.onerror = () => reject(new OssError(0, 'NetworkError', 'The connection failed.'));
    xhr.onabort = () => reject(new OssError(0, 'Cancelled', 'Cancelled.'));
    xhr.send(body);
  });
  return { xhr, done };
}

/** Escapes text for an XML document. */
export function xmlEscape(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' }[c]));
}
