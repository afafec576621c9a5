import { describe, expect, it } from 'vitest';
import { KafkaToolError } from './errors.js';
import { renderJarsPom } from './jars.js';
import {
  DEFAULT_KAFKA_VERSION,
  kafkaVersionProfile,
  resolveKafkaVersion,
  SUPPORTED_KAFKA_VERSIONS,
} from './versions.js';

describe('resolveKafkaVersion', () => {
  it('gives the default 4.x version when no alias or alias 4 is asked for', () => {
    expect(DEFAULT_KAFKA_VERSION).toMatch(/^4\.\d+\.\d+$/);
    expect(resolveKafkaVersion()).toBe(DEFAULT_KAFKA_VERSION);
    expect(resolveKafkaVersion('')).toBe(DEFAULT_KAFKA_VERSION);
    expect(resolveKafkaVersion('4')).toBe(DEFAULT_KAFKA_VERSION);
  });

  it('gives the newest supported 3.9.x for alias 3.9', () => {
    expect(resolveKafkaVersion('3.9')).toBe('3.9.2');
  });

  it('passes a supported exact version through', () => {
    for (const version of SUPPORTED_KAFKA_VERSIONS) expect(resolveKafkaVersion(version)).toBe(version);
  });

  it('rejects an unknown version with a one-line KafkaToolError that lists the supported versions', () => {
    for (const bad of ['5', '3.8', '4.4.0-rc1', 'latest']) {
      let caught: unknown;
      try {
        resolveKafkaVersion(bad);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(KafkaToolError);
      const error = caught as KafkaToolError;
      expect(error.code).toBe('ERR_KAFKA_VERSION');
      expect(error.message).not.toContain('\n');
      expect(error.message).toBe(
        `unsupported Kafka version ${JSON.stringify(bad)}: use one of 4, 3.9, ${SUPPORTED_KAFKA_VERSIONS.join(', ')}`,
      );
    }
  });
});

describe('kafkaVersionProfile', () => {
  it('uses Log4j 2 and the tools package for BrokerApiVersionsCommand on 4.x', () => {
    const profile = kafkaVersionProfile('4');
    expect(profile).toMatchObject({ major: 4, logging: 'log4j2' });
    expect(profile.brokerApiVersionsClass).toBe('org.apache.kafka.tools.BrokerApiVersionsCommand');
  });

  it('uses reload4j and the kafka.admin BrokerApiVersionsCommand on 3.9', () => {
    const profile = kafkaVersionProfile('3.9');
    expect(profile).toMatchObject({ version: '3.9.2', major: 3, logging: 'reload4j' });
    expect(profile.brokerApiVersionsClass).toBe('kafka.admin.BrokerApiVersionsCommand');
  });
});

describe('renderJarsPom', () => {
  it('lists the broker, the tools and the Log4j 2 binding with slf4j-api pinned to 1.7.36 on 4.x', () => {
    const pom = renderJarsPom('4.4.0');
    expect(pom).toContain('<artifactId>kafka_2.13</artifactId><version>4.4.0</version>');
    expect(pom).toContain('<artifactId>kafka-tools</artifactId><version>4.4.0</version>');
    expect(pom).toContain(
      '<groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>1.7.36</version>',
    );
    expect(pom).toContain('<artifactId>log4j-slf4j-impl</artifactId><version>2.24.3</version>');
    expect(pom).not.toContain('reload4j');
    expect(pom).toContain('<packaging>pom</packaging>');
  });

  it('lists the reload4j binding on 3.9', () => {
    const pom = renderJarsPom('3.9');
    expect(pom).toContain('<artifactId>kafka_2.13</artifactId><version>3.9.2</version>');
    expect(pom).toContain('<artifactId>slf4j-reload4j</artifactId><version>1.7.36</version>');
    expect(pom).toContain(
      '<groupId>ch.qos.reload4j</groupId><artifactId>reload4j</artifactId><version>1.2.25</version>',
    );
    expect(pom).not.toContain('log4j-core');
  });
});
