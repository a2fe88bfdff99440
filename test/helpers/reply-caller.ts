// A "caller" contract for the submessage-reply tests (CONTRACT_ABI §0, §3.5), used through the
// enclave (test/enclave/reply.test.ts) and through the app (test/app/reply.test.ts): one copy,
// so both layers are tested against the same submessage shape.
import { contractWat, wat2wasm } from '../vm-runtime/wat.js';

/**
 * Wasm of the caller: `execute {"a":…}` sends `counter` a wasm execute submessage `increment`,
 * any other execute sends `reset` (refused: the caller is not the counter's owner); both with
 * submessage id 7 and reply_on "always". Its `reply` entry stores the Reply JSON it receives under key "R" (82)
 * and answers Ok.
 * @throws Error if wabt cannot assemble the module (a bug in this helper).
 */
export async function replyCallerWasm(counter: string, counterHash: string): Promise<Uint8Array> {
  const submessage = (inner: unknown) =>
    JSON.stringify({
      Ok: {
        messages: [
          {
            id: 7,
            msg: {
              wasm: {
                execute: {
                  contract_addr: counter,
                  code_hash: counterHash,
                  msg: Buffer.from(JSON.stringify(inner)).toString('base64'),
                  send: [],
                },
              },
            },
            gas_limit: null,
            reply_on: 'always',
          },
        ],
        attributes: [],
        events: [],
        data: null,
      },
    });
  return wat2wasm(
    contractWat({
      // Byte 2 of the message is the first key's first letter: `{"a"…` → 97.
      execute: `(if (result i32) (i32.eq (i32.load8_u offset=2 (i32.load (local.get $msg))) (i32.const 97))
        (then (call $blob1)) (else (call $blob2)))`,
      reply: '(call $save (i32.const 82) (local.get $msg)) (call $ok)',
      blobs: [submessage({ increment: {} }), submessage({ reset: { count: 0 } })],
    }),
  );
}
