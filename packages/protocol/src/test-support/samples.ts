import type { TaggedField } from '@runnel/codec';
import type { FieldSchema, SchemaSet, SchemaType, StructSchema } from './schema-types.js';

/** Builds sample messages from the generated schema description, for round-trip tests. */

type Value = unknown;

function inRange(r: readonly [number, number] | null, version: number): boolean {
  return r !== null && version >= r[0] && version <= r[1];
}

const SAMPLE_UUID = 'AQIDBAUGBwgJCgsMDQ4PEA';

export class SampleBuilder {
  private counter = 0;
  constructor(private readonly schemas: SchemaSet) {}

  private struct(name: string): StructSchema {
    const s = this.schemas.structs[name];
    if (s === undefined) throw new Error(`no schema for ${name}`);
    return s;
  }

  /**
   * @returns a message of struct `name` at `version` with every field present in that version set to a
   *   non-default value (some nullable ones to null), and `unknownTaggedFields` on flexible versions
   *   when `unknownTags` is set.
   */
  build(name: string, version: number, unknownTags = false, depth = 0): Record<string, Value> {
    const s = this.struct(name);
    const out: Record<string, Value> = {};
    for (const f of s.fields) {
      if (!inRange(f.versions, version)) continue;
      out[f.name] = this.value(f, version, depth);
    }
    if (unknownTags && inRange(s.flexible, version)) {
      const unknown: TaggedField[] = [{ tag: 9000, data: new Uint8Array([1, 2, 3]) }];
      out.unknownTaggedFields = unknown;
    }
    return out;
  }

  /** @returns `sample` as decoding it gives it back: absent fields hold their defaults. */
  expected(name: string, version: number, sample: Record<string, Value> | undefined): Record<string, Value> {
    const s = this.struct(name);
    const out: Record<string, Value> = {};
    for (const f of s.fields) {
      const present = sample !== undefined && inRange(f.versions, version) && f.name in sample;
      const v = present ? sample[f.name] : this.defaultOf(f);
      out[f.name] = this.expectedValue(f.type, v, version);
    }
    if (sample?.unknownTaggedFields !== undefined) out.unknownTaggedFields = sample.unknownTaggedFields;
    return out;
  }

  private defaultOf(f: FieldSchema): Value {
    if (f.defaultValue === 'struct') return undefined;
    return f.defaultValue;
  }

  private expectedValue(t: SchemaType, v: Value, version: number): Value {
    if (typeof t === 'object' && 'struct' in t) {
      if (v === null) return null;
      return this.expected(t.struct, version, v as Record<string, Value> | undefined);
    }
    if (typeof t === 'object' && 'array' in t && Array.isArray(v)) {
      return v.map((e) => this.expectedValue(t.array, e, version));
    }
    return v;
  }

  private value(f: FieldSchema, version: number, depth: number): Value {
    const n = ++this.counter;
    if (inRange(f.nullable, version) && n % 3 === 0) return null;
    return this.of(f.type, version, depth, n, f.defaultValue);
  }

  private of(t: SchemaType, version: number, depth: number, n: number, def: Value): Value {
    if (typeof t === 'object') {
      if ('array' in t) {
        const count = depth > 3 ? 0 : 2;
        return Array.from({ length: count }, (_, i) =>
          this.of(t.array, version, depth + 1, n + i, undefined),
        );
      }
      return this.build(t.struct, version, false, depth + 1);
    }
    switch (t) {
      case 'bool':
        return def !== true;
      case 'int8':
        return def === 7 + (n % 50) ? 6 : 7 + (n % 50);
      case 'int16':
      case 'uint16':
        return def === 300 + n ? 299 : 300 + n;
      case 'int32':
        return def === 70000 + n ? 69999 : 70000 + n;
      case 'uint32':
        return 4000000000 + n;
      case 'int64':
        return 5000000000n + BigInt(n);
      case 'float64':
        return 0.5 + n;
      case 'string':
        return `s${n}-é`;
      case 'bytes':
      case 'records':
        return new Uint8Array([n & 0xff, 1, 2]);
      case 'uuid':
        return SAMPLE_UUID;
    }
  }
}
