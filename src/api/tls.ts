// TLS material for the node listener and for clients (nodes calling nodes, cairnctl): PEM files read
// and checked once, up front, so that a missing file, a key in the certificate's place or a key that
// does not match its certificate is reported naming the setting and the path, not as an OpenSSL
// error on the first connection.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** What a client connection presents and trusts (undici's `connect` and https.request take these). */
export interface TlsClientOptions {
  /** Trusted CA certificates (PEM); without them, the system's roots. */
  ca?: string;
  /** A client certificate and its key (PEM), for nodes that require one. */
  cert?: string;
  key?: string;
  /** False only for --insecure-skip-tls-verify. */
  rejectUnauthorized: boolean;
}

/** What a node's listener serves: its certificate, and with client auth the CA clients must be signed by. */
export interface ServerTlsOptions {
  cert: string;
  key: string;
  ca?: string;
  /** Mutual TLS: a request without a certificate signed by `ca` is refused. */
  clientAuth: boolean;
}

/** A file given as `label` (`tls.cert-file`, `--tls-ca`), read, or an error naming both. */
function readPem(label: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new Error(`${label} ${file}: cannot read it (${reason})`);
  }
}

/** A PEM file of one or more certificates; throws naming `label` and the file when it holds none. */
export function readCertificates(label: string, file: string): { pem: string; certificates: X509Certificate[] } {
  const pem = readPem(label, file);
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  try {
    if (!blocks.length) throw new Error('no "BEGIN CERTIFICATE" block');
    return { pem, certificates: blocks.map((block) => new X509Certificate(block)) };
  } catch (err) {
    throw new Error(`${label} ${file}: not a PEM certificate (${(err as Error).message})`);
  }
}

/**
 * A certificate and its private key, checked to belong together. `labels` name the two settings
 * (`tls.cert-file` and `tls.key-file`, or `--tls-cert` and `--tls-key`).
 */
export function readKeyPair(labels: { cert: string; key: string }, files: { cert: string; key: string }): { cert: string; key: string } {
  const { pem: cert, certificates } = readCertificates(labels.cert, files.cert);
  const key = readPem(labels.key, files.key);
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    throw new Error(`${labels.key} ${files.key}: not a PEM private key (${(err as Error).message}); it must not be encrypted with a passphrase`);
  }
  if (!certificates[0]!.checkPrivateKey(privateKey)) {
    throw new Error(`${labels.key} ${files.key} is not the private key of the certificate in ${labels.cert} ${files.cert}`);
  }
  return { cert, key };
}
