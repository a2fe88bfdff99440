// Adapter from an ABCI-shaped CheckTx response (the app's `ResponseCheckTx`, which adds the
// non-ABCI fields sender, sequence and priority) to the mempool's CheckResult. Structural types
// only: the mempool does not depend on the app's module, just on this shape.
import type { CheckMode, CheckResult, MempoolApp } from './mempool.js';

/** The fields of an ABCI CheckTx response the mempool reads (code 0 = accepted). */
export interface CheckTxResponseLike {
  readonly code: number;
  readonly log: string;
  readonly gasWanted: bigint;
  readonly sender?: string;
  readonly sequence?: bigint;
  readonly priority?: bigint;
}

/**
 * Maps an ABCI CheckTx response to a {@link CheckResult}. An accepted response without sender,
 * sequence or priority maps to a result the mempool refuses with INVALID_CHECK_RESULT (an app bug).
 */
export function checkResultFromResponse(response: CheckTxResponseLike): CheckResult {
  if (response.code !== 0) return { ok: false, code: response.code, log: response.log };
  return {
    ok: true,
    sender: response.sender ?? '',
    sequence: response.sequence ?? -1n,
    gasWanted: response.gasWanted,
    priority: response.priority ?? -1n,
  };
}

/**
 * Wraps an app with ABCI's `checkTx({ tx, type })` as the mempool's {@link MempoolApp}.
 *
 * @example new Mempool(config, { ...mempoolAppFromAbci(app), onNewTx })
 */
export function mempoolAppFromAbci(app: {
  checkTx(request: { tx: Uint8Array; type: CheckMode }): CheckTxResponseLike | Promise<CheckTxResponseLike>;
  /** Optional batch form (the same answers as checkTx on each in order), used for new txs. */
  checkTxBatch?(
    requests: readonly { tx: Uint8Array; type: CheckMode }[],
  ): readonly CheckTxResponseLike[] | Promise<readonly CheckTxResponseLike[]>;
}): MempoolApp {
  const adapted: MempoolApp = {
    checkTx: async (txBytes, mode) => checkResultFromResponse(await app.checkTx({ tx: txBytes, type: mode })),
  };
  if (app.checkTxBatch === undefined) return adapted;
  return {
    ...adapted,
    checkTxBatch: async (txs) => {
      const responses = await app.checkTxBatch?.(txs.map((tx) => ({ tx, type: 'new' as const })));
      return (responses ?? []).map(checkResultFromResponse);
    },
  };
}
