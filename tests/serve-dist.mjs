// The built page (dist/) over HTTP on a free local port, for the browser
// tests and scripts. `withhold(path)` may refuse a path (404), as a page
// without that file would; `alter(path, body)` may serve other bytes, as a
// damaged or stale file would.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';

const types = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css', '.json': 'application/json' };

export async function serveDist(dist, withhold = () => false, alter = (_path, body) => body) {
  const server = createServer(async (req, res) => {
    let path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    if (withhold(path)) return res.writeHead(404).end('withheld');
    if (path.endsWith('/')) path += 'index.html';
    try {
      const body = alter(path, await readFile(join(dist, path)));
      res.writeHead(200, { 'content-type': types[extname(path)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { server, base: `http://127.0.0.1:${server.address().port}/` };
}
