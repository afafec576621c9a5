import { RunnelError } from '@runnel/codec';

/**
 * A failure of the local Kafka tooling: an unsupported version, a port already in use, no Java, a
 * download that failed, a broker that did not become ready, a Kafka tool that exited with an error.
 * The message is one line that says what went wrong and, where it helps, what to do; longer detail
 * (log lines, tool output) follows on later lines.
 */
export class KafkaToolError extends RunnelError {
  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(options?.code ?? 'ERR_KAFKA_TOOL', message, options);
  }
}
