// The app as `shroud abci` runs it: the state store, the enclave opened with this node's sealed
// seed, and ShroudApp between them — no block producer (CometBFT drives the blocks) and no
// block store (CometBFT keeps its own). InitChain is left to CometBFT's handshake.
import { readFileSync } from 'node:fs';
import { Enclave } from '../enclave/index.js';
import { Store } from '../store/index.js';
import { ShroudApp, enclavePolicy, parseGenesis } from '../app/index.js';

export interface OpenAppOptions {
  /** The enclave's home: `<home>/sealing.key` is read there (DESIGN.md §4). */
  home: string;
  /** genesis.json of the Shroud chain (CometBFT's `app_state`). */
  genesisPath: string;
  /** This node's sealed master seed (from init, or from registration). */
  sealedSeedPath: string;
  /** The state store directory (LMDB). */
  statePath: string;
}

export interface OpenedApp {
  app: ShroudApp;
  /** genesis.json as read (the server checks InitChain's app_state against it). */
  genesisBytes: Uint8Array;
  /** Closes the enclave, then the store. */
  close(): Promise<void>;
}

/**
 * Opens the store, starts the enclave with the sealed seed and attaches it to a new ShroudApp.
 * @throws {AppError} GENESIS_INVALID; StoreError; EnclaveCallError if the seed does not open
 *   (another node's sealed seed, or a different sealing key).
 */
export async function openApp(options: OpenAppOptions): Promise<OpenedApp> {
  const genesisBytes = new Uint8Array(readFileSync(options.genesisPath));
  const genesis = parseGenesis(new TextDecoder().decode(genesisBytes));
  const sealedSeed = new Uint8Array(readFileSync(options.sealedSeedPath));
  const store = Store.open(options.statePath);
  let enclave: Enclave | null = null;
  try {
    let app: ShroudApp | null = null;
    // The enclave's OCALLs reach the app, which needs the enclave: bind them late.
    const services = () => {
      if (app === null) throw new Error('enclave OCALL before the app exists');
      return app.enclaveServices;
    };
    enclave = await Enclave.start({
      home: options.home,
      genesisPolicy: enclavePolicy(genesis),
      services: {
        readState: (contract, key) => services().readState(contract, key),
        getCode: (hash) => services().getCode(hash),
        contractInfo: (address) => services().contractInfo(address),
        queryChain: (request) => services().queryChain(request),
      },
    });
    await enclave.start(sealedSeed);
    app = new ShroudApp({ store, genesis });
    app.attachEnclave(enclave);
    const opened = enclave;
    return {
      app,
      genesisBytes,
      close: async () => {
        await opened.stop();
        await store.close();
      },
    };
  } catch (error) {
    await enclave?.stop();
    await store.close();
    throw error;
  }
}
