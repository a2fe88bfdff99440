// A small JSON parser and writer without floating point (CONTRACT_ABI §6 forbids f32/f64).
// Numbers keep their source text; typed getters turn integers into u64/i64/u32 and refuse
// fractions and exponents. Parsing works on UTF-8 bytes and never traps on bad input: it
// returns null and leaves a message in `JsonParser.error`.

export const enum JsonKind {
  Null = 0,
  Bool = 1,
  Number = 2,
  String = 3,
  Array = 4,
  Object = 5,
}

/** Deepest nesting accepted, so hostile input cannot exhaust the wasm stack. */
const MAX_DEPTH: i32 = 64;

/** A parsed JSON value. Objects keep key order; the parser refuses duplicate keys. */
export class JsonValue {
  kind: JsonKind = JsonKind.Null;
  /** String contents, or a number's source text. */
  text: string = '';
  flag: bool = false;
  items: Array<JsonValue> = [];
  keys: Array<string> = [];

  static null(): JsonValue {
    return new JsonValue();
  }

  get isNull(): bool {
    return this.kind == JsonKind.Null;
  }
  get isObject(): bool {
    return this.kind == JsonKind.Object;
  }
  get isArray(): bool {
    return this.kind == JsonKind.Array;
  }
  get isString(): bool {
    return this.kind == JsonKind.String;
  }
  get isNumber(): bool {
    return this.kind == JsonKind.Number;
  }
  get isBool(): bool {
    return this.kind == JsonKind.Bool;
  }

  /** The member `key` of an object, or null (also when this is not an object). */
  get(key: string): JsonValue | null {
    if (this.kind != JsonKind.Object) return null;
    for (let i = 0; i < this.keys.length; i++) {
      if (this.keys[i] == key) return this.items[i];
    }
    return null;
  }

  /**
   * For an externally tagged enum (`{"variant":{...}}`, serde's default), the variant name:
   * the single key of an object, or a bare string. Null for anything else.
   */
  variant(): string | null {
    if (this.kind == JsonKind.String) return this.text;
    if (this.kind == JsonKind.Object && this.keys.length == 1) return this.keys[0];
    return null;
  }

  /** The variant's body (the single member's value), or null for a bare-string variant. */
  variantBody(): JsonValue | null {
    if (this.kind == JsonKind.Object && this.keys.length == 1) return this.items[0];
    return null;
  }

  /** A short name for error messages ("string", "map", ...), in serde's words. */
  typeName(): string {
    switch (this.kind) {
      case JsonKind.Null:
        return 'null';
      case JsonKind.Bool:
        return 'boolean';
      case JsonKind.Number:
        return 'integer';
      case JsonKind.String:
        return 'string';
      case JsonKind.Array:
        return 'sequence';
      default:
        return 'map';
    }
  }

  /** Serialises this value back to compact JSON. */
  toJson(): string {
    const w = new JsonWriter();
    w.value(this);
    return w.toString();
  }
}

/** Parses JSON from UTF-8 bytes. Check `error` when `parse` returns null. */
export class JsonParser {
  error: string = '';
  private pos: i32 = 0;
  private depth: i32 = 0;

  constructor(private input: Uint8Array) {}

  /** Parses one value followed only by whitespace; null on error. */
  parse(): JsonValue | null {
    // serde_json refuses invalid UTF-8; outside strings only ASCII is valid JSON anyway, so
    // checking the whole input once is the same rule.
    const bad = invalidUtf8At(this.input);
    if (bad >= 0) {
      this.pos = bad;
      return this.fail('invalid UTF-8');
    }
    this.skipWhitespace();
    const value = this.parseValue();
    if (value === null) return null;
    this.skipWhitespace();
    if (this.pos != this.input.length) return this.fail('trailing characters');
    return value;
  }

  private fail(message: string): JsonValue | null {
    if (this.error.length == 0) this.error = message + ' at byte ' + this.pos.toString();
    return null;
  }

  private peek(): i32 {
    return this.pos < this.input.length ? <i32>this.input[this.pos] : -1;
  }

  private skipWhitespace(): void {
    while (this.pos < this.input.length) {
      const c = this.input[this.pos];
      if (c != 0x20 && c != 0x0a && c != 0x0d && c != 0x09) break;
      this.pos++;
    }
  }

  private expectWord(word: string): bool {
    for (let i = 0; i < word.length; i++) {
      if (this.peek() != word.charCodeAt(i)) return false;
      this.pos++;
    }
    return true;
  }

  private parseValue(): JsonValue | null {
    const c = this.peek();
    if (c == 0x7b) return this.parseObject();
    if (c == 0x5b) return this.parseArray();
    if (c == 0x22) {
      const s = this.parseString();
      if (s === null) return null;
      const v = new JsonValue();
      v.kind = JsonKind.String;
      v.text = s;
      return v;
    }
    if (c == 0x74 || c == 0x66) {
      const v = new JsonValue();
      v.kind = JsonKind.Bool;
      v.flag = c == 0x74;
      if (!this.expectWord(v.flag ? 'true' : 'false')) return this.fail('expected value');
      return v;
    }
    if (c == 0x6e) {
      if (!this.expectWord('null')) return this.fail('expected value');
      return JsonValue.null();
    }
    if (c == 0x2d || (c >= 0x30 && c <= 0x39)) return this.parseNumber();
    if (c < 0) return this.fail('EOF while parsing a value');
    return this.fail('expected value');
  }

  private parseNumber(): JsonValue | null {
    const start = this.pos;
    if (this.peek() == 0x2d) this.pos++;
    const firstDigit = this.peek();
    if (firstDigit < 0x30 || firstDigit > 0x39) return this.fail('invalid number');
    this.pos++;
    if (firstDigit != 0x30) this.skipDigits();
    if (this.peek() == 0x2e) {
      this.pos++;
      if (this.skipDigits() == 0) return this.fail('invalid number');
    }
    const e = this.peek();
    if (e == 0x65 || e == 0x45) {
      this.pos++;
      const sign = this.peek();
      if (sign == 0x2b || sign == 0x2d) this.pos++;
      if (this.skipDigits() == 0) return this.fail('invalid number');
    }
    const v = new JsonValue();
    v.kind = JsonKind.Number;
    v.text = String.UTF8.decodeUnsafe(this.input.dataStart + <usize>start, <usize>(this.pos - start));
    return v;
  }

  private skipDigits(): i32 {
    let n = 0;
    while (this.peek() >= 0x30 && this.peek() <= 0x39) {
      this.pos++;
      n++;
    }
    return n;
  }

  private hexDigit(): i32 {
    const c = this.peek();
    this.pos++;
    if (c >= 0x30 && c <= 0x39) return c - 0x30;
    if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
    if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
    return -1;
  }

  private hex4(): i32 {
    let value = 0;
    for (let i = 0; i < 4; i++) {
      const d = this.hexDigit();
      if (d < 0) return -1;
      value = (value << 4) | d;
    }
    return value;
  }

  /** Parses a string literal (the cursor is on the opening quote). */
  private parseString(): string | null {
    this.pos++;
    let out = '';
    let runStart = this.pos;
    while (true) {
      const c = this.peek();
      if (c < 0) {
        this.fail('EOF while parsing a string');
        return null;
      }
      if (c == 0x22 || c == 0x5c) {
        out += String.UTF8.decodeUnsafe(this.input.dataStart + <usize>runStart, <usize>(this.pos - runStart));
        this.pos++;
        if (c == 0x22) return out;
        const escaped = this.parseEscape();
        if (escaped === null) return null;
        out += escaped;
        runStart = this.pos;
        continue;
      }
      if (c < 0x20) {
        this.fail('control character in string');
        return null;
      }
      this.pos++;
    }
  }

  private parseEscape(): string | null {
    const e = this.peek();
    this.pos++;
    switch (e) {
      case 0x22:
        return '"';
      case 0x5c:
        return '\\';
      case 0x2f:
        return '/';
      case 0x62:
        return '\b';
      case 0x66:
        return '\f';
      case 0x6e:
        return '\n';
      case 0x72:
        return '\r';
      case 0x74:
        return '\t';
      case 0x75: {
        const unit = this.hex4();
        if (unit < 0) break;
        if (unit >= 0xd800 && unit <= 0xdbff) {
          // A high surrogate must be followed by an escaped low surrogate (RFC 8259 §7).
          if (!this.expectWord('\\u')) break;
          const low = this.hex4();
          if (low < 0xdc00 || low > 0xdfff) break;
          return String.fromCharCodes([unit, low]);
        }
        if (unit >= 0xdc00 && unit <= 0xdfff) break;
        return String.fromCharCode(unit);
      }
    }
    this.fail('invalid escape');
    return null;
  }

  private enter(): bool {
    this.depth++;
    if (this.depth > MAX_DEPTH) {
      this.fail('recursion limit exceeded');
      return false;
    }
    return true;
  }

  private parseArray(): JsonValue | null {
    if (!this.enter()) return null;
    this.pos++;
    const v = new JsonValue();
    v.kind = JsonKind.Array;
    this.skipWhitespace();
    if (this.peek() == 0x5d) {
      this.pos++;
      this.depth--;
      return v;
    }
    while (true) {
      this.skipWhitespace();
      const item = this.parseValue();
      if (item === null) return null;
      v.items.push(item);
      this.skipWhitespace();
      const c = this.peek();
      this.pos++;
      if (c == 0x2c) continue;
      if (c == 0x5d) break;
      return this.fail('expected `,` or `]`');
    }
    this.depth--;
    return v;
  }

  private parseObject(): JsonValue | null {
    if (!this.enter()) return null;
    this.pos++;
    const v = new JsonValue();
    v.kind = JsonKind.Object;
    this.skipWhitespace();
    if (this.peek() == 0x7d) {
      this.pos++;
      this.depth--;
      return v;
    }
    while (true) {
      this.skipWhitespace();
      if (this.peek() != 0x22) return this.fail('key must be a string');
      const key = this.parseString();
      if (key === null) return null;
      // serde refuses a repeated struct field; refusing every repeated key also stops a
      // message meaning one thing to a client (last key wins) and another to the contract.
      if (v.keys.includes(key)) return this.fail('duplicate key `' + key + '`');
      this.skipWhitespace();
      if (this.peek() != 0x3a) return this.fail('expected `:`');
      this.pos++;
      this.skipWhitespace();
      const item = this.parseValue();
      if (item === null) return null;
      v.keys.push(key);
      v.items.push(item);
      this.skipWhitespace();
      const c = this.peek();
      this.pos++;
      if (c == 0x2c) continue;
      if (c == 0x7d) break;
      return this.fail('expected `,` or `}`');
    }
    this.depth--;
    return v;
  }
}

/**
 * Index of the first byte that breaks UTF-8 (RFC 3629 §4: no overlong forms, no surrogates,
 * nothing above U+10FFFF), or -1 when the bytes are valid.
 */
export function invalidUtf8At(bytes: Uint8Array): i32 {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b0 = <u32>bytes[i];
    if (b0 < 0x80) {
      i++;
      continue;
    }
    let need = 0;
    let min: u32 = 0;
    let cp: u32 = 0;
    if (b0 >= 0xc2 && b0 <= 0xdf) {
      need = 1;
      min = 0x80;
      cp = b0 & 0x1f;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
      need = 2;
      min = 0x800;
      cp = b0 & 0x0f;
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      need = 3;
      min = 0x10000;
      cp = b0 & 0x07;
    } else return i;
    if (i + need >= n) return i; // truncated sequence
    for (let k = 1; k <= need; k++) {
      const b = <u32>bytes[i + k];
      if ((b & 0xc0) != 0x80) return i;
      cp = (cp << 6) | (b & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

/** Parses UTF-8 JSON bytes; null on error (use a JsonParser to read the message). */
export function parseJson(bytes: Uint8Array): JsonValue | null {
  return new JsonParser(bytes).parse();
}

// --- Integers from number text (no floats) ------------------------------------------------------

/** Parses unsigned decimal digits into a u64; returns false on anything else or overflow. */
export class U64Parse {
  ok: bool = false;
  value: u64 = 0;
}

/** Parses `text` as an unsigned decimal integer without sign, fraction or exponent. */
export function parseU64(text: string): U64Parse {
  const r = new U64Parse();
  if (text.length == 0 || text.length > 20) return r;
  let value: u64 = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return r;
    // Only a leading zero on its own ("0") is canonical.
    if (i == 0 && c == 0x30 && text.length > 1) return r;
    const digit = <u64>(c - 0x30);
    if (value > (U64.MAX_VALUE - digit) / 10) return r;
    value = value * 10 + digit;
  }
  r.ok = true;
  r.value = value;
  return r;
}

// --- Writer -------------------------------------------------------------------------------------

/** Escapes a string as a JSON string literal (with quotes). */
export function jsonString(s: string): string {
  let out = '"';
  let runStart = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c != 0x22 && c != 0x5c && c >= 0x20) continue;
    out += s.substring(runStart, i);
    runStart = i + 1;
    if (c == 0x22) out += '\\"';
    else if (c == 0x5c) out += '\\\\';
    else if (c == 0x0a) out += '\\n';
    else if (c == 0x0d) out += '\\r';
    else if (c == 0x09) out += '\\t';
    else {
      const hex = '0123456789abcdef';
      out += '\\u00' + hex.charAt(c >> 4) + hex.charAt(c & 15);
    }
  }
  return out + s.substring(runStart) + '"';
}

/**
 * Builds compact JSON. Objects: `w.beginObject().key('a').u64(1).key('b').string('x').endObject()`.
 * Commas are inserted automatically.
 */
export class JsonWriter {
  private parts: Array<string> = [];
  private needComma: Array<bool> = [false];
  private afterKey: bool = false;

  private before(): void {
    if (this.afterKey) {
      this.afterKey = false;
      return;
    }
    const top = this.needComma.length - 1;
    if (this.needComma[top]) this.parts.push(',');
    this.needComma[top] = true;
  }

  beginObject(): JsonWriter {
    this.before();
    this.parts.push('{');
    this.needComma.push(false);
    return this;
  }
  endObject(): JsonWriter {
    this.needComma.pop();
    this.parts.push('}');
    return this;
  }
  beginArray(): JsonWriter {
    this.before();
    this.parts.push('[');
    this.needComma.push(false);
    return this;
  }
  endArray(): JsonWriter {
    this.needComma.pop();
    this.parts.push(']');
    return this;
  }
  key(name: string): JsonWriter {
    this.before();
    this.parts.push(jsonString(name));
    this.parts.push(':');
    this.afterKey = true;
    return this;
  }
  string(s: string): JsonWriter {
    this.before();
    this.parts.push(jsonString(s));
    return this;
  }
  /** A string, or null when `s` is null. */
  stringOrNull(s: string | null): JsonWriter {
    if (s === null) return this.null();
    return this.string(s);
  }
  u64(n: u64): JsonWriter {
    this.before();
    this.parts.push(n.toString());
    return this;
  }
  i64(n: i64): JsonWriter {
    this.before();
    this.parts.push(n.toString());
    return this;
  }
  bool(b: bool): JsonWriter {
    this.before();
    this.parts.push(b ? 'true' : 'false');
    return this;
  }
  null(): JsonWriter {
    this.before();
    this.parts.push('null');
    return this;
  }
  /** Inserts already-serialised JSON as one value. */
  raw(json: string): JsonWriter {
    this.before();
    this.parts.push(json);
    return this;
  }
  /** Writes a parsed value. */
  value(v: JsonValue): JsonWriter {
    switch (v.kind) {
      case JsonKind.Null:
        return this.null();
      case JsonKind.Bool:
        return this.bool(v.flag);
      case JsonKind.Number:
        return this.raw(v.text);
      case JsonKind.String:
        return this.string(v.text);
      case JsonKind.Array: {
        this.beginArray();
        for (let i = 0; i < v.items.length; i++) this.value(v.items[i]);
        return this.endArray();
      }
      default: {
        this.beginObject();
        for (let i = 0; i < v.keys.length; i++) this.key(v.keys[i]).value(v.items[i]);
        return this.endObject();
      }
    }
  }
  toString(): string {
    return this.parts.join('');
  }
}
