// Prepare a running ossd for the demo page by hand: create the bucket (if missing), put a CORS
// rule for the page's origin, and print presigned PUT/GET URLs plus the page URL to open.
// Usage: OSSD_ACCESS_KEY_ID=... OSSD_ACCESS_KEY_SECRET=... \
//        node demo-setup.mjs [--store http://localhost:9000] [--app http://127.0.0.1:8080] [--bucket demo] [--key hello.txt]
const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const store = (args.store || 'http://localhost:9000').replace(/\/$/, '');
const app = (args.app || 'http://127.0.0.1:8080').replace(/\/$/, '');
const bucket = args.bucket || 'demo';
const key = args.key || 'hello.txt';

// lib/common.mjs reads its configuration from the environment.
const storeUrl = new URL(store);
process.env.OSSD_STORE_ORIGIN = store;
process.env.OSSD_ENDPOINT ||= `${storeUrl.protocol}//127.0.0.1:${storeUrl.port || (storeUrl.protocol === 'https:' ? 443 : 80)}`;
const { client, presignV1, nowSecs } = await import('./lib/common.mjs');

const oss = client({ bucket, style: 'localhost' });
try {
  await oss.putBucket(bucket);
  console.log(`created bucket ${bucket}`);
} catch (err) {
  if (err.code !== 'BucketAlreadyExists') throw err;
  console.log(`bucket ${bucket} exists`);
}
await oss.putBucketCORS(bucket, [{
  allowedOrigin: app,
  allowedMethod: ['GET', 'PUT', 'POST', 'DELETE', 'HEAD'],
  allowedHeader: ['authorization', 'content-type', 'content-md5', 'content-disposition', 'x-oss-*'],
  exposeHeader: ['ETag', 'x-oss-request-id'],
  maxAgeSeconds: '600',
}]);
console.log(`CORS rule on ${bucket}: origin ${app}, GET PUT POST DELETE HEAD, expose ETag`);

const expires = nowSecs() + 3600;
console.log('\npresigned PUT (Content-Type text/plain, i.e. the text field; valid 1 h):');
console.log(presignV1({ method: 'PUT', bucket, key, expires, contentType: 'text/plain' }));
console.log('\npresigned GET:');
console.log(presignV1({ method: 'GET', bucket, key, expires }));
const page = new URL(`${app}/`);
page.search = new URLSearchParams({ endpoint: store, bucket, key }).toString();
console.log(`\nopen ${page} (served by: node demo-server.mjs ${new URL(app).port || 80})`);
