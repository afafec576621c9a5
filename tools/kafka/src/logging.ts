import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { kafkaCacheDir } from './paths.js';
import type { KafkaLogging } from './versions.js';
import { kafkaVersionProfile } from './versions.js';

/** Where a JVM's console logging goes: brokers log to stdout (a file), tools to stderr (stdout is data). */
export type LogTarget = 'stdout' | 'stderr';

/**
 * Returns a logging configuration: WARN and above for everything, plus INFO for KafkaRaftServer, whose
 * "Kafka Server started" line is how readiness is detected.
 */
export function renderLoggingConfig(logging: KafkaLogging, target: LogTarget): string {
  if (logging === 'log4j2') {
    return [
      'status = warn',
      'appender.console.type = Console',
      'appender.console.name = CONSOLE',
      `appender.console.target = ${target === 'stdout' ? 'SYSTEM_OUT' : 'SYSTEM_ERR'}`,
      'appender.console.layout.type = PatternLayout',
      'appender.console.layout.pattern = [%d] %p %m (%c)%n',
      'rootLogger.level = WARN',
      'rootLogger.appenderRef.console.ref = CONSOLE',
      'logger.raftServer.name = kafka.server.KafkaRaftServer',
      'logger.raftServer.level = INFO',
      '',
    ].join('\n');
  }
  return [
    'log4j.rootLogger=WARN, console',
    'log4j.appender.console=org.apache.log4j.ConsoleAppender',
    `log4j.appender.console.Target=${target === 'stdout' ? 'System.out' : 'System.err'}`,
    'log4j.appender.console.layout=org.apache.log4j.PatternLayout',
    'log4j.appender.console.layout.ConversionPattern=[%d] %p %m (%c)%n',
    'log4j.logger.kafka.server.KafkaRaftServer=INFO',
    '',
  ].join('\n');
}

/** Returns the JVM system property that points the version's logging at `file`. */
export function loggingOption(logging: KafkaLogging, file: string): string {
  return logging === 'log4j2' ? `-Dlog4j2.configurationFile=${file}` : `-Dlog4j.configuration=file:${file}`;
}

/**
 * Writes `file` unless it already holds exactly `content`; the write goes through a temp file and a
 * rename so a concurrent reader never sees it half written.
 */
export async function writeFileAtomic(file: string, content: string): Promise<void> {
  const temp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(temp, content);
  await rename(temp, file);
}

/**
 * Returns the JVM options that make a Kafka tool log warnings to stderr only, writing the config file
 * into the version's cache dir the first time.
 */
export async function toolLoggingOptions(version: string): Promise<string[]> {
  const profile = kafkaVersionProfile(version);
  const dir = join(kafkaCacheDir(profile.version), 'config');
  const file = join(dir, profile.logging === 'log4j2' ? 'tools-log4j2.properties' : 'tools-log4j.properties');
  if (!existsSync(file)) {
    await mkdir(dir, { recursive: true });
    await writeFileAtomic(file, renderLoggingConfig(profile.logging, 'stderr'));
  }
  return [loggingOption(profile.logging, file)];
}
