// `shroud tx register`: a joining node's registration (DESIGN.md §4, ADR 007 "Registration").
// The node home was made by `addNode` (src/node/network.ts): its enclave created a registration
// key (sealed in the home) and the attestation quote over it (`registration-quote.hex`). This
// sends the quote in a MsgRegisterNode, then reads the seed the chain encrypted to the
// registration key and has the node's enclave accept and seal it (`acceptRegisteredSeed`), so
// `shroud start --home` can run the node. The node layer is loaded only here (it pulls in
// the enclave and LMDB, which the other commands do not need).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CoinInput, ShroudClient, TxOutcome } from '../client/index.js';
import { bytesToHex, hexToBytes } from '../crypto/index.js';
import { CliError } from './output.js';

export interface RegisterOptions {
  nodeHome: string;
  gasLimit: bigint;
  fees: (gasLimit: bigint) => Promise<CoinInput[]>;
}

export interface RegisterResult {
  outcome: TxOutcome;
  /** Hex of the registration public key the seed was encrypted to. */
  registrationPublicKey: string;
  /** Where the accepted seed is now sealed. */
  sealedSeedPath: string;
}

/**
 * Registers the node of `nodeHome` and installs its sealed seed.
 * @throws {CliError} USAGE when the home has no quote or already holds a seed; the client's
 *   typed errors (QUOTE_REFUSED comes back as TxRejectedError); NodeError, EnclaveCallError
 *   when the seed does not open in this enclave.
 */
export async function registerNodeWithEnclave(
  client: ShroudClient,
  options: RegisterOptions,
): Promise<RegisterResult> {
  const { NETWORK_FILES, HOME_FILES, acceptRegisteredSeed } = await import('../node/index.js');
  const { decodeQuote } = await import('../enclave/index.js');
  const quotePath = join(options.nodeHome, NETWORK_FILES.registrationQuote);
  const sealedSeedPath = join(options.nodeHome, HOME_FILES.sealedSeed);
  if (existsSync(sealedSeedPath))
    throw new CliError(
      'USAGE',
      `${options.nodeHome} already holds the network seed: it needs no registration`,
    );
  let quote: Uint8Array;
  try {
    const text = readFileSync(quotePath, 'utf8').trim();
    if (!/^([0-9a-f]{2})+$/.test(text)) throw new Error('not hex');
    quote = hexToBytes(text);
  } catch {
    throw new CliError(
      'USAGE',
      `${quotePath} is missing or not hex: the node home must come from addNode (a home that joins later)`,
    );
  }
  const registrationPublicKey = decodeQuote(quote).registrationPublicKey;
  const outcome = await client.registerNode(quote, {
    gasLimit: options.gasLimit,
    fee: await options.fees(options.gasLimit),
  });
  const encryptedSeed = await client.getRegistration(registrationPublicKey);
  if (encryptedSeed === null)
    throw new CliError('NOT_FOUND', 'the registration was included but the chain stores no seed for it');
  await acceptRegisteredSeed(options.nodeHome, encryptedSeed);
  return { outcome, registrationPublicKey: bytesToHex(registrationPublicKey), sealedSeedPath };
}
