import { GeneratorError } from './errors.js';

/**
 * Removes `//` line comments from Kafka's JSON-with-comments, leaving string contents (which may
 * hold `//`, as in URLs) untouched, then parses the JSON.
 *
 * @returns the parsed value.
 * @throws GeneratorError naming `source` when the text is not valid JSON after stripping.
 */
export function parseJsonWithComments(text: string, source: string): unknown {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      out += c;
      if (c === '\\') {
        out += text[i + 1] ?? '';
        i++;
      } else if (c === '"') {
        inString = false;
      }
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else {
      out += c;
    }
  }
  try {
    return JSON.parse(out);
  } catch (cause) {
    throw new GeneratorError(`${source}: not valid JSON after removing comments: ${String(cause)}`, {
      cause,
    });
  }
}
