// `shroud start` with a fault injected into the app (wal/fatal test): FAIL_IN=finalize|commit
// makes ShroudApp's finalizeBlock or commit throw at height FAIL_AT, as an enclave or disk
// failure would. Everything else is the real CLI.
import { ShroudApp } from '../../src/app/index.js';

const failAt = BigInt(process.env['FAIL_AT'] ?? '0');
const failIn = process.env['FAIL_IN'];
// Called below with .call(this): the instance the node created.
// eslint-disable-next-line @typescript-eslint/unbound-method
const finalizeBlock = ShroudApp.prototype.finalizeBlock;
// eslint-disable-next-line @typescript-eslint/unbound-method
const commit = ShroudApp.prototype.commit;
let finalizing = 0n;
ShroudApp.prototype.finalizeBlock = function (this: ShroudApp, request) {
  finalizing = request.height;
  if (failIn === 'finalize' && request.height === failAt)
    return Promise.reject(new Error('injected finalizeBlock failure'));
  return finalizeBlock.call(this, request);
};
ShroudApp.prototype.commit = function (this: ShroudApp) {
  if (failIn === 'commit' && finalizing === failAt)
    return Promise.reject(new Error('injected commit failure'));
  return commit.call(this);
};
await import('../../src/cli/main.js');
