/**
 * One step of the data bench in its own process (bench/data-ready.ts runStep): forked by
 * bench/data-bench.ts, it sends its StepResult to the parent; run by hand it prints it as JSON,
 * which is how the reader is profiled (PROFILE: the timed step only, main thread, 100 µs sampling):
 *
 *   npx tsx bench/data-child.ts ready FILE --profile=/tmp/ready.cpuprofile
 *   npx tsx bench/cpuprofile-top.ts /tmp/ready.cpuprofile
 */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import * as tf from '@tensorflow/tfjs';
import { DATA_MODES, runStep, type DataMode } from './data-ready';

// Silences tfjs's "install tfjs-node" banner (the step compiles the MMoE template): noise in a report.
tf.env().set('PROD', true);

async function main(): Promise<void> {
  const [mode, file, ...rest] = process.argv.slice(2);
  const profile = rest.find((a) => a.startsWith('--profile='))?.slice('--profile='.length);
  if (!file || !DATA_MODES.includes(mode as DataMode)) {
    console.error(`usage: data-child.ts ${DATA_MODES.join('|')} FILE`);
    process.exitCode = 2;
    return;
  }
  const session = profile ? new Session() : undefined;
  const hooks = session && profile
    ? {
        before: async () => {
          session.connect();
          await session.post('Profiler.enable');
          await session.post('Profiler.setSamplingInterval', { interval: 100 });
          await session.post('Profiler.start');
        },
        after: async () => {
          const { profile: taken } = await session.post('Profiler.stop');
          await writeFile(profile, JSON.stringify(taken));
          session.disconnect();
        },
      }
    : undefined;
  const result = await runStep(mode as DataMode, file, hooks);
  if (process.send) process.send(result, () => process.disconnect());
  else console.log(JSON.stringify(result));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exitCode = 1;
});
