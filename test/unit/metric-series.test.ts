// The node's own counters and histograms must read in GET /metrics exactly as prom-client's would
// for the same observations (dashboards and the bench parse them), including series of several
// labels, values on a bucket's bound and above the last one, and families not yet observed.
import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { CounterFamily, HistogramFamily } from '../../src/server/metric-series';
import { parseExposition, total } from '../helpers/prometheus';

const BUCKETS = [0.001, 0.01, 0.1, 1];
const OBSERVATIONS: Array<[string, string, number]> = [
  ['get', 'ok', 0.0005],
  ['get', 'ok', 0.001], // on a bound: counts in that bucket
  ['put', 'conflict', 0.05],
  ['get', 'ok', 7], // above the last bound: only in +Inf
  ['put', 'ok', 0.3],
];

describe('metric series', () => {
  it("expose histograms and counters as prom-client's own do", async () => {
    const theirs = new Registry();
    const ours = new Registry();
    const spec = { name: 'demo_request_seconds', help: 'Requests, by "operation" and outcome', labelNames: ['operation', 'outcome'] };
    const theirHistogram = new Histogram({ ...spec, buckets: BUCKETS, registers: [theirs] });
    const ourHistogram = new HistogramFamily({ ...spec, buckets: BUCKETS, registry: ours });
    const theirCounter = new Counter({ name: 'demo_bytes_total', help: 'Bytes', registers: [theirs] });
    const ourCounter = new CounterFamily({ name: 'demo_bytes_total', help: 'Bytes', registry: ours });
    new Histogram({ name: 'demo_idle_seconds', help: 'Never observed', buckets: BUCKETS, registers: [theirs] });
    new HistogramFamily({ name: 'demo_idle_seconds', help: 'Never observed', buckets: BUCKETS, registry: ours });
    for (const [operation, outcome, seconds] of OBSERVATIONS) {
      theirHistogram.labels(operation, outcome).observe(seconds);
      ourHistogram.labels(operation, outcome).observe(seconds);
      theirCounter.inc(seconds * 1000);
      ourCounter.labels().inc(seconds * 1000);
    }

    const text = await ours.metrics();
    expect(text).toBe(await theirs.metrics());
    // get(), as a registry's JSON: the same samples with all their labels (prom-client adds empty exemplars).
    const samples = async (registry: Registry) =>
      (await registry.getMetricsAsJSON()).flatMap((metric) => metric.values.map((v) => ({ name: (v as { metricName?: string }).metricName ?? metric.name, labels: v.labels, value: v.value })));
    expect(await samples(ours)).toEqual(await samples(theirs));
    const families = parseExposition(text);
    expect(total(families, 'demo_request_seconds', 'demo_request_seconds_count', { operation: 'get', outcome: 'ok' })).toBe(3);
    expect(total(families, 'demo_request_seconds', 'demo_request_seconds_bucket', { operation: 'get', le: '0.001' })).toBe(2);
    expect(total(families, 'demo_idle_seconds', 'demo_idle_seconds_count')).toBe(0);
  });

  it('refuses label values that do not match the label names', () => {
    const family = new CounterFamily({ name: 'demo_total', help: 'Demo', labelNames: ['peer'], registry: new Registry() });
    expect(() => family.labels()).toThrow('metric demo_total takes the labels [peer], got 0 value(s)');
    family.labels('N2').inc();
    expect(family.labels('N2').value).toBe(1);
  });
});
