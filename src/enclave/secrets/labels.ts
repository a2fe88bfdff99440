// Domain-separation labels for everything derived from the master seed (DESIGN.md §3).
// Changing any of these changes every key of the network: they are part of the protocol.

const encoder = new TextEncoder();
const label = (text: string): Uint8Array => encoder.encode(text);

/** HKDF salt for all derivations from the master seed. */
export const SEED_KDF_SALT = label('shroud/v1/seed-kdf-salt');

export const LABELS = {
  ioKey: label('shroud/v1/io-key'),
  stateKeyMaterial: label('shroud/v1/state-key-material'),
  callbackSecret: label('shroud/v1/callback-secret'),
  randomnessSecret: label('shroud/v1/randomness-secret'),
  seedExchangeKey: label('shroud/v1/seed-exchange-key'),
  contractStateKey: label('shroud/v1/contract-state-key'),
  storageKey: label('shroud/v1/storage-key'),
  storageValueIv: label('shroud/v1/storage-value-iv'),
  seedExchangeCipherKey: label('shroud/v1/seed-exchange-cipher-key'),
  seedExchangeIv: label('shroud/v1/seed-exchange-iv'),
  sealing: label('shroud/v1/sealed-seed'),
  quote: label('shroud/v1/attestation-quote'),
  blockRandom: label('shroud/v1/block-random'),
  callbackSignature: label('shroud/v1/callback-signature'),
} as const;
