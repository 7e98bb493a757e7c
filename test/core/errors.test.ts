import { describe, expect, it } from 'vitest';
import { ProbeError, SpecValidationError, SwayError, isSwayError } from '../../src/core/errors.js';

describe('SwayError family', () => {
  it('prefixes the source of a spec error and exits 2', () => {
    const err = new SpecValidationError('unknown key "bogus"', 'sway.yaml');
    expect(err.message).toBe('sway.yaml: unknown key "bogus"');
    expect(err.exitCode).toBe(2);
    expect(err.code).toBe('SWAY_SPEC_INVALID');
    expect(isSwayError(err)).toBe(true);
    expect(err).toBeInstanceOf(SwayError);
  });

  it('names the probe in a probe error', () => {
    expect(new ProbeError('dk', 'boom').message).toBe("probe 'dk': boom");
    expect(isSwayError(new Error('x'))).toBe(false);
  });
});
