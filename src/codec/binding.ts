// The associated data of a transaction envelope (DESIGN.md §3 "Binding to the signer"): the
// client SDK encrypts a contract message with these bytes as AES-GCM associated data and the
// enclave decrypts with the bytes it rebuilds from the signed transaction, so a ciphertext
// copied into another sender's transaction, pointed at another contract or given other funds
// no longer authenticates. Client and enclave must build them with this one function.
//
// Layout (all lengths u32 big-endian):
//   "shroud/v1/envelope-ad" || 0x00
//   || len(kind) || kind || len(sender) || sender || len(target) || target
//   || count(funds) || for each coin: len(denom) || denom || len(amount) || amount (decimal)
// Length prefixes make the encoding injective: no two field tuples give the same bytes.
import { CodecError } from './errors.js';

/** The call an envelope belongs to. `callback` = a message from one contract to another. */
export type EnvelopeKind = 'instantiate' | 'execute' | 'migrate' | 'query' | 'callback';

export interface EnvelopeBinding {
  kind: EnvelopeKind;
  /** Bech32 address of the signer (user calls), the calling contract (callbacks), '' for queries. */
  sender: string;
  /** Contract address; for instantiate `code:<codeId>/<label>` (see {@link instantiateTarget}). */
  target: string;
  /** Funds attached to the call, in the order given in the message. */
  funds: readonly { denom: string; amount: string | bigint }[];
}

const DOMAIN = new TextEncoder().encode('shroud/v1/envelope-ad\u0000');
const KINDS: ReadonlySet<string> = new Set(['instantiate', 'execute', 'migrate', 'query', 'callback']);
const DECIMAL = /^(0|[1-9][0-9]*)$/;
const encoder = new TextEncoder();

/** The `target` of an instantiate envelope: the code id and the label of the new contract. */
export function instantiateTarget(codeId: bigint | number, label: string): string {
  return `code:${BigInt(codeId).toString()}/${label}`;
}

function amountText(amount: string | bigint): string {
  const text = typeof amount === 'bigint' ? amount.toString() : amount;
  if (typeof text !== 'string' || !DECIMAL.test(text)) {
    throw new CodecError('INVALID_FIELD', 'a coin amount must be a non-negative decimal integer', {
      field: 'envelope_binding.funds.amount',
    });
  }
  return text;
}

/**
 * The canonical associated data of an envelope. Client SDK and enclave both call this.
 * @throws {CodecError} INVALID_FIELD for an unknown kind, a non-string field or an amount that
 *   is not a non-negative decimal integer.
 */
export function envelopeAssociatedData(binding: EnvelopeBinding): Uint8Array {
  if (!KINDS.has(binding.kind)) {
    throw new CodecError('INVALID_FIELD', `unknown envelope kind "${String(binding.kind)}"`, {
      field: 'envelope_binding.kind',
    });
  }
  if (typeof binding.sender !== 'string' || typeof binding.target !== 'string') {
    throw new CodecError('INVALID_FIELD', 'envelope sender and target must be strings', {
      field: 'envelope_binding',
    });
  }
  const parts: Uint8Array[] = [
    encoder.encode(binding.kind),
    encoder.encode(binding.sender),
    encoder.encode(binding.target),
  ];
  const coins: Uint8Array[] = [];
  for (const coin of binding.funds) {
    if (typeof coin.denom !== 'string') {
      throw new CodecError('INVALID_FIELD', 'a coin denom must be a string', {
        field: 'envelope_binding.funds.denom',
      });
    }
    coins.push(encoder.encode(coin.denom), encoder.encode(amountText(coin.amount)));
  }
  let length = DOMAIN.length + 4;
  for (const part of parts) length += 4 + part.length;
  for (const part of coins) length += 4 + part.length;
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  out.set(DOMAIN, 0);
  let offset = DOMAIN.length;
  const put = (part: Uint8Array) => {
    view.setUint32(offset, part.length);
    out.set(part, offset + 4);
    offset += 4 + part.length;
  };
  parts.forEach(put);
  view.setUint32(offset, binding.funds.length);
  offset += 4;
  coins.forEach(put);
  return out;
}
