// The TLS options of cairnctl's connection, from --tls-ca, --tls-cert, --tls-key and
// --insecure-skip-tls-verify (restatectl's flags): checked together, files read once. Loaded only
// when one of them is given, so that plain runs never load node:crypto.
import { readCertificates, readKeyPair, type TlsClientOptions } from '../api/tls';
import { usageError } from './errors';
import type { GlobalOptions } from './globals';

type TlsFlags = Pick<GlobalOptions, 'tlsCa' | 'tlsCert' | 'tlsKey' | 'insecureSkipTlsVerify'>;

export function tlsClientOptions(flags: TlsFlags): TlsClientOptions {
  const { tlsCa, tlsCert, tlsKey, insecureSkipTlsVerify } = flags;
  if (!tlsCert !== !tlsKey) {
    throw usageError(`${tlsCert ? '--tls-cert needs --tls-key' : '--tls-key needs --tls-cert'}: a client certificate goes with its private key`, 'give both --tls-cert and --tls-key (or CAIRN_TLS_CERT and CAIRN_TLS_KEY)');
  }
  if (tlsCert && !tlsCa && !insecureSkipTlsVerify) {
    throw usageError('--tls-cert needs --tls-ca: the CA that signed the nodes\' certificates (mutual TLS clusters use their own CA)', 'add --tls-ca (or CAIRN_TLS_CA), or --insecure-skip-tls-verify to skip checking the nodes');
  }
  try {
    return {
      ...(tlsCa ? { ca: readCertificates('--tls-ca', tlsCa).pem } : {}),
      ...(tlsCert && tlsKey ? readKeyPair({ cert: '--tls-cert', key: '--tls-key' }, { cert: tlsCert, key: tlsKey }) : {}),
      rejectUnauthorized: !insecureSkipTlsVerify,
    };
  } catch (err) {
    throw usageError((err as Error).message);
  }
}
