// What `metadata put` and `metadata patch` share: the new document against the version read (or
// --version), a line diff, a dry run checked by the cluster (schema and version) that writes
// nothing, and otherwise a prompt and the compare-and-set write.
import type { MetadataKey } from '../../../api/schemas';
import { confirmChange } from '../../confirm';
import type { CommandContext } from '../../context';
import { CliError, EXIT, usageError } from '../../errors';
import { lineDiff } from '../../json-patch';
import type { MetadataWriteJson } from '../../output/documents';
import { line, styled, type Block, type View } from '../../output/view';

interface WriteArgs {
  expectedVersion?: number;
  dryRun: boolean;
  force: boolean;
}

export async function checkedKey(key: string): Promise<MetadataKey> {
  const { isMetadataKey, METADATA_KEYS } = await import('../../../api/schemas');
  if (!isMetadataKey(key)) throw usageError(`unknown metadata key '${key}'`, `known keys: ${METADATA_KEYS.join(', ')}, pp_epoch_<partition>`);
  return key;
}

const pretty = (value: unknown) => JSON.stringify(value, null, 2);

export async function writeDocument(ctx: CommandContext, key: MetadataKey, change: (current: unknown) => unknown, args: WriteArgs): Promise<View> {
  const cluster = await ctx.cluster();
  const current = await cluster.metadata(key);
  const next = change(current.value);
  const expected = args.expectedVersion ?? current.version;
  const diff: Block[] = lineDiff(pretty(current.value), pretty(next)).map((d) =>
    d.kind === ' ' ? line(`  ${d.text}`) : line(styled(`${d.kind} ${d.text}`, d.kind === '+' ? 'good' : 'bad')),
  );
  if (expected !== current.version) {
    throw new CliError(`${key} is at v${current.version}, not v${expected}`, EXIT.REFUSED, 'read it again (cairnctl metadata get) and retry with its version');
  }
  const body = { value: next, version: expected, force: args.force };
  if (pretty(current.value) === pretty(next)) {
    const json: MetadataWriteJson = { key, previous_version: current.version, version: current.version, dry_run: args.dryRun, changed: false, value: next };
    return { json, blocks: [line(`${key} v${current.version} already holds this document: nothing to write`)] };
  }
  // The cluster checks the document (schema, version) before anything is asked or written.
  await cluster.admin('metadataPut', { params: { key }, body: { ...body, dry_run: true } });
  if (args.dryRun) {
    const json: MetadataWriteJson = { key, previous_version: current.version, version: null, dry_run: true, changed: true, value: next };
    return { json, blocks: [line(`${key} v${expected}, would change (dry run, nothing written):`), ...diff] };
  }
  await confirmChange(ctx, `Write ${key} (now v${expected})?`, { json: null, blocks: diff });
  const written = await cluster.admin('metadataPut', { params: { key }, body });
  const json: MetadataWriteJson = { key, previous_version: written.previous_version, version: written.version, dry_run: false, changed: true, value: next };
  return { json, blocks: [line({ icon: 'ok' }, ` ${key} written: v${written.previous_version} → v${written.version}`)] };
}
