// Address helpers over addr_validate / addr_canonicalize / addr_humanize (CONTRACT_ABI §2).
// Host "user" errors come back as a Region holding an error string; like cosmwasm-std we turn
// them into `Generic error: addr_<fn> errored: <text>`.
import {
  addr_validate,
  addr_canonicalize,
  addr_humanize,
  newRegion,
  readRegion,
  regionOf,
  utf8,
  fromUtf8,
} from './abi';

/** cosmwasm-std refuses longer inputs before calling the host (§2 notes). */
const MAX_HUMAN_ADDRESS_BYTES: i32 = 256;
/** Output buffer sizes cosmwasm-std preallocates (§1.2). */
const CANONICAL_CAPACITY: u32 = 64;
const HUMAN_CAPACITY: u32 = 90;

/** Null when `human` is a valid, normalised address of this chain; otherwise the error text. */
export function validateAddress(human: string): string | null {
  const bytes = utf8(human);
  if (bytes.length > MAX_HUMAN_ADDRESS_BYTES) return 'Generic error: Input too long for addr_validate';
  const result = addr_validate(regionOf(bytes));
  if (result == 0) return null;
  return 'Generic error: addr_validate errored: ' + fromUtf8(readRegion(result));
}

/** Either canonical bytes or an error text. */
export class CanonicalAddress {
  bytes: Uint8Array = new Uint8Array(0);
  error: string | null = null;
}

/** The raw bytes of a bech32 address. */
export function canonicalizeAddress(human: string): CanonicalAddress {
  const out = new CanonicalAddress();
  const bytes = utf8(human);
  if (bytes.length > MAX_HUMAN_ADDRESS_BYTES) {
    out.error = 'Generic error: Input too long for addr_canonicalize';
    return out;
  }
  const destination = newRegion(CANONICAL_CAPACITY);
  const result = addr_canonicalize(regionOf(bytes), destination);
  if (result != 0) out.error = 'Generic error: addr_canonicalize errored: ' + fromUtf8(readRegion(result));
  else out.bytes = readRegion(destination);
  return out;
}

/** Either a human address or an error text. */
export class HumanAddress {
  address: string = '';
  error: string | null = null;
}

/** The bech32 string (chain prefix) of canonical bytes. */
export function humanizeAddress(canonical: Uint8Array): HumanAddress {
  const out = new HumanAddress();
  const destination = newRegion(HUMAN_CAPACITY);
  const result = addr_humanize(regionOf(canonical), destination);
  if (result != 0) out.error = 'Generic error: addr_humanize errored: ' + fromUtf8(readRegion(result));
  else out.address = fromUtf8(readRegion(destination));
  return out;
}
