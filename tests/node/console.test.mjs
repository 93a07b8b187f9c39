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
import { client, env, uniqueBucket, patternBytes, md5hex, signedV1 } from './lib/common.mjs';

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
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks).toString() }));
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

async function waitUntil(fn, what, ms = 5000) {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) assert.fail(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every form control and button on the page has an accessible name (label, aria-label or text). */
async function assertLabelled(page) {
  const unnamed = await page.evaluate(() => [...document.querySelectorAll('input, select, textarea, button, a[href]')]
    .filter((el) => !el.closest('[hidden]') && el.type !== 'hidden')
    .filter((el) => !((el.labels && el.labels.length) || el.getAttribute('aria-label') || el.textContent.trim()))
    .map((el) => el.outerHTML.slice(0, 80)));
  assert.deepEqual(unnamed, [], 'unlabelled controls');
}

const shot = async (page, name) => {
  await assertLabelled(page);
  await page.screenshot({ path: path.join(env.artifactsDir, `console-${name}.png`), fullPage: true });
};

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
    await shot(page, 'sign-in');
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
    await ob.put('docs/readme.txt', Buffer.from('in a folder'), { meta: { color: 'blue' } });
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
    await page.getByRole('button', { name: 'Details of docs/readme.txt' }).click();
    const meta = page.locator('dt', { hasText: 'Metadata color' });
    await meta.waitFor();
    assert.equal(await meta.evaluate((dt) => dt.nextElementSibling.textContent), 'blue');
    assert.equal(await page.locator('dt', { hasText: 'Storage class' }).evaluate((dt) => dt.nextElementSibling.textContent), 'IA');
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

    // Deleting a bucket that holds objects: confirmed, refused with a clear message, kept.
    problems.allowed.push(/status of 409/);
    await page.getByRole('link', { name: 'Buckets' }).click();
    await page.getByRole('button', { name: `Delete bucket ${bucket}` }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete bucket' }).click();
    await page.getByText(`The bucket ${bucket} is not empty`).waitFor();
    assert.equal((await admin.getBucketInfo(bucket)).bucket.Name, bucket);
    problems.allowed.length = 0;
    assert.deepEqual(problems, { errors: [], failed: [], allowed: [] });
    await context.close();
  });

  it('edits CORS rules: error beside the field, reorder, lint, export, simulator equal to a real preflight', async () => {
    const bucket = uniqueBucket('con-cors');
    await admin.putBucket(bucket);
    const { context, page, problems } = await open(1280);
    await signIn(page);
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    // A bucket without rules answers GetBucketCors 404 NoSuchCORSConfiguration, as OSS does.
    problems.allowed.push(/status of 404/);
    await page.evaluate((b) => { location.hash = `#/b/${b}/cors`; }, bucket);
    await page.getByRole('heading', { name: `CORS rules of ${bucket}` }).waitFor();
    await page.getByText('No rules').waitFor();
    problems.allowed.length = 0;
    const rule = (n) => page.locator(`section.rule[data-rule="${n}"]`);

    // Rule 1, with a bad origin first: PutBucketCors refuses it and the error sits beside Sources.
    problems.allowed.push(/status of 400/);
    await page.getByRole('button', { name: 'Add rule' }).click();
    await rule(1).getByLabel('Sources').fill('https://*.bad.*.com');
    await rule(1).getByRole('checkbox', { name: 'PUT' }).check();
    await rule(1).getByLabel('Allowed headers').fill('content-type');
    await rule(1).getByLabel('Exposed headers').fill('x-oss-request-id');
    await rule(1).getByLabel('Cache timeout (MaxAgeSeconds)').fill('600');
    await page.getByRole('button', { name: 'Save rules' }).click();
    const err = rule(1).locator('.field-error', { hasText: 'InvalidArgument' });
    await err.waitFor();
    assert.match(await err.innerText(), /AllowedOrigin "https:\/\/\*\.bad\.\*\.com" contains more than one '\*'/);
    assert.equal(await rule(1).getByLabel('Sources').getAttribute('aria-invalid'), 'true');
    assert.equal(await err.evaluate((e) => e.id === e.closest('div').querySelector('textarea').getAttribute('aria-describedby')), true);
    await assert.rejects(admin.getBucketCORS(bucket), /NoSuchCORSConfiguration|CORS/);
    problems.allowed.length = 0;

    // Fixed; rule 2 for every origin, GET only; saved; then reorder and save again.
    await rule(1).getByLabel('Sources').fill(env.appOrigin);
    await page.getByRole('button', { name: 'Add rule' }).click();
    await rule(2).getByLabel('Sources').fill('*');
    await page.getByRole('button', { name: 'Save rules' }).click();
    await page.getByText(`CORS rules of ${bucket} saved.`).waitFor();
    let saved = (await admin.getBucketCORS(bucket)).rules;
    assert.deepEqual(saved.map((r) => r.allowedOrigin), [env.appOrigin, '*']);
    // Lint: rule 1 allows PUT without exposing ETag.
    await rule(1).locator('li[data-id="etag-not-exposed"]').waitFor();
    await rule(2).getByRole('button', { name: 'Move rule 2 up' }).click();
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), 'Move rule 1 down', 'focus stays on the moved rule');
    assert.equal(await rule(1).getByLabel('Sources').inputValue(), '*');
    await page.getByRole('button', { name: 'Save rules' }).click();
    await page.getByText(`CORS rules of ${bucket} saved.`).waitFor();
    saved = (await admin.getBucketCORS(bucket)).rules;
    assert.deepEqual(saved.map((r) => r.allowedOrigin), ['*', env.appOrigin]);
    await rule(2).locator('li[data-id="etag-not-exposed"]').waitFor();
    await shot(page, 'cors');

    // Export equals GetBucketCors.
    await page.getByRole('button', { name: 'Export saved XML' }).click();
    const direct = await (await signedV1('GET', bucket, '/?cors', { resource: `/${bucket}/?cors` })).text();
    await page.waitForFunction(() => document.querySelector('textarea[spellcheck]').value.length > 0);
    assert.equal(await page.getByLabel('CORS XML').inputValue(), direct);

    // The simulator against the saved rules, and a real preflight from another origin.
    const sim = async (origin, method, headers) => {
      await page.getByLabel('Origin', { exact: true }).fill(origin);
      await page.getByLabel('Method', { exact: true }).selectOption(method);
      await page.getByLabel('Request headers').fill(headers);
      await page.evaluate(() => { const o = document.getElementById('sim-out'); if (o) o.replaceChildren(); });
      await page.getByRole('button', { name: 'Simulate' }).click();
      await page.locator('#sim-preflight').waitFor();
      return {
        verdict: await page.locator('#sim-verdict').innerText(),
        preflight: JSON.parse(await page.locator('#sim-preflight').getAttribute('data-headers')),
        roles: await page.locator('#sim-out tbody tr').evaluateAll((rows) => rows.map((r) => r.children[1].textContent)),
        why: await page.locator('#sim-out tbody tr').evaluateAll((rows) => rows.map((r) => r.children[2].textContent)),
        // The text shown, in wire order, names lower-cased.
        lines: (await page.locator('#sim-preflight').innerText()).split('\n').filter((l) => l.includes(': '))
          .map((l) => { const i = l.indexOf(': '); return `${l.slice(0, i).toLowerCase()}${l.slice(i)}`; }),
      };
    };
    const real = async (origin, method, headers) => {
      const r = await raw('OPTIONS', `${env.ipEndpoint}/${bucket}/some/key`, {
        Origin: origin, 'Access-Control-Request-Method': method, 'Access-Control-Request-Headers': headers,
      });
      const cors = Object.fromEntries(Object.entries(r.headers).filter(([k]) => k.startsWith('access-control-') || k === 'vary'));
      const lines = [];
      for (let i = 0; i < r.rawHeaders.length; i += 2) {
        const k = r.rawHeaders[i].toLowerCase();
        if (k.startsWith('access-control-') || k === 'vary') lines.push(`${k}: ${r.rawHeaders[i + 1]}`);
      }
      return { status: r.status, cors, lines };
    };
    const lowerKeys = (o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k.toLowerCase(), v]));
    const allowed = await sim(env.appOrigin, 'PUT', 'content-type');
    assert.match(allowed.verdict, /Allowed by rule 2/);
    assert.deepEqual(allowed.roles, ['no match', 'decides']);
    assert.match(allowed.why[0], /method "PUT" is not in AllowedMethod \[GET\]/);
    const realAllowed = await real(env.appOrigin, 'PUT', 'content-type');
    assert.equal(realAllowed.status, 200);
    assert.deepEqual(lowerKeys(allowed.preflight), realAllowed.cors);
    assert.deepEqual(allowed.lines, realAllowed.lines, 'the same headers in the same order');
    await shot(page, 'cors-simulator');
    const refused = await sim(env.deniedOrigin, 'PUT', 'content-type');
    assert.match(refused.verdict, /Refused/);
    assert.match(refused.why[1], /matches none of AllowedOrigin/);
    const realRefused = await real(env.deniedOrigin, 'PUT', 'content-type');
    assert.equal(realRefused.status, 403);
    assert.deepEqual(lowerKeys(refused.preflight), realRefused.cors);
    assert.deepEqual(refused.lines, realRefused.lines);

    // As edited: the unsaved order decides.
    await rule(2).getByRole('button', { name: 'Move rule 2 up' }).click();
    await page.getByLabel('As edited').check();
    const edited = await sim(env.appOrigin, 'GET', '');
    assert.match(edited.verdict, /Allowed by rule 1/);
    assert.deepEqual(edited.roles, ['decides', 'matches, but an earlier rule decides']);

    // Import: a document replaces the rules in the editor (saved only on Save).
    await page.getByLabel('CORS XML').fill('<CORSConfiguration><CORSRule><AllowedOrigin>https://imported.example</AllowedOrigin><AllowedMethod>HEAD</AllowedMethod><MaxAgeSeconds>5</MaxAgeSeconds></CORSRule><ResponseVary>true</ResponseVary></CORSConfiguration>');
    await page.getByRole('button', { name: 'Import XML into the editor' }).click();
    await page.locator('section.rule').nth(0).waitFor();
    assert.equal(await page.locator('section.rule').count(), 1);
    assert.equal(await rule(1).getByLabel('Sources').inputValue(), 'https://imported.example');
    assert.equal(await rule(1).getByRole('checkbox', { name: 'HEAD' }).isChecked(), true);
    assert.equal(await page.getByLabel('Vary: Origin (ResponseVary)').isChecked(), true);
    await page.getByRole('button', { name: 'Save rules' }).click();
    await page.getByText(`CORS rules of ${bucket} saved.`).waitFor();
    const after = await admin.getBucketCORS(bucket);
    assert.deepEqual(after.rules.map((r) => [r.allowedOrigin, r.allowedMethod, r.maxAgeSeconds]), [['https://imported.example', 'HEAD', '5']]);
    assert.deepEqual(problems, { errors: [], failed: [], allowed: [] });
    await context.close();
  });

  it('a read-only key cannot delete (refused as the OSS API refuses it); root manages keys', async () => {
    const bucket = uniqueBucket('con-ro');
    await admin.putBucket(bucket);
    await client({ bucket }).put('keep.txt', Buffer.from('keep'));
    const { context, page, problems } = await open(1280);
    await signIn(page);
    await page.getByRole('link', { name: 'Access keys' }).click();
    await page.getByRole('heading', { name: 'Access keys' }).waitFor();
    await page.getByLabel('Key name (a note for you)').fill('reader');
    await page.getByRole('button', { name: 'Create key' }).click();
    const secretText = await page.locator('#new-secret').innerText();
    const secret = secretText.replace('AccessKey secret: ', '');
    const id = (await page.locator('.secret').first().innerText()).replace('AccessKey ID: ', '');
    await page.getByLabel(`Bucket for ${id}`).selectOption(bucket);
    await page.getByLabel(`Permission for ${id}`).selectOption('read');
    await page.getByRole('button', { name: `Grant to ${id}` }).click();
    await page.getByText(`${bucket}: read`).waitFor();
    await page.getByRole('button', { name: `Disable key ${id}` }).click();
    await page.getByRole('button', { name: `Enable key ${id}` }).click();
    await page.getByRole('button', { name: `Disable key ${id}` }).waitFor();
    await shot(page, 'keys');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('AccessKey ID').waitFor();
    assert.equal(await page.locator('#new-secret').count(), 0, 'the secret is gone from the page');

    // The same refusal as the OSS API gives this key.
    const direct = await client({ bucket, accessKeyId: id, secret }).delete('keep.txt').catch((e) => e);
    assert.equal(direct.status, 403);
    problems.allowed.push(/status of 403/);
    await signIn(page, id, secret);
    await page.getByText(`Signed in as ${id}`).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Access keys' }).isVisible(), false);
    await page.evaluate((b) => { location.hash = `#/b/${b}/objects`; }, bucket);
    await page.getByRole('button', { name: 'Delete keep.txt' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await page.locator('#status').getByText(`${direct.code}: ${direct.message}`).waitFor();
    assert.equal((await client({ bucket }).get('keep.txt')).content.toString(), 'keep');
    assert.deepEqual(problems.errors, []);
    await context.close();
  });

  it('refuses a cross-site form post, ends the session on sign out, and works at 390 px', async () => {
    const { context, page, problems } = await open(390);
    await signIn(page);
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await page.getByRole('heading', { name: 'Buckets' }).waitFor();
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `no horizontal scrolling at 390 px (scrollWidth ${width})`);
    await shot(page, 'buckets-390');
    // A form on another origin posting to a console action. Here that origin is another port of
    // 127.0.0.1, the same site, so even the SameSite=Strict cookie goes along: the missing CSRF
    // token (and the foreign Origin) refuse it, and nothing is created.
    const victim = uniqueBucket('con-csrf');
    const evil = await context.newPage();
    await evil.route(`${env.appOrigin}/evil`, (r) => r.fulfill({
      contentType: 'text/html',
      body: `<form id="f" method="POST" action="${env.ipEndpoint}/-/console/api/oss/${victim}/x" enctype="text/plain"><input name="a" value="b"></form><script>document.getElementById('f').submit()</script>`,
    }));
    const answer = evil.waitForResponse((r) => r.url().includes('/-/console/api/oss/'));
    await evil.goto(`${env.appOrigin}/evil`);
    assert.equal((await answer).status(), 403);
    await assert.rejects(admin.getBucketInfo(victim));
    await evil.close();
    // Sign out: the old cookie no longer works.
    const cookie = (await context.cookies()).find((c) => c.name === 'ossd_console').value;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('AccessKey ID').waitFor();
    const after = await raw('GET', `${env.ipEndpoint}/-/console/api/oss/`, { Cookie: `ossd_console=${cookie}` });
    assert.equal(after.status, 403);
    assert.equal(after.headers['x-ossd-console'], 'signed-out');
    assert.deepEqual(problems, { errors: [], failed: [], allowed: [] });
    await context.close();
  });

  it('objects at 390 px: keyboard sign-in, drag and drop, cancel a multipart upload, pages, delete selected', async () => {
    const bucket = uniqueBucket('con-obj');
    await admin.putBucket(bucket);
    const ob = client({ bucket });
    await Promise.all(Array.from({ length: 25 }, (_, i) => ob.put(`many/k${String(i).padStart(2, '0')}`, Buffer.from(`v${i}`))));
    const { context, page, problems } = await open(390);
    // Keyboard only: the fields and the button in tab order, Enter submits.
    await page.getByLabel('AccessKey ID').focus();
    await page.keyboard.type(env.accessKeyId);
    await page.keyboard.press('Tab');
    await page.keyboard.type(env.accessKeySecret);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Sign in');
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await page.evaluate((b) => { location.hash = `#/b/${b}/objects`; }, bucket);
    await page.getByRole('heading', { name: `Bucket ${bucket}` }).waitFor();

    // Drag and drop.
    const dt = await page.evaluateHandle(() => {
      const d = new DataTransfer();
      d.items.add(new File(['dropped!'], 'dropped.txt', { type: 'text/plain' }));
      return d;
    });
    await page.dispatchEvent('.drop', 'drop', { dataTransfer: dt });
    await page.locator('tr[data-key="dropped.txt"]').waitFor();
    assert.equal((await ob.get('dropped.txt')).content.toString(), 'dropped!');
    assert.equal((await ob.head('dropped.txt')).res.headers['content-type'], 'text/plain');

    // Cancel a multipart upload while its second part is on the way: aborted, nothing left.
    fs.writeFileSync(path.join(tmp, 'cancel.bin'), patternBytes(12 * 1024 * 1024, 3));
    let held;
    const second = new Promise((resolve) => { held = resolve; });
    await page.route(/partNumber=2&/, (route) => { held(); /* never answered: the upload waits */ void route; });
    await page.getByLabel('Choose files').setInputFiles(path.join(tmp, 'cancel.bin'));
    await second;
    const progress = await page.getByLabel('Upload progress of cancel.bin').evaluate((b) => b.value);
    assert.ok(progress >= 4 * 1024 * 1024, `the first part counted (${progress})`);
    await page.getByRole('button', { name: 'Cancel upload of cancel.bin' }).click();
    await page.locator('.upload[data-key="cancel.bin"]').getByText('cancelled').waitFor();
    await page.unroute(/partNumber=2&/);
    await assert.rejects(ob.head('cancel.bin'));
    await waitUntil(async () => (await ob.listUploads({})).uploads.length === 0, 'the multipart upload is aborted');

    // Pages of 20 keys in the folder many/.
    await page.getByRole('link', { name: 'many/' }).click();
    await page.getByLabel('Keys per page').selectOption('20');
    // The listing of all 25 may still be on screen: wait for the page of 20 to replace it.
    await waitUntil(async () => (await page.locator('tr[data-key]').count()) === 20, 'a page of 20 keys');
    await page.locator('tr[data-key="many/k19"]').waitFor();
    assert.equal(await page.locator('tr[data-key]').count(), 20);
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.locator('tr[data-key="many/k24"]').waitFor();
    assert.equal(await page.locator('tr[data-key]').count(), 5);
    assert.equal(await page.getByRole('button', { name: 'Next page' }).isDisabled(), true);
    await shot(page, 'objects-390');
    // Delete selected.
    await page.getByLabel('Select many/k20').check();
    await page.getByLabel('Select many/k21').check();
    await page.getByRole('button', { name: 'Delete selected' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await page.getByText('Deleted 2 object(s).').waitFor();
    assert.equal(await page.locator('tr[data-key]').count(), 3);
    await assert.rejects(ob.head('many/k20'));
    await page.getByRole('button', { name: 'Previous page' }).click();
    await page.locator('tr[data-key="many/k00"]').waitFor();
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `no horizontal scrolling at 390 px (scrollWidth ${width})`);

    // The ACL page.
    await page.getByRole('link', { name: 'ACL and referer' }).click();
    await page.getByRole('combobox', { name: 'ACL' }).selectOption('public-read');
    await page.getByRole('button', { name: 'Save ACL' }).click();
    await page.getByText(`ACL of ${bucket} is now public-read.`).waitFor();
    assert.equal((await admin.getBucketACL(bucket)).acl, 'public-read');
    await page.getByLabel('Allow an empty Referer').uncheck();
    await page.getByLabel('Allowed referers (one per line; * and ? wildcards)').fill('https://www.example.com/*\nhttps://*.example.org');
    await page.getByRole('button', { name: 'Save referer settings' }).click();
    await page.getByText(`Referer settings of ${bucket} saved.`).waitFor();
    const ref = await admin.getBucketReferer(bucket);
    assert.equal(ref.allowEmpty, false);
    assert.deepEqual(ref.referers, ['https://www.example.com/*', 'https://*.example.org']);
    await shot(page, 'acl-390');
    assert.deepEqual(problems, { errors: [], failed: [], allowed: [] });
    await context.close();
  });
});
