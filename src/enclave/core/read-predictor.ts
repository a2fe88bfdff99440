// The read predictor (docs/adr/006-enclave-calls.md "Read-ahead", session 5): which plaintext
// state keys a call will read, guessed from the keys an earlier call of the same contract and
// message variant read, with that call's addresses swapped for this call's. A batch fetches the
// slots of those keys in its one readStateBatch at its start (Executor.prefetchBatch), so a
// sender the enclave has never seen no longer costs a readState crossing per slot. A prediction
// is only a list of slots to fetch: the call's real reads still go through the overlay, the
// fetched blobs and readState as before, so a wrong guess costs a slot in that batch and nothing
// else. Plaintext keys and templates never leave the enclave.

/** Most templates kept (one per contract, entry and message variant; cleared when full). */
export const PREDICTOR_MAX_TEMPLATES = 1024;
/** Most keys one template holds (the executor remembers at most 32 reads per call). */
export const TEMPLATE_MAX_KEYS = 32;
/** Longest plaintext key (in bytes) a template keeps; longer ones are not predicted. */
export const TEMPLATE_MAX_KEY_BYTES = 256;
/** Most addresses taken from one message (in order of appearance). */
export const MESSAGE_MAX_ADDRESSES = 8;
/** Longest message prefix scanned for addresses (bytes): a bound on the work per call. */
const MESSAGE_SCAN_MAX_BYTES = 4096;
/** Longest variant name (the message's first JSON key) used to tell templates apart. */
const VARIANT_MAX_CHARS = 64;
/** Shortest address form substituted: a short string would match by accident. */
const FORM_MIN_CHARS = 16;

/**
 * One plaintext key of a template: literal latin1 text and placeholders. A placeholder is
 * 2 × address index + form (0 = bech32 text, 1 = canonical bytes); address 0 is the sender,
 * 1… the message's addresses in order.
 */
type KeyTemplate = readonly (string | number)[];

/** The addresses of one call in both forms, as latin1 text (index = placeholder >> 1). */
interface CallAddresses {
  /** [text, canonical] per address; canonical is '' when the text does not decode. */
  readonly forms: readonly (readonly [string, string])[];
}

/** Decodes a bech32 address of the chain's prefix to its canonical bytes, or null. */
export type CanonicalOf = (address: string) => Uint8Array | null;

const latin1 = (bytes: Uint8Array) =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');

/** bech32's data characters (BIP-173): what may follow "<prefix>1" in an address. */
const BECH32_CHARS = /^[02-9ac-hj-np-z]+$/;

/**
 * Per (contract, entry, message variant), the keys the latest successful call read, with its
 * sender's and its message's addresses as placeholders. Bounded: PREDICTOR_MAX_TEMPLATES
 * templates of at most TEMPLATE_MAX_KEYS keys of at most TEMPLATE_MAX_KEY_BYTES bytes.
 */
export class ReadPredictor {
  private readonly templates = new Map<string, readonly KeyTemplate[]>();
  private readonly quotedPrefix: string;
  /** Templates made for a (contract, entry, variant) that had none: a batch re-predicts on a change. */
  created = 0;

  /**
   * @param addressPrefix the chain's bech32 prefix (addresses in messages start "<prefix>1").
   * @param canonicalOf the canonical bytes of an address (memoized by the caller), or null.
   */
  constructor(
    addressPrefix: string,
    private readonly canonicalOf: CanonicalOf,
  ) {
    this.quotedPrefix = `"${addressPrefix}1`;
  }

  /** Templates held (for tests and the bound). */
  get size(): number {
    return this.templates.size;
  }

  /**
   * Records what a call read. Keys holding none of the call's addresses are kept as they are
   * (a contract's config, a counter): the host saw them read by this call, and a batch without
   * the host's read-ahead for the contract would otherwise read them one by one.
   * @param readKeys the plaintext keys the call read as latin1, in first-read order.
   */
  learn(contract: string, entry: string, sender: string, msg: Uint8Array, readKeys: readonly string[]): void {
    const addresses = this.addressesOf(sender, msg);
    const keys: KeyTemplate[] = [];
    for (const key of readKeys) {
      if (keys.length >= TEMPLATE_MAX_KEYS) break;
      if (key.length > TEMPLATE_MAX_KEY_BYTES) continue;
      keys.push(templateOf(key, addresses));
    }
    const id = templateId(contract, entry, msg);
    // A call whose addresses repeat (a sender paying itself) cannot tell their roles apart: its
    // template only stands in until a call with distinct addresses replaces it.
    if (this.templates.has(id) && repeats(addresses)) return;
    if (!this.templates.has(id)) {
      if (this.templates.size >= PREDICTOR_MAX_TEMPLATES) this.templates.clear();
      this.created++;
    }
    this.templates.set(id, keys);
  }

  /**
   * The plaintext keys (latin1) a call of `contract` by `sender` with `msg` is expected to read:
   * the template of its (contract, entry, variant) with this call's addresses put in. Keys whose
   * placeholder has no address in this message, or longer than TEMPLATE_MAX_KEY_BYTES once
   * filled in, are skipped.
   * @returns null when no call of this (contract, entry, variant) has been learned yet.
   */
  predict(contract: string, entry: string, sender: string, msg: Uint8Array): string[] | null {
    const keys = this.templates.get(templateId(contract, entry, msg));
    if (keys === undefined) return null;
    if (keys.length === 0) return [];
    const forms = this.addressesOf(sender, msg).forms;
    const predicted: string[] = [];
    next: for (const key of keys) {
      let text = '';
      for (const part of key) {
        if (typeof part === 'string') {
          text += part;
          continue;
        }
        const form = forms[part >> 1]?.[part & 1];
        if (form === undefined || form === '') continue next;
        text += form;
        // A message "address" may be any run of bech32 characters up to the scan bound: a key
        // longer than any learned one is not predicted (each is HMACed and kept in SlotCache).
        if (text.length > TEMPLATE_MAX_KEY_BYTES) continue next;
      }
      predicted.push(text);
    }
    return predicted;
  }

  /** The sender, then up to MESSAGE_MAX_ADDRESSES quoted "<prefix>1…" strings of the message. */
  private addressesOf(sender: string, msg: Uint8Array): CallAddresses {
    const forms: (readonly [string, string])[] = [this.formsOf(sender)];
    const text = latin1(msg.length > MESSAGE_SCAN_MAX_BYTES ? msg.subarray(0, MESSAGE_SCAN_MAX_BYTES) : msg);
    let at = text.indexOf(this.quotedPrefix);
    while (at >= 0 && forms.length <= MESSAGE_MAX_ADDRESSES) {
      const end = text.indexOf('"', at + this.quotedPrefix.length);
      if (end < 0) break;
      const address = text.slice(at + 1, end);
      if (BECH32_CHARS.test(address.slice(this.quotedPrefix.length - 1))) forms.push(this.formsOf(address));
      at = text.indexOf(this.quotedPrefix, end + 1);
    }
    return { forms };
  }

  private formsOf(address: string): readonly [string, string] {
    const canonical = this.canonicalOf(address);
    return [address, canonical === null ? '' : latin1(canonical)];
  }
}

/**
 * A key with each occurrence of an address form replaced by its placeholder (leftmost, then
 * longest, then lowest index first: a sender who is also the recipient stays the sender).
 */
function templateOf(key: string, addresses: CallAddresses): KeyTemplate {
  const parts: (string | number)[] = [];
  let from = 0;
  for (;;) {
    let best = -1;
    let bestAt = key.length;
    let bestLength = 0;
    // Plain loops, no closures: this runs for every read key of every call (see executor.ts).
    for (let index = 0; index < addresses.forms.length; index++) {
      const pair = addresses.forms[index] as readonly [string, string];
      for (let kind = 0; kind < 2; kind++) {
        const form = pair[kind] as string;
        if (form.length < FORM_MIN_CHARS) continue;
        const at = key.indexOf(form, from);
        if (at < 0 || at > bestAt || (at === bestAt && form.length <= bestLength)) continue;
        best = index * 2 + kind;
        bestAt = at;
        bestLength = form.length;
      }
    }
    if (best < 0) break;
    if (bestAt > from) parts.push(key.slice(from, bestAt));
    parts.push(best);
    from = bestAt + bestLength;
  }
  if (from < key.length) parts.push(key.slice(from));
  return parts;
}

/** Whether two of a call's addresses are the same. */
function repeats(addresses: CallAddresses): boolean {
  const forms = addresses.forms;
  for (let i = 1; i < forms.length; i++)
    for (let j = 0; j < i; j++)
      if ((forms[i] as readonly [string, string])[0] === (forms[j] as readonly [string, string])[0])
        return true;
  return false;
}

/** contract NUL entry NUL the message's first JSON key (its variant), or '' when it has none. */
function templateId(contract: string, entry: string, msg: Uint8Array): string {
  return `${contract}\u0000${entry}\u0000${variantOf(msg)}`;
}

/** The name in `{"name"…`, skipping JSON whitespace; '' for anything else. */
function variantOf(msg: Uint8Array): string {
  let i = skipSpace(msg, 0);
  if (msg[i] !== 0x7b) return ''; // {
  i = skipSpace(msg, i + 1);
  if (msg[i] !== 0x22) return ''; // "
  const start = ++i;
  while (i < msg.length && i - start <= VARIANT_MAX_CHARS && msg[i] !== 0x22 && msg[i] !== 0x5c) i++;
  if (msg[i] !== 0x22) return '';
  return latin1(msg.subarray(start, i));
}

/** The index of the first byte at or after `i` that is not JSON whitespace (RFC 8259 §2). */
function skipSpace(msg: Uint8Array, i: number): number {
  while (i < msg.length && (msg[i] === 0x20 || msg[i] === 0x0a || msg[i] === 0x0d || msg[i] === 0x09)) i++;
  return i;
}
