// Lazy WASM: no WASM in the bundle. The constructor fetches pglite.wasm from
// a local stand-in for the Cache API / R2 (a workerd disk service) and calls
// WebAssembly.compile, which the embedder blocks at request time; the DO then
// delegates every request for the rest of its life (the seed's "permanent
// delegation"). Requests before the outcome are delegated too.
import { Counters, repeatOf, delegate, router } from "./common.js";

export class LazyDO {
  constructor(ctx, env) {
    this.env = env;
    this.counters = new Counters();
    this.state = "loading_from_r2";
    this.loading = this.load();
    ctx.waitUntil?.(this.loading);
  }
  async load() {
    const t0 = Date.now();
    try {
      const res = await this.env.BLOBS.fetch("http://blobs.invalid/pglite.wasm");
      const bytes = await res.arrayBuffer();
      this.fetchMs = Date.now() - t0;
      this.state = "compiling";
      await WebAssembly.compile(bytes);
      this.state = "ready"; // never reached on workerd: compilation is blocked
    } catch (err) {
      this.state = "failed";
      this.error = String(err).slice(0, 200);
    }
  }
  async fetch(request) {
    const headers = this.counters.next(request);
    headers["x-lazy-state"] = this.state;
    if (this.state === "failed" && !this.errorReported) {
      headers["x-lazy-error"] = this.error;
      headers["x-lazy-fetch-ms"] = String(this.fetchMs ?? "");
      this.errorReported = true;
    }
    const d = await delegate(this.env, request, repeatOf(request));
    return new Response(d.body, { status: d.status, headers: { ...headers, ...d.headers } });
  }
}

export default router("DO");
