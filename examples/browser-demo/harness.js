// What the browser test needs around the browser: the test MDS (examples/browser_test_mds.rs),
// the real daemon (target/debug/mdsd), the demo server, Debian's Chromium through playwright-core
// and CDP virtual authenticators.
'use strict';

const { spawn, execFileSync } = require('child_process');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');
const { Mdsd } = require('./mdsd');

const ROOT = path.resolve(__dirname, '..', '..');
const MDSD_BIN = process.env.MDSD_BIN || path.join(ROOT, 'target', 'debug', 'mdsd');
const TEST_MDS_BIN = process.env.MDSD_TEST_MDS_BIN
  || path.join(ROOT, 'target', 'debug', 'examples', 'browser_test_mds');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

// The flags Debian's Chromium needs to run headless as root on a CI machine, quietly.
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// Writes a fresh test MDS + daemon config into a new temporary directory. `entries`:
// [{ aaguid, certFile }] metadata entries to add (attestation root = that certificate).
async function makeTestMds(entries = []) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdsd-browser-'));
  const port = await freePort();
  const args = [dir, '--listen', `127.0.0.1:${port}`];
  for (const e of entries) args.push('--entry', `${e.aaguid}=${e.certFile}`);
  execFileSync(TEST_MDS_BIN, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  return { dir, target: `127.0.0.1:${port}`, config: path.join(dir, 'mdsd.toml') };
}

// Starts `mdsd serve` on a test MDS and waits until it serves the verified BLOB.
async function startDaemon(mds, extraArgs = []) {
  const log = fs.openSync(path.join(mds.dir, `mdsd-${Date.now()}.log`), 'w');
  const child = spawn(MDSD_BIN, ['serve', '--config', mds.config, ...extraArgs], {
    stdio: ['ignore', log, log],
    env: { ...process.env, MDSD_LOG: 'info' },
  });
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  const client = new Mdsd(mds.target);
  try {
    await Promise.race([
      client.waitLoaded(30_000),
      exited.then((code) => { throw new Error(`mdsd exited with ${code} (log in ${mds.dir})`); }),
    ]);
  } catch (err) {
    child.kill('SIGTERM');
    client.close();
    throw err;
  }
  return {
    child,
    client,
    async stop() {
      client.close();
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}

async function launchChromium() {
  const { chromium } = require('playwright-core');
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdsd-chromium-'));
  // A persistent context is the way to hand Chromium a fresh --user-data-dir of our own.
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  return {
    context,
    async close() {
      await context.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

// Registers one passkey on the demo page with a fresh CDP virtual authenticator made from
// `options` (WebAuthn.VirtualAuthenticatorOptions). Returns the demo server's answer
// ({ summary, mdsd, attestationStatement }), the authenticator's own view of the credential
// (`credentials`, from WebAuthn.getCredentials) and what the page displays (`shown`).
// `beforeSubmit(page)` runs before the form is submitted (a test can intercept requests there).
async function registerWith(context, demoUrl, options, { groups = 'staff', uv = 'preferred', beforeSubmit } = {}) {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  try {
    await cdp.send('WebAuthn.enable', { enableUI: false });
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { automaticPresenceSimulation: true, ...options },
    });
    await page.goto(demoUrl);
    await page.selectOption('#groups', groups);
    await page.selectOption('#uv', uv);
    if (beforeSubmit) await beforeSubmit(page);
    await page.click('#go');
    await page.waitForFunction(
      () => window.mdsdDemo && (window.mdsdDemo.lastResult || window.mdsdDemo.lastError),
      null, { timeout: 30_000 },
    );
    const { lastResult, lastError } = await page.evaluate(() => window.mdsdDemo);
    if (lastError) throw new Error(`registration failed in the page: ${lastError}`);
    // What the page shows a person.
    const shown = {};
    for (const id of ['verdict', 'statementValid', 'format', 'trust', 'authenticator', 'aaguid',
      'credentialKind', 'userVerified', 'reasons', 'policy']) {
      shown[id] = await page.textContent(`#${id}`);
    }
    shown.result = JSON.parse(await page.textContent('#result'));
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
    return { ...lastResult, credentials, shown };
  } finally {
    await cdp.detach().catch(() => {});
    await page.close();
  }
}

module.exports = {
  ROOT, MDSD_BIN, TEST_MDS_BIN, CHROMIUM, makeTestMds, startDaemon, launchChromium, registerWith,
};
