'use strict';
// Runs the real keel executable for node integration tests.
//
// startBroker() spawns keel (KEEL_BINARY) on an ephemeral 127.0.0.1 port with
// a fresh temporary data dir, waits up to 20 s for its ready file and resolves
// to a handle with { bootstrap, port, dataDir, logTail(), stop() }. stop() sends SIGTERM
// (SIGKILL after 20 s) and removes the temp dir. apiVersions(port) asks the
// broker for its API list with a raw ApiVersions v0 request.

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function startBroker(settings = {}) {
  const binary = process.env.KEEL_BINARY;
  if (!binary) throw new Error('KEEL_BINARY must name the keel executable');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-js-'));
  const dataDir = path.join(dir, 'data');
  fs.mkdirSync(dataDir);
  const ready = path.join(dir, 'ready');
  const logPath = path.join(dir, 'keel.log');
  // http.listener: the embedded default's fixed port would collide in parallel runs.
  const all = { 'http.listener': '127.0.0.1:0', ...settings, listeners: 'PLAINTEXT://127.0.0.1:0', 'log.dirs': dataDir };
  const args = ['--ready-file', ready];
  for (const [k, v] of Object.entries(all)) args.push('--set', `${k}=${v}`);
  const log = fs.openSync(logPath, 'a');
  const child = spawn(binary, args, { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  let exited = null;
  child.on('exit', (code, signal) => {
    exited = { code, signal };
  });

  const logTail = () => {
    try {
      const data = fs.readFileSync(logPath, 'utf8');
      return data.slice(-8000);
    } catch (e) {
      return '<no log>';
    }
  };
  const stop = async () => {
    if (exited === null) {
      child.kill('SIGTERM');
      for (let i = 0; i < 200 && exited === null; i++) await sleep(100);
      if (exited === null) child.kill('SIGKILL');
      for (let i = 0; i < 50 && exited === null; i++) await sleep(100);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 20000;
  while (Date.now() < deadline) {
    if (exited !== null) {
      const tail = logTail();
      await stop();
      throw new Error(`keel exited (${JSON.stringify(exited)}) before becoming ready:\n${tail}`);
    }
    let line = '';
    try {
      line = fs.readFileSync(ready, 'utf8').split('\n')[0].trim();
    } catch (e) {
      // not written yet
    }
    if (line) {
      if (!line.startsWith('PLAINTEXT://')) throw new Error(`malformed ready line ${line}`);
      const port = Number(line.slice(line.lastIndexOf(':') + 1));
      return { bootstrap: `127.0.0.1:${port}`, port, dataDir, logTail, stop };
    }
    await sleep(20);
  }
  const tail = logTail();
  await stop();
  throw new Error(`keel not ready within 20 s:\n${tail}`);
}

// Resolves to a Map api_key -> [min, max] from ApiVersions v0.
function apiVersions(port) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    const clientId = Buffer.from('keel-integration');
    const header = Buffer.alloc(10);
    header.writeInt16BE(18, 0);
    header.writeInt16BE(0, 2);
    header.writeInt32BE(1, 4);
    header.writeInt16BE(clientId.length, 8);
    const size = Buffer.alloc(4);
    size.writeInt32BE(header.length + clientId.length, 0);
    let buf = Buffer.alloc(0);
    sock.setTimeout(10000, () => {
      sock.destroy();
      reject(new Error('ApiVersions: timeout'));
    });
    sock.on('error', reject);
    sock.on('connect', () => sock.write(Buffer.concat([size, header, clientId])));
    sock.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length < 4 || buf.length < 4 + buf.readInt32BE(0)) return;
      sock.end();
      const error = buf.readInt16BE(8);
      if (error !== 0) return reject(new Error(`ApiVersions v0 error ${error}`));
      const count = buf.readInt32BE(10);
      const apis = new Map();
      for (let i = 0; i < count; i++) {
        const off = 14 + 6 * i;
        apis.set(buf.readInt16BE(off), [buf.readInt16BE(off + 2), buf.readInt16BE(off + 4)]);
      }
      resolve(apis);
    });
  });
}

module.exports = { startBroker, apiVersions };
