// Why HTTPS matters for browser uploads: a page on an https:// origin may upload to the store
// over https:// (a presigned PUT, the CORS preflight and the PUT both over TLS), while the same
// upload to the store's plain http:// listener is blocked by Chromium as mixed content before
// any byte is sent. The test makes its own CA and certificate (the openssl command line), its own
// ossd (HTTPS main listener, plain HTTP beside it) and an https page server. Chromium trusts the
// certificate through --ignore-certificate-errors-spki-list (its public-key hash), not by
// ignoring certificate errors. Host names are mapped to 127.0.0.1 with --host-resolver-rules:
// loopback addresses count as secure in Chromium, so the http:// store must have a name.
// Sources: the W3C Mixed Content specification; the OSS documentation of presigned URLs and CORS.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { client, env, presignV1, nowSecs, uniqueBucket } from './lib/common.mjs';

const OSSD_BIN = process.env.OSSD_BIN || path.resolve(import.meta.dirname, '../../target/release/ossd');
const LAUNCH_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-dev-shm-usage', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-default-apps',
];

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ossd-https-'));
let ossd;
let pageServer;
let browser;
let ports;

function freePorts(n) {
  return Promise.all(Array.from({ length: n }, () => new Promise((ok) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => ok(port)); });
  })));
}

/** A CA and a server certificate for the test names, signed by it. */
function makeCertificate() {
  const openssl = (...args) => execFileSync('openssl', args, { cwd: work, stdio: 'pipe' });
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=ossd test CA');
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', 'key.pem', '-out', 'server.csr', '-subj', '/CN=store.test');
  fs.writeFileSync(path.join(work, 'ext.cnf'),
    'subjectAltName=DNS:store.test,DNS:app.test,DNS:localhost,IP:127.0.0.1\n');
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial',
    '-out', 'cert.pem', '-days', '2', '-extfile', 'ext.cnf');
  const cert = fs.readFileSync(path.join(work, 'cert.pem'));
  const spki = new crypto.X509Certificate(cert).publicKey.export({ type: 'spki', format: 'der' });
  return { cert, key: fs.readFileSync(path.join(work, 'key.pem')), spkiHash: crypto.createHash('sha256').update(spki).digest('base64') };
}

async function waitHealthy(url) {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(url)).status === 200) return;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} not ready`);
}

const PAGE = '<!doctype html><meta charset="utf-8"><title>https app</title><p>upload page</p>';

describe('HTTPS store and mixed content (Chromium)', () => {
  let spkiHash;
  const bucket = uniqueBucket('br-tls');
  let tlsPort; let httpPort; let pagePort;
  let admin;

  before(async () => {
    const c = makeCertificate();
    spkiHash = c.spkiHash;
    [tlsPort, httpPort, pagePort] = await freePorts(3);
    ports = { tlsPort, httpPort, pagePort };
    ossd = spawn(OSSD_BIN, [
      'serve', '--listen', `127.0.0.1:${tlsPort}`, '--http-listen', `127.0.0.1:${httpPort}`,
      '--tls-cert', path.join(work, 'cert.pem'), '--tls-key', path.join(work, 'key.pem'),
      '--data-dir', path.join(work, 'data'), '--region', 'cn-hangzhou', '--log-level', 'warn',
    ], {
      env: { ...process.env, OSSD_ROOT_ACCESS_KEY_ID: env.accessKeyId, OSSD_ROOT_ACCESS_KEY_SECRET: env.accessKeySecret },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    pageServer = https.createServer({ cert: c.cert, key: c.key }, (req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(PAGE);
    });
    await new Promise((ok) => pageServer.listen(pagePort, '127.0.0.1', ok));
    await waitHealthy(`http://127.0.0.1:${httpPort}/-/healthz`);
    admin = client({ endpoint: `http://127.0.0.1:${httpPort}` });
    await admin.putBucket(bucket);
    const o = client({ endpoint: `http://127.0.0.1:${httpPort}`, bucket });
    await o.putBucketCORS(bucket, [{
      allowedOrigin: `https://app.test:${pagePort}`,
      allowedMethod: ['PUT', 'GET'],
      allowedHeader: ['content-type'],
      exposeHeader: ['ETag'],
    }]);
    browser = await chromium.launch({
      executablePath: env.chromium,
      args: [
        ...LAUNCH_ARGS,
        `--host-resolver-rules=MAP store.test 127.0.0.1, MAP app.test 127.0.0.1`,
        `--ignore-certificate-errors-spki-list=${spkiHash}`,
      ],
    });
  });

  after(async () => {
    if (browser) await browser.close();
    if (pageServer) pageServer.close();
    if (ossd && ossd.exitCode === null) {
      const exited = new Promise((ok) => ossd.once('exit', ok));
      ossd.kill('SIGTERM');
      await Promise.race([exited, new Promise((ok) => setTimeout(ok, 10000))]);
      if (ossd.exitCode === null) ossd.kill('SIGKILL');
    }
    fs.rmSync(work, { recursive: true, force: true });
  });

  /** The page on https://app.test:PAGE tries a presigned PUT to `storeOrigin`; what happened. */
  async function uploadFromPage(storeOrigin, key) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    const failures = [];
    cdp.on('Network.loadingFailed', (e) => failures.push(e));
    await cdp.send('Network.enable');
    await page.goto(`https://app.test:${ports.pagePort}/`);
    const url = presignV1({ method: 'PUT', bucket, key, expires: nowSecs() + 600, contentType: 'text/plain', origin: storeOrigin });
    const result = await page.evaluate(async (u) => {
      try {
        const r = await fetch(u, { method: 'PUT', body: 'uploaded from an https page', headers: { 'content-type': 'text/plain' } });
        return { status: r.status, etag: r.headers.get('etag'), secure: window.isSecureContext };
      } catch (e) {
        return { error: String(e), secure: window.isSecureContext };
      }
    }, url);
    await context.close();
    return { result, failures };
  }

  it('uploads with a presigned PUT from an https:// page to the https:// store', async () => {
    const { result } = await uploadFromPage(`https://store.test:${tlsPort}`, 'over-tls.txt');
    assert.equal(result.secure, true, 'the page is a secure context');
    assert.equal(result.status, 200, JSON.stringify(result));
    assert.match(result.etag || '', /^"[0-9A-F]{32}"$/, 'ETag exposed through CORS');
    const o = client({ endpoint: `http://127.0.0.1:${httpPort}`, bucket });
    const got = await o.get('over-tls.txt');
    assert.equal(got.content.toString(), 'uploaded from an https page');
  });

  it('blocks the same upload to the http:// store as mixed content', async () => {
    const { result, failures } = await uploadFromPage(`http://store.test:${httpPort}`, 'over-http.txt');
    assert.match(result.error || '', /Failed to fetch/, JSON.stringify(result));
    assert.ok(failures.some((f) => f.blockedReason === 'mixed-content'), JSON.stringify(failures));
    const o = client({ endpoint: `http://127.0.0.1:${httpPort}`, bucket });
    await assert.rejects(o.head('over-http.txt'), (e) => e.status === 404, 'nothing reached the store');
  });
});
