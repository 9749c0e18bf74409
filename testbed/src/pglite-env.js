// Everything PGLite needs to run inside a workerd isolate (TESTBED.md,
// "What PGLite needs"): a `location` for Emscripten, the Wasm trampolines
// that PGLite's addFunction() compiles at request time precompiled at top
// level (the only moment workerd allows compilation), and the start
// parameters that let the DO idle and be evicted.
globalThis.location ??= new URL("https://pglite.invalid/dist/");

const RealModule = WebAssembly.Module;
const trampolines = new Map();
const TYPE_CODE = { i: 127, p: 127, j: 126, f: 125, d: 124 };

// Emscripten's uleb128EncodeWithLen: the length always in two bytes.
const withLength = (bytes) => [(bytes.length % 128) | 128, bytes.length >> 7, ...bytes];

// The bytes Emscripten's convertJsFunctionToWasm builds for signature `sig`
// (return type first, "v" for none).
function trampolineBytes(sig) {
  const params = [...sig.slice(1)].map((t) => TYPE_CODE[t]);
  const results = sig[0] === "v" ? [] : [TYPE_CODE[sig[0]]];
  return Uint8Array.of(
    0, 97, 115, 109, 1, 0, 0, 0,
    1, ...withLength([1, 96, ...withLength(params), ...withLength(results)]),
    2, 7, 1, 1, 101, 1, 102, 0, 0,
    7, 5, 1, 1, 102, 0, 0,
  );
}

// Every signature of up to four i32/i64 parameters returning void, i32 or
// i64: a superset of the ones PGLite 0.5 passes to addFunction.
function allSignatures() {
  const sigs = [];
  let params = [""];
  for (let n = 0; n <= 4; n++) {
    for (const ret of "vij") for (const p of params) sigs.push(ret + p);
    params = params.flatMap((p) => [p + "i", p + "j"]);
  }
  return sigs;
}
for (const sig of allSignatures()) {
  const bytes = trampolineBytes(sig);
  trampolines.set(bytes.join(","), new RealModule(bytes));
}

function CachingModule(bytes, ...rest) {
  if (bytes && bytes.length < 64) {
    const cached = trampolines.get(Array.from(new Uint8Array(bytes.buffer ?? bytes)).join(","));
    if (cached) return cached;
    console.error("pglite-env: trampoline not precompiled:", Array.from(bytes).join(","));
  }
  return new RealModule(bytes, ...rest);
}
CachingModule.prototype = RealModule.prototype;
CachingModule.exports = RealModule.exports;
CachingModule.imports = RealModule.imports;
CachingModule.customSections = RealModule.customSections;
WebAssembly.Module = CachingModule;

import { PGlite } from "@electric-sql/pglite";

const BASE_PARAMS = [
  "--single", "-F", "-O", "-j",
  "-c", "search_path=public", "-c", "exit_on_error=false", "-c", "log_checkpoints=false",
  "-c", "max_worker_processes=0", "-c", "max_parallel_workers=0",
  "-c", "max_parallel_workers_per_gather=0", "-c", "io_method=sync",
  "-c", "max_parallel_maintenance_workers=0",
];
// Postgres' 10 s startup-progress timer re-arms for ever and would keep the
// DO from ever being idle; 16 MB of shared buffers halves a DO's memory.
export const START_PARAMS = [
  ...(PGlite.defaultStartParams ?? BASE_PARAMS),
  "-c", "log_startup_progress_interval=0",
  "-c", "shared_buffers=16MB",
];

// Starts PGLite from the bundled modules and the database directory made
// under Node at build time (initdb cannot run in a DO: it dlopens).
export async function createPglite(modules) {
  return PGlite.create({
    pgliteWasmModule: modules.pgliteWasm,
    initdbWasmModule: modules.initdbWasm,
    fsBundle: new Blob([modules.pgliteData]),
    loadDataDir: new Blob([modules.dataDir]),
    startParams: START_PARAMS,
  });
}
