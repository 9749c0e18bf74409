// The compute worker: stateless, PGLite bundled, started on its first query
// (its cold start), then serving every delegated query of the fleet.
import { createPglite } from "./pglite-env.js";
import { modules } from "./modules.js";
import { repeatOf, runQuery, reply } from "./common.js";

let pg = null;
let starting = null;

export default {
  async fetch(request) {
    if (new URL(request.url).pathname === "/ready") return new Response("ready\n");
    const headers = {};
    if (pg === null) {
      const t0 = Date.now();
      starting ??= createPglite(modules);
      pg = await starting;
      headers["x-compute-init-ms"] = String(Date.now() - t0);
    }
    const { rows, execMs } = await runQuery(pg, repeatOf(request));
    return reply(200, { ...headers, "x-exec-ms": String(execMs) }, rows);
  },
};
