// The strict exposition-format reader the metrics test relies on: it must take well-formed text
// (prom-client's own output included) and refuse each kind of malformed text, or the integration
// test's "parses as Prometheus text" would prove nothing.
import { describe, expect, it } from 'vitest';
import { NodeMetrics } from '../../src/server/metrics';
import { ExpositionError, parseExposition, total } from '../helpers/prometheus';

const GOOD = `# HELP demo_requests_total Requests, with a \\\\ and a \\n in the help.
# TYPE demo_requests_total counter
demo_requests_total{path="/a",code="200"} 3
demo_requests_total{path="/b\\"q\\\\",code="500"} 1 1700000000000
# TYPE demo_latency_seconds histogram
demo_latency_seconds_bucket{le="0.1"} 1
demo_latency_seconds_bucket{le="1"} 4
demo_latency_seconds_bucket{le="+Inf"} 5
demo_latency_seconds_sum 2.5
demo_latency_seconds_count 5
# a comment
demo_untyped -1.5e3
`;

describe('parseExposition', () => {
  it('reads well-formed text, escapes and histograms included', () => {
    const families = parseExposition(GOOD);
    expect(families.get('demo_requests_total')?.help).toBe('Requests, with a \\ and a \n in the help.');
    expect(families.get('demo_requests_total')?.samples[1]?.labels.path).toBe('/b"q\\');
    expect(total(families, 'demo_requests_total', 'demo_requests_total')).toBe(4);
    expect(total(families, 'demo_latency_seconds', 'demo_latency_seconds_count')).toBe(5);
    expect(families.get('demo_untyped')).toMatchObject({ type: 'untyped', samples: [{ value: -1500 }] });
  });

  it("reads prom-client's exposition of the node's registry", async () => {
    const metrics = new NodeMetrics();
    metrics.ingressAppended(performance.now() - 3, true);
    metrics.storeAnswered(2, performance.now() - 1);
    metrics.metadataAnswered('put', 'conflict', performance.now());
    const { headers, body } = await metrics.scrape({});
    expect(headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const families = parseExposition(body);
    expect(total(families, 'cairn_ingress_append_duration_seconds', 'cairn_ingress_append_duration_seconds_count', { outcome: 'ok' })).toBe(1);
    expect(total(families, 'cairn_store_round_trip_seconds', 'cairn_store_round_trip_seconds_count', { peer: 'N2' })).toBe(1);
    expect(families.get('process_cpu_seconds_total')?.type).toBe('counter');
  });

  const broken: Array<[string, string]> = [
    ['no final newline', 'a 1'],
    ['a bad metric name', '1abc 1\n'],
    ['a value that is no number', 'a one\n'],
    ['a missing value', 'a{x="1"}\n'],
    ['an unquoted label value', 'a{x=1} 1\n'],
    ['an unterminated label value', 'a{x="1} 1\n'],
    ['a bad escape in a label', 'a{x="\\t"} 1\n'],
    ['a bad label name', 'a{1x="1"} 1\n'],
    ['a label given twice', 'a{x="1",x="2"} 1\n'],
    ['a repeated series', 'a{x="1"} 1\na{x="1"} 2\n'],
    ['a family split up', 'a 1\nb 1\na{x="1"} 1\n'],
    ['an unknown type', '# TYPE a countr\na 1\n'],
    ['a TYPE after the samples', 'a 1\n# TYPE a gauge\n'],
    ['a second TYPE', '# TYPE a gauge\n# TYPE a gauge\na 1\n'],
    ['a bad escape in HELP', '# HELP a x\\y\na 1\n'],
    ['a negative counter', '# TYPE a counter\na -1\n'],
    ['a non-integer timestamp', 'a 1 12.5\n'],
    ['a histogram without +Inf', '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n'],
    ['a histogram whose buckets fall', '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n'],
    ['a histogram whose +Inf is not _count', '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 3\n'],
    ['a histogram without _count', '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\n'],
  ];
  it.each(broken)('refuses %s', (_, text) => {
    expect(() => parseExposition(text)).toThrow(ExpositionError);
  });
});
