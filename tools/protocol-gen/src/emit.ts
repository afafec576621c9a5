import { GeneratorError } from './errors.js';
import { camelCase, type ResolvedMessage, type ResolvedStruct, structNameOf } from './model.js';
import type { FieldSpec, FieldType, PrimitiveType } from './spec.js';
import {
  ALL_VERSIONS,
  containsRange,
  formatVersions,
  intersect,
  isEmpty,
  NO_VERSIONS,
  type VersionRange,
  versionCondition,
} from './versions.js';

/** The runtime helpers a generated file may import from `../runtime.js`. */
type Helper =
  | 'readArray'
  | 'readNullableArray'
  | 'writeArray'
  | 'writeNullableArray'
  | 'readNullableStruct'
  | 'writeNullableStruct'
  | 'encodeTagged'
  | 'writeTaggedSection'
  | 'unsupportedField'
  | 'nonNull'
  | 'isDefaultStruct'
  | 'readBytesField'
  | 'readNullableBytesField'
  | 'keepUnknownTag'
  | 'EMPTY_BYTES'
  | 'ZERO_UUID';

/** Collects the text of one generated file and the runtime helpers it uses. */
export class FileContext {
  readonly helpers = new Set<Helper>();
  use(h: Helper): string {
    this.helpers.add(h);
    return h;
  }
}

const NUMBER_TYPES: ReadonlySet<PrimitiveType> = new Set([
  'int8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'float64',
]);
const INT_RANGES: Record<string, [number, number]> = {
  int8: [-128, 127],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
};
const FIXED_READ: Record<string, string> = {
  bool: 'readBoolean',
  int8: 'readInt8',
  int16: 'readInt16',
  uint16: 'readUInt16',
  int32: 'readInt32',
  uint32: 'readUInt32',
  int64: 'readInt64',
  float64: 'readFloat64',
  uuid: 'readUuid',
};
const FIXED_WRITE: Record<string, string> = {
  bool: 'writeBoolean',
  int8: 'writeInt8',
  int16: 'writeInt16',
  uint16: 'writeUInt16',
  int32: 'writeInt32',
  uint32: 'writeUInt32',
  int64: 'writeInt64',
  float64: 'writeFloat64',
  uuid: 'writeUuid',
};

/** Everything the emitter needs to know about one field in one struct. */
interface FieldPlan {
  readonly field: FieldSpec;
  readonly prop: string;
  /** Versions (within the struct's domain) in which the field is on the wire at all. */
  readonly present: VersionRange;
  /** Versions in which the field is written as a regular (untagged) field. */
  readonly regular: VersionRange;
  /** Versions in which it is a tagged field. */
  readonly tagged: VersionRange;
  /** Versions in which it uses compact encodings. */
  readonly compact: VersionRange;
  readonly nullable: VersionRange;
  /** Nullable in some version of the domain (so `| null` in its type). */
  readonly everNullable: boolean;
  readonly optional: boolean;
  /** The default as a TypeScript expression. */
  readonly defaultExpr: string;
}

/** A run of versions in which a field's encoding does not change. */
interface Segment {
  readonly range: VersionRange;
  readonly compact: boolean;
  readonly nullable: boolean;
}

export class StructEmitter {
  constructor(
    private readonly ctx: FileContext,
    private readonly message: ResolvedMessage,
  ) {}

  private get flexible(): VersionRange {
    return this.message.spec.flexibleVersions;
  }

  private struct(name: string): ResolvedStruct {
    const s = this.message.byName.get(name);
    if (s === undefined) throw new GeneratorError(`${this.message.spec.name}: unknown struct ${name}`);
    return s;
  }

  plan(s: ResolvedStruct, f: FieldSpec): FieldPlan {
    const present = intersect(f.versions, s.domain);
    const tagged = f.tag === undefined ? NO_VERSIONS : intersect(f.taggedVersions, s.domain);
    const regular = f.tag === undefined ? present : NO_VERSIONS;
    const compact = intersect(this.flexible, f.flexibleVersions ?? ALL_VERSIONS);
    const nullable = intersect(f.nullableVersions, s.domain);
    const isRecords = f.type.kind === 'primitive' && f.type.name === 'records';
    return {
      field: f,
      prop: camelCase(f.name),
      present,
      regular,
      tagged,
      compact,
      nullable,
      everNullable: !isEmpty(nullable) || isRecords,
      optional: f.tag !== undefined || !containsRange(f.versions, s.domain),
      defaultExpr: this.defaultExpr(s, f),
    };
  }

  /** @returns the field's TypeScript type. */
  tsType(type: FieldType): string {
    switch (type.kind) {
      case 'primitive':
        switch (type.name) {
          case 'bool':
            return 'boolean';
          case 'int64':
            return 'bigint';
          case 'string':
          case 'uuid':
            return 'string';
          case 'bytes':
            return 'Uint8Array';
          case 'records':
            return 'Uint8Array | null';
          default:
            return 'number';
        }
      case 'array': {
        const inner = this.tsType(type.element);
        return `${inner}[]`;
      }
      case 'struct':
        return this.struct(type.name).tsName;
    }
  }

  private defaultExpr(s: ResolvedStruct, f: FieldSpec): string {
    const where = `${this.message.spec.name}.${s.spec.name}.${f.name}`;
    const d = f.default;
    const type = f.type;
    if (d === 'null') return 'null';
    if (type.kind === 'array') {
      if (d !== undefined && d !== '')
        throw new GeneratorError(`${where}: arrays default to empty or null only`);
      return '[]';
    }
    if (type.kind === 'struct') {
      if (d !== undefined)
        throw new GeneratorError(`${where}: structs default to their own defaults or null only`);
      return `default${this.struct(type.name).tsName}()`;
    }
    const name = type.name;
    if (name === 'bool') {
      if (d === undefined) return 'false';
      if (d === true || d === 'true') return 'true';
      if (d === false || d === 'false') return 'false';
      throw new GeneratorError(`${where}: bad bool default ${JSON.stringify(d)}`);
    }
    if (NUMBER_TYPES.has(name)) {
      if (d === undefined) return '0';
      const n = typeof d === 'number' ? d : parseNumber(String(d), name === 'float64');
      if (Number.isNaN(n)) throw new GeneratorError(`${where}: bad number default ${JSON.stringify(d)}`);
      const range = INT_RANGES[name];
      if (range !== undefined && (!Number.isInteger(n) || n < range[0] || n > range[1])) {
        throw new GeneratorError(`${where}: default ${d} out of range for ${name}`);
      }
      return String(n);
    }
    if (name === 'int64') {
      if (d === undefined) return '0n';
      let n: bigint;
      try {
        n = BigInt(typeof d === 'number' ? d : String(d));
      } catch {
        throw new GeneratorError(`${where}: bad int64 default ${JSON.stringify(d)}`);
      }
      if (n < -(2n ** 63n) || n >= 2n ** 63n)
        throw new GeneratorError(`${where}: int64 default out of range`);
      return `${n}n`;
    }
    if (name === 'string') {
      if (d === undefined) return "''";
      if (typeof d !== 'string') throw new GeneratorError(`${where}: string default must be a string`);
      return quote(d);
    }
    if (name === 'uuid') {
      if (d === undefined) return this.ctx.use('ZERO_UUID');
      if (typeof d !== 'string' || !/^[A-Za-z0-9_-]{22}$/.test(d)) {
        throw new GeneratorError(`${where}: bad uuid default ${JSON.stringify(d)}`);
      }
      return quote(d);
    }
    // bytes and records: Kafka only allows an empty or null default.
    if (d !== undefined && d !== '')
      throw new GeneratorError(`${where}: bytes default to empty or null only`);
    if (name === 'records' && !isEmpty(f.nullableVersions)) return 'null';
    return this.ctx.use('EMPTY_BYTES');
  }

  /** @returns an expression that is true when `value` equals the field's default. */
  private isDefault(p: FieldPlan, value: string): string {
    const type = p.field.type;
    if (p.defaultExpr === 'null') return `${value} === null`;
    if (type.kind === 'array')
      return p.everNullable ? `${value} !== null && ${value}.length === 0` : `${value}.length === 0`;
    if (type.kind === 'struct') {
      const test = `${this.ctx.use('isDefaultStruct')}(${value}, ${p.defaultExpr})`;
      return p.everNullable ? `${value} !== null && ${test}` : test;
    }
    if (type.name === 'bytes' || type.name === 'records') {
      return p.everNullable ? `${value} !== null && ${value}.length === 0` : `${value}.length === 0`;
    }
    return `${value} === ${p.defaultExpr}`;
  }

  /** Splits the versions in `range` into runs of identical encoding. */
  private segments(p: FieldPlan, range: VersionRange): Segment[] {
    if (isEmpty(range)) return [];
    const cuts = new Set<number>([range.min]);
    const t = p.field.type;
    const fixed = t.kind === 'primitive' && FIXED_READ[t.name] !== undefined;
    const compactMatters = !fixed && t.kind !== 'struct';
    const relevant = [compactMatters ? p.compact : NO_VERSIONS, fixed ? NO_VERSIONS : p.nullable];
    for (const r of relevant) {
      if (!isEmpty(r)) {
        if (r.min > range.min && r.min <= range.max) cuts.add(r.min);
        if (r.max < range.max && r.max + 1 > range.min) cuts.add(r.max + 1);
      }
    }
    const starts = [...cuts].sort((a, b) => a - b);
    const out: Segment[] = [];
    starts.forEach((start, i) => {
      const next = starts[i + 1];
      const seg: Segment = {
        range: { min: start, max: next === undefined ? range.max : next - 1 },
        compact: start >= p.compact.min && start <= p.compact.max && compactMatters,
        nullable: start >= p.nullable.min && start <= p.nullable.max && !fixed,
      };
      const last = out[out.length - 1];
      if (last !== undefined && last.compact === seg.compact && last.nullable === seg.nullable) {
        out[out.length - 1] = { ...last, range: { min: last.range.min, max: seg.range.max } };
      } else {
        out.push(seg);
      }
    });
    return out;
  }

  /** Renders a choice between per-segment expressions as a ternary chain. */
  private choose(segs: readonly Segment[], domain: VersionRange, render: (s: Segment) => string): string {
    const parts = segs.map((s) => ({ cond: versionCondition(s.range, domain), expr: render(s) }));
    if (parts.length === 1) return parts[0]!.expr;
    let out = parts[parts.length - 1]!.expr;
    for (let i = parts.length - 2; i >= 0; i--) out = `${parts[i]!.cond} ? ${parts[i]!.expr} : ${out}`;
    return out;
  }

  /** @returns an expression reading one value of `type` from reader `r`. */
  private readExpr(type: FieldType, seg: Segment, r: string): string {
    switch (type.kind) {
      case 'primitive': {
        const fixed = FIXED_READ[type.name];
        if (fixed !== undefined) return `${r}.${fixed}()`;
        if (type.name !== 'string') {
          // Bytes and records go through the runtime: empty values share one view, others are charged.
          const fn = this.ctx.use(seg.nullable ? 'readNullableBytesField' : 'readBytesField');
          return `${fn}(${r}, ${seg.compact})`;
        }
        return `${r}.read${seg.compact ? 'Compact' : ''}${seg.nullable ? 'Nullable' : ''}String()`;
      }
      case 'array': {
        const elem = this.readExpr(type.element, { ...seg, nullable: false }, 'r');
        const fn = this.ctx.use(seg.nullable ? 'readNullableArray' : 'readArray');
        return `${fn}(${r}, ${seg.compact}, (r) => ${elem}, ${this.elementCost(type.element)})`;
      }
      case 'struct': {
        const name = this.struct(type.name).tsName;
        if (seg.nullable)
          return `${this.ctx.use('readNullableStruct')}(${r}, (r) => read${name}(r, version))`;
        return `read${name}(${r}, version)`;
      }
    }
  }

  /**
   * @returns the memory one decoded element of `type` takes in an array (V8, 64-bit, no pointer
   *   compression): a slot of 8 bytes, plus for a struct an object of 24 bytes and 8 per field, for an
   *   int64 a bigint, for a string or uuid its smallest string. Views are charged when read.
   */
  private elementCost(type: FieldType): number {
    switch (type.kind) {
      case 'primitive':
        if (type.name === 'int64') return 32;
        if (type.name === 'string') return 32;
        if (type.name === 'uuid') return 48;
        return 8;
      case 'array':
        return 40;
      case 'struct': {
        const s = this.struct(type.name);
        const tagSection = isEmpty(intersect(this.flexible, s.domain)) ? 0 : 1;
        return 32 + 8 * (s.spec.fields.length + tagSection);
      }
    }
  }

  /** @returns a statement writing `value` of `type` to writer `w`. */
  private writeStmt(type: FieldType, seg: Segment, w: string, value: string): string {
    switch (type.kind) {
      case 'primitive': {
        const fixed = FIXED_WRITE[type.name];
        if (fixed !== undefined) return `${w}.${fixed}(${value});`;
        const base = type.name === 'string' ? 'String' : 'Bytes';
        return `${w}.write${seg.compact ? 'Compact' : ''}${seg.nullable ? 'Nullable' : ''}${base}(${value});`;
      }
      case 'array': {
        const elem = this.writeStmt(type.element, { ...seg, nullable: false }, 'w', 'e').slice(0, -1);
        const fn = this.ctx.use(seg.nullable ? 'writeNullableArray' : 'writeArray');
        return `${fn}(${w}, ${value}, ${seg.compact}, (w, e) => ${elem});`;
      }
      case 'struct': {
        const name = this.struct(type.name).tsName;
        if (seg.nullable) {
          return `${this.ctx.use('writeNullableStruct')}(${w}, ${value}, (w, s) => write${name}(w, s, version));`;
        }
        return `write${name}(${w}, ${value}, version);`;
      }
    }
  }

  /** Emits the interface, default factory, reader and writer of one struct. */
  emitStruct(s: ResolvedStruct): string {
    const plans = s.spec.fields.map((f) => this.plan(s, f));
    const flexible = intersect(this.flexible, s.domain);
    const hasTagSection = !isEmpty(flexible);
    const out: string[] = [];
    // Interface.
    out.push(
      `/** ${s.isTopLevel ? `${s.tsName}, versions ${formatVersions(s.domain)}` : `Struct ${s.spec.name} of ${this.message.spec.name}`}. */`,
    );
    out.push(`export interface ${s.tsName} {`);
    for (const p of plans) {
      out.push(`  /** ${describe(p)} */`);
      const t = this.tsType(p.field.type);
      const nullable = p.everNullable && !t.endsWith('| null') ? ' | null' : '';
      out.push(`  ${p.prop}${p.optional ? '?' : ''}: ${t}${nullable};`);
    }
    if (hasTagSection) {
      out.push(
        '  /** Tagged fields this version of Runnel does not know, kept so that they are written back. */',
      );
      out.push('  unknownTaggedFields?: TaggedField[];');
    }
    out.push('}', '');
    out.push(...this.emitWriter(s, plans, flexible), '');
    out.push(...this.emitReader(s, plans, flexible), '');
    return out.join('\n');
  }

  /** @returns the function that builds a struct holding every field's default. */
  emitDefaultFactory(s: ResolvedStruct): string {
    const plans = s.spec.fields.map((f) => this.plan(s, f));
    return [
      `function default${s.tsName}(): ${s.tsName} {`,
      `  return { ${plans.map((p) => `${p.prop}: ${p.defaultExpr}`).join(', ')} };`,
      '}',
      '',
    ].join('\n');
  }

  private valueExpr(p: FieldPlan): string {
    const v = `v.${p.prop}`;
    if (!p.optional) return v;
    return p.everNullable ? `${v} === undefined ? ${p.defaultExpr} : ${v}` : `${v} ?? ${p.defaultExpr}`;
  }

  private emitWriter(s: ResolvedStruct, plans: readonly FieldPlan[], flexible: VersionRange): string[] {
    const out: string[] = [];
    const name = s.tsName;
    const usesTagged = plans.some((p) => !isEmpty(p.tagged));
    out.push(`function write${name}(w: Writer, v: ${name}, version: number): void {`);
    if (usesTagged) out.push('  let tagged: TaggedField[] | undefined;');
    for (const p of plans) {
      const onWire = isEmpty(p.tagged) ? p.regular : p.tagged;
      const cond = versionCondition(onWire, s.domain);
      const body: string[] = [];
      if (!isEmpty(p.regular)) {
        const segs = this.segments(p, p.regular);
        const value = this.valueExpr(p);
        const needLocal = segs.length > 1 && value !== `v.${p.prop}`;
        const local = needLocal ? p.prop.replace(/^./, (c) => `_${c}`) : value;
        if (needLocal) body.push(`const ${local} = ${value};`);
        const stmts = segs.map((seg) => {
          const val =
            p.everNullable && !seg.nullable
              ? `${this.ctx.use('nonNull')}(${local}, '${name}.${p.prop}', version)`
              : local;
          return {
            cond: versionCondition(seg.range, intersect(p.regular, s.domain)),
            stmt: this.writeStmt(p.field.type, seg, 'w', val),
          };
        });
        if (stmts.length === 1) body.push(stmts[0]!.stmt);
        else {
          stmts.forEach((st, i) => {
            if (i === 0) body.push(`if (${st.cond}) ${st.stmt}`);
            else if (i === stmts.length - 1) body.push(`else ${st.stmt}`);
            else body.push(`else if (${st.cond}) ${st.stmt}`);
          });
        }
      } else if (!isEmpty(p.tagged)) {
        const segs = this.segments(p, p.tagged);
        const v = `v.${p.prop}`;
        const local = `_${p.prop}`;
        body.push(`const ${local} = ${v};`);
        const choice = this.choose(
          segs,
          p.tagged,
          (seg) => `(w) => ${this.writeStmt(p.field.type, seg, 'w', local).slice(0, -1)}`,
        );
        const write = segs.length > 1 ? `(${choice})` : choice;
        body.push(`if (${local} !== undefined && !(${this.isDefault(p, local)})) {`);
        body.push(
          `  (tagged ??= []).push({ tag: ${p.field.tag}, data: ${this.ctx.use('encodeTagged')}(${write}) });`,
        );
        body.push('}');
      }
      const reject =
        p.field.ignorable || containsRange(onWire, s.domain)
          ? undefined
          : `if (v.${p.prop} !== undefined && !(${this.isDefault(p, `v.${p.prop}`)})) throw ${this.ctx.use('unsupportedField')}('${name}', '${p.prop}', version);`;
      if (cond === 'true') out.push(...body.map((l) => `  ${l}`));
      else if (cond !== 'false') {
        out.push(`  if (${cond}) {`, ...body.map((l) => `    ${l}`));
        if (reject !== undefined) out.push('  } else {', `    ${reject}`);
        out.push('  }');
      } else if (reject !== undefined) {
        out.push(`  ${reject}`);
      }
    }
    if (!isEmpty(flexible)) {
      const cond = versionCondition(flexible, s.domain);
      const stmt = `${this.ctx.use('writeTaggedSection')}(w, ${usesTagged ? 'tagged' : 'undefined'}, v.unknownTaggedFields);`;
      out.push(cond === 'true' ? `  ${stmt}` : `  if (${cond}) ${stmt}`);
    }
    out.push('}');
    return out;
  }

  private emitReader(s: ResolvedStruct, plans: readonly FieldPlan[], flexible: VersionRange): string[] {
    const out: string[] = [];
    const name = s.tsName;
    out.push(`function read${name}(r: Reader, version: number): ${name} {`);
    out.push(`  const v: ${name} = {`);
    for (const p of plans) {
      if (isEmpty(p.regular)) {
        out.push(`    ${p.prop}: ${p.defaultExpr},`);
        continue;
      }
      const segs = this.segments(p, p.regular);
      const read = this.choose(segs, p.regular, (seg) => this.readExpr(p.field.type, seg, 'r'));
      const cond = versionCondition(p.regular, s.domain);
      const nested = segs.length > 1 ? `(${read})` : read;
      out.push(`    ${p.prop}: ${cond === 'true' ? read : `${cond} ? ${nested} : ${p.defaultExpr}`},`);
    }
    out.push('  };');
    if (!isEmpty(flexible)) {
      const cond = versionCondition(flexible, s.domain);
      const inner: string[] = [];
      const tagged = plans.filter((p) => !isEmpty(p.tagged));
      const keep = this.ctx.use('keepUnknownTag');
      if (tagged.length === 0) {
        inner.push(`const unknown = r.readTaggedFields(${keep});`);
      } else {
        inner.push('const unknown = r.readTaggedFields((tag, tr) => {');
        inner.push('  switch (tag) {');
        for (const p of [...tagged].sort((a, b) => (a.field.tag ?? 0) - (b.field.tag ?? 0))) {
          const segs = this.segments(p, p.tagged);
          const read = this.choose(segs, p.tagged, (seg) => this.readExpr(p.field.type, seg, 'tr'));
          const c = versionCondition(p.tagged, flexible);
          inner.push(`    case ${p.field.tag}:`);
          if (c === 'true') {
            inner.push(`      v.${p.prop} = ${read};`, '      return true;');
          } else {
            inner.push(
              `      if (!(${c})) return ${keep}(tag, tr);`,
              `      v.${p.prop} = ${read};`,
              '      return true;',
            );
          }
        }
        inner.push('    default:', `      return ${keep}(tag, tr);`, '  }', '});');
      }
      inner.push('if (unknown !== undefined) v.unknownTaggedFields = unknown;');
      if (cond === 'true') out.push(...inner.map((l) => `  ${l}`));
      else out.push(`  if (${cond}) {`, ...inner.map((l) => `    ${l}`), '  }');
    }
    out.push('  return v;', '}');
    return out;
  }
}

function describe(p: FieldPlan): string {
  const f = p.field;
  const parts = [`Versions ${formatVersions(f.versions)}`];
  if (!isEmpty(f.nullableVersions)) parts.push(`nullable ${formatVersions(f.nullableVersions)}`);
  if (f.tag !== undefined) parts.push(`tag ${f.tag} in ${formatVersions(f.taggedVersions)}`);
  if (f.default !== undefined) parts.push(`default ${String(f.default)}`);
  if (f.ignorable) parts.push('ignorable');
  if (f.mapKey) parts.push('map key');
  if (f.entityType !== undefined) parts.push(`entity ${f.entityType}`);
  if (f.flexibleVersions !== undefined) parts.push(`flexible ${formatVersions(f.flexibleVersions)}`);
  if (f.zeroCopy) parts.push('zero-copy');
  return `${parts.join('; ')}.`;
}

function parseNumber(text: string, float: boolean): number {
  if (float) return Number(text);
  const m = /^(-)?(0x[0-9a-fA-F]+|\d+)$/.exec(text);
  if (m === null) return Number.NaN;
  const n = Number(m[2]);
  return m[1] === '-' ? -n : n;
}

function quote(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** @returns the structs of a message in the order they should be emitted. */
export function orderedStructs(m: ResolvedMessage): ResolvedStruct[] {
  return m.structs;
}

export { structNameOf };
