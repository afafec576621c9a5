/**
 * How `consume` prints a record: one JSON object per line, a kcat template, or a readable line (colored
 * on a terminal); and how it shows a key or value: as text, JSON, hex or base64.
 */
import { TimestampType } from '@runnel/codec';
import type { ConsumerRecord } from '@runnel/consumer';
import { RecordFormatError, UsageError } from './errors.js';
import type { Colors } from './io.js';
import { compileTemplate, type TemplateField, type TemplatePart } from './template.js';

/** How a key or value is shown. */
export type DataFormat = 'string' | 'json' | 'hex' | 'base64';

export const DATA_FORMATS: readonly DataFormat[] = ['string', 'json', 'hex', 'base64'];

/** How a record is printed. */
export type OutputFormat =
  | { readonly kind: 'readable' }
  | { readonly kind: 'json' }
  | { readonly kind: 'template'; readonly parts: readonly TemplatePart[] };

/** The formatting options of `consume`. */
export interface RecordFormatOptions {
  readonly output: OutputFormat;
  readonly keyFormat: DataFormat;
  readonly valueFormat: DataFormat;
}

/**
 * Reads `--json`, `-f` and the key and value formats.
 * @returns the formatting options.
 * @throws UsageError when `--json` and `--format` are both given or a data format is unknown.
 */
export function parseRecordFormat(options: {
  json?: boolean;
  format?: string;
  keyFormat?: string;
  valueFormat?: string;
}): RecordFormatOptions {
  if (options.json && options.format !== undefined) {
    throw new UsageError('--json and --format cannot be used together', '--format');
  }
  const output: OutputFormat = options.json
    ? { kind: 'json' }
    : options.format !== undefined
      ? { kind: 'template', parts: compileTemplate(options.format) }
      : { kind: 'readable' };
  return {
    output,
    keyFormat: dataFormat(options.keyFormat ?? 'string', '--key-format'),
    valueFormat: dataFormat(options.valueFormat ?? 'string', '--value-format'),
  };
}

function dataFormat(text: string, option: string): DataFormat {
  if ((DATA_FORMATS as readonly string[]).includes(text)) return text as DataFormat;
  throw new UsageError(`expected one of ${DATA_FORMATS.join(', ')}, got ${JSON.stringify(text)}`, option);
}

const utf8 = new TextDecoder();

/**
 * Decodes a key or value. Under `json` the result is the parsed value (for the JSON output) or its
 * compact text (for the others).
 * @throws RecordFormatError when `json` is asked for and the bytes are not JSON.
 */
function decode(bytes: Uint8Array, format: DataFormat, what: () => string, asJson: boolean): unknown {
  switch (format) {
    case 'string':
      return utf8.decode(bytes);
    case 'hex':
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
    case 'base64':
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
    case 'json': {
      let parsed: unknown;
      try {
        parsed = JSON.parse(utf8.decode(bytes));
      } catch (error) {
        throw new RecordFormatError(`${what()} is not JSON (${(error as Error).message})`, { cause: error });
      }
      return asJson ? parsed : JSON.stringify(parsed);
    }
  }
}

/**
 * The readable line is for eyes on a terminal: one line per record, and no bytes of the record that a
 * terminal would act on (escape sequences could move the cursor or retitle the window).
 * @returns the text with control characters written as `\n`, `\t`, `\r` or `\xNN`.
 */
export function visible<T extends string | null>(text: T): T {
  if (text === null) return text;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (ch) => {
    if (ch === '\n') return '\\n';
    if (ch === '\t') return '\\t';
    if (ch === '\r') return '\\r';
    return `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`;
  }) as T;
}

function timestampTypeName(type: number): string {
  if (type === TimestampType.logAppendTime) return 'LogAppendTime';
  if (type === TimestampType.createTime) return 'CreateTime';
  return 'NoTimestamp';
}

/**
 * Builds the function that prints a record in the chosen format.
 * @returns a function from a record to its text, ending in a newline (a template's own ending otherwise).
 *   It throws RecordFormatError when a key or value does not decode as `json`.
 */
export function recordFormatter(options: RecordFormatOptions, colors: Colors): (r: ConsumerRecord) => string {
  const { keyFormat, valueFormat, output } = options;
  const where = (r: ConsumerRecord, part: string) => () =>
    `the ${part} of ${r.topic}-${r.partition}@${r.offset}`;
  const key = (r: ConsumerRecord, asJson: boolean) =>
    r.key === null ? null : decode(r.key, keyFormat, where(r, 'key'), asJson);
  const value = (r: ConsumerRecord, asJson: boolean) =>
    r.value === null ? null : decode(r.value, valueFormat, where(r, 'value'), asJson);
  const headers = (r: ConsumerRecord) =>
    r.headers.map((h) => `${h.key}=${h.value === null ? '' : utf8.decode(h.value)}`).join(',');

  switch (output.kind) {
    case 'json':
      return (r) =>
        `${JSON.stringify({
          topic: r.topic,
          partition: r.partition,
          offset: r.offset,
          timestamp: r.timestamp,
          timestampType: timestampTypeName(r.timestampType),
          key: key(r, true),
          value: value(r, true),
          headers: r.headers.map((h) => ({
            key: h.key,
            value: h.value === null ? null : utf8.decode(h.value),
          })),
        })}\n`;
    case 'template': {
      const fields: Record<TemplateField, (r: ConsumerRecord) => string> = {
        t: (r) => r.topic,
        p: (r) => String(r.partition),
        o: (r) => String(r.offset),
        k: (r) => (key(r, false) as string | null) ?? '',
        K: (r) => String(r.key === null ? -1 : r.key.byteLength),
        s: (r) => (value(r, false) as string | null) ?? '',
        S: (r) => String(r.value === null ? -1 : r.value.byteLength),
        T: (r) => String(r.timestamp),
        h: headers,
      };
      const parts = output.parts.map((p) => (typeof p === 'string' ? () => p : fields[p.field]));
      return (r) => {
        let text = '';
        for (const part of parts) text += part(r);
        return text;
      };
    }
    case 'readable':
      return (r) => {
        const time = r.timestamp >= 0 ? new Date(r.timestamp).toISOString() : '-';
        const k = visible(key(r, false) as string | null);
        const v = visible(value(r, false) as string | null);
        const h = r.headers.length > 0 ? colors.dim(` [${visible(headers(r))}]`) : '';
        const shownKey = k === null ? '' : `${colors.cyan(k)}: `;
        return `${colors.dim(`${r.topic} [${r.partition}] @${r.offset} ${time}`)} ${shownKey}${v ?? colors.dim('null')}${h}\n`;
      };
  }
}
