import { GeneratorError } from './errors.js';
import type { FieldSpec, FieldType, MessageSpec, StructSpec } from './spec.js';
import {
  ALL_VERSIONS,
  containsRange,
  formatVersions,
  hull,
  intersect,
  isEmpty,
  NO_VERSIONS,
  type VersionRange,
} from './versions.js';

/** A struct as it will be generated: its TypeScript name and the versions in which it can occur. */
export interface ResolvedStruct {
  readonly spec: StructSpec;
  readonly message: MessageSpec;
  /** The TypeScript interface name (the definition's name, prefixed with the message's on a clash). */
  tsName: string;
  /** Versions of the message in which this struct can appear (the hull over all its uses). */
  domain: VersionRange;
  readonly isTopLevel: boolean;
}

/** A message with all its structs resolved. */
export interface ResolvedMessage {
  readonly spec: MessageSpec;
  readonly top: ResolvedStruct;
  /** Every struct, the top-level one first, then in order of first use. */
  readonly structs: ResolvedStruct[];
  readonly byName: Map<string, ResolvedStruct>;
}

/** @returns the field's name as a TypeScript property: the definition's name with a lower-case first letter. */
export function camelCase(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

/** @returns the struct name a field refers to, directly or as an array element, if any. */
export function structNameOf(type: FieldType): string | undefined {
  if (type.kind === 'struct') return type.name;
  if (type.kind === 'array' && type.element.kind === 'struct') return type.element.name;
  return undefined;
}

/**
 * Resolves a message's structs: inline structs and common structs by name, and the versions each
 * can appear in.
 *
 * @throws GeneratorError when a struct is defined twice or a field refers to an undefined struct.
 */
export function resolveMessage(spec: MessageSpec): ResolvedMessage {
  const byName = new Map<string, ResolvedStruct>();
  const structs: ResolvedStruct[] = [];
  const top: ResolvedStruct = {
    spec: { name: spec.name, versions: ALL_VERSIONS, fields: spec.fields },
    message: spec,
    tsName: spec.name,
    domain: spec.validVersions,
    isTopLevel: true,
  };
  structs.push(top);
  const add = (s: StructSpec): void => {
    if (byName.has(s.name) || s.name === spec.name) {
      throw new GeneratorError(`${spec.name}: struct ${s.name} is defined more than once`);
    }
    const r: ResolvedStruct = {
      spec: s,
      message: spec,
      tsName: s.name,
      domain: NO_VERSIONS,
      isTopLevel: false,
    };
    byName.set(s.name, r);
    structs.push(r);
  };
  const collect = (fields: readonly FieldSpec[]): void => {
    for (const f of fields) {
      if (f.struct !== undefined) {
        add(f.struct);
        collect(f.struct.fields);
      }
    }
  };
  for (const s of spec.commonStructs) add(s);
  collect(spec.fields);
  for (const s of spec.commonStructs) collect(s.fields);
  const visit = (struct: ResolvedStruct, domain: VersionRange): void => {
    const widened = hull(struct.domain, domain);
    if (!struct.isTopLevel && widened.min === struct.domain.min && widened.max === struct.domain.max) return;
    if (!struct.isTopLevel) struct.domain = widened;
    for (const f of struct.spec.fields) {
      const name = structNameOf(f.type);
      if (name === undefined) continue;
      const target = byName.get(name);
      if (target === undefined) {
        throw new GeneratorError(`${spec.name}: field ${f.name} refers to undefined struct ${name}`);
      }
      const used = intersect(intersect(domain, f.versions), target.spec.versions);
      if (!isEmpty(used)) visit(target, used);
    }
  };
  visit(top, spec.validVersions);
  // A struct used only by fields of versions no longer valid is still part of the types.
  for (const s of structs) if (isEmpty(s.domain)) s.domain = spec.validVersions;
  for (const s of structs) {
    for (const f of s.spec.fields) checkField(spec, s, f);
  }
  return { spec, top, structs, byName };
}

function checkField(spec: MessageSpec, s: ResolvedStruct, f: FieldSpec): void {
  const where = `${spec.name}.${s.spec.name}.${f.name}`;
  if (f.tag !== undefined) {
    const tagged = intersect(f.taggedVersions, s.domain);
    if (!containsRange(spec.flexibleVersions, tagged)) {
      throw new GeneratorError(
        `${where}: tagged in ${formatVersions(tagged)} but the message is flexible only in ${formatVersions(spec.flexibleVersions)}`,
      );
    }
  }
  if (
    f.default === 'null' &&
    isEmpty(intersect(f.nullableVersions, s.domain)) &&
    !isEmpty(intersect(f.versions, s.domain))
  ) {
    throw new GeneratorError(`${where}: default null on a field that is never nullable`);
  }
}

/**
 * Gives every struct a TypeScript name that is unique across all generated files: its own name
 * where that is unique, else the message name followed by the struct name.
 *
 * @param reserved names already taken (messages, API objects, runtime exports).
 * @throws GeneratorError when prefixing still leaves a clash.
 */
export function assignStructNames(messages: readonly ResolvedMessage[], reserved: ReadonlySet<string>): void {
  const uses = new Map<string, number>();
  for (const m of messages) {
    for (const s of m.structs) if (!s.isTopLevel) uses.set(s.spec.name, (uses.get(s.spec.name) ?? 0) + 1);
  }
  const taken = new Set(reserved);
  for (const m of messages) {
    for (const s of m.structs) {
      if (s.isTopLevel) continue;
      const own = s.spec.name;
      const unique = uses.get(own) === 1 && !reserved.has(own);
      s.tsName = unique || own.startsWith(m.spec.name) ? own : m.spec.name + own;
      if (taken.has(s.tsName)) throw new GeneratorError(`struct name ${s.tsName} (${m.spec.name}) clashes`);
      taken.add(s.tsName);
    }
  }
}
