import { describe, expect, it } from 'vitest';
import { KafkaToolError } from './errors.js';
import { scramFormatArguments, securityProperties, type TestCertificates } from './security.js';

const certificates: TestCertificates = {
  caPem: 'ca',
  untrustedCaPem: 'other',
  clientCertPem: 'cert',
  clientKeyPem: 'key',
  files: { brokerKeystore: '/c/broker.pem', wrongHostKeystore: '/c/wrong.pem', truststore: '/c/ca.crt' },
};
const ports = { SSL: 2, SASL_PLAINTEXT: 3, SASL_SSL: 4, MTLS: 5, WRONG_HOST: 6 };

describe('securityProperties', () => {
  it('adds every secured listener beside PLAINTEXT and advertises all but the controller', () => {
    const props = securityProperties('127.0.0.1', 1, 9, ports, certificates, {});
    expect(props.listeners).toBe(
      'PLAINTEXT://127.0.0.1:1,SSL://127.0.0.1:2,SASL_PLAINTEXT://127.0.0.1:3,SASL_SSL://127.0.0.1:4,MTLS://127.0.0.1:5,WRONG_HOST://127.0.0.1:6,CONTROLLER://127.0.0.1:9',
    );
    expect(props['advertised.listeners']).toBe(
      'PLAINTEXT://127.0.0.1:1,SSL://127.0.0.1:2,SASL_PLAINTEXT://127.0.0.1:3,SASL_SSL://127.0.0.1:4,MTLS://127.0.0.1:5,WRONG_HOST://127.0.0.1:6',
    );
    expect(props['listener.name.mtls.ssl.client.auth']).toBe('required');
    expect(props['ssl.client.auth']).toBe('none');
    expect(props['listener.name.wrong_host.ssl.keystore.location']).toBe('/c/wrong.pem');
    expect(props['connections.max.reauth.ms']).toBeUndefined();
  });

  it('configures PLAIN users inline, SCRAM and the unsecured OAUTHBEARER validator on both SASL listeners', () => {
    const props = securityProperties('h', 1, 9, ports, certificates, {
      plainUsers: { bob: 'pa"ss' },
      reauthMs: 2000,
    });
    for (const listener of ['sasl_plaintext', 'sasl_ssl']) {
      expect(props[`listener.name.${listener}.plain.sasl.jaas.config`]).toBe(
        'org.apache.kafka.common.security.plain.PlainLoginModule required user_bob="pa\\"ss";',
      );
      expect(props[`listener.name.${listener}.oauthbearer.sasl.server.callback.handler.class`]).toContain(
        'OAuthBearerUnsecuredValidatorCallbackHandler',
      );
    }
    expect(props['connections.max.reauth.ms']).toBe(2000);
  });
});

describe('scramFormatArguments', () => {
  it('creates each user for SCRAM-SHA-256 and SCRAM-SHA-512 with the iteration count', () => {
    expect(scramFormatArguments({ scramUsers: { u: 'p' }, scramIterations: 8192 })).toEqual([
      '--add-scram',
      'SCRAM-SHA-256=[name=u,password=p,iterations=8192]',
      '--add-scram',
      'SCRAM-SHA-512=[name=u,password=p,iterations=8192]',
    ]);
  });

  it('refuses names and passwords the format argument cannot carry', () => {
    expect(() => scramFormatArguments({ scramUsers: { 'a,b': 'p' } })).toThrow(KafkaToolError);
    expect(() => scramFormatArguments({ scramUsers: { a: 'p]' } })).toThrow(KafkaToolError);
  });
});
