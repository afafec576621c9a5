/** The shape of the generated schema description that the round-trip tests walk. */
export type SchemaType =
  | 'bool'
  | 'int8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'float64'
  | 'string'
  | 'bytes'
  | 'uuid'
  | 'records'
  | { readonly array: SchemaType }
  | { readonly struct: string };

export interface FieldSchema {
  readonly name: string;
  readonly type: SchemaType;
  /** Versions (within where the struct occurs) in which the field exists; null for none. */
  readonly versions: readonly [number, number] | null;
  readonly nullable: readonly [number, number] | null;
  readonly tagged: boolean;
  readonly ignorable: boolean;
  /** The default value, or 'struct' for a struct's own defaults. */
  readonly defaultValue: unknown;
}

export interface StructSchema {
  readonly flexible: readonly [number, number] | null;
  readonly fields: readonly FieldSchema[];
}

export interface SchemaSet {
  readonly structs: Readonly<Record<string, StructSchema>>;
  readonly apis: readonly {
    readonly name: string;
    readonly apiKey: number;
    readonly minVersion: number;
    readonly maxVersion: number;
    readonly flexibleMinVersion: number | null;
    readonly request: string;
    readonly response: string;
  }[];
  readonly data: readonly {
    readonly name: string;
    readonly minVersion: number;
    readonly maxVersion: number;
    readonly flexibleMinVersion: number | null;
  }[];
}
