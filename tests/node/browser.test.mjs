// Chromium (headless, Debian's build, driven by playwright-core) loads the demo page from an
// app origin and talks to ossd on another origin. Every scenario asserts what the page saw and
// what the browser put on the wire (preflights included, seen through a DevTools session).
// Sources: the OSS documentation of CORS (PutBucketCors, "Cross-origin resource sharing", the
// OPTIONS preflight) and of signatures and presigned URLs; our product decisions in ARCHITECTURE.md.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { chromium } from 'playwright-core';
import {
  client, env, uniqueBucket, objectUrl, presignV1, nowSecs, putCorsXml, md5hex, sha256hex, patternBytes, bareEtag, postPolicyV1,
} from './lib/common.mjs';

// Flags from the machine notes: no sandbox as root, and no background traffic to the closed network.
// playwright's launch() already gives Chromium a new empty --user-data-dir.
const LAUNCH_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-dev-shm-usage', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-default-apps',
];

const A = env.appOrigin; // allowed
const A2 = env.appOrigin2; // allowed, same site as A (shares the HTTP cache partition)
const DENIED = env.deniedOrigin; // in no rule
const STORE = env.storeOrigin;

const admin = client();
const bApp = uniqueBucket('br-app'); // full rule for A and A2
const bRo = uniqueBucket('br-ro'); // GET/HEAD only, for A
const bGone = uniqueBucket('br-gone'); // rules deleted during the test
const bVary = uniqueBucket('br-vary'); // ResponseVary true
const oApp = client({ bucket: bApp });
const local = (bucket) => client({ bucket, style: 'localhost' });

let browser;

const lower = (h) => Object.fromEntries(Object.entries(h || {}).map(([k, v]) => [k.toLowerCase(), String(v)]));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what, fn, timeoutMs = 5000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/**
 * Open the demo page on `origin` in `context`, recording every request through CDP
 * (page.on('request') does not see preflights). Records: url, method, type ('Preflight',
 * 'Fetch', 'Image', ...), request headers (merged with the raw ExtraInfo ones), status,
 * response headers, fromDiskCache, and loadingFailed (errorText, corsError).
 */
async function openPage(context, origin) {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  const byId = new Map();
  const rec = (id) => {
    if (!byId.has(id)) byId.set(id, { id, reqHeaders: {}, respHeaders: {} });
    return byId.get(id);
  };
  cdp.on('Network.requestWillBeSent', (e) => {
    const r = rec(e.requestId);
    Object.assign(r, { url: e.request.url, method: e.request.method, type: e.type });
    Object.assign(r.reqHeaders, lower(e.request.headers));
  });
  cdp.on('Network.requestWillBeSentExtraInfo', (e) => Object.assign(rec(e.requestId).reqHeaders, lower(e.headers)));
  cdp.on('Network.responseReceived', (e) => {
    const r = rec(e.requestId);
    r.status = e.response.status;
    r.fromDiskCache = e.response.fromDiskCache;
    // Chromium reports a preflight as type 'Other' in requestWillBeSent, 'Preflight' here.
    if (!r.type || e.type === 'Preflight') r.type = e.type;
    Object.assign(r.respHeaders, lower(e.response.headers));
  });
  cdp.on('Network.responseReceivedExtraInfo', (e) => {
    const r = rec(e.requestId);
    r.rawStatus = e.statusCode;
    Object.assign(r.respHeaders, lower(e.headers));
  });
  cdp.on('Network.loadingFinished', (e) => { rec(e.requestId).finished = true; });
  cdp.on('Network.loadingFailed', (e) => {
    rec(e.requestId).failed = { errorText: e.errorText, corsError: e.corsErrorStatus && e.corsErrorStatus.corsError };
  });
  await cdp.send('Network.enable');
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${origin}/?endpoint=${encodeURIComponent(STORE)}`);
  await page.waitForFunction(() => window.demo && window.OSS);
  const net = {
    all: () => [...byId.values()],
    /** Requests (not preflights) to URLs starting with `prefix`, optionally by method. */
    requests: (prefix, method) => net.all().filter((r) => r.url && r.url.startsWith(prefix) && !isPreflight(r) && (!method || r.method === method)),
    preflights: (prefix) => net.all().filter((r) => r.url && r.url.startsWith(prefix) && isPreflight(r)),
    /** The page's request to `prefix` was blocked by its preflight and never sent. */
    blockedAtPreflight: (prefix, method) => {
      const l = net.requests(prefix, method);
      assert.equal(l.length, 1, `one ${method} attempted`);
      assert.equal(l[0].status ?? l[0].rawStatus, undefined, `the ${method} itself was never sent`);
      assert.match((l[0].failed && l[0].failed.corsError) || '', /^Preflight/, 'blocked by the preflight');
    },
    /** Wait until a matching record is over (loadingFinished with a response, or loadingFailed). */
    settled: (what, pick) => waitFor(what, () => {
      const r = pick();
      return r && (r.failed || (r.finished && (r.status !== undefined || r.rawStatus !== undefined))) ? r : undefined;
    }),
  };
  return { page, cdp, net, errors };
}

const base = (url) => url.split('?')[0];
const isPreflight = (r) => r.type === 'Preflight' || (r.method === 'OPTIONS' && r.reqHeaders['access-control-request-method'] !== undefined);

before(async () => {
  for (const b of [bApp, bRo, bGone, bVary]) await admin.putBucket(b);
  const sdkHeaders = ['authorization', 'content-type', 'content-md5', 'content-disposition', 'x-oss-*'];
  await oApp.putBucketCORS(bApp, [{
    allowedOrigin: [A, A2],
    allowedMethod: ['GET', 'PUT', 'POST', 'DELETE', 'HEAD'],
    allowedHeader: sdkHeaders,
    exposeHeader: ['ETag', 'x-oss-request-id'],
  }]);
  await local(bRo).putBucketCORS(bRo, [{ allowedOrigin: A, allowedMethod: ['GET', 'HEAD'], exposeHeader: 'ETag' }]);
  await local(bGone).putBucketCORS(bGone, [{ allowedOrigin: A, allowedMethod: ['GET', 'PUT'], exposeHeader: 'ETag' }]);
  await putCorsXml(bVary, '<?xml version="1.0" encoding="UTF-8"?>\n<CORSConfiguration><CORSRule>'
    + `<AllowedOrigin>${A}</AllowedOrigin><AllowedOrigin>${A2}</AllowedOrigin>`
    + '<AllowedMethod>GET</AllowedMethod><AllowedMethod>HEAD</AllowedMethod><ExposeHeader>ETag</ExposeHeader>'
    + '</CORSRule><ResponseVary>true</ResponseVary></CORSConfiguration>');

  browser = await chromium.launch({ executablePath: env.chromium, headless: true, args: LAUNCH_ARGS });
});

after(async () => {
  if (browser) await browser.close();
});

describe('browser: presigned PUT from the app origin (scenario 1)', () => {
  it('preflight 200, upload 200 with readable ETag, read back with a presigned GET', async () => {
    const ctx = await browser.newContext();
    try {
      const { page, net } = await openPage(ctx, A);
      const key = 'browser/presigned upload.txt';
      const text = `uploaded by Chromium at ${new Date().toISOString()}`;
      const putUrl = presignV1({ method: 'PUT', bucket: bApp, key, expires: nowSecs() + 600, contentType: 'text/plain' });
      const getUrl = local(bApp).signatureUrl(key, { expires: 600 });

      const put = await page.evaluate(([u, t]) => window.demo.putPresigned(u, new Blob([t], { type: 'text/plain' })), [putUrl, text]);
      assert.equal(put.error, undefined, `page saw ${put.error}`);
      assert.equal(put.status, 200);
      assert.equal(bareEtag(put.etag), md5hex(text), 'the page can read ETag (rule exposes it)');
      assert.match(put.requestId || '', /^[0-9A-F]{24}$/, 'the page can read x-oss-request-id (exposed)');

      const pf = await net.settled('preflight of the PUT', () => net.preflights(base(putUrl))[0]);
      assert.equal(pf.method, 'OPTIONS');
      assert.equal(pf.reqHeaders['access-control-request-method'], 'PUT');
      assert.equal(pf.reqHeaders.origin, A);
      assert.equal(pf.status ?? pf.rawStatus, 200);
      assert.equal(pf.respHeaders['access-control-allow-origin'], A);
      // All methods of the matched rule, in order, joined by ", " (OSS docs: OPTIONS Object).
      assert.equal(pf.respHeaders['access-control-allow-methods'], 'GET, PUT, POST, DELETE, HEAD');
      assert.match(pf.respHeaders.vary || '', /origin/i);

      const req = await net.settled('the PUT', () => net.requests(base(putUrl), 'PUT')[0]);
      assert.equal(req.status, 200);
      assert.equal(req.reqHeaders.origin, A);
      assert.equal(req.respHeaders['access-control-allow-origin'], A);
      assert.match(req.respHeaders['access-control-expose-headers'] || '', /etag/i);
      assert.match(req.respHeaders.vary || '', /origin/i, 'echoed origin comes with Vary: Origin (ARCHITECTURE.md, product decisions)');

      const got = await page.evaluate((u) => window.demo.get(u), getUrl);
      assert.equal(got.status, 200, got.error);
      assert.equal(got.text, text);
      assert.equal(bareEtag(got.etag), md5hex(text));

      const inStore = await oApp.get(key);
      assert.equal(inStore.content.toString(), text);
    } finally {
      await ctx.close();
    }
  });
});

describe('browser: PostObject form upload (scenario 2)', () => {
  it('FormData POST with a V1 policy, success_action_status 201, page reads PostResponse', async () => {
    const ctx = await browser.newContext();
    try {
      const { page, net } = await openPage(ctx, A);
      const key = 'uploads/post form.txt';
      const text = 'posted from a FormData';
      const fields = {
        ...postPolicyV1({ bucket: bApp, keyPrefix: 'uploads/' }),
        key,
        success_action_status: '201',
      };
      // Field order as a browser form would send it: policy, OSSAccessKeyId, Signature, key, status, file.
      const ordered = Object.fromEntries(['policy', 'OSSAccessKeyId', 'Signature', 'key', 'success_action_status'].map((k) => [k, fields[k]]));
      const action = `${STORE}/${bApp}/`;
      const r = await page.evaluate(([u, f, t]) => window.demo.postObject(u, f, new Blob([t], { type: 'text/plain' }), 'post.txt'), [action, ordered, text]);
      assert.equal(r.error, undefined, `page saw ${r.error}`);
      assert.equal(r.status, 201, r.text);
      assert.match(r.text, /<PostResponse>/);
      // What the page's DOMParser read from the PostResponse body.
      assert.equal(r.post.Key, key);
      assert.equal(r.post.Bucket, bApp);
      assert.equal(bareEtag(r.post.ETag), md5hex(text));
      assert.ok(r.post.Location, 'PostResponse has a Location');
      assert.equal(bareEtag(r.etag), md5hex(text), 'ETag header readable too');

      const req = await net.settled('the POST', () => net.requests(action, 'POST')[0]);
      assert.equal(req.status, 201);
      assert.equal(req.respHeaders['access-control-allow-origin'], A);
      assert.match(req.reqHeaders['content-type'] || '', /^multipart\/form-data; boundary=/);
      assert.equal(net.preflights(action).length, 0, 'a multipart form POST is a simple request: no preflight');

      assert.equal((await oApp.get(key)).content.toString(), text);
    } finally {
      await ctx.close();
    }
  });
});

describe('browser: ali-oss browser bundle with a key (scenario 3)', () => {
  it('put, get, multipartUpload of 10 MiB with progress, delete', async () => {
    const ctx = await browser.newContext();
    try {
      const { page, net, errors } = await openPage(ctx, A);
      const opts = { endpoint: STORE, bucket: bApp, accessKeyId: env.accessKeyId, accessKeySecret: env.accessKeySecret };
      const size = 10 * 1024 * 1024;
      const result = await page.evaluate(async ({ opts, size }) => {
        const c = window.demo.sdkClient(opts);
        const out = {};
        try {
          const p = await c.put('sdk/small.txt', new Blob(['small from the bundle'], { type: 'text/plain' }));
          out.put = { status: p.res.status, etag: p.res.headers.etag };
        } catch (e) {
          out.put = { error: `${e.name}: ${e.message}`, status: e.status };
        }
        out.get = await window.demo.sdkRead(c, 'sdk/small.txt');
        // 10 MiB of the same xorshift pattern the Node side can recompute.
        const bytes = new Uint8Array(size);
        let x = 5;
        for (let i = 0; i < size; i++) {
          x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
          bytes[i] = x & 0xff;
        }
        out.up = await window.demo.sdkUpload(c, 'sdk/big.bin', new Blob([bytes], { type: 'application/octet-stream' }), 1024 * 1024);
        out.big = await window.demo.sdkRead(c, 'sdk/big.bin');
        out.del = await window.demo.sdkDelete(c, 'sdk/small.txt');
        return out;
      }, { opts, size });

      assert.deepEqual(errors, []);
      assert.equal(result.put.error, undefined, `put: ${result.put.error}`);
      assert.equal(result.put.status, 200);
      assert.equal(bareEtag(result.put.etag), md5hex('small from the bundle'), 'ETag exposed to the SDK');
      assert.equal(result.get.status, 200, result.get.error);
      assert.equal(result.get.text, 'small from the bundle');

      assert.equal(result.up.error, undefined, `multipartUpload: ${result.up.error}`);
      assert.equal(result.up.status, 200);
      assert.equal(result.up.progress.length, 12, `progress: ${result.up.progress}`); // 0, 10 parts, 1
      assert.equal(result.up.progress[0], 0);
      assert.equal(result.up.progress.at(-1), 1);
      const expected = patternBytes(size, 5);
      assert.equal(result.big.size, size, result.big.error);
      assert.equal(result.big.sha256, sha256hex(expected), 'page read back the same 10 MiB');
      const nodeSide = await oApp.get('sdk/big.bin');
      assert.equal(sha256hex(nodeSide.content), sha256hex(expected));

      assert.equal(result.del.status, 204, result.del.error);
      await assert.rejects(oApp.head('sdk/small.txt'), (e) => e.status === 404);

      // On the wire: signed requests were preflighted with the SDK's headers, all allowed.
      const pfs = net.preflights(`${STORE}/${bApp}/sdk/`);
      assert.ok(pfs.length >= 3, `preflights seen: ${pfs.length}`);
      const asked = new Set(pfs.flatMap((p) => (p.reqHeaders['access-control-request-headers'] || '').split(',').map((s) => s.trim()).filter(Boolean)));
      for (const h of ['authorization', 'x-oss-date', 'x-oss-user-agent']) assert.ok(asked.has(h), `preflights asked for ${h}: ${[...asked]}`);
      for (const p of pfs) {
        await net.settled('preflight', () => p);
        assert.equal(p.status ?? p.rawStatus, 200, `preflight ${p.reqHeaders['access-control-request-method']} ${p.url}`);
        assert.equal(p.respHeaders['access-control-allow-origin'], A);
        // Allow-Headers echoes the requested headers, lower-cased, never "*" (ARCHITECTURE.md, product decisions).
        const req = (p.reqHeaders['access-control-request-headers'] || '').split(',').map((h) => h.trim()).filter(Boolean);
        const allowed = (p.respHeaders['access-control-allow-headers'] || '').split(',').map((h) => h.trim()).filter(Boolean);
        assert.deepEqual(allowed.slice().sort(), req.map((h) => h.toLowerCase()).sort(), `preflight for ${p.url}`);
      }
      const parts = net.requests(`${STORE}/${bApp}/sdk/big.bin`, 'PUT');
      assert.equal(parts.length, 10, 'ten UploadPart requests');
      for (const p of parts) assert.match(p.url, /partNumber=\d+&uploadId=|uploadId=.*partNumber=/);
      const methods = new Set(net.requests(`${STORE}/${bApp}/sdk/`).map((r) => r.method));
      assert.deepEqual([...methods].sort(), ['DELETE', 'GET', 'POST', 'PUT']);
    } finally {
      await ctx.close();
    }
  });
});

describe('browser: ali-oss bundle, virtual-hosted addressing', () => {
  it('cname: true with endpoint http://<bucket>.localhost:PORT: put and get', async () => {
    const ctx = await browser.newContext();
    try {
      const { page, net } = await openPage(ctx, A);
      const vhost = STORE.replace('://localhost', `://${bApp}.localhost`);
      const r = await page.evaluate(async (opts) => {
        const c = window.demo.sdkClient({ ...opts, sldEnable: false, cname: true });
        try {
          const p = await c.put('vhost/hello.txt', new Blob(['virtual host'], { type: 'text/plain' }));
          const g = await c.get('vhost/hello.txt');
          return { put: p.res.status, etag: p.res.headers.etag, get: g.res.status, text: new TextDecoder().decode(g.content) };
        } catch (e) {
          return { error: `${e.name}: ${e.message}` };
        }
      }, { endpoint: vhost, bucket: bApp, accessKeyId: env.accessKeyId, accessKeySecret: env.accessKeySecret });
      assert.equal(r.error, undefined, r.error);
      assert.equal(r.put, 200);
      assert.equal(bareEtag(r.etag), md5hex('virtual host'));
      assert.equal(r.get, 200);
      assert.equal(r.text, 'virtual host');
      const put = await net.settled('the PUT', () => net.requests(`${vhost}/vhost/hello.txt`, 'PUT')[0]);
      assert.equal(put.reqHeaders.host, new URL(vhost).host, 'the bucket travelled in the Host header');
      assert.equal((await oApp.get('vhost/hello.txt')).content.toString(), 'virtual host');
    } finally {
      await ctx.close();
    }
  });
});

describe('browser: refusals (scenario 4)', () => {
  let seeded;
  before(async () => {
    seeded = 'refusal/existing.txt';
    await oApp.put(seeded, Buffer.from('secret data'), { mime: 'text/plain' });
  });

  it('an origin in no rule gets a network error, not the data', async () => {
    const ctx = await browser.newContext();
    try {
      const { page, net } = await openPage(ctx, DENIED);
      const url = local(bApp).signatureUrl(seeded, { expires: 600 });
      const r = await page.evaluate((u) => window.demo.get(u), url);
      assert.equal(r.status, 0);
      assert.match(r.error, /^TypeError/);
      assert.equal(r.text, undefined);
      const req = await net.settled('the GET', () => net.requests(base(url), 'GET')[0]);
      assert.equal(req.reqHeaders.origin, DENIED);
      assert.ok(req.failed, 'the browser blocked the response');
      assert.equal(req.failed.corsError, 'MissingAllowOriginHeader');
      // The store served it (CORS never decides access, OSS docs: CORS only decides headers), without CORS headers.
      await waitFor('the raw response headers', () => req.rawStatus !== undefined);
      assert.equal(req.rawStatus, 200);
      assert.equal(req.respHeaders['access-control-allow-origin'], undefined, 'no CORS headers for an unmatched origin');

      // A PUT from that origin is stopped at the preflight and never reaches the store.
      const k = 'refusal/from-denied.txt';
      const putUrl = presignV1({ method: 'PUT', bucket: bApp, key: k, expires: nowSecs() + 600, contentType: 'text/plain' });
      const p = await page.evaluate((u) => window.demo.putPresigned(u, new Blob(['x'], { type: 'text/plain' })), putUrl);
      assert.match(p.error || '', /^TypeError/);
      const pf = await net.settled('preflight', () => net.preflights(base(putUrl))[0]);
      assert.equal(pf.status ?? pf.rawStatus, 403);
      assert.equal(pf.respHeaders['access-control-allow-origin'], undefined);
      await net.settled('the PUT', () => net.requests(base(putUrl), 'PUT')[0]);
      net.blockedAtPreflight(base(putUrl), 'PUT');
      await assert.rejects(oApp.head(k), (e) => e.status === 404);
    } finally {
      await ctx.close();
    }
  });

  it('a method the rule does not allow is blocked at the preflight', async () => {
    const ctx = await browser.newContext();
    try {
      const { page, net } = await openPage(ctx, A);
      const k = 'readonly/put.txt';
      const putUrl = presignV1({ method: 'PUT', bucket: bRo, key: k, expires: nowSecs() + 600, contentType: 'text/plain' });
      const r = await page.evaluate((u) => window.demo.putPresigned(u, new Blob(['x'], { type: 'text/plain' })), putUrl);
      assert.equal(r.status, 0);
      assert.match(r.error, /^TypeError/);
      const pf = await net.settled('preflight', () => net.preflights(base(putUrl))[0]);
      assert.equal(pf.reqHeaders['access-control-request-method'], 'PUT');
      assert.equal(pf.status ?? pf.rawStatus, 403, 'OSS: denied preflight is 403 AccessForbidden (OSS docs: OPTIONS Object)');
      assert.equal(pf.respHeaders['access-control-allow-origin'], undefined);
      await net.settled('the PUT', () => net.requests(base(putUrl), 'PUT')[0]);
      net.blockedAtPreflight(base(putUrl), 'PUT');
      await assert.rejects(local(bRo).head(k), (e) => e.status === 404);

      // GET is allowed by the same rule: a GET of a missing key reaches the page as a readable 404.
      const getUrl = local(bRo).signatureUrl(k, { expires: 600 });
      const g = await page.evaluate((u) => window.demo.get(u), getUrl);
      assert.equal(g.status, 404, g.error);
      assert.equal(g.code, 'NoSuchKey');
    } finally {
      await ctx.close();
    }
  });

  it('a request header the rule does not allow is blocked at the preflight', async () => {
    const ctx = await browser.newContext();
    try {
      const { page, net } = await openPage(ctx, A);
      const k = 'refusal/with-header.txt';
      const putUrl = presignV1({ method: 'PUT', bucket: bApp, key: k, expires: nowSecs() + 600, contentType: 'text/plain' });
      const r = await page.evaluate((u) => window.demo.send('PUT', u, { body: new Blob(['x'], { type: 'text/plain' }), headers: { 'X-App-Trace': 'abc' } }), putUrl);
      assert.equal(r.status, 0);
      assert.match(r.error, /^TypeError/);
      const pf = await net.settled('preflight', () => net.preflights(base(putUrl))[0]);
      assert.equal(pf.reqHeaders['access-control-request-headers'], 'x-app-trace');
      assert.equal(pf.status ?? pf.rawStatus, 403);
      assert.equal(pf.respHeaders['access-control-allow-headers'], undefined);
      await net.settled('the PUT', () => net.requests(base(putUrl), 'PUT')[0]);
      net.blockedAtPreflight(base(putUrl), 'PUT');
      await assert.rejects(oApp.head(k), (e) => e.status === 404);
    } finally {
      await ctx.close();
    }
  });

  it('after DeleteBucketCors the same upload is blocked', async () => {
    const k = 'gone/upload.txt';
    const putUrl = presignV1({ method: 'PUT', bucket: bGone, key: k, expires: nowSecs() + 600, contentType: 'text/plain' });
    const upload = async (text) => {
      const ctx = await browser.newContext(); // fresh preflight cache
      try {
        const { page, net } = await openPage(ctx, A);
        const r = await page.evaluate(([u, t]) => window.demo.putPresigned(u, new Blob([t], { type: 'text/plain' })), [putUrl, text]);
        const pf = await net.settled('preflight', () => net.preflights(base(putUrl))[0]);
        const put = await net.settled('the PUT', () => net.requests(base(putUrl), 'PUT')[0]);
        return { r, pf, put };
      } finally {
        await ctx.close();
      }
    };
    const first = await upload('first');
    assert.equal(first.r.status, 200, first.r.error);
    assert.equal(first.pf.status ?? first.pf.rawStatus, 200);
    assert.equal(bareEtag(first.r.etag), md5hex('first'));

    const del = await local(bGone).deleteBucketCORS(bGone);
    assert.equal(del.res.status, 204);

    const second = await upload('second');
    assert.equal(second.r.status, 0);
    assert.match(second.r.error, /^TypeError/);
    assert.equal(second.pf.status ?? second.pf.rawStatus, 403, 'no CORS configuration: preflight 403 (OSS docs: OPTIONS Object)');
    assert.equal(second.put.status ?? second.put.rawStatus, undefined, 'the PUT itself was never sent');
    assert.match(second.put.failed.corsError, /^Preflight/);
    assert.equal((await local(bGone).get(k)).content.toString(), 'first', 'the object was not overwritten');
  });
});

/** A valid 1x1 PNG, so the <img> really loads. */
function tinyPng() {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const c = Buffer.alloc(4); c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]);
  const idat = zlib.deflateSync(Buffer.from([0, 255, 0, 0]));
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))]);
}

describe('browser: HTTP cache and Vary (scenario 5)', () => {
  it('two allowed origins fetch the same cached object one after the other: both succeed', async () => {
    const key = 'cache/shared.txt';
    await oApp.put(key, Buffer.from('cacheable'), { mime: 'text/plain', headers: { 'Cache-Control': 'max-age=3600' } });
    const url = local(bApp).signatureUrl(key, { expires: 3600 });
    const ctx = await browser.newContext(); // one context: one HTTP cache, cache on
    try {
      const p1 = await openPage(ctx, A);
      const a1 = await p1.page.evaluate((u) => window.demo.get(u), url);
      assert.equal(a1.status, 200, a1.error);
      const a2 = await p1.page.evaluate((u) => window.demo.get(u), url);
      assert.equal(a2.status, 200, a2.error);
      const seenA = await waitFor('two GETs from A', () => {
        const l = p1.net.requests(base(url), 'GET');
        return l.length === 2 && l.every((r) => r.status !== undefined) ? l : undefined;
      });
      assert.equal(seenA[0].respHeaders['access-control-allow-origin'], A);
      assert.match(seenA[0].respHeaders.vary || '', /origin/i, 'echoed origin comes with Vary: Origin');
      assert.equal(seenA[1].fromDiskCache, true, 'the second GET from A came from the HTTP cache (the cache is on)');

      const p2 = await openPage(ctx, A2);
      const b1 = await p2.page.evaluate((u) => window.demo.get(u), url);
      assert.equal(b1.error, undefined, `second origin after the first: ${b1.error}`);
      assert.equal(b1.status, 200);
      assert.equal(b1.text, 'cacheable');
      const seenB = await p2.net.settled('GET from A2', () => p2.net.requests(base(url), 'GET')[0]);
      assert.equal(seenB.respHeaders['access-control-allow-origin'], A2);
      assert.notEqual(seenB.fromDiskCache, true, "A's cached response was not reused for A2");
    } finally {
      await ctx.close();
    }
  });

  it('<img> (no CORS) first, then fetch from an allowed origin, ResponseVary true: succeeds', async () => {
    const key = 'cache/pixel.png';
    const png = tinyPng();
    const oVary = local(bVary);
    await oVary.put(key, png, { mime: 'image/png', headers: { 'Cache-Control': 'max-age=3600' } });
    const url = oVary.signatureUrl(key, { expires: 3600 });
    const ctx = await browser.newContext();
    try {
      const { page, net } = await openPage(ctx, A);
      const loaded = await page.evaluate((u) => new Promise((resolve) => {
        const img = new Image();
        img.onload = () => resolve({ ok: true, w: img.naturalWidth });
        img.onerror = () => resolve({ ok: false });
        img.src = u;
        document.body.append(img);
      }), url);
      assert.deepEqual(loaded, { ok: true, w: 1 });
      const imgReq = await net.settled('the <img> request', () => net.requests(base(url), 'GET').find((r) => r.type === 'Image'));
      assert.equal(imgReq.reqHeaders.origin, undefined, 'an <img> without crossorigin sends no Origin');
      assert.equal(imgReq.respHeaders['access-control-allow-origin'], undefined);
      assert.match(imgReq.respHeaders.vary || '', /origin/i, 'ResponseVary true: Vary: Origin even without Origin (OSS docs: ResponseVary)');

      const r = await page.evaluate((u) => window.demo.get(u), url);
      assert.equal(r.error, undefined, `fetch after <img>: ${r.error}`);
      assert.equal(r.status, 200);
      const f = await net.settled('the fetch', () => net.requests(base(url), 'GET').find((x) => x.type === 'Fetch'));
      assert.equal(f.respHeaders['access-control-allow-origin'], A);
      assert.notEqual(f.fromDiskCache, true);
    } finally {
      await ctx.close();
    }
  });
});

describe('browser: expired presigned URL (scenario 6)', () => {
  it('403 with CORS headers: the page reads Code AccessDenied from the body', async () => {
    const key = 'expired/x.txt';
    await oApp.put(key, Buffer.from('x'));
    const ctx = await browser.newContext();
    try {
      const { page, net } = await openPage(ctx, A);
      const url = presignV1({ method: 'GET', bucket: bApp, key, expires: nowSecs() - 60 });
      const r = await page.evaluate((u) => window.demo.get(u), url);
      assert.equal(r.error, undefined, `page could not read the error: ${r.error}`);
      assert.equal(r.status, 403);
      assert.equal(r.code, 'AccessDenied');
      const req = await net.settled('the GET', () => net.requests(base(url), 'GET')[0]);
      assert.equal(req.respHeaders['access-control-allow-origin'], A, 'CORS headers on the error response (ARCHITECTURE.md, product decisions)');
      assert.match(req.respHeaders['access-control-expose-headers'] || '', /etag/i);
      assert.match(req.respHeaders.vary || '', /origin/i);
    } finally {
      await ctx.close();
    }
  });
});

describe('browser: hotlink protection (referer whitelist)', () => {
  // OSS docs, "Hotlink protection": anonymous requests carry the page's Referer; a whitelisted
  // page shows the image, a page not on the list gets 403 (EC 0003-00000503).
  const bRef = uniqueBucket('br-ref');
  const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
  before(async () => {
    await admin.putBucket(bRef);
    const o = client({ bucket: bRef });
    await o.putBucketACL(bRef, 'public-read');
    await o.put('logo.png', PNG, { mime: 'image/png' });
    // ali-oss's own method; Chromium sends `origin/` as the Referer of a cross-origin image
    // (strict-origin-when-cross-origin), which the entry `A/` is a prefix of.
    await o.putBucketReferer(bRef, false, [`${A}/`]);
    const got = await o.getBucketReferer(bRef);
    assert.equal(got.allowEmpty, false);
    assert.deepEqual(got.referers, [`${A}/`]);
  });

  const showImage = (page, url) => page.evaluate((u) => new Promise((resolve) => {
    const img = new Image();
    img.onload = () => resolve({ loaded: true, width: img.naturalWidth });
    img.onerror = () => resolve({ loaded: false, width: 0 });
    img.src = u;
    document.body.appendChild(img);
  }), url);

  for (const [who, origin, shown] of [['a whitelisted page', () => A, true], ['a page not on the list', () => DENIED, false]]) {
    it(`${who} ${shown ? 'shows' : 'cannot show'} the image`, async () => {
      const ctx = await browser.newContext();
      try {
        const { page, net } = await openPage(ctx, origin());
        const url = objectUrl(bRef, 'logo.png');
        const r = await showImage(page, url);
        assert.equal(r.loaded, shown);
        if (shown) assert.equal(r.width, 1);
        const req = await net.settled('the image', () => net.requests(url, 'GET')[0]);
        assert.equal(req.reqHeaders.referer, `${origin()}/`, 'the browser sent its origin as Referer');
        await waitFor('the response', () => (req.status ?? req.rawStatus) !== undefined);
        assert.equal(req.status ?? req.rawStatus, shown ? 200 : 403);
        if (!shown) assert.equal(req.respHeaders['x-oss-ec'], '0003-00000503');
      } finally {
        await ctx.close();
      }
    });
  }
});

describe('browser: the demo page by hand', () => {
  it('fill the form, click upload and read back, screenshot', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1000, height: 1000 } });
    try {
      const { page } = await openPage(ctx, A);
      const key = 'demo/hello.txt';
      const text = 'hello from the demo page';
      await page.fill('#bucket', bApp);
      await page.fill('#key', key);
      await page.fill('#text', text);
      await page.fill('#put-url', presignV1({ method: 'PUT', bucket: bApp, key, expires: nowSecs() + 600, contentType: 'text/plain' }));
      await page.click('#btn-put');
      await page.waitForFunction(() => document.getElementById('status').textContent.startsWith('PUT'));
      assert.equal(await page.textContent('#status'), 'PUT: HTTP 200');
      assert.equal(bareEtag(await page.textContent('#etag')), md5hex(text));
      await page.fill('#get-url', local(bApp).signatureUrl(key, { expires: 600 }));
      await page.click('#btn-get');
      await page.waitForFunction(() => document.getElementById('status').textContent.startsWith('GET'));
      assert.equal(await page.textContent('#status'), 'GET: HTTP 200');
      assert.equal(await page.textContent('#content'), text);
      fs.mkdirSync(env.artifactsDir, { recursive: true });
      await page.screenshot({ path: path.join(env.artifactsDir, 'node-demo-page.png'), fullPage: true });
    } finally {
      await ctx.close();
    }
  });
});
