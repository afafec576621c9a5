/**
 * The command line of `runnel`, declared with commander: the commands, their options and help texts.
 * Each action reads its own values (so a bad one is a UsageError naming its flag) and loads the module
 * that does the work only when it runs, so `--help` never loads the consumer.
 */
import { readFileSync } from 'node:fs';
import type { IsolationLevel } from '@runnel/consumer';
import { Command, Option } from 'commander';
import type { CommandContext } from './context.js';
import type { Io } from './io.js';
import type { CommandRunner } from './main.js';
import { parseCount, parsePartitions, parsePosition } from './positions.js';
import { DATA_FORMATS, parseRecordFormat } from './record-format.js';
import type { CommonOptions } from './settings.js';
import { TEMPLATE_FIELDS } from './template.js';

type Options = CommonOptions & Record<string, unknown>;

const ROOT_HELP = `
Connection:
  Every command takes --brokers (or KAFKA_BROKERS), --config <file> (a Java
  client properties file: security.protocol, sasl.mechanism, sasl.jaas.config,
  ssl.truststore.location...), the TLS and SASL flags, --timeout <ms> (default
  10000) and --debug. See 'runnel <command> --help'.

Environment:
  KAFKA_BROKERS        brokers when neither --brokers nor --config names them
  KAFKA_SASL_PASSWORD  the SASL password when --sasl-password is not given
  NO_COLOR             no colors (colors are only ever used on a terminal)

Exit status:
  0 done, 1 failed (one line on stderr; --debug adds the stack),
  2 usage error (a wrong flag, value or --config file),
  130 / 143 stopped by SIGINT / SIGTERM (after closing cleanly).

Examples:
  runnel consume orders -b localhost:9092 --from earliest -n 10
  runnel consume orders --json --value-format json | jq .value
  runnel tail orders -f '%k %s\\n'
  runnel groups describe billing
  runnel lag billing --watch
  runnel offsets reset billing --topic orders --to earliest --dry-run`;

const FIELDS_HELP = Object.entries(TEMPLATE_FIELDS)
  .map(([letter, meaning]) => `  %${letter}  ${meaning}`)
  .join('\n');

const CONSUME_HELP = `
Output:
  A readable line per record by default (colored on a terminal only). --json
  prints one JSON object per line: topic, partition, offset, timestamp,
  timestampType, key, value, headers. --format takes a kcat template:
${FIELDS_HELP}
  %%  a percent sign; \\n \\t \\r \\\\ \\0 are escapes.
  --key-format and --value-format show keys and values as string (UTF-8),
  json (parsed: --json embeds it), hex or base64.

Positions (--from):
  earliest, latest, an offset, a time (ISO 8601 such as 2026-12-01T09:00:00Z,
  or @<epoch-ms>), or -N: N records before the end of each partition. An
  offset outside the log starts at its nearest end. With --group only earliest
  or latest, for partitions the group has no committed offset for.

It stops after --count records or, without --follow, at the end offsets read
when it started. A progress line goes to stderr when stderr is a terminal.`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** Adds the options every command takes, under their own help heading. */
function withConnectionOptions(command: Command): Command {
  return command
    .optionsGroup('Connection options:')
    .option('-b, --brokers <host:port,...>', 'bootstrap brokers (default: KAFKA_BROKERS)')
    .option('--config <file>', 'Java client properties file (security.protocol, sasl.*, ssl.*, client.id...)')
    .option('--tls', 'connect with TLS, trusting the system CAs')
    .option('--ca <file>', 'PEM CA certificates to trust (implies --tls)')
    .option('--cert <file>', 'PEM client certificate for mutual TLS (with --key)')
    .option('--key <file>', 'PEM private key of --cert')
    .option('--sasl-mechanism <name>', 'PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512')
    .option('--sasl-username <name>', 'SASL user')
    .option('--sasl-password <password>', 'SASL password (default: KAFKA_SASL_PASSWORD)')
    .option('--timeout <ms>', 'longest wait for the brokers before giving up', '10000')
    .option('--debug', 'print the stack of an error and the client log on stderr');
}

/** Adds the record output options of `consume` and `tail`. */
function withRecordOptions(command: Command): Command {
  return command
    .option('-g, --group <id>', 'read in this consumer group, committing what is printed')
    .addOption(
      new Option('--group-protocol <protocol>', 'group protocol with --group').choices([
        'classic',
        'consumer',
      ]),
    )
    .option('-p, --partition <n,...>', 'only these partitions (without --group)')
    .option('-n, --count <n>', 'stop after this many records')
    .option('-f, --format <template>', "kcat-style template, e.g. '%t [%p] @%o: %k %s\\n'")
    .option('--json', 'one JSON object per record and line')
    .addOption(
      new Option('--key-format <format>', 'how keys are shown').choices(DATA_FORMATS).default('string'),
    )
    .addOption(
      new Option('--value-format <format>', 'how values are shown').choices(DATA_FORMATS).default('string'),
    )
    .addOption(
      new Option('--isolation <level>', 'read_committed skips aborted transactions (default)').choices([
        'read_committed',
        'read_uncommitted',
      ]),
    );
}

/** A subcommand that prints one answer: its name, help, argument, own options and work. */
interface AnswerCommand {
  readonly name: string;
  readonly description: string;
  /** The one argument (`<group>`, `<topic>`) and its help; null for none. */
  readonly argument: readonly [string, string] | null;
  /** Adds the command's own options (beside `--json`). */
  readonly options?: (command: Command) => Command;
  /** Does the work; it loads the module that does it. */
  readonly run: (ctx: CommandContext, argument: string | undefined, options: Options) => Promise<void>;
}

/**
 * Adds a subcommand that prints one answer (a list, a description) and takes `--json`.
 * @returns the subcommand.
 */
function answerCommand(parent: Command, runner: CommandRunner, spec: AnswerCommand): Command {
  let command = parent.command(spec.name).description(spec.description);
  if (spec.argument !== null) command = command.argument(spec.argument[0], spec.argument[1]);
  command = (spec.options ?? ((c) => c))(command).option('--json', 'print JSON');
  return withConnectionOptions(command).action(async (...args: unknown[]) => {
    const options = args[spec.argument === null ? 0 : 1] as Options;
    const value = spec.argument === null ? undefined : (args[0] as string);
    await runner.run(options, (ctx) => spec.run(ctx, value, options));
  });
}

/**
 * Builds the program. Its actions run through `runner`, which resolves the shared options, handles
 * interrupts and keeps the exit status.
 * @returns the commander program, ready for `parseAsync`.
 */
export function buildProgram(io: Io, runner: CommandRunner): Command {
  const program = new Command('runnel')
    .description('Consume, tail and inspect Kafka topics and consumer groups.')
    .version(version(), '-V, --version')
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      // Errors are printed by main, on one line with a pointer to the right help.
      outputError: () => {},
    })
    .exitOverride()
    .showSuggestionAfterError(true)
    .addHelpText('after', ROOT_HELP);

  const consumeAction = (follow: boolean | null) => async (topics: string[], options: Options) => {
    const from =
      follow === null ? parsePosition(String(options.from), '--from', true) : ({ kind: 'latest' } as const);
    const consumeOptions = {
      topics,
      groupId: (options.group as string | undefined) ?? null,
      groupProtocol: (options.groupProtocol as 'classic' | 'consumer' | undefined) ?? null,
      from,
      partitions:
        options.partition === undefined ? null : parsePartitions(String(options.partition), '--partition'),
      count: options.count === undefined ? null : parseCount(String(options.count), '--count'),
      follow: follow ?? options.follow === true,
      isolation: (options.isolation as IsolationLevel | undefined) ?? null,
      format: parseRecordFormat(options as Parameters<typeof parseRecordFormat>[0]),
    };
    const { consume } = await import('./commands/consume.js');
    await runner.run(options, (ctx) => consume(ctx, consumeOptions), true);
  };

  withConnectionOptions(
    withRecordOptions(
      program
        .command('consume')
        .description('print records of topics, from a position to the end (or on, with --follow)')
        .argument('<topic...>', 'topics to read')
        .option('--from <position>', 'where to start: earliest, latest, an offset, a time or -N', 'earliest')
        .option('--follow', 'keep waiting for new records after the end'),
    ),
  )
    .addHelpText('after', CONSUME_HELP)
    .action(consumeAction(null));

  withConnectionOptions(
    withRecordOptions(
      program
        .command('tail')
        .description('print new records as they arrive (consume --from latest --follow)')
        .argument('<topic...>', 'topics to follow'),
    ),
  )
    .addHelpText('after', CONSUME_HELP)
    .action(consumeAction(true));

  const groups = program.command('groups').description('list and describe consumer groups');
  answerCommand(groups, runner, {
    name: 'list',
    description: 'list the groups of every broker: id, type, state',
    argument: null,
    run: async (ctx, _, options) => {
      const { listGroups } = await import('./commands/groups.js');
      await listGroups(ctx, { json: options.json === true });
    },
  });
  answerCommand(groups, runner, {
    name: 'describe',
    description: 'state, protocol, members, assignments, and per partition committed offset, end and lag',
    argument: ['<group>', 'group id'],
    run: async (ctx, group, options) => {
      const { describeGroupCommand } = await import('./commands/groups.js');
      await describeGroupCommand(ctx, group!, { json: options.json === true });
    },
  });

  withConnectionOptions(
    program
      .command('lag')
      .description("a group's committed offset, end offset and lag per partition")
      .argument('<group>', 'group id')
      .option('--watch', 'refresh every second until interrupted')
      .option('--json', 'print JSON (one line per refresh)'),
  ).action(async (group: string, options: Options) => {
    const { lag } = await import('./commands/lag.js');
    const watch = options.watch === true;
    await runner.run(
      options,
      (ctx) => lag(ctx, group, { json: options.json === true, watch, intervalMs: 1000 }),
      watch,
    );
  });

  const offsets = program.command('offsets').description("change a group's committed offsets");
  withConnectionOptions(
    offsets
      .command('reset')
      .description("move an empty group's offsets (refused while the group has members)")
      .argument('<group>', 'group id')
      .requiredOption('--topic <topic...>', 'topics to reset: all partitions, or some with topic:0,2')
      .requiredOption('--to <position>', `earliest, latest, an offset, a time (ISO 8601 or @<epoch-ms>)`)
      .option('--dry-run', 'print the new offsets without committing them')
      .option('--json', 'print JSON'),
  ).action(async (group: string, options: Options) => {
    const resetOptions = {
      topics: options.topic as string[],
      to: parsePosition(String(options.to), '--to', false),
      dryRun: options.dryRun === true,
      json: options.json === true,
    };
    const { resetOffsets } = await import('./commands/offsets.js');
    await runner.run(options, (ctx) => resetOffsets(ctx, group, resetOptions));
  });

  const topics = program.command('topics').description('list and describe topics');
  answerCommand(topics, runner, {
    name: 'list',
    description: 'topics with their partition count and replication factor',
    argument: null,
    options: (c) => c.option('--all', 'include internal topics'),
    run: async (ctx, _, options) => {
      const { listTopics } = await import('./commands/topics.js');
      await listTopics(ctx, { json: options.json === true, all: options.all === true });
    },
  });
  answerCommand(topics, runner, {
    name: 'describe',
    description: 'partitions with leader, replicas, in-sync replicas, earliest and latest offsets',
    argument: ['<topic>', 'topic name'],
    run: async (ctx, topic, options) => {
      const { describeTopic } = await import('./commands/topics.js');
      await describeTopic(ctx, topic!, { json: options.json === true });
    },
  });
  return program;
}
