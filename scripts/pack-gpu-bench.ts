/**
 * `npx tsx scripts/pack-gpu-bench.ts [--out=dist/gpu-bench]`: packs the GPU check (bench/gpu.ts)
 * for a Linux x86-64 machine with a GPU but no network and no Node — such as the H200 device
 * machine some sessions are lent — as one file, dist/gpu-bench/towerflow-gpu.tar.xz (≈ 30–45 MiB):
 *
 *   towerflow-gpu/node                        this machine's Node binary (glibc ≥ 2.34 there too)
 *   towerflow-gpu/bench/gpu.mjs               bench/gpu.ts and everything it imports, one esbuild bundle
 *   towerflow-gpu/bench/peer/mmoe_torch.py    the PyTorch peer (run with --device cuda)
 *   towerflow-gpu/templates/mmoe.json         the graph the bench compiles
 *   towerflow-gpu/node_modules/webgpu/        Dawn's Node bindings: index.js and dawn.node for linux-x64
 *   towerflow-gpu/README.txt                  how to run it
 *
 * `webgpu` stays outside the bundle: its index.js loads dawn.node by a path beside itself.
 */
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const outArg = process.argv.find((a) => a.startsWith('--out='))?.slice('--out='.length);
const OUT = resolve(ROOT, outArg ?? 'dist/gpu-bench');
const PACK = join(OUT, 'towerflow-gpu');
const ARCHIVE = join(OUT, 'towerflow-gpu.tar.xz');
const PLATFORM = 'linux-x64';

const README = `Towerflow GPU check (bench/gpu.ts), packed by scripts/pack-gpu-bench.ts.

On a Linux x86-64 machine with a GPU, a Vulkan driver and no network:

  tar -xJf towerflow-gpu.tar.xz -C /tmp
  /tmp/towerflow-gpu/node /tmp/towerflow-gpu/bench/gpu.mjs --out=/tmp/gpu.json

Dawn reaches the GPU through Vulkan: it needs libvulkan.so.1 (Debian/Ubuntu package libvulkan1)
and the GPU's Vulkan driver (NVIDIA: the ICD file nvidia_icd.json of the driver; point
VK_DRIVER_FILES at it if the loader does not find it). Without them it says "Dawn found no GPU
adapter". PyTorch on CUDA is measured too where \`python3 -c "import torch"\` works (--python=PATH
for another interpreter; --no-peer to skip it). Options: see the comment at the top of bench/gpu.ts.
`;

async function main(): Promise<void> {
  if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error(`packs this machine's Node binary for ${PLATFORM}; this is ${process.platform}-${process.arch}`);
  const dawn = join(ROOT, 'node_modules/webgpu/dist', PLATFORM, 'dawn.node');
  await stat(dawn).catch(() => {
    throw new Error(`${relative(ROOT, dawn)} is missing: the optional package webgpu is not installed (npm install)`);
  });
  await rm(OUT, { recursive: true, force: true });
  await mkdir(join(PACK, 'bench/peer'), { recursive: true });

  await build({
    entryPoints: [join(ROOT, 'bench/gpu.ts')],
    outfile: join(PACK, 'bench/gpu.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // ES module builds first: jsonc-parser's CommonJS entry is a UMD wrapper whose require() of
    // its own files esbuild cannot follow.
    mainFields: ['module', 'main'],
    // The optional native tfjs packages are imported by names held in variables (never bundled);
    // webgpu is shipped beside the bundle because it finds dawn.node relative to its own file.
    external: ['webgpu', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'],
    // CommonJS dependencies call require() for Node's built-ins; an ES module bundle has none.
    banner: { js: "import { createRequire as __towerflowRequire } from 'node:module'; const require = __towerflowRequire(import.meta.url);" },
    logLevel: 'warning',
  });

  const copies: [string, string][] = [
    ['bench/peer/mmoe_torch.py', 'bench/peer/mmoe_torch.py'],
    ['templates/mmoe.json', 'templates/mmoe.json'],
    ['node_modules/webgpu/package.json', 'node_modules/webgpu/package.json'],
    ['node_modules/webgpu/index.js', 'node_modules/webgpu/index.js'],
    ['node_modules/webgpu/LICENSE.md', 'node_modules/webgpu/LICENSE.md'],
    [`node_modules/webgpu/dist/${PLATFORM}/dawn.node`, `node_modules/webgpu/dist/${PLATFORM}/dawn.node`],
  ];
  for (const [from, to] of copies) {
    await mkdir(dirname(join(PACK, to)), { recursive: true });
    await copyFile(join(ROOT, from), join(PACK, to));
  }
  await copyFile(process.execPath, join(PACK, 'node'));
  await writeFile(join(PACK, 'README.txt'), README);

  // xz at -6 with all cores: the Node binary is ~100 MB and shrinks about fourfold.
  const tar = spawnSync('tar', ['-cJf', ARCHIVE, '-C', OUT, 'towerflow-gpu'], { env: { ...process.env, XZ_OPT: '-6 -T0' }, stdio: 'inherit' });
  if (tar.status !== 0) throw new Error(`tar -cJf failed (exit ${tar.status})`);
  const size = (await stat(ARCHIVE)).size / 2 ** 20;
  console.log(`${relative(ROOT, ARCHIVE)}: ${size.toFixed(1)} MiB (Node ${process.version}, webgpu for ${PLATFORM})`);
  console.log(`unpacked in ${relative(ROOT, PACK)}/ (try it here: ${relative(ROOT, PACK)}/node ${relative(ROOT, PACK)}/bench/gpu.mjs --quick --allow-software)`);
  console.log(README);
}

main().catch((error: unknown) => {
  console.error(`pack-gpu-bench: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
