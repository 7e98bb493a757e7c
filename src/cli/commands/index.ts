/**
 * The list of commands. Each module exports a `register(program)` that adds one command
 * (with its --help text and examples) to the program. Keep this list sorted by name.
 */
import type { Command } from 'commander';
import { register as registerAutogen } from './autogen.js';
import { register as registerCheck } from './check.js';
import { register as registerCompare } from './compare.js';
import { register as registerConvertAdapter } from './convert-adapter.js';
import { register as registerDemo } from './demo.js';
import { register as registerDiff } from './diff.js';
import { register as registerDoctor } from './doctor.js';
import { register as registerGate } from './gate.js';
import { register as registerListProbes } from './list-probes.js';
import { register as registerMine } from './mine.js';
import { register as registerPack } from './pack.js';
import { register as registerReport } from './report.js';
import { register as registerRun } from './run.js';
import { register as registerSchema } from './schema.js';
import { register as registerFixture } from './fixture.js';
import { register as registerScore } from './score.js';
import { register as registerServe } from './serve.js';
import { register as registerTrace } from './trace.js';
import { register as registerVersionInfo } from './version-info.js';
import { register as registerWatch } from './watch.js';

export type RegisterCommand = (program: Command) => void;

export const COMMANDS: RegisterCommand[] = [
  registerAutogen,
  registerCheck,
  registerCompare,
  registerConvertAdapter,
  registerDemo,
  registerDiff,
  registerDoctor,
  registerFixture,
  registerGate,
  registerListProbes,
  registerMine,
  registerPack,
  registerReport,
  registerRun,
  registerSchema,
  registerScore,
  registerServe,
  registerTrace,
  registerVersionInfo,
  registerWatch,
];
