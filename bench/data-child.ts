/**
 * One step of the data bench in its own process (bench/data-ready.ts runStep): forked by
 * bench/data-bench.ts, it sends its StepResult to the parent; run by hand it prints it as JSON,
 * which is how the reader is profiled:
 *
 *   node --import tsx --cpu-prof --cpu-prof-dir=/tmp/prof bench/data-child.ts ready FILE
 *   npx tsx bench/cpuprofile-top.ts /tmp/prof/*.cpuprofile
 */
import * as tf from '@tensorflow/tfjs';
import { DATA_MODES, runStep, type DataMode } from './data-ready';

// Silences tfjs's "install tfjs-node" banner (the step compiles the MMoE template): noise in a report.
tf.env().set('PROD', true);

async function main(): Promise<void> {
  const [mode, file] = process.argv.slice(2);
  if (!file || !DATA_MODES.includes(mode as DataMode)) {
    console.error(`usage: data-child.ts ${DATA_MODES.join('|')} FILE`);
    process.exitCode = 2;
    return;
  }
  const result = await runStep(mode as DataMode, file);
  if (process.send) process.send(result, () => process.disconnect());
  else console.log(JSON.stringify(result));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exitCode = 1;
});
