/**
 * kcat's output templates (`-f '%t [%p] @%o: %k %s\n'`): `%` fields and backslash escapes, compiled
 * once into a list of parts so each record only fills them in.
 */
import { UsageError } from './errors.js';

/** The record fields a template can name, by their letter. */
export const TEMPLATE_FIELDS = {
  t: 'topic',
  p: 'partition',
  o: 'offset',
  k: 'key',
  K: 'key length (-1 for null)',
  s: 'value',
  S: 'value length (-1 for null)',
  T: 'timestamp (ms since the epoch)',
  h: 'headers (k=v, comma-separated)',
} as const;

export type TemplateField = keyof typeof TEMPLATE_FIELDS;

/** A compiled template: literal text and fields, in order. */
export type TemplatePart = string | { readonly field: TemplateField };

const ESCAPES: Readonly<Record<string, string>> = { n: '\n', r: '\r', t: '\t', '\\': '\\', '0': '\0' };

/**
 * Compiles a template: `%t %p %o %k %K %s %S %T %h` are fields, `%%` is a percent sign, and `\n \r \t
 * \\ \0` are escapes (a shell passes `'\n'` as two characters, which is why they are read here).
 * @returns the parts, adjacent literals joined.
 * @throws UsageError (option `--format`) on an unknown field or escape, or a `%` or `\` at the end.
 */
export function compileTemplate(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let literal = '';
  for (let i = 0; i < template.length; i++) {
    const ch = template[i]!;
    if (ch !== '%' && ch !== '\\') {
      literal += ch;
      continue;
    }
    const next = template[++i];
    if (next === undefined) throw new UsageError(`the template ends in a lone ${ch}`, '--format');
    if (ch === '\\') {
      const escaped = ESCAPES[next];
      if (escaped === undefined) throw new UsageError(`unknown escape \\${next} in the template`, '--format');
      literal += escaped;
    } else if (next === '%') {
      literal += '%';
    } else if (Object.hasOwn(TEMPLATE_FIELDS, next)) {
      if (literal !== '') parts.push(literal);
      literal = '';
      parts.push({ field: next as TemplateField });
    } else {
      const known = Object.keys(TEMPLATE_FIELDS).map((f) => `%${f}`);
      throw new UsageError(
        `unknown field %${next} in the template (known: ${known.join(' ')} %%)`,
        '--format',
      );
    }
  }
  if (literal !== '') parts.push(literal);
  return parts;
}
