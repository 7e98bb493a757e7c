import { DummyDifferentialBackend } from '../../src/backends/dummy.js';
import { runBackendContract } from './contract.js';

runBackendContract('dummy', async () => new DummyDifferentialBackend({ identity: 'dummy:contract' }), ['a prompt', 'another prompt'], 0);
