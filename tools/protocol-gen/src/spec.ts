import { GeneratorError } from './errors.js';
import { parseJsonWithComments } from './json-comments.js';
import { ALL_VERSIONS, isEmpty, NO_VERSIONS, parseVersions, type VersionRange } from './versions.js';

/** The kinds of message file Kafka defines; only some of them are generated. */
export const MESSAGE_TYPES = [
  'request',
  'response',
  'header',
  'data',
  'metadata',
  'coordinator-key',
  'coordinator-value',
] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

export const LISTENERS = ['zkBroker', 'broker', 'controller'] as const;
export type Listener = (typeof LISTENERS)[number];

export const PRIMITIVE_TYPES = [
  'bool',
  'int8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'float64',
  'string',
  'bytes',
  'uuid',
  'records',
] as const;
export type PrimitiveType = (typeof PRIMITIVE_TYPES)[number];

/** A field's type: a primitive, an array of a primitive or struct, or a single struct. */
export type FieldType =
  | { readonly kind: 'primitive'; readonly name: PrimitiveType }
  | { readonly kind: 'array'; readonly element: FieldType }
  | { readonly kind: 'struct'; readonly name: string };

/** A struct: the top-level message, an inline struct of a field, or one of `commonStructs`. */
export interface StructSpec {
  readonly name: string;
  /** Versions the definition says the struct exists in (`versions` of a common struct, else all). */
  readonly versions: VersionRange;
  readonly fields: readonly FieldSpec[];
}

/** One field of a struct, with every key of Kafka's field format. */
export interface FieldSpec {
  readonly name: string;
  readonly type: FieldType;
  /** The type as the definition writes it, e.g. `[]int32`. */
  readonly typeText: string;
  readonly versions: VersionRange;
  readonly nullableVersions: VersionRange;
  /** Versions in which the field is encoded as a tagged field (empty when it has no tag). */
  readonly taggedVersions: VersionRange;
  readonly tag: number | undefined;
  /** Overrides the message's flexible versions for this field's own encoding (`none` in RequestHeader). */
  readonly flexibleVersions: VersionRange | undefined;
  /** The `default` as written (string, number or boolean), undefined when absent. */
  readonly default: string | number | boolean | undefined;
  readonly ignorable: boolean;
  /** Marks a struct-array element's key field (Java builds a hash map from it). */
  readonly mapKey: boolean;
  /** What the value names, e.g. `topicName`, `groupId` (used by Kafka for authorization and tests). */
  readonly entityType: string | undefined;
  /** Java reads this bytes field without copying; bytes are always views here. */
  readonly zeroCopy: boolean;
  /** The struct defined inline by this field's `fields`, if any. */
  readonly struct: StructSpec | undefined;
}

/** One message definition file, every key of Kafka's message format modelled. */
export interface MessageSpec {
  readonly name: string;
  readonly type: MessageType;
  readonly apiKey: number | undefined;
  readonly validVersions: VersionRange;
  readonly flexibleVersions: VersionRange;
  readonly deprecatedVersions: VersionRange;
  readonly latestVersionUnstable: boolean;
  readonly listeners: readonly Listener[];
  readonly fields: readonly FieldSpec[];
  readonly commonStructs: readonly StructSpec[];
}

const MESSAGE_KEYS = new Set([
  'name',
  'type',
  'apiKey',
  'validVersions',
  'flexibleVersions',
  'deprecatedVersions',
  'latestVersionUnstable',
  'listeners',
  'fields',
  'commonStructs',
]);
const FIELD_KEYS = new Set([
  'name',
  'type',
  'versions',
  'about',
  'fields',
  'mapKey',
  'default',
  'ignorable',
  'entityType',
  'nullableVersions',
  'tag',
  'taggedVersions',
  'flexibleVersions',
  'zeroCopy',
]);
const COMMON_STRUCT_KEYS = new Set(['name', 'versions', 'fields']);

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkKeys(obj: Json, allowed: ReadonlySet<string>, where: string): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.has(key)) {
      throw new GeneratorError(
        `${where}: unknown key ${JSON.stringify(key)} (the generator models: ${[...allowed].join(', ')}); ` +
          'teach tools/protocol-gen what it means before generating',
      );
    }
  }
}

function str(obj: Json, key: string, where: string): string {
  const v = obj[key];
  if (typeof v !== 'string') throw new GeneratorError(`${where}: "${key}" must be a string`);
  return v;
}

function optStr(obj: Json, key: string, where: string): string | undefined {
  return obj[key] === undefined ? undefined : str(obj, key, where);
}

function optBool(obj: Json, key: string, where: string): boolean {
  const v = obj[key];
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw new GeneratorError(`${where}: "${key}" must be true or false`);
  return v;
}

function optVersions(obj: Json, key: string, where: string): VersionRange | undefined {
  const v = optStr(obj, key, where);
  return v === undefined ? undefined : parseVersions(v, `${where}.${key}`);
}

function parseType(text: string, where: string): FieldType {
  if (text.startsWith('[]')) {
    let element: FieldType;
    try {
      element = parseType(text.slice(2), where);
    } catch {
      throw new GeneratorError(`${where}: unknown type ${JSON.stringify(text)}`);
    }
    if (element.kind === 'array') throw new GeneratorError(`${where}: arrays of arrays are not allowed`);
    if (element.kind === 'primitive' && element.name === 'records') {
      throw new GeneratorError(`${where}: arrays of records are not allowed`);
    }
    return { kind: 'array', element };
  }
  if ((PRIMITIVE_TYPES as readonly string[]).includes(text))
    return { kind: 'primitive', name: text as PrimitiveType };
  if (/^[A-Z][A-Za-z0-9]*$/.test(text)) return { kind: 'struct', name: text };
  throw new GeneratorError(`${where}: unknown type ${JSON.stringify(text)}`);
}

function parseFields(raw: unknown, where: string): FieldSpec[] {
  if (!Array.isArray(raw)) throw new GeneratorError(`${where}: "fields" must be an array`);
  const seen = new Set<string>();
  const tags = new Set<number>();
  return raw.map((f, i) => {
    if (!isObject(f)) throw new GeneratorError(`${where}.fields[${i}]: must be an object`);
    const field = parseField(f, `${where}.fields[${i}]`);
    if (seen.has(field.name)) throw new GeneratorError(`${where}: duplicate field ${field.name}`);
    seen.add(field.name);
    if (field.tag !== undefined) {
      if (tags.has(field.tag)) throw new GeneratorError(`${where}: duplicate tag ${field.tag}`);
      tags.add(field.tag);
    }
    return field;
  });
}

function parseField(f: Json, at: string): FieldSpec {
  const name = str(f, 'name', at);
  const where = `${at} (${name})`;
  checkKeys(f, FIELD_KEYS, where);
  if (!/^[A-Za-z][A-Za-z0-9]*$/.test(name)) throw new GeneratorError(`${where}: field names are identifiers`);
  optStr(f, 'about', where);
  const typeText = str(f, 'type', where);
  const type = parseType(typeText, where);
  const versions = parseVersions(str(f, 'versions', where), `${where}.versions`);
  const nullableVersions = optVersions(f, 'nullableVersions', where) ?? NO_VERSIONS;
  const taggedVersions = optVersions(f, 'taggedVersions', where) ?? NO_VERSIONS;
  const flexibleVersions = optVersions(f, 'flexibleVersions', where);
  const tagRaw = f.tag;
  if (tagRaw !== undefined && (typeof tagRaw !== 'number' || !Number.isInteger(tagRaw) || tagRaw < 0)) {
    throw new GeneratorError(`${where}: "tag" must be a non-negative integer`);
  }
  const tag = tagRaw as number | undefined;
  if ((tag === undefined) !== isEmpty(taggedVersions)) {
    throw new GeneratorError(`${where}: "tag" and "taggedVersions" come together`);
  }
  if (tag !== undefined && (taggedVersions.min !== versions.min || taggedVersions.max !== versions.max)) {
    // Kafka's own generator requires this too; supporting a field that is tagged in only some of its
    // versions would need a second encoding path.
    throw new GeneratorError(`${where}: taggedVersions must equal versions`);
  }
  // nullableVersions may start before versions (e.g. `0+` on a field of `1+`): only the overlap counts.
  if (!isEmpty(nullableVersions)) {
    const nullableType = type.kind !== 'primitive' || ['string', 'bytes', 'records'].includes(type.name);
    if (!nullableType) {
      throw new GeneratorError(`${where}: type ${typeText} cannot be nullable`);
    }
  }
  const def = f.default;
  if (def !== undefined && typeof def !== 'string' && typeof def !== 'number' && typeof def !== 'boolean') {
    throw new GeneratorError(`${where}: "default" must be a string, number or boolean`);
  }
  const entityType = optStr(f, 'entityType', where);
  const mapKey = optBool(f, 'mapKey', where);
  const ignorable = optBool(f, 'ignorable', where);
  const zeroCopy = optBool(f, 'zeroCopy', where);
  if (zeroCopy && !(type.kind === 'primitive' && type.name === 'bytes')) {
    throw new GeneratorError(`${where}: zeroCopy applies only to bytes`);
  }
  let struct: StructSpec | undefined;
  if (f.fields !== undefined) {
    const structName = type.kind === 'array' ? type.element : type;
    if (structName.kind !== 'struct') throw new GeneratorError(`${where}: only struct types have "fields"`);
    struct = { name: structName.name, versions: ALL_VERSIONS, fields: parseFields(f.fields, where) };
  }
  return {
    name,
    type,
    typeText,
    versions,
    nullableVersions,
    taggedVersions,
    tag,
    flexibleVersions,
    default: def,
    ignorable,
    mapKey,
    entityType,
    zeroCopy,
    struct,
  };
}

/**
 * Parses one message definition file strictly: every key must be one the generator models, every
 * value must have the expected shape.
 *
 * @param text the file's text, JSON with `//` comments.
 * @param source the file name, used in error messages.
 * @returns the modelled message.
 * @throws GeneratorError naming the file and the path to the offending key or value.
 */
export function parseMessageSpec(text: string, source: string): MessageSpec {
  const raw = parseJsonWithComments(text, source);
  if (!isObject(raw)) throw new GeneratorError(`${source}: the top level must be an object`);
  checkKeys(raw, MESSAGE_KEYS, source);
  const name = str(raw, 'name', source);
  const where = `${source} (${name})`;
  const type = str(raw, 'type', where);
  if (!(MESSAGE_TYPES as readonly string[]).includes(type)) {
    throw new GeneratorError(`${where}: unknown message type ${JSON.stringify(type)}`);
  }
  const apiKeyRaw = raw.apiKey;
  if (
    apiKeyRaw !== undefined &&
    (typeof apiKeyRaw !== 'number' || !Number.isInteger(apiKeyRaw) || apiKeyRaw < 0)
  ) {
    throw new GeneratorError(`${where}: "apiKey" must be a non-negative integer`);
  }
  if ((type === 'request' || type === 'response') !== (apiKeyRaw !== undefined)) {
    throw new GeneratorError(`${where}: requests and responses, and only they, have an apiKey`);
  }
  const validVersions = parseVersions(str(raw, 'validVersions', where), `${where}.validVersions`);
  const flexibleVersions = optVersions(raw, 'flexibleVersions', where) ?? NO_VERSIONS;
  const deprecatedVersions = optVersions(raw, 'deprecatedVersions', where) ?? NO_VERSIONS;
  const latestVersionUnstable = optBool(raw, 'latestVersionUnstable', where);
  let listeners: Listener[] = [];
  if (raw.listeners !== undefined) {
    if (!Array.isArray(raw.listeners)) throw new GeneratorError(`${where}: "listeners" must be an array`);
    listeners = raw.listeners.map((l) => {
      if (typeof l !== 'string' || !(LISTENERS as readonly string[]).includes(l)) {
        throw new GeneratorError(`${where}: unknown listener ${JSON.stringify(l)}`);
      }
      return l as Listener;
    });
  }
  const fields = raw.fields === undefined ? [] : parseFields(raw.fields, where);
  let commonStructs: StructSpec[] = [];
  if (raw.commonStructs !== undefined) {
    if (!Array.isArray(raw.commonStructs))
      throw new GeneratorError(`${where}: "commonStructs" must be an array`);
    commonStructs = raw.commonStructs.map((s, i) => {
      const at = `${where}.commonStructs[${i}]`;
      if (!isObject(s)) throw new GeneratorError(`${at}: must be an object`);
      checkKeys(s, COMMON_STRUCT_KEYS, at);
      const versions = parseVersions(str(s, 'versions', at), `${at}.versions`);
      return { name: str(s, 'name', at), versions, fields: parseFields(s.fields, at) };
    });
  }
  return {
    name,
    type: type as MessageType,
    apiKey: apiKeyRaw as number | undefined,
    validVersions,
    flexibleVersions,
    deprecatedVersions,
    latestVersionUnstable,
    listeners,
    fields,
    commonStructs,
  };
}
