// The npm package: `npm pack` gives a tarball that installs (offline, from
// the file) and that esbuild bundles through the package's `exports`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const pkg = join(root, 'sdk-wasm', 'pkg');

test('npm pack → npm install → esbuild bundle', () => {
  assert.ok(existsSync(join(pkg, 'package.json')), 'sdk-wasm/pkg is not built: run bash scripts/build-sdk.sh');
  const dir = mkdtempSync(join(tmpdir(), 'mid-sdk-pack-'));
  try {
    const npm = (args, cwd) => execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, encoding: 'utf8' });
    const packed = JSON.parse(npm(['pack', '--json', '--pack-destination', dir], pkg))[0];
    assert.deepEqual(packed.files.map((f) => f.path).sort(),
      ['README.md', 'index.d.ts', 'index.js', 'mid_sdk.js', 'mid_sdk_bg.wasm', 'package.json']);
    const app = join(dir, 'app');
    execFileSync('mkdir', ['-p', app]);
    writeFileSync(join(app, 'package.json'), '{"name":"app","private":true,"type":"module"}');
    npm(['install', '--offline', join(dir, packed.filename)], app);
    const installed = JSON.parse(readFileSync(join(app, 'node_modules', 'mid-sdk', 'package.json'), 'utf8'));
    assert.equal(installed.name, 'mid-sdk');
    assert.equal(installed.types, './index.d.ts');
    writeFileSync(join(app, 'main.js'), [
      "import { createPasskey, getPasskey, renderQr, showConsent, watchConsent, MidError,",
      "  isWebAuthnAvailable, isPlatformAuthenticatorAvailable, isConditionalMediationAvailable } from 'mid-sdk';",
      'window.mid = { createPasskey, getPasskey, renderQr, showConsent, watchConsent, MidError,',
      '  isWebAuthnAvailable, isPlatformAuthenticatorAvailable, isConditionalMediationAvailable };',
    ].join('\n'));
    execFileSync(join(root, 'node_modules', '.bin', 'esbuild'), ['main.js', '--bundle', '--format=esm',
      '--platform=browser', '--outfile=dist/main.js', '--log-level=error'], { cwd: app });
    const bundle = readFileSync(join(app, 'dist', 'main.js'), 'utf8');
    assert.match(bundle, /mid_sdk_bg\.wasm/, 'the wasm stays referenced through import.meta.url');
    assert.match(bundle, /MidError/);
    // The type declarations name every export the bundle used.
    const dts = readFileSync(join(app, 'node_modules', 'mid-sdk', 'index.d.ts'), 'utf8');
    for (const name of ['createPasskey', 'getPasskey', 'renderQr', 'showConsent', 'watchConsent', 'MidError',
      'isWebAuthnAvailable', 'isPlatformAuthenticatorAvailable', 'isConditionalMediationAvailable']) {
      assert.match(dts, new RegExp(`(function|class) ${name}\\b`), name);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
