/**
 * A flat object a route returns as JSON ({ id: req.params.id }), read once
 * and kept as its fields' texts, so that a transport can write the response
 * bytes without building the string JSON.stringify would make (the native
 * one: ResponseBytes.flatJson). Byte for byte the same output: the same keys
 * in the same order (own enumerable string keys, integer-like ones first),
 * the same number texts; strings and keys that need escaping or are not
 * ASCII are left to JSON.stringify's quoting through text().
 */

/** Objects with more fields go to JSON.stringify. */
const MAX_FIELDS = 16;
/** Bodies longer than this go to JSON.stringify (one string, one copy, is as fast there). */
const MAX_FLAT_JSON = 1024;

/** The fields of the object measured last: one object is measured and written at a time. */
class FlatJsonFields {
  readonly keys: string[] = [];
  /** Each value's JSON text, without the quotes for a string. */
  readonly values: string[] = [];
  readonly quoted: boolean[] = [];
  count = 0;
  /** measure() is reading an object: a getter that sends another reply gets -1 instead of overwriting these fields. */
  private measuring = false;

  /**
   * Read the fields of a flat object (own enumerable fields whose values are
   * strings, numbers, booleans or null; no toJSON) and return the length of
   * its JSON if keys and strings are printable ASCII that needs no escaping
   * (the writer checks them as it copies them), or -1 for anything else
   * (nested values, undefined, functions, inherited fields, more than
   * MAX_FIELDS or MAX_FLAT_JSON): JSON.stringify then serializes it, reading
   * again what was read here. A getter that throws throws here.
   */
  measure(value: object): number {
    if (this.measuring || Array.isArray(value) || (value as { toJSON?: unknown }).toJSON !== undefined) return -1;
    this.measuring = true;
    try {
      return this.read(value);
    } finally {
      this.measuring = false;
    }
  }

  private read(value: object): number {
    let n = 0;
    let length = 2;
    for (const key in value) {
      if (!Object.hasOwn(value, key) || n === MAX_FIELDS) return -1;
      const v = (value as Record<string, unknown>)[key];
      let text: string;
      let quoted = false;
      if (typeof v === 'string') {
        text = v;
        quoted = true;
      } else if (typeof v === 'number') text = Number.isFinite(v) ? String(v) : 'null';
      else if (typeof v === 'boolean') text = v ? 'true' : 'false';
      else if (v === null) text = 'null';
      else return -1;
      // "key":value, and a string's quotes; a comma before all but the first.
      length += key.length + 3 + text.length + (quoted ? 2 : 0) + (n > 0 ? 1 : 0);
      if (length > MAX_FLAT_JSON) return -1;
      this.keys[n] = key;
      this.values[n] = text;
      this.quoted[n] = quoted;
      n++;
    }
    this.count = n;
    return length;
  }

  /** JSON.stringify's text of the fields measure() read, with its quoting, for when the writer cannot take them (the getters are not read again). */
  text(): string {
    let s = '{';
    for (let f = 0; f < this.count; f++) {
      if (f > 0) s += ',';
      s += JSON.stringify(this.keys[f]) + ':' + (this.quoted[f] ? JSON.stringify(this.values[f]) : this.values[f]);
    }
    return s + '}';
  }
}

/** This thread's fields (module state is per JS thread). */
export const flatJson = new FlatJsonFields();
export type { FlatJsonFields };
