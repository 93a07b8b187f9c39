// Produce signature test vectors with ali-oss (the official Node.js SDK).
//
// ali-oss sends real requests to a loopback capture server (V1 and V4 header signing) and
// builds presigned URLs (signatureUrl = V1, signatureUrlV4 = V4). Requests are decoded the way
// ossd decodes them (path-style; %XX decoding, '+' is a space in the query only) and written as JSON for
// tests/sdk_vectors.rs.
//
// Run (from this directory):
//   mkdir -p /tmp/npm && (cd /tmp/npm && npm init -y && npm install ali-oss@6.23.0)
//   NODE_PATH=/tmp/npm/node_modules node gen_js.js > js_vectors.json
//
// ali-oss refuses presigned URLs on an IP endpoint, so `localhost` with `sldEnable: true`
// (path-style) is used throughout.

const http = require('http');
const OSS = require('ali-oss');

const AK = 'test-ak';
const SK = 'test-sk';
const REGION = 'cn-hangzhou';
const BUCKET = 'my-bucket';
const KEYS = ['dir/hello.txt', "dir/a b+c%d ü中文~!*'().txt", 'plus+sign=and&amp;.bin'];

const captured = [];

// Query components are form-decoded ('+' is a space); the path keeps '+' literal.
const decodeQ = s => decodeURIComponent(s.replace(/\+/g, ' '));

function decodeTarget(target) {
  const [path, rawQuery = ''] = target.split(/\?(.*)/s);
  const query = [];
  for (const pair of rawQuery.split('&')) {
    if (!pair) continue;
    const i = pair.indexOf('=');
    if (i < 0) query.push([decodeQ(pair), null]);
    else query.push([decodeQ(pair.slice(0, i)), decodeQ(pair.slice(i + 1))]);
  }
  const rest = path.slice(1);
  if (!rest) return { bucket: null, key: null, query };
  const j = rest.indexOf('/');
  const bucket = decodeURIComponent(j < 0 ? rest : rest.slice(0, j));
  const key = j < 0 || j === rest.length - 1 ? null : decodeURIComponent(rest.slice(j + 1));
  return { bucket, key, query };
}

function nowOf(headers) {
  const h = Object.fromEntries(headers);
  const d = h['x-oss-date'] || h.date;
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(d);
  if (m) return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) / 1000;
  return Date.parse(d) / 1000;
}

function vector(kind, note, method, target, headers, now) {
  return {
    sdk: 'ali-oss 6.23.0',
    kind,
    note,
    method,
    target,
    ...decodeTarget(target),
    headers,
    secret: SK,
    region: REGION,
    now,
  };
}

async function run(kind, note, fn, out) {
  const start = captured.length;
  try {
    await fn();
  } catch (e) {
    // The capture server's answers do not always parse; the request is what counts.
  }
  for (const [method, target, headers] of captured.slice(start)) {
    out.push(vector(kind, note, method, target, headers, nowOf(headers)));
  }
}

async function main() {
  const server = http.createServer((req, res) => {
    req.on('data', () => {});
    req.on('end', () => {
      const headers = [];
      for (let i = 0; i < req.rawHeaders.length; i += 2) headers.push([req.rawHeaders[i].toLowerCase(), req.rawHeaders[i + 1]]);
      captured.push([req.method, req.url, headers]);
      const body = req.method === 'HEAD' ? '' : '<?xml version="1.0" encoding="UTF-8"?><R/>';
      res.writeHead(200, { 'x-oss-request-id': '0'.repeat(24), 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await new Promise(r => server.listen(0, '127.0.0.1', r));
  const endpoint = `http://localhost:${server.address().port}`;
  const out = [];
  for (const v4 of [false, true]) {
    const kind = v4 ? 'v4-header' : 'v1-header';
    const c = new OSS({ accessKeyId: AK, accessKeySecret: SK, bucket: BUCKET, region: 'oss-cn-hangzhou', endpoint, sldEnable: true, authorizationV4: v4, retryMax: 0, timeout: 5000 });
    const rules = [{ allowedOrigin: 'http://a.example', allowedMethod: ['GET', 'PUT'], allowedHeader: '*', exposeHeader: 'ETag', maxAgeSeconds: '100' }];
    await run(kind, 'putBucketCORS', () => c.putBucketCORS(BUCKET, rules), out);
    await run(kind, 'getBucketCORS', () => c.getBucketCORS(BUCKET), out);
    await run(kind, 'deleteBucketCORS', () => c.deleteBucketCORS(BUCKET), out);
    await run(kind, 'list', () => c.list({ prefix: 'dir/', delimiter: '/', marker: 'a b', 'max-keys': 10 }), out);
    await run(kind, 'listV2 continuation-token', () => c.listV2({ prefix: 'dir/', 'continuation-token': 'tok/+=' }), out);
    for (const key of KEYS) {
      await run(kind, `put ${key}`, () => c.put(key, Buffer.from('hi'), { mime: 'text/plain', meta: { author: ' Foo Bar ' }, headers: { 'x-oss-object-acl': 'private' } }), out);
      await run(kind, `get range+overrides ${key}`, () => c.get(key, null, { headers: { Range: 'bytes=0-1' }, response: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache' } }), out);
      await run(kind, `get x-oss-process ${key}`, () => c.get(key, null, { process: 'image/resize,w_100' }), out);
      await run(kind, `head ${key}`, () => c.head(key), out);
      await run(kind, `getACL ${key}`, () => c.getACL(key), out);
      await run(kind, `initMultipartUpload ${key}`, () => c.initMultipartUpload(key), out);
      if (v4) {
        await run(kind, `get additionalHeaders ${key}`, () => c.get(key, null, { headers: { Range: 'bytes=0-1' }, additionalHeaders: ['range'] }), out);
      }
    }
  }
  server.close();

  const pc = new OSS({ accessKeyId: AK, accessKeySecret: SK, bucket: BUCKET, region: 'oss-cn-hangzhou', endpoint: 'http://localhost:9000', sldEnable: true });
  for (const key of KEYS) {
    const now = Math.floor(Date.now() / 1000);
    const urls = [
      ['v1-presign', 'GET', pc.signatureUrl(key, { expires: 3600, response: { 'content-type': 'text/plain' } }), [], `signatureUrl GET ${key}`],
      ['v1-presign', 'PUT', pc.signatureUrl(key, { method: 'PUT', expires: 3600, 'Content-Type': 'text/plain' }), [['content-type', 'text/plain']], `signatureUrl PUT ${key}`],
      ['v4-presign', 'GET', await pc.signatureUrlV4('GET', 3600, { queries: { 'response-content-type': 'text/plain' } }, key), [], `signatureUrlV4 GET ${key}`],
      ['v4-presign', 'PUT', await pc.signatureUrlV4('PUT', 3600, { headers: { 'Content-Type': 'text/plain', 'x-oss-meta-a': '1' } }, key), [['content-type', 'text/plain'], ['x-oss-meta-a', '1']], `signatureUrlV4 PUT ${key}`],
      ['v4-presign', 'GET', await pc.signatureUrlV4('GET', 3600, { headers: { Range: 'bytes=0-1' } }, key, ['range']), [['range', 'bytes=0-1']], `signatureUrlV4 GET additionalHeaders ${key}`],
    ];
    for (const [kind, method, url, headers, note] of urls) {
      const u = new URL(url);
      const target = u.pathname + u.search;
      out.push(vector(kind, note, method, target, [['host', 'localhost:9000'], ...headers], now));
    }
  }
  process.stdout.write(JSON.stringify(out, null, 1));
  process.stderr.write(`${out.length} vectors\n`);
}

main();
