// GET /metrics on a real 3-node cluster: every node answers with text that a strict reader of the
// Prometheus exposition format accepts, behind the admin token like the other read routes, and
// the figures follow what the cluster did: the ingress append histograms count exactly the appends
// made, stores and group commits happened, processors catch up (lag 0) and apply in batches, a
// published snapshot has an age on its partition's leader.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { epochKey } from '../../src/api/schemas';
import { TestCluster, waitUntil } from '../helpers/cluster';
import { putWithRetry } from '../helpers/kv';
import { parseExposition, total, type Family } from '../helpers/prometheus';
import { partitionForKey } from '../../src/server/worker/partitioning';

const TOKEN = 'metrics-test-token';
const APPENDS = 60;
const INFLIGHT_LIMIT = 4; // bifrost.replication.inflight-batches, its default

type Families = Map<string, Family>;

describe('GET /metrics', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await TestCluster.start({ nodes: 3, sets: [`admin.token=${TOKEN}`] });
  });
  afterAll(async () => {
    await cluster?.destroy();
  });

  async function scrape(address: string): Promise<Families> {
    const response = await fetch(`${address}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return parseExposition(await response.text());
  }

  const scrapeAll = () => Promise.all(cluster.info.nodes.map((n) => scrape(n.address)));
  const sum = (scrapes: Families[], family: string, name = family, match: Record<string, string> = {}) =>
    scrapes.reduce((acc, families) => acc + total(families, family, name, match), 0);

  it('asks for the admin token, and the OpenAPI document lists the route', async () => {
    const node = cluster.info.nodes[0]!;
    expect((await fetch(`${node.address}/metrics`)).status).toBe(401);
    const openapi = (await (await fetch(`${node.address}/v1/openapi.json`)).json()) as { paths: Record<string, { get?: { responses: Record<string, { content?: object }> } }> };
    expect(Object.keys(openapi.paths['/metrics']?.get?.responses['200']?.content ?? {})).toEqual(['text/plain; version=0.0.4']);
  });

  it('counts every append made through the ingress, and the data path behind them', async () => {
    const before = await scrapeAll();
    const ingresses = cluster.info.nodes.map((n) => n.ingress);
    // Four writers, round-robin over the three ingresses.
    const statuses: number[] = [];
    await Promise.all(
      [0, 1, 2, 3].map(async (writer) => {
        for (let i = writer; i < APPENDS; i += 4) {
          const response = await fetch(`${ingresses[i % ingresses.length]}/kv/metrics-${i}`, { method: 'PUT', body: `value-${i}` });
          await response.arrayBuffer();
          statuses.push(response.status);
        }
      }),
    );
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    const after = await scrapeAll();
    const delta = (family: string, name = family, match: Record<string, string> = {}) => sum(after, family, name, match) - sum(before, family, name, match);

    const ingress = 'cairn_ingress_append_duration_seconds';
    expect(delta(ingress, `${ingress}_count`, { outcome: 'ok' })).toBe(APPENDS);
    expect(delta(ingress, `${ingress}_count`, { outcome: 'error' })).toBe(0);
    expect(delta(ingress, `${ingress}_sum`)).toBeGreaterThan(0);
    // Every ingress node counted its own share (the writers went round-robin).
    after.forEach((families, i) => expect(total(families, ingress, `${ingress}_count`) - total(before[i]!, ingress, `${ingress}_count`)).toBe(APPENDS / 3));

    // Each append is one record at a sequencer; its payload holds the value. Appends forwarded to
    // the same remote sequencer while a request is out go in one request (one sequencer append of
    // several records), so with 4 writers a sequencer append carries 1 to 4 of them.
    const sequencer = 'cairn_sequencer_append_duration_seconds';
    expect(delta(sequencer, `${sequencer}_count`)).toBeLessThanOrEqual(APPENDS);
    expect(delta(sequencer, `${sequencer}_count`)).toBeGreaterThanOrEqual(APPENDS / 4);
    expect(delta('cairn_appended_records_total')).toBe(APPENDS);
    expect(delta('cairn_appended_bytes_total')).toBeGreaterThan(APPENDS * 'value-0'.length);

    // Every record went to each of its 2 replicas (default-replication 2) in some store batch.
    expect(delta('cairn_store_batch_records', 'cairn_store_batch_records_sum')).toBeGreaterThanOrEqual(APPENDS * 2);
    expect(delta('cairn_store_batch_bytes', 'cairn_store_batch_bytes_sum')).toBeGreaterThan(0);
    const roundTrips = after.flatMap((f) => f.get('cairn_store_round_trip_seconds')?.samples ?? []).filter((s) => s.name.endsWith('_count'));
    expect(new Set(roundTrips.filter((s) => s.value > 0).map((s) => s.labels.peer))).toEqual(new Set(['N1', 'N2', 'N3']));
    // Every node runs a log-server that committed some of those stores.
    for (const families of after) {
      expect(total(families, 'cairn_log_store_commit_duration_seconds', 'cairn_log_store_commit_duration_seconds_count')).toBeGreaterThan(0);
    }
    for (const sample of after.flatMap((f) => f.get('cairn_store_inflight_batches')?.samples ?? [])) {
      expect(sample.value).toBeGreaterThanOrEqual(0);
      expect(sample.value).toBeLessThanOrEqual(INFLIGHT_LIMIT);
    }
    expect(after.every((f) => f.get('cairn_store_inflight_batches')?.type === 'gauge')).toBe(true);
  });

  it('shows processors caught up, sealed loglets, metadata latency and the process figures', async () => {
    // Once the appends are applied, every processor's lag is 0 and its applied LSN is past them.
    const caughtUp = await waitUntil('every processor to report lag 0', async () => {
      const scrapes = await scrapeAll();
      const lags = scrapes.flatMap((f) => f.get('cairn_partition_apply_lag_records')?.samples ?? []);
      return lags.length > 0 && lags.every((s) => s.value === 0) ? scrapes : undefined;
    });
    const applied = caughtUp.flatMap((f) => f.get('cairn_partition_applied_lsn')?.samples ?? []);
    const partitions = (await cluster.partitionTable()).partitions.length;
    expect(new Set(applied.map((s) => s.labels.partition)).size).toBe(partitions);
    expect(applied.every((s) => s.value >= 1)).toBe(true);

    for (const families of caughtUp) {
      expect(families.get('cairn_log_server_sealed_loglets')?.samples).toEqual([expect.objectContaining({ value: 0 })]);
      expect(total(families, 'process_cpu_seconds_total', 'process_cpu_seconds_total')).toBeGreaterThan(0);
      expect(total(families, 'process_resident_memory_bytes', 'process_resident_memory_bytes')).toBeGreaterThan(16 * 1024 * 1024);
      // Every node reads the metadata store (joining, resyncs).
      const metadata = 'cairn_metadata_request_duration_seconds';
      expect(total(families, metadata, `${metadata}_count`, { outcome: 'ok' })).toBeGreaterThan(0);
    }
  });

  it('applies records that come within the pause after an apply in one transaction', async () => {
    // Sequential writes, each acknowledged before the next: without the pause each would be a
    // transaction of its own on every replica.
    const partition = 2;
    const table = await cluster.partitionTable();
    const keys = Array.from({ length: 400 }, (_, i) => `apply-batch-${i}`).filter((key) => partitionForKey(key, table).id === partition).slice(0, 20);
    const batches = async () => {
      const scrapes = await scrapeAll();
      const family = 'cairn_partition_apply_batch_records';
      return { transactions: sum(scrapes, family, `${family}_count`, { partition: String(partition) }), records: sum(scrapes, family, `${family}_sum`, { partition: String(partition) }) };
    };
    const before = await batches();
    for (const key of keys) expect((await putWithRetry(cluster.info.nodes.map((n) => n.ingress), key, 'v')).ok).toBe(true);
    const replicas = (await cluster.metadata<{ replica_set: number[] }>(epochKey(partition))).replica_set.length;
    const after = await waitUntil('every replica to apply the writes', async () => {
      const now = await batches();
      return now.records - before.records >= keys.length * replicas ? now : undefined;
    });
    expect(after.records - before.records).toBe(keys.length * replicas);
    expect(after.transactions - before.transactions).toBeLessThan(keys.length * replicas);
  });

  it("reports the age of a partition's newest snapshot on its leader", async () => {
    const partition = 1;
    await cluster.ctl(['snapshots', 'create', String(partition)]);
    const { leader } = await cluster.metadata<{ leader: number }>(epochKey(partition));
    const leaderNode = cluster.info.nodes[leader - 1]!;
    const ages = (await scrape(leaderNode.address)).get('cairn_partition_snapshot_age_seconds')?.samples ?? [];
    const age = ages.find((s) => s.labels.partition === String(partition));
    expect(age, `no snapshot age for partition ${partition} on its leader ${leaderNode.name}`).toBeDefined();
    expect(age!.value).toBeGreaterThanOrEqual(0);
    expect(age!.value).toBeLessThan(60);
    const others = await Promise.all(cluster.info.nodes.filter((n) => n.name !== leaderNode.name).map((n) => scrape(n.address)));
    for (const families of others) {
      expect(families.get('cairn_partition_snapshot_age_seconds')?.samples.some((s) => s.labels.partition === String(partition)) ?? false).toBe(false);
    }
  });

  it("counts the loglets a reconfiguration sealed on each log-server", async () => {
    const sealed = async () => sum(await scrapeAll(), 'cairn_log_server_sealed_loglets');
    const done = await cluster.ctl(['logs', 'reconfigure', '-l', '3', '--yes']);
    expect(done.code, done.stderr).toBe(0);
    // The old tail loglet is sealed on (at least an f-majority of) its nodeset.
    await waitUntil('the sealed loglet to show in the metrics', async () => (await sealed()) >= 1);
  });
});
