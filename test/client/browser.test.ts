// The SDK bundles for browsers (DESIGN.md §2, ADR 001): esbuild with platform 'browser' and the
// package.json `browser` mapping of the crypto backend (from source: default-backend.ts →
// default-backend.browser.ts) gives a bundle with no native addon and no `node:` import, and
// that bundle works in a bare V8 context (no require, no Buffer, no process): it derives the
// known address, encrypts a transaction the node side opens, and decrypts a node-made output.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { webcrypto } from 'node:crypto';
import { createContext, runInContext } from 'node:vm';
import { build, type Plugin } from 'esbuild';
import { decodeTx, envelopeAssociatedData } from '../../src/codec/index.js';
import {
  bytesToHex,
  decryptTxInput,
  encryptTxOutput,
  generateX25519KeyPair,
  hexToBytes,
  utf8Decode,
  utf8Encode,
} from '../../src/crypto/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const packageJson = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as {
  browser?: Record<string, string>;
};

/** The package.json `browser` map, applied to the TypeScript sources (dist/src/x.js → src/x.ts). */
function browserFieldFromSource(): Plugin {
  const map = new Map<string, string>();
  for (const [from, to] of Object.entries(packageJson.browser ?? {})) {
    const source = (path: string) => `${root}${path.replace(/^\.\/dist\//, '').replace(/\.js$/, '.ts')}`;
    map.set(source(from), source(to));
  }
  return {
    name: 'browser-field-from-source',
    setup(builder) {
      builder.onResolve({ filter: /default-backend/ }, async (args) => {
        if (args.pluginData === 'inner') return undefined;
        const resolved = await builder.resolve(args.path, {
          resolveDir: args.resolveDir,
          kind: args.kind,
          importer: args.importer,
          pluginData: 'inner',
        });
        const swapped = map.get(resolved.path);
        return swapped === undefined ? resolved : { path: swapped };
      });
    },
  };
}

/** UTF-8 TextEncoder/TextDecoder written in plain JS (V8's escape/unescape), for the bare context. */
const IN_REALM_TEXT_CODING = `
  globalThis.TextEncoder = class TextEncoder {
    encode(text = '') {
      const binary = unescape(encodeURIComponent(text));
      const out = new Uint8Array(binary.length);
      for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
      return out;
    }
  };
  globalThis.TextDecoder = class TextDecoder {
    constructor(label = 'utf-8', options = {}) { this.fatal = options.fatal === true; }
    decode(bytes = new Uint8Array(0)) {
      let binary = '';
      for (const byte of bytes) binary += String.fromCharCode(byte);
      try { return decodeURIComponent(escape(binary)); }
      catch (error) { if (this.fatal) throw new TypeError('invalid UTF-8'); return binary; }
    }
  };
  globalThis.btoa = (binary) => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    let out = '';
    for (let i = 0; i < binary.length; i += 3) {
      const [a, b, c] = [binary.charCodeAt(i), binary.charCodeAt(i + 1), binary.charCodeAt(i + 2)];
      const n = (a << 16) | ((b || 0) << 8) | (c || 0);
      out += alphabet[n >> 18] + alphabet[(n >> 12) & 63];
      out += i + 1 < binary.length ? alphabet[(n >> 6) & 63] : '=';
      out += i + 2 < binary.length ? alphabet[n & 63] : '=';
    }
    return out;
  };
`;

async function bundle() {
  return build({
    entryPoints: [`${root}src/client/index.ts`],
    bundle: true,
    platform: 'browser',
    format: 'iife',
    globalName: 'ShroudClientSdk',
    write: false,
    metafile: true,
    logLevel: 'silent',
    plugins: [browserFieldFromSource()],
  });
}

describe('browser bundle of src/client', () => {
  it('package.json maps the crypto backend for browsers', () => {
    assert.equal(
      packageJson.browser?.['./dist/src/crypto/default-backend.js'],
      './dist/src/crypto/default-backend.browser.js',
    );
  });

  it('contains no native addon and no node: import', async (t) => {
    const result = await bundle();
    const inputs = Object.keys(result.metafile.inputs);
    assert.ok(
      inputs.some((path) => path.endsWith('src/crypto/default-backend.browser.ts')),
      'browser backend in',
    );
    for (const banned of [
      'sodium-native',
      'node_modules/secp256k1/',
      'backend-native',
      'src/crypto/default-backend.ts',
      'src/enclave/',
    ]) {
      assert.equal(inputs.filter((path) => path.includes(banned)).join(), '', `no ${banned} in the bundle`);
    }
    const text = result.outputFiles[0]!.text;
    assert.equal(/\brequire\(/.test(text), false, 'no require() left in the bundle');
    assert.equal(/["']node:/.test(text), false, 'no node: specifier in the bundle');
    const kib = result.outputFiles[0]!.contents.length / 1024;
    assert.ok(kib < 2048, `bundle is ${kib.toFixed(0)} KiB`);
    t.diagnostic(`bundle (not minified): ${kib.toFixed(0)} KiB, ${inputs.length} inputs`);
  });

  it('runs in a bare V8 context: known address, encryption the node opens, decryption of a node output', async () => {
    const code = (await bundle()).outputFiles[0]!.text;
    // What a browser provides: Web Crypto (randomness), TextEncoder/Decoder. No require, Buffer, process.
    // TextEncoder/TextDecoder are defined inside the context: Node's would return Uint8Arrays of
    // the outer realm, which a browser never does.
    const context = createContext({
      crypto: { getRandomValues: (array: Uint8Array) => webcrypto.getRandomValues(array) },
    });
    runInContext(IN_REALM_TEXT_CODING, context);
    runInContext(code, context);
    assert.equal(
      runInContext('typeof require + typeof Buffer + typeof process', context),
      'undefinedundefinedundefined',
    );

    const network = generateX25519KeyPair();
    context.networkHex = bytesToHex(network.publicKey);
    const built = runInContext(
      `(() => {
        const { Wallet, buildExecuteTx } = ShroudClientSdk;
        const wallet = Wallet.fromMnemonic('abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about');
        const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
        const net = new Uint8Array(networkHex.match(/../g).map((h) => parseInt(h, 16)));
        const tx = buildExecuteTx({ sender: wallet, chainId: 'shroud-1', accountNumber: 1n, sequence: 0n, gasLimit: 100000n,
          networkPublicKey: net, contract: wallet.address, codeHash: 'cd'.repeat(32), msg: { hello: 'browser' } });
        return JSON.stringify({ address: wallet.address, tx: hex(tx.txBytes), hash: hex(tx.hash), key: hex(tx.txKey) });
      })()`,
      context,
    ) as string;
    const { address, tx, hash, key } = JSON.parse(built) as Record<string, string>;
    assert.equal(
      address,
      'shroud1gkle2qetd47g4qlruxu8kx4m97875t66haf5tn',
      'the cosmjs-vector address, pure backend',
    );

    // The node side (native backend) decodes, verifies the binding and opens the envelope.
    const { body } = decodeTx(hexToBytes(tx!));
    const sum = body.messages[0]!.sum;
    assert.ok(sum.case === 'executeContract');
    const opened = decryptTxInput({
      networkPrivateKey: network.privateKey,
      envelope: sum.value.msg,
      associatedData: envelopeAssociatedData({
        kind: 'execute',
        sender: address,
        target: address,
        funds: [],
      }),
    });
    assert.equal(utf8Decode(opened.plaintext), `${'cd'.repeat(32)}{"hello":"browser"}`);
    assert.equal(bytesToHex(opened.txKey), key);

    // An output sealed on the node side opens in the bundle, with the key re-derived there from
    // the mnemonic and the envelope (how a browser reopens an old result).
    const sealed = encryptTxOutput(opened.txKey, hexToBytes(hash!), 'data', utf8Encode('{"ok":true}'));
    Object.assign(context, {
      sealedHex: bytesToHex(sealed),
      envelopeHex: bytesToHex(sum.value.msg),
      hashHex: hash,
    });
    const decrypted = runInContext(
      `(() => {
        const { Wallet, decryptTxResult } = ShroudClientSdk;
        const bytes = (h) => new Uint8Array(h.match(/../g).map((x) => parseInt(x, 16)));
        const b64 = (u) => btoa(String.fromCharCode(...u));
        const wallet = Wallet.fromMnemonic('abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about');
        const key = wallet.txKeyOfEnvelope(bytes(envelopeHex), bytes(networkHex));
        const result = { code: 0, codespace: '', log: '', data: new Uint8Array(0), gasWanted: 1n, gasUsed: 1n,
          events: [{ type: 'wasm', attributes: [{ key: 'msg_index', value: '0' }, { key: 'encrypted:data', value: b64(bytes(sealedHex)) }] }] };
        const out = decryptTxResult([key], hashHex, result);
        return new TextDecoder().decode(out.data[0]);
      })()`,
      context,
    ) as string;
    assert.equal(decrypted, '{"ok":true}');
  });
});
