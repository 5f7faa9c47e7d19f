// Certificates for TLS tests, made with the openssl command line in a folder of the test's: a
// cluster CA, a certificate per node (for 127.0.0.1, usable as server and as client) and one for
// cairnctl, and a second CA with a certificate of its own that the cluster must refuse.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

export interface KeyPair {
  cert: string;
  key: string;
}

export interface TestCertificates {
  /** The cluster's CA certificate. */
  ca: string;
  /** Node `name`'s files are `<dir>/<name>.crt` and `.key`: these with `{node}` for the name (`local up --set`). */
  nodeCert: string;
  nodeKey: string;
  /** cairnctl's client certificate, signed by the cluster's CA. */
  client: KeyPair;
  /** A certificate for 127.0.0.1 signed by another CA. */
  foreign: KeyPair;
}

function openssl(args: string[]): void {
  try {
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('the TLS tests generate their certificates with openssl, which is not on PATH: install it (apt-get install openssl)');
    }
    throw new Error(`openssl ${args.join(' ')} failed: ${(err as { stderr?: Buffer }).stderr?.toString() ?? (err as Error).message}`);
  }
}

const KEY_ALGORITHM = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function makeCa(dir: string, name: string): KeyPair {
  const pair = { cert: path.join(dir, `${name}.crt`), key: path.join(dir, `${name}.key`) };
  openssl(['req', '-x509', ...KEY_ALGORITHM, '-keyout', pair.key, '-out', pair.cert, '-days', '2', '-subj', `/CN=${name}`]);
  return pair;
}

/** A certificate for 127.0.0.1 (IP SAN) signed by `ca`, good for TLS servers and clients alike. */
function makeLeaf(dir: string, name: string, ca: KeyPair): KeyPair {
  const pair = { cert: path.join(dir, `${name}.crt`), key: path.join(dir, `${name}.key`) };
  const request = path.join(dir, `${name}.csr`);
  const extensions = path.join(dir, `${name}.ext`);
  openssl(['req', ...KEY_ALGORITHM, '-keyout', pair.key, '-out', request, '-subj', `/CN=${name}`]);
  writeFileSync(extensions, 'subjectAltName = IP:127.0.0.1\nextendedKeyUsage = serverAuth, clientAuth\n');
  openssl(['x509', '-req', '-in', request, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-out', pair.cert, '-days', '2', '-extfile', extensions]);
  return pair;
}

export function generateCertificates(dir: string, nodeNames: string[]): TestCertificates {
  const ca = makeCa(dir, 'cluster-ca');
  for (const name of nodeNames) makeLeaf(dir, name, ca);
  const other = makeCa(dir, 'other-ca');
  return {
    ca: ca.cert,
    nodeCert: path.join(dir, '{node}.crt'),
    nodeKey: path.join(dir, '{node}.key'),
    client: makeLeaf(dir, 'cairnctl', ca),
    foreign: makeLeaf(dir, 'foreign', other),
  };
}
