/**
 * Reads one CSV file with readAll and sends the result to the parent (bench/csv-ingest.ts
 * readIsolated). A fresh process, so process.resourceUsage().maxRSS measures this read alone,
 * not the CSV generation or the tfjs models of the parent.
 */
import { readAll } from './csv-ingest';

async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file || !process.send) {
    console.error('usage: forked by bench/csv-ingest.ts with the CSV file as its only argument');
    process.exitCode = 2;
    return;
  }
  const result = await readAll(file);
  process.send(result, () => process.disconnect());
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exitCode = 1;
});
