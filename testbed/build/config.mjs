// Writes the workerd config (capnp) of one testbed process:
//   node build/config.mjs fleet ARCH PORT COMPUTE_PORT OUT   (the DOs of one architecture)
//   node build/config.mjs compute PORT OUT                   (the compute worker)
// The fleet process reaches the compute worker, a second workerd process,
// through an external service on loopback bound as COMPUTE.
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { dirname, join, relative, resolve } from "node:path";

const dist = join(dirname(fileURLToPath(import.meta.url)), "..", "dist");
// capnp embeds paths relative to the config file.
let D = dist;
const COMPAT = "2025-06-01";
const CLASS = { traditional: "TraditionalDO", hybrid: "HybridDO", thin: "ThinDO", lazy: "LazyDO" };
const BUNDLED = new Set(["traditional", "hybrid"]);

const pgliteModules = () => `
      (name = "pglite.wasm", wasm = embed "${D}/pglite.wasm"),
      (name = "initdb.wasm", wasm = embed "${D}/initdb.wasm"),
      (name = "pglite.data", data = embed "${D}/pglite.data"),
      (name = "datadir.tar", data = embed "${D}/datadir.tar"),`;

function fleet(arch, port, computePort) {
  const cls = CLASS[arch];
  if (!cls) throw new Error(`unknown architecture '${arch}' (expected one of ${Object.keys(CLASS).join(", ")})`);
  const bindings = [`(name = "COMPUTE", service = "compute")`, `(name = "DO", durableObjectNamespace = "${cls}")`];
  if (arch === "lazy") bindings.push(`(name = "BLOBS", service = "blobs")`);
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "fleet", worker = .fleetWorker),
    (name = "compute", external = (address = "127.0.0.1:${computePort}", http = ())),
    (name = "blobs", disk = (path = "${dist}", writable = false)),
  ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "fleet") ],
);
const fleetWorker :Workerd.Worker = (
  modules = [
      (name = "worker.js", esModule = embed "${D}/${arch}.js"),${BUNDLED.has(arch) ? pgliteModules() : ""}
  ],
  compatibilityDate = "${COMPAT}",
  bindings = [ ${bindings.join(", ")} ],
  durableObjectNamespaces = [ (className = "${cls}", uniqueKey = "dofleet-${arch}") ],
  durableObjectStorage = (inMemory = void),
);
`;
}

function compute(port) {
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "compute", worker = .computeWorker) ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "compute") ],
);
const computeWorker :Workerd.Worker = (
  modules = [
      (name = "worker.js", esModule = embed "${D}/compute.js"),${pgliteModules()}
  ],
  compatibilityDate = "${COMPAT}",
);
`;
}

const [kind, ...args] = process.argv.slice(2);
let text, out;
const relDist = (out) => relative(dirname(resolve(out)), dist) || ".";
if (kind === "fleet" && args.length === 4) {
  D = relDist(args[3]);
  text = fleet(args[0], Number(args[1]), Number(args[2]));
  out = args[3];
} else if (kind === "compute" && args.length === 2) {
  D = relDist(args[1]);
  text = compute(Number(args[0]));
  out = args[1];
} else {
  console.error("usage: config.mjs fleet ARCH PORT COMPUTE_PORT OUT | compute PORT OUT");
  process.exit(2);
}
await writeFile(out, text);
