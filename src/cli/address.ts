// Node addresses as an operator types them (`host`, `host:port` or a URL; http and port 5122 by
// default), checked when the command line is parsed so that a bad one is a usage error naming it.
import { InvalidArgumentError } from 'commander';

export const DEFAULT_PORT = 5122;
export const DEFAULT_ADDRESS = `http://127.0.0.1:${DEFAULT_PORT}`;

export function normalizeAddress(text: string): string {
  const trimmed = text.trim();
  if (!trimmed) throw new InvalidArgumentError('an address cannot be empty; expected host:port or a URL such as http://127.0.0.1:5122');
  if (/^\d+$/.test(trimmed)) {
    throw new InvalidArgumentError(`'${trimmed}' is a port, not an address; did you mean 127.0.0.1:${trimmed}?`);
  }
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `http://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new InvalidArgumentError(`'${trimmed}' is not an address; expected host:port or a URL such as http://127.0.0.1:5122`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidArgumentError(`'${trimmed}' uses ${url.protocol}//; only http:// and https:// are supported`);
  }
  if (url.pathname !== '/' || url.search || url.username) {
    throw new InvalidArgumentError(`'${trimmed}' has a path or credentials; give only the node's scheme, host and port`);
  }
  return `${url.protocol}//${url.hostname}:${url.port || DEFAULT_PORT}`;
}

/** `--address` values: comma-separated or repeated; the default is dropped once one is given. */
export function addressList(value: string): string[] {
  const parts = value.split(',');
  return parts.map(normalizeAddress);
}
