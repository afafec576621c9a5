import type { SchemaSet, SchemaType } from './schema-types.js';

/**
 * Converts a message to the JSON that Kafka's generated `*JsonConverter.read` accepts: the same
 * camelCase field names, int64 as exact JSON numbers, bytes and records as base64. Unknown tagged
 * fields have no JSON form and are left out.
 * @returns the JSON text.
 */
export function toKafkaJson(schemas: SchemaSet, struct: string, message: Record<string, unknown>): string {
  const text = JSON.stringify(convertStruct(schemas, struct, message), (_key, value: unknown) =>
    typeof value === 'bigint' ? `__int64__${value}` : value,
  );
  return text.replace(/"__int64__(-?\d+)"/g, '$1');
}

function convertStruct(
  schemas: SchemaSet,
  struct: string,
  message: Record<string, unknown>,
): Record<string, unknown> {
  const schema = schemas.structs[struct];
  if (schema === undefined) throw new Error(`no schema for ${struct}`);
  const out: Record<string, unknown> = {};
  for (const f of schema.fields) {
    if (f.name in message) out[f.name] = convertValue(schemas, f.type, message[f.name]);
  }
  return out;
}

function convertValue(schemas: SchemaSet, type: SchemaType, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof type === 'object') {
    if ('array' in type) return (value as unknown[]).map((v) => convertValue(schemas, type.array, v));
    return convertStruct(schemas, type.struct, value as Record<string, unknown>);
  }
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  return value;
}
