/**
 * The command lines of the verifiable tools, read as Kafka's tools read theirs: `--name value` or
 * `--name=value` for options that take a value, bare `--name` for switches, and a Java properties file
 * named by one of the options. Every mistake is a ConfigError naming the option.
 */
import { ConfigError, parseProperties, type ReadTextFile } from '@runnel/consumer';

/** What a tool takes on its command line. */
export interface ToolOptions {
  /** The tool's name, for errors. */
  readonly tool: string;
  /** Options that take a value. */
  readonly values: ReadonlySet<string>;
  /** Options that take none (present: 'true'). */
  readonly switches: ReadonlySet<string>;
}

/**
 * @returns the options given, by name (without `--`).
 * @throws ConfigError for an argument that is not an option, an unknown option, a switch with a value,
 *   or an option without one.
 */
export function readToolArgs(argv: readonly string[], options: ToolOptions): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new ConfigError(arg, 'is not an option (options start with --)');
    const equals = arg.indexOf('=');
    const name = arg.slice(2, equals < 0 ? undefined : equals);
    if (options.switches.has(name)) {
      if (equals >= 0) throw new ConfigError(`--${name}`, 'takes no value');
      out.set(name, 'true');
    } else if (options.values.has(name)) {
      const value = equals >= 0 ? arg.slice(equals + 1) : argv[++i];
      if (value === undefined) throw new ConfigError(`--${name}`, 'needs a value');
      out.set(name, value);
    } else {
      throw new ConfigError(`--${name}`, `is not an option of the ${options.tool}`);
    }
  }
  return out;
}

/**
 * @returns the integer option `name` (from `min` to 2^31-1), or `fallback` when not given.
 * @throws ConfigError naming `--name` for anything else.
 */
export function intOption(
  args: ReadonlyMap<string, string>,
  name: string,
  fallback: number,
  min: number,
): number {
  const text = args.get(name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^-?\d+$/.test(text) || value < min || value > 0x7fff_ffff) {
    throw new ConfigError(`--${name}`, `must be an integer from ${min}, got ${JSON.stringify(text)}`);
  }
  return value;
}

/**
 * @returns the properties of the file option `name` names (empty when not given).
 * @throws ConfigError naming `--name` when the file cannot be read.
 */
export function propertiesOption(
  args: ReadonlyMap<string, string>,
  name: string,
  readFile: ReadTextFile,
): Map<string, string> {
  const file = args.get(name);
  if (file === undefined) return new Map();
  let text: string;
  try {
    text = readFile(file);
  } catch (cause) {
    throw new ConfigError(`--${name}`, `cannot read ${file}: ${(cause as Error).message}`);
  }
  return parseProperties(text);
}
