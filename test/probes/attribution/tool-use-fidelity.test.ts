import { describe, expect, it } from 'vitest';
import { createDummyBackend } from '../../../src/backends/dummy.js';
import { fieldDisagreement, matchesSchema, parseToolCall } from '../../../src/probes/attribution/tool-call.js';
import { runToolUseFidelity, toolUseFidelitySchema } from '../../../src/probes/attribution/tool-use-fidelity.js';
import { makeRunContext } from '../../../src/probes/context.js';

const WEATHER = {
  name: 'get_weather',
  parameters: {
    type: 'object',
    properties: { city: { type: 'string' }, days: { type: 'integer', minimum: 1 }, metric: { type: 'boolean' } },
    required: ['city'],
  },
};

describe('parseToolCall', () => {
  it('whole text, fenced block, then first balanced braces', () => {
    expect(parseToolCall(' {"name":"a","arguments":{}} ')!.obj).toEqual({ name: 'a', arguments: {} });
    expect(parseToolCall('Sure:\n```json\n{"name":"b","arguments":{}}\n```')!.obj['name']).toBe('b');
    expect(parseToolCall('```jsonc\n{"name":"c"}\n```')!.obj['name']).toBe('c'); // fenced body fails, braces scan finds it
    expect(parseToolCall('call: {"name":"d","arguments":{"q":"}{"}} done')!.obj).toEqual({ name: 'd', arguments: { q: '}{' } });
    expect(parseToolCall('[1,2]')).toBeNull();
    expect(parseToolCall('no json here')).toBeNull();
  });
});

describe('matchesSchema', () => {
  const m = (text: string) => matchesSchema(parseToolCall(text)!, WEATHER);
  it('applies Python type rules and the JSON Schema', () => {
    expect(m('{"name":"get_weather","arguments":{"city":"Oslo","days":3}}')).toBe(true);
    expect(m('{"name":"get_weather","arguments":{"city":"Oslo","days":3.0}}')).toBe(false); // 3.0 is a float literal
    expect(m('{"name":"get_weather","arguments":{"city":"Oslo","days":true}}')).toBe(false); // bool is not an integer
    expect(m('{"name":"get_weather","arguments":{"days":3}}')).toBe(false); // required city missing
    expect(m('{"name":"get_weather","arguments":{"city":"Oslo","extra":1}}')).toBe(true); // extra arguments allowed
    expect(m('{"name":"get_weather","arguments":{"city":"Oslo","days":0}}')).toBe(false); // ajv: minimum 1
    expect(m('{"name":7,"arguments":{"city":"Oslo"}}')).toBe(false);
    expect(m('{"name":"x","arguments":"Oslo"}')).toBe(false);
  });
});

describe('fieldDisagreement', () => {
  it('leaf paths with absent ≠ null and Python equality', () => {
    expect(fieldDisagreement({ arguments: { a: 1, b: { c: true } } }, { arguments: { a: 1.0, b: { c: 1 } } })).toBe(0);
    expect(fieldDisagreement({ arguments: { a: null } }, { arguments: {} })).toBe(1);
    expect(fieldDisagreement({ arguments: { a: [1, 2], b: 'x' } }, { arguments: { a: [1, 2], b: 'y' } })).toBe(0.5);
    expect(fieldDisagreement({ arguments: {} }, { arguments: {} })).toBe(0);
    expect(fieldDisagreement({ arguments: { a: 1 } }, { arguments: 'x' })).toBe(1);
  });
});

describe('tool_use_fidelity', () => {
  const cases = [
    { prompt: 'p1', tool_spec: WEATHER, gold_tool_name: 'get_weather' },
    { prompt: 'p2', tool_spec: WEATHER, gold_tool_name: 'get_weather' },
  ];
  const backend = () =>
    createDummyBackend({
      base: { generations: { p1: '{"name":"get_weather","arguments":{"city":"Oslo","days":2}}', p2: '{"name":"get_weather","arguments":{"city":"Rome"}}' } },
      ft: { generations: { p1: '```json\n{"name":"get_weather","arguments":{"city":"Oslo","days":3}}\n```', p2: '{"name":"weather_now","arguments":{"city":"Rome"}}' } },
    });

  it('hallucinated names, argument drift and the compound fallback verdict', async () => {
    const r = await runToolUseFidelity(toolUseFidelitySchema.parse({ name: 't', cases }), makeRunContext({ backend: backend() }));
    expect(r.verdict).toBe('fail');
    expect(r.raw).toBe(1);
    expect(r.base_value).toBe(1);
    expect(r.score).toBe(0.5);
    expect(r.message).toBe('validity ft=100% (base=100%, Δ=+0%), hallucination=50% (no calibration for tool_use_fidelity)');
    expect(r.evidence).toMatchObject({ validity_delta: 0, hallucination_rate: 0.5, mean_arg_disagreement: 0.25, num_cases: 2, num_arg_pairs_compared: 2 });
  });

  it('allowed_tools replaces the per-case gold name; z path blends the score', async () => {
    const spec = toolUseFidelitySchema.parse({ name: 't', cases, allowed_tools: ['get_weather', 'weather_now'] });
    const r = await runToolUseFidelity(spec, makeRunContext({ backend: backend() }));
    expect(r.verdict).toBe('pass');
    expect(r.score).toBe(1);
    const z = await runToolUseFidelity(spec, makeRunContext({ backend: backend(), nullStats: { tool_use_fidelity: { mean: 0.5, std: 0.1, n: 3 } } }));
    expect(z.z_score).toBeCloseTo(5, 10);
    expect(z.score).toBeCloseTo(0.7 + 0.3 / (1 + Math.exp(-5 / 3)), 12);
    expect(z.message).toBe('validity ft=100% (base=100%, Δ=+0%), hallucination=0%, z=+5.00σ vs null');
  });

  it('SKIP without cases', async () => {
    const r = await runToolUseFidelity(toolUseFidelitySchema.parse({ name: 't' }), makeRunContext({ backend: backend() }));
    expect(r.verdict).toBe('skip');
    expect(r.message).toBe("no tool-use cases (inline 'cases' was empty)");
  });
});
