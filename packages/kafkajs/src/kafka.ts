/**
 * KafkaJS's entry point, `new Kafka(config)`: it makes consumers. The producer and the admin client are
 * not part of this package; `producer()` and `admin()` throw KafkaJSNotImplemented saying what to use.
 */
import { Consumer } from './consumer.js';
import { KafkaJSNotImplemented } from './errors.js';
import { consoleLogCreator, createLogger, runnelLoggerOf } from './logger.js';
import { type ConsumerConfig, type KafkaConfig, type Logger, logLevel } from './types.js';

const NOT_HERE =
  'is not part of @runnel/kafkajs, which offers KafkaJS consumers only: keep the kafkajs package for producing and administration';

/** KafkaJS's client, `new Kafka(config)`: holds the connection options and logger, and makes consumers. */
export class Kafka {
  private readonly rootLogger: Logger;

  /** @param config KafkaJS's client options; `brokers` is required. */
  constructor(private readonly config: KafkaConfig) {
    this.rootLogger = createLogger(config.logCreator ?? consoleLogCreator, config.logLevel ?? logLevel.INFO);
  }

  /** @returns a new consumer of the group `config.groupId`. */
  consumer(config: ConsumerConfig): Consumer {
    const logger = this.rootLogger.namespace('Consumer');
    return new Consumer(this.config, config, logger, runnelLoggerOf(logger));
  }

  /** @throws KafkaJSNotImplemented: the producer is out of this package's scope. */
  producer(_config?: unknown): never {
    throw new KafkaJSNotImplemented(`producer() ${NOT_HERE}`);
  }

  /** @throws KafkaJSNotImplemented: the admin client is out of this package's scope. */
  admin(_config?: unknown): never {
    throw new KafkaJSNotImplemented(`admin() ${NOT_HERE}`);
  }

  /** @returns the client's logger. */
  logger(): Logger {
    return this.rootLogger;
  }
}
