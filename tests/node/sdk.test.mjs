// ali-oss (Node build) against ossd: bucket CORS API, objects, multipart, presigned URLs,
// all with signature V1 and V4. Sources: the OSS API reference (PutBucketCors, GetBucketCors,
// DeleteBucketCors, objects, multipart) and the ali-oss documentation.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  client, env, uniqueBucket, presignV1, nowSecs, xmlText, md5hex, sha256hex, patternBytes, bareEtag,
} from './lib/common.mjs';

const NO_SUCH_CORS = 'The CORS Configuration does not exist.';

/** Await a promise that must reject; return the error for further checks. */
async function rejection(p) {
  try {
    await p;
  } catch (err) {
    return err;
  }
  assert.fail('expected the call to fail');
}

for (const v4 of [false, true]) {
  const sig = v4 ? 'V4' : 'V1';

  describe(`ali-oss Node, signature ${sig}`, () => {
    const bucket = uniqueBucket(`node-${sig.toLowerCase()}`);
    const admin = client({ v4 });
    const oss = client({ bucket, v4 });

    before(async () => {
      const r = await admin.putBucket(bucket);
      assert.equal(r.res.status, 200);
    });

    after(async () => {
      // Best effort: empty and remove the bucket so a kept server stays tidy.
      try {
        const ups = await oss.listUploads({ 'max-uploads': 1000 });
        for (const u of ups.uploads) await oss.abortMultipartUpload(u.name, u.uploadId);
        const l = await oss.list({ 'max-keys': 1000 });
        for (const o of l.objects || []) await oss.delete(o.name);
        await admin.deleteBucket(bucket);
      } catch (err) {
        console.error(`cleanup of ${bucket} failed: ${err.code || ''} ${err.message}`);
      }
    });

    describe('non-ASCII header values (issue 14)', () => {
      it('x-oss-meta-* sent as UTF-8 bytes (headerEncoding latin1) is signed, stored and returned', async () => {
        const utf8 = client({ bucket, v4, headerEncoding: 'latin1' });
        await utf8.put('unicode-meta.txt', Buffer.from('x'), { headers: { 'x-oss-meta-unicode': '测试' } });
        const h = await utf8.head('unicode-meta.txt');
        const raw = h.res.headers['x-oss-meta-unicode'];
        assert.equal(Buffer.from(raw, 'latin1').toString('utf8'), '测试');
        await utf8.delete('unicode-meta.txt');
      });
    });

    describe('bucket CORS API', () => {
      it('getBucketCORS without rules is 404 NoSuchCORSConfiguration', async () => {
        const err = await rejection(oss.getBucketCORS(bucket));
        assert.equal(err.status, 404);
        assert.equal(err.code, 'NoSuchCORSConfiguration');
        assert.equal(err.message, NO_SUCH_CORS);
      });

      it('putBucketCORS then getBucketCORS returns the same rules', async () => {
        const put = await oss.putBucketCORS(bucket, [
          {
            allowedOrigin: 'http://a.example',
            allowedMethod: ['GET', 'PUT'],
            allowedHeader: '*',
            exposeHeader: ['ETag', 'x-oss-request-id'],
            maxAgeSeconds: '100',
          },
          { allowedOrigin: ['http://b.example', 'https://*.c.example'], allowedMethod: 'GET' },
          { allowedOrigin: '*', allowedMethod: ['HEAD'], allowedHeader: 'X-Oss-Meta-Author', exposeHeader: 'Content-Length' },
        ]);
        assert.equal(put.res.status, 200);

        const got = await oss.getBucketCORS(bucket);
        assert.equal(got.res.status, 200);
        // ali-oss maps each child element to a key; one value is a string, several an array.
        // AllowedHeader comes back lowercased, ExposeHeader and origins keep their case (OSS docs: GetBucketCors).
        assert.deepEqual(got.rules, [
          {
            allowedOrigin: 'http://a.example',
            allowedMethod: ['GET', 'PUT'],
            allowedHeader: '*',
            exposeHeader: ['ETag', 'x-oss-request-id'],
            maxAgeSeconds: '100',
          },
          { allowedOrigin: ['http://b.example', 'https://*.c.example'], allowedMethod: 'GET' },
          { allowedOrigin: '*', allowedMethod: 'HEAD', allowedHeader: 'x-oss-meta-author', exposeHeader: 'Content-Length' },
        ]);
      });

      it('putBucketCORS replaces every rule', async () => {
        await oss.putBucketCORS(bucket, [{ allowedOrigin: 'http://only.example', allowedMethod: 'POST' }]);
        const got = await oss.getBucketCORS(bucket);
        assert.deepEqual(got.rules, [{ allowedOrigin: 'http://only.example', allowedMethod: 'POST' }]);
      });

      it('deleteBucketCORS is 204, idempotent, and removes the rules', async () => {
        assert.equal((await oss.deleteBucketCORS(bucket)).res.status, 204);
        assert.equal((await oss.deleteBucketCORS(bucket)).res.status, 204);
        const err = await rejection(oss.getBucketCORS(bucket));
        assert.equal(err.status, 404);
        assert.equal(err.code, 'NoSuchCORSConfiguration');
      });
    });

    describe('bucket website and referer API (issue 19)', () => {
      it('putBucketWebsite, getBucketWebsite, deleteBucketWebsite', async () => {
        let err = await rejection(oss.getBucketWebsite(bucket));
        assert.equal(err.status, 404);
        assert.equal(err.code, 'NoSuchWebsiteConfiguration');
        await oss.putBucketWebsite(bucket, { index: 'index.html', error: 'error.html', supportSubDir: 'true', type: '2' });
        const got = await oss.getBucketWebsite(bucket);
        assert.deepEqual([got.index, got.error, got.supportSubDir, got.type], ['index.html', 'error.html', 'true', '2']);
        assert.equal((await oss.deleteBucketWebsite(bucket)).res.status, 204);
        err = await rejection(oss.getBucketWebsite(bucket));
        assert.equal(err.code, 'NoSuchWebsiteConfiguration');
      });

      it('putBucketReferer and getBucketReferer', async () => {
        const none = await oss.getBucketReferer(bucket);
        assert.equal(none.allowEmpty, true);
        assert.equal(none.referers, null, 'ali-oss reads an empty RefererList as null');
        await oss.putBucketReferer(bucket, false, ['https://www.a.com/', 'https://*.b.com']);
        const got = await oss.getBucketReferer(bucket);
        assert.equal(got.allowEmpty, false);
        assert.deepEqual(got.referers, ['https://www.a.com/', 'https://*.b.com']);
        // ali-oss "deletes" as ossutil does: an empty list with empty referers allowed.
        await oss.deleteBucketReferer(bucket);
        assert.equal((await oss.getBucketReferer(bucket)).referers, null);
      });
    });

    describe('objects', () => {
      const key = 'dir/a b+c ü.txt';
      const body = Buffer.from(`hello from ali-oss ${sig}\n`);

      it('put returns 200 and the MD5 ETag', async () => {
        const r = await oss.put(key, body, { mime: 'text/plain', meta: { author: 'node-suite' } });
        assert.equal(r.res.status, 200);
        assert.equal(r.name, key);
        assert.equal(bareEtag(r.res.headers.etag), md5hex(body));
      });

      it('get returns the bytes and the content type', async () => {
        const r = await oss.get(key);
        assert.equal(r.res.status, 200);
        assert.deepEqual(r.content, body);
        assert.equal(r.res.headers['content-type'], 'text/plain');
      });

      it('head returns length, ETag and user metadata', async () => {
        const r = await oss.head(key);
        assert.equal(r.status, 200);
        assert.equal(r.res.headers['content-length'], String(body.length));
        assert.equal(bareEtag(r.res.headers.etag), md5hex(body));
        assert.deepEqual(r.meta, { author: 'node-suite' });
      });

      it('list with prefix and delimiter', async () => {
        await oss.put('dir/second.txt', Buffer.from('2'));
        await oss.put('top.txt', Buffer.from('3'));
        const all = await oss.list({ 'max-keys': 100 });
        assert.deepEqual(all.objects.map((o) => o.name), [key, 'dir/second.txt', 'top.txt'].sort());
        const sizes = Object.fromEntries(all.objects.map((o) => [o.name, o.size]));
        assert.equal(sizes['top.txt'], 1);
        assert.equal(sizes[key], body.length);

        const dir = await oss.list({ prefix: 'dir/' });
        assert.deepEqual(dir.objects.map((o) => o.name).sort(), [key, 'dir/second.txt'].sort());

        const top = await oss.list({ delimiter: '/' });
        assert.deepEqual(top.objects.map((o) => o.name), ['top.txt']);
        assert.deepEqual(top.prefixes, ['dir/']);

        const page = await oss.list({ 'max-keys': 1 });
        assert.equal(page.objects.length, 1);
        assert.equal(page.isTruncated, true);
        assert.ok(page.nextMarker);
      });

      it('delete is 204 and the object is gone (get and head 404 NoSuchKey)', async () => {
        const r = await oss.delete(key);
        assert.equal(r.res.status, 204);
        const g = await rejection(oss.get(key));
        assert.equal(g.status, 404);
        assert.equal(g.code, 'NoSuchKey');
        const h = await rejection(oss.head(key));
        assert.equal(h.status, 404);
        assert.equal(h.code, 'NoSuchKey');
        assert.equal((await oss.delete(key)).res.status, 204, 'deleting a missing key is 204');
      });

      it('a wrong secret is refused with 403 SignatureDoesNotMatch', async () => {
        const bad = client({ bucket, v4, secret: `${env.accessKeySecret}x` });
        const err = await rejection(bad.put('refused.txt', Buffer.from('x')));
        assert.equal(err.status, 403);
        assert.equal(err.code, 'SignatureDoesNotMatch');
        const l = await oss.list({ prefix: 'refused' });
        assert.equal((l.objects || []).length, 0);
      });
    });

    describe('path-style endpoint (http://localhost:PORT, sldEnable)', () => {
      it('put, get, list and delete through /bucket/key URLs', async () => {
        const local = client({ bucket, v4, style: 'localhost' });
        const r = await local.put('path-style/x.txt', Buffer.from('path style'));
        assert.equal(r.res.status, 200);
        assert.ok(r.res.requestUrls[0].startsWith(`${env.storeOrigin}/${bucket}/path-style/x.txt`), r.res.requestUrls[0]);
        assert.equal((await local.get('path-style/x.txt')).content.toString(), 'path style');
        const l = await local.list({ prefix: 'path-style/' });
        assert.deepEqual(l.objects.map((o) => o.name), ['path-style/x.txt']);
        assert.equal((await local.delete('path-style/x.txt')).res.status, 204);
        assert.equal((await rejection(oss.head('path-style/x.txt'))).status, 404);
      });
    });

    describe('multipart', () => {
      it('multipartUpload of a 20 MiB file reports progress and stores the exact bytes', async () => {
        const size = 20 * 1024 * 1024;
        const data = patternBytes(size, v4 ? 7 : 3);
        const progress = [];
        let lastCheckpoint;
        const r = await oss.multipartUpload('big/multi.bin', data, {
          partSize: 1024 * 1024,
          parallel: 2,
          progress: (p, cpt) => {
            progress.push(p);
            if (cpt) lastCheckpoint = cpt;
          },
        });
        assert.equal(r.res.status, 200);
        assert.ok(r.etag || r.res.headers.etag, 'complete returns an ETag');
        // 20 parts: 0 after init, one step per part, 1 after complete.
        assert.equal(progress.length, 22, `progress calls: ${progress}`);
        assert.equal(progress[0], 0);
        assert.equal(progress.at(-1), 1);
        for (let i = 1; i < progress.length; i++) assert.ok(progress[i] >= progress[i - 1], `monotonic: ${progress}`);
        assert.equal(lastCheckpoint.doneParts.length, 20);

        const h = await oss.head('big/multi.bin');
        assert.equal(h.res.headers['content-length'], String(size));
        const g = await oss.get('big/multi.bin');
        assert.equal(g.content.length, size);
        assert.equal(sha256hex(g.content), sha256hex(data));
      });

      it('abortMultipartUpload removes the upload and its parts', async () => {
        const name = 'big/aborted.bin';
        const init = await oss.initMultipartUpload(name);
        assert.ok(init.uploadId);
        const part = patternBytes(200 * 1024, 11);
        const up = await oss.uploadPart(name, init.uploadId, 1, part, 0, part.length);
        assert.equal(up.res.status, 200);
        assert.equal(bareEtag(up.etag), md5hex(part));

        const parts = await oss.listParts(name, init.uploadId);
        const list = Array.isArray(parts.parts) ? parts.parts : [parts.parts];
        assert.equal(list.length, 1);
        assert.equal(list[0].PartNumber, '1');
        assert.equal(list[0].Size, String(part.length));

        const before = await oss.listUploads({});
        assert.ok(before.uploads.some((u) => u.uploadId === init.uploadId && u.name === name));

        const ab = await oss.abortMultipartUpload(name, init.uploadId);
        assert.equal(ab.res.status, 204);

        const afterList = await oss.listUploads({});
        assert.ok(!afterList.uploads.some((u) => u.uploadId === init.uploadId));
        const err = await rejection(oss.listParts(name, init.uploadId));
        assert.equal(err.status, 404);
        assert.equal(err.code, 'NoSuchUpload');
        const h = await rejection(oss.head(name));
        assert.equal(h.status, 404);
      });
    });

    describe('symlinks and encryption at rest (issue 19)', () => {
      it('putSymlink, getSymlink, and get/head follow the link', async () => {
        await oss.put('sym/target ü.txt', Buffer.from('target body'));
        const put = await oss.putSymlink('sym/link', 'sym/target ü.txt', { meta: { who: 'link' } });
        assert.equal(put.res.status, 200);
        const got = await oss.getSymlink('sym/link');
        assert.equal(got.targetName, 'sym/target ü.txt');
        const g = await oss.get('sym/link');
        assert.equal(g.content.toString(), 'target body');
        assert.equal(g.res.headers['x-oss-meta-who'], 'link');
        await oss.putSymlink('sym/dangling', 'sym/none');
        const err = await rejection(oss.get('sym/dangling'));
        assert.equal(err.status, 404);
        assert.equal(err.code, 'SymlinkTargetNotExist');
      });

      it('bucket encryption and x-oss-server-side-encryption: AES256', async () => {
        const none = await rejection(oss.getBucketEncryption(bucket));
        assert.equal(none.status, 404);
        assert.equal(none.code, 'NoSuchServerSideEncryptionRule');
        await oss.put('sse/explicit', Buffer.from('secret'), { headers: { 'x-oss-server-side-encryption': 'AES256' } });
        const h = await oss.head('sse/explicit');
        assert.equal(h.res.headers['x-oss-server-side-encryption'], 'AES256');
        const put = await oss.putBucketEncryption(bucket, { SSEAlgorithm: 'AES256' });
        assert.equal(put.status, 200);
        const got = await oss.getBucketEncryption(bucket);
        assert.equal(got.encryption.SSEAlgorithm, 'AES256');
        await oss.put('sse/default', Buffer.from('by default'));
        const g = await oss.get('sse/default');
        assert.equal(g.content.toString(), 'by default');
        assert.equal(g.res.headers['x-oss-server-side-encryption'], 'AES256');
        const del = await oss.deleteBucketEncryption(bucket);
        assert.equal(del.status, 204);
        const kms = await rejection(oss.putBucketEncryption(bucket, { SSEAlgorithm: 'KMS' }));
        assert.equal(kms.status, 403);
        assert.equal(kms.code, 'KmsServiceNotEnabled');
      });
    });

    describe('presigned URLs (localhost endpoint, sldEnable)', () => {
      const local = client({ bucket, v4, style: 'localhost' });
      const key = 'signed/read me.txt';
      const body = 'presigned content';

      before(async () => {
        await oss.put(key, Buffer.from(body), { mime: 'text/plain' });
      });

      it('signatureUrl (V1 query signature) GET works', async () => {
        const url = local.signatureUrl(key, { expires: 300 });
        assert.match(url, new RegExp(`^${env.storeOrigin}/${bucket}/`));
        const res = await fetch(url);
        assert.equal(res.status, 200);
        assert.equal(await res.text(), body);
      });

      it('signatureUrl PUT with Content-Type works', async () => {
        const url = local.signatureUrl('signed/put.txt', { method: 'PUT', expires: 300, 'Content-Type': 'text/plain' });
        const res = await fetch(url, { method: 'PUT', body: 'via signatureUrl', headers: { 'Content-Type': 'text/plain' } });
        assert.equal(res.status, 200, await res.text());
        const g = await oss.get('signed/put.txt');
        assert.equal(g.content.toString(), 'via signatureUrl');
      });

      it('V1 presigned PUT computed with Node crypto works', async () => {
        const k = 'signed/crypto.txt';
        const url = presignV1({ method: 'PUT', bucket, key: k, expires: nowSecs() + 300, contentType: 'text/plain' });
        const res = await fetch(url, { method: 'PUT', body: 'via node crypto', headers: { 'Content-Type': 'text/plain' } });
        assert.equal(res.status, 200, await res.text());
        assert.equal(bareEtag(res.headers.get('etag')), md5hex('via node crypto'));
        const g = await oss.get(k);
        assert.equal(g.content.toString(), 'via node crypto');
      });

      it('an expired V1 URL is 403 AccessDenied', async () => {
        const url = local.signatureUrl(key, { expires: -60 });
        const res = await fetch(url);
        assert.equal(res.status, 403);
        assert.equal(xmlText(await res.text(), 'Code'), 'AccessDenied');
      });

      it('a tampered V1 URL is 403 SignatureDoesNotMatch', async () => {
        const url = new URL(local.signatureUrl(key, { expires: 300 }));
        const s = url.searchParams.get('Signature');
        url.searchParams.set('Signature', (s[0] === 'A' ? 'B' : 'A') + s.slice(1));
        const res = await fetch(url);
        assert.equal(res.status, 403);
        assert.equal(xmlText(await res.text(), 'Code'), 'SignatureDoesNotMatch');
      });

      it('signatureUrlV4 GET works and a tampered one is refused', async () => {
        const url = await local.signatureUrlV4('GET', 300, undefined, key);
        assert.match(url, /x-oss-signature-version=OSS4-HMAC-SHA256/);
        const res = await fetch(url);
        assert.equal(res.status, 200, await res.clone().text());
        assert.equal(await res.text(), body);

        const bad = new URL(url);
        const s = bad.searchParams.get('x-oss-signature');
        bad.searchParams.set('x-oss-signature', (s[0] === 'a' ? 'b' : 'a') + s.slice(1));
        const r2 = await fetch(bad);
        assert.equal(r2.status, 403);
        assert.equal(xmlText(await r2.text(), 'Code'), 'SignatureDoesNotMatch');
      });
    });
  });
}
