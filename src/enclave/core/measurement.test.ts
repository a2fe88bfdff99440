// The measurement covers the native addon's C source (docs/adr/001 "Native key handles"), not
// its binary: a changed C file changes the measurement, a rebuilt binary does not.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesToHex } from '../../crypto/index.js';
import { enclaveMeasurement, MEASURED_LAYERS, measuredFiles } from './measurement.js';

describe('enclave measurement', () => {
  it('hashes the addon C source beside src/, and ignores the binary and the build stamp', () => {
    const root = mkdtempSync(join(tmpdir(), 'shroud-measure-'));
    try {
      const source = join(root, 'src');
      for (const layer of MEASURED_LAYERS) mkdirSync(join(source, layer), { recursive: true });
      writeFileSync(join(source, 'crypto', 'index.ts'), 'export {};\n');
      const withoutAddon = bytesToHex(enclaveMeasurement(source));
      mkdirSync(join(root, 'native'));
      writeFileSync(join(root, 'native', 'shroud_aead.c'), 'int x;\n');
      assert.deepEqual(measuredFiles(source), ['../native/shroud_aead.c', 'crypto/index.ts']);
      const withAddon = bytesToHex(enclaveMeasurement(source));
      assert.notEqual(withAddon, withoutAddon, 'the C source is measured');
      writeFileSync(join(root, 'native', 'shroud_aead.node'), 'binary from one compiler');
      writeFileSync(join(root, 'native', 'shroud_aead.node.inputs'), 'stamp');
      assert.equal(bytesToHex(enclaveMeasurement(source)), withAddon, 'binaries are not measured');
      writeFileSync(join(root, 'native', 'shroud_aead.c'), 'int y;\n');
      assert.notEqual(bytesToHex(enclaveMeasurement(source)), withAddon, 'an edited C file changes it');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('this tree measures native/shroud_aead.c', () => {
    assert.ok(
      measuredFiles(new URL('../../', import.meta.url).pathname).includes('../native/shroud_aead.c'),
      'the addon source is part of the measured bundle',
    );
  });
});
