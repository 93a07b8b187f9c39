// Tiny static server for the demo page (the "app origin", distinct from the store's origin).
// Usage: node demo-server.mjs [PORT ...]   (default 8080; one listener per port, all on 127.0.0.1)
// Serves demo/index.html, demo/demo.js and the ali-oss browser bundle at /vendor/aliyun-oss-sdk.min.js.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const files = {
  '/': ['demo/index.html', 'text/html; charset=utf-8'],
  '/index.html': ['demo/index.html', 'text/html; charset=utf-8'],
  '/demo.js': ['demo/demo.js', 'text/javascript; charset=utf-8'],
  '/vendor/aliyun-oss-sdk.min.js': ['node_modules/ali-oss/dist/aliyun-oss-sdk.min.js', 'text/javascript; charset=utf-8'],
};

function handler(req, res) {
  const url = new URL(req.url, 'http://x');
  const entry = files[url.pathname];
  if (req.method !== 'GET' || !entry) {
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('not found\n');
    return;
  }
  fs.readFile(path.join(here, entry[0]), (err, data) => {
    if (err) {
      res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end(`${err.message}\n`);
      return;
    }
    res.writeHead(200, { 'Content-Type': entry[1], 'Cache-Control': 'no-store' });
    res.end(data);
  });
}

const ports = process.argv.slice(2).map(Number);
if (ports.length === 0) ports.push(8080);
const servers = ports.map((port) => http.createServer(handler).listen(port, '127.0.0.1', () => {
  console.log(`demo page on http://127.0.0.1:${port}/`);
}));

const stop = () => {
  for (const s of servers) s.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
