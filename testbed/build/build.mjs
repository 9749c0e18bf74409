// Builds the testbed into dist/: one esbuild bundle per worker (Node
// built-ins aliased to an empty module, so PGLite takes its browser path
// without nodejs_compat), the PGLite artifacts copied beside them, and the
// database directory made once under Node (initdb cannot run in a DO).
import { build } from "esbuild";
import { PGlite } from "@electric-sql/pglite";
import { copyFile, mkdir, writeFile, stat } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");
const pgliteDist = join(root, "node_modules", "@electric-sql", "pglite", "dist");
const WORKERS = ["traditional", "hybrid", "thin", "lazy", "compute"];
const NODE_BUILTINS = [
  "fs", "fs/promises", "path", "url", "crypto", "module", "stream", "stream/promises",
  "zlib", "os", "child_process", "util", "worker_threads", "perf_hooks", "buffer",
];

await mkdir(dist, { recursive: true });
const empty = join(dist, "empty.js");
await writeFile(empty, "export default {};\n");
const alias = {};
for (const name of NODE_BUILTINS) {
  alias[name] = empty;
  alias[`node:${name}`] = empty;
}

for (const name of WORKERS) {
  await build({
    entryPoints: [join(root, "src", `${name}.js`)],
    outfile: join(dist, `${name}.js`),
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    alias,
    external: ["./pglite.wasm", "./initdb.wasm", "./pglite.data", "./datadir.tar"],
    logLevel: "warning",
  });
}

for (const file of ["pglite.wasm", "initdb.wasm", "pglite.data"]) {
  await copyFile(join(pgliteDist, file), join(dist, file));
}

// The database directory: made once (cached), with the table the query reads.
const tar = join(dist, "datadir.tar");
const exists = await stat(tar).then(() => true, () => false);
if (!exists) {
  const pg = await PGlite.create();
  await pg.exec(`
    CREATE TABLE items (k integer PRIMARY KEY, v text NOT NULL);
    INSERT INTO items SELECT g, md5(g::text) FROM generate_series(1, 1000) AS g;
  `);
  const blob = await pg.dumpDataDir("none");
  await writeFile(tar, Buffer.from(await blob.arrayBuffer()));
  await pg.close();
}

const sizes = {};
for (const file of [...WORKERS.map((w) => `${w}.js`), "pglite.wasm", "pglite.data", "datadir.tar"]) {
  sizes[file] = (await stat(join(dist, file))).size;
}
console.log(JSON.stringify({ built: dist, bytes: sizes }));
