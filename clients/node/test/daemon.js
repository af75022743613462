// Starts the real mdsd binary for the tests, offline, on data written by the repository's
// `client_testbed` example. $MDSD_BIN / $MDSD_TESTBED override <repo>/target/debug/{mdsd,
// examples/client_testbed} (`cargo build --bin mdsd --example client_testbed` makes both).
'use strict';

const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { Client, MdsdError } = require('..');

const REPO = path.resolve(__dirname, '..', '..', '..');
const MDSD = process.env.MDSD_BIN || path.join(REPO, 'target', 'debug', 'mdsd');
const TESTBED = process.env.MDSD_TESTBED
  || path.join(REPO, 'target', 'debug', 'examples', 'client_testbed');

function makeTestbed() {
  for (const bin of [MDSD, TESTBED]) {
    if (!fs.existsSync(bin)) {
      throw new Error(`${bin} is missing: run \`cargo build --bin mdsd --example client_testbed\``);
    }
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdsd-node-'));
  execFileSync(TESTBED, [dir]);
  const read = (f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
  return { dir, facts: read('testbed.json'), vectors: read('vectors.json') };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** Starts mdsd with `config` on `listen`; resolves once its BLOB is loaded. */
async function startDaemon(testbed, name, config, { unix = false, tls } = {}) {
  const listen = unix ? `unix:${path.join(testbed.dir, `${name}.sock`)}` : `127.0.0.1:${await freePort()}`;
  const log = fs.openSync(path.join(testbed.dir, `mdsd-${name}.log`), 'w');
  const proc = spawn(MDSD, ['serve', '--config', path.join(testbed.dir, config), '--listen', listen,
    '--state-dir', path.join(testbed.dir, `state-${name}`)], { stdio: ['ignore', log, log] });
  const target = listen;
  const deadline = Date.now() + 30000;
  let last;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) break;
    const c = new Client(target, { tls, timeout: 2 });
    try {
      if ((await c.getMetadataInfo()).loaded) {
        return { target, tls, stop: () => proc.kill() };
      }
    } catch (e) {
      if (!(e instanceof MdsdError)) throw e;
      last = e;
    } finally {
      c.close();
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  proc.kill();
  const text = fs.readFileSync(path.join(testbed.dir, `mdsd-${name}.log`), 'utf8');
  throw new Error(`mdsd never loaded its BLOB (${last}): ${text}`);
}

module.exports = { makeTestbed, startDaemon, MDSD };
