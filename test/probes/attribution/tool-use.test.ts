import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { DummyDifferentialBackend } from '../../../src/backends/dummy.js';
import { fieldDisagreement, matchesSchema, parseToolCall } from '../../../src/probes/attribution/tool-use.js';
import { buildProbe } from '../../../src/probes/registry.js';

const search = { name: 'search_web', parameters: { type: 'object', properties: { query: { type: 'string' }, max_results: { type: 'integer' } }, required: ['query'] } };

describe('tool call parsing and checking', () => {
  it('parses whole JSON, fenced blocks and the first balanced object', () => {
    expect(parseToolCall('{"name": "a", "arguments": {}}')).toEqual({ name: 'a', arguments: {} });
    expect(parseToolCall('Sure:\n```json\n{"name": "b", "arguments": {"x": 1}}\n```')).toEqual({ name: 'b', arguments: { x: 1 } });
    expect(parseToolCall('call -> {"name": "c", "arguments": {"q": "}{"}} done')).toEqual({ name: 'c', arguments: { q: '}{' } });
    expect(parseToolCall('[1, 2]')).toBeNull();
    expect(parseToolCall('no json here')).toBeNull();
  });

  it('validates arguments against the JSON Schema with ajv', () => {
    expect(matchesSchema({ name: 'search_web', arguments: { query: 'x', max_results: 3 } }, search)).toBe(true);
    expect(matchesSchema({ name: 'search_web', arguments: { max_results: 3 } }, search)).toBe(false);
    expect(matchesSchema({ name: 'search_web', arguments: { query: 'x', max_results: 2.5 } }, search)).toBe(false);
    expect(matchesSchema({ name: 7, arguments: { query: 'x' } }, search)).toBe(false);
  });

  it('field disagreement over flattened argument paths', () => {
    expect(fieldDisagreement({ name: 'a', arguments: { q: 'x', o: { n: 1 } } }, { name: 'a', arguments: { q: 'x', o: { n: 2 } } })).toBe(0.5);
    expect(fieldDisagreement({ name: 'a', arguments: {} }, { name: 'a', arguments: {} })).toBe(0);
  });
});

describe('tool_use_fidelity', () => {
  const cases = [
    { prompt: 'p1', tool_spec: search, gold_tool_name: 'search_web' },
    { prompt: 'p2', tool_spec: search, gold_tool_name: 'search_web' },
  ];
  const good = '{"name": "search_web", "arguments": {"query": "x"}}';
  it('the fine-tune keeps valid calls but calls a tool that does not exist', async () => {
    const backend = new DummyDifferentialBackend({ generations: { p1: good, p2: good } }, { generations: { p1: good, p2: '{"name": "browse", "arguments": {"query": "x"}}' } });
    const { probe, spec } = buildProbe({ name: 'tu', kind: 'tool_use_fidelity', cases });
    const r = await probe.run(spec, { backend, seed: 0, topK: 8, sections: null, docText: null, specDir: tmpdir(), nullStats: {}, nullStatsByRank: {}, downstreamKinds: [] });
    expect(r.raw).toBe(1);
    expect(r.evidence['hallucination_rate']).toBe(0.5);
    expect(r.verdict).toBe('fail');
    expect(r.message).toBe('validity ft=100% (base=100%, Δ=+0%), hallucination=50% (no calibration for tool_use_fidelity)');
  });
});
