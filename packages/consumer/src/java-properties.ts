/**
 * The text of a Java `.properties` file read as `java.util.Properties.load` reads it, for the tools that
 * take Kafka's client property files (`--consumer.config`, `--command-config`, `runnel --config`).
 */
import { ConfigError } from './errors.js';

/** Blanks of a `.properties` line, as `java.util.Properties.load` reads them. */
const BLANK = new Set([' ', '\t', '\f']);

/**
 * Parses the text of a Java `.properties` file as `java.util.Properties.load` does: `#` and `!`
 * comments, `=`, `:` or blanks between key and value, lines continued by a trailing backslash, and the
 * escapes `\t \n \r \f \uXXXX` (a backslash before any other character keeps that character).
 * @param source names the file's option in errors (default `consumer.config`).
 * @returns the entries in file order; a key given twice keeps its last value, as in Java.
 * @throws ConfigError (key `source`) on a malformed `\uXXXX` escape.
 */
export function parseProperties(text: string, source = 'consumer.config'): Map<string, string> {
  const entries = new Map<string, string>();
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNumber = i + 1;
    let line = stripLeadingBlanks(lines[i]!);
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    // A line ending in an odd number of backslashes goes on, without its leading blanks, on the next.
    while (endsInOddBackslashes(line) && i + 1 < lines.length) {
      line = line.slice(0, -1) + stripLeadingBlanks(lines[++i]!);
    }
    if (endsInOddBackslashes(line)) line = line.slice(0, -1);
    let keyEnd = 0;
    while (keyEnd < line.length) {
      const ch = line[keyEnd]!;
      if (ch === '\\') keyEnd += 2;
      else if (ch === '=' || ch === ':' || BLANK.has(ch)) break;
      else keyEnd++;
    }
    keyEnd = Math.min(keyEnd, line.length);
    let valueStart = keyEnd;
    while (valueStart < line.length && BLANK.has(line[valueStart]!)) valueStart++;
    if (valueStart < line.length && (line[valueStart] === '=' || line[valueStart] === ':')) valueStart++;
    while (valueStart < line.length && BLANK.has(line[valueStart]!)) valueStart++;
    entries.set(
      unescapeProperty(line.slice(0, keyEnd), lineNumber, source),
      unescapeProperty(line.slice(valueStart), lineNumber, source),
    );
  }
  return entries;
}

function stripLeadingBlanks(line: string): string {
  let start = 0;
  while (start < line.length && BLANK.has(line[start]!)) start++;
  return line.slice(start);
}

function endsInOddBackslashes(line: string): boolean {
  let count = 0;
  for (let i = line.length - 1; i >= 0 && line[i] === '\\'; i--) count++;
  return count % 2 === 1;
}

function unescapeProperty(text: string, lineNumber: number, source: string): string {
  if (!text.includes('\\')) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch !== '\\') {
      out += ch;
      continue;
    }
    const next = text[++i];
    if (next === undefined) break;
    if (next === 'u') {
      const hex = text.slice(i + 1, i + 5);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
        throw new ConfigError(source, `line ${lineNumber}: malformed \\uXXXX escape`);
      }
      out += String.fromCharCode(Number.parseInt(hex, 16));
      i += 4;
    } else {
      out += next === 't' ? '\t' : next === 'n' ? '\n' : next === 'r' ? '\r' : next === 'f' ? '\f' : next;
    }
  }
  return out;
}
