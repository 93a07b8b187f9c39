// Shared helpers for the ossd Node suites: configuration from run.sh, OSS signing done
// independently of ali-oss (Node crypto), and small raw-HTTP helpers.
import crypto from 'node:crypto';
import { createRequire } from 'node:module';

export const require = createRequire(import.meta.url);
/** ali-oss (Node build). */
export const OSS = require('ali-oss');

function need(name) {
  const v = process.env[name];
  if (!v) {
    throw new Error(`${name} is not set: run the suite through tests/node/run.sh`);
  }
  return v;
}

/** Everything run.sh tells the tests. */
export const env = {
  // ossd on 127.0.0.1 (ali-oss IP endpoint form) and the same server as http://localhost:PORT
  // (path-style with sldEnable; the origin the browser talks to).
  ipEndpoint: need('OSSD_ENDPOINT'),
  storeOrigin: need('OSSD_STORE_ORIGIN'),
  accessKeyId: need('OSSD_ACCESS_KEY_ID'),
  accessKeySecret: need('OSSD_ACCESS_KEY_SECRET'),
  region: 'oss-cn-hangzhou',
  get appOrigin() { return need('APP_ORIGIN'); },
  get appOrigin2() { return need('APP_ORIGIN_2'); },
  get deniedOrigin() { return need('APP_ORIGIN_DENIED'); },
  get artifactsDir() { return need('ARTIFACTS_DIR'); },
  chromium: process.env.CHROMIUM || '/usr/bin/chromium',
};

/** A bucket name that no other test (or earlier run against a kept server) uses. */
export function uniqueBucket(prefix) {
  return `${prefix}-${Date.now().toString(36)}-${crypto.randomBytes(3).toString('hex')}`;
}

/** An ali-oss client for the Node suites. `style`: 'ip' (Host rewrite) or 'localhost' (sldEnable). */
export function client({ bucket, v4 = false, style = 'ip', secret = env.accessKeySecret, ...rest } = {}) {
  const base = style === 'ip'
    ? { endpoint: env.ipEndpoint }
    : { endpoint: env.storeOrigin, sldEnable: true };
  return new OSS({
    accessKeyId: env.accessKeyId,
    accessKeySecret: secret,
    region: env.region,
    bucket,
    authorizationV4: v4,
    timeout: 30000,
    ...base,
    ...rest,
  });
}

/** Base64 HMAC-SHA1, the OSS V1 signature primitive. */
export function hmacSha1(secret, data) {
  return crypto.createHmac('sha1', secret).update(data, 'utf8').digest('base64');
}

/** Percent-encode a key for a URL path, keeping `/` (the form ali-oss and the v2 SDKs send). */
export function encodeKey(key) {
  return key.split('/').map(encodeURIComponent).join('/');
}

/** Path-style URL of an object on the localhost store origin. */
export function objectUrl(bucket, key, origin = env.storeOrigin) {
  return `${origin}/${bucket}/${encodeKey(key)}`;
}

/**
 * V1 presigned URL (OSS docs: "Add signatures to URLs"): same string to sign as the header form, with `Expires`
 * (Unix seconds) in place of the date.
 */
export function presignV1({ method, bucket, key, expires, contentType = '', contentMd5 = '', ossHeaders = {}, origin = env.storeOrigin, secret = env.accessKeySecret }) {
  const canonHeaders = Object.keys(ossHeaders)
    .map((k) => [k.toLowerCase(), String(ossHeaders[k]).trim()])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}:${v}\n`)
    .join('');
  const stringToSign = `${method}\n${contentMd5}\n${contentType}\n${expires}\n${canonHeaders}/${bucket}/${key}`;
  const sig = hmacSha1(secret, stringToSign);
  const q = new URLSearchParams({ OSSAccessKeyId: env.accessKeyId, Expires: String(expires), Signature: sig });
  return `${objectUrl(bucket, key, origin)}?${q}`;
}

/** Unix seconds now. */
export const nowSecs = () => Math.floor(Date.now() / 1000);

/**
 * PostObject V1 form fields (OSS docs: PostObject): policy = base64(JSON),
 * Signature = base64(hmac-sha1(secret, policy)).
 */
export function postPolicyV1({ bucket, keyPrefix, maxBytes = 1 << 20, expiresInSecs = 600 }) {
  const policy = {
    expiration: new Date(Date.now() + expiresInSecs * 1000).toISOString(),
    conditions: [
      { bucket },
      ['starts-with', '$key', keyPrefix],
      ['content-length-range', 0, maxBytes],
    ],
  };
  const policyB64 = Buffer.from(JSON.stringify(policy)).toString('base64');
  return { policy: policyB64, OSSAccessKeyId: env.accessKeyId, Signature: hmacSha1(env.accessKeySecret, policyB64) };
}

/** A signed V1 request from Node (for calls ali-oss cannot make, e.g. ResponseVary). */
export async function signedV1(method, bucket, pathAndQuery, { body, contentType = '', resource, headers = {} } = {}) {
  const date = new Date().toUTCString();
  const md5 = body !== undefined ? crypto.createHash('md5').update(body).digest('base64') : '';
  const sts = `${method}\n${md5}\n${contentType}\n${date}\n${resource}`;
  const h = { Date: date, Authorization: `OSS ${env.accessKeyId}:${hmacSha1(env.accessKeySecret, sts)}`, ...headers };
  if (md5) h['Content-MD5'] = md5;
  if (contentType) h['Content-Type'] = contentType;
  return fetch(`${env.ipEndpoint}/${bucket}${pathAndQuery}`, { method, body, headers: h });
}

/** PutBucketCors with raw XML (ali-oss cannot send ResponseVary). */
export async function putCorsXml(bucket, xml) {
  const res = await signedV1('PUT', bucket, '/?cors', { body: xml, contentType: 'application/xml', resource: `/${bucket}/?cors` });
  if (res.status !== 200) {
    throw new Error(`PutBucketCors answered ${res.status}: ${await res.text()}`);
  }
}

/** Minimal XML text extraction: the text of the first <tag>. */
export function xmlText(xml, tag) {
  const m = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml);
  if (!m) return undefined;
  const named = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
  return m[1].replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (all, e) => {
    if (e[0] === '#') return String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    return named[e] ?? all;
  });
}

/** Lowercase MD5 hex of a buffer or string. */
export const md5hex = (b) => crypto.createHash('md5').update(b).digest('hex');
/** SHA-256 hex. */
export const sha256hex = (b) => crypto.createHash('sha256').update(b).digest('hex');

/** Deterministic pseudo-random bytes (content that is not all zeros, so corruption shows). */
export function patternBytes(n, seed = 1) {
  const b = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    b[i] = x & 0xff;
  }
  return b;
}

/** Strip quotes and lowercase an ETag for comparison. */
export const bareEtag = (e) => (e || '').replace(/"/g, '').toLowerCase();
