// Thin State: no WASM in the DO; every query is delegated.
import { Counters, repeatOf, delegate, router } from "./common.js";

export class ThinDO {
  constructor(ctx, env) {
    this.env = env;
    this.counters = new Counters();
  }
  async fetch(request) {
    const headers = this.counters.next(request);
    const d = await delegate(this.env, request, repeatOf(request));
    return new Response(d.body, { status: d.status, headers: { ...headers, ...d.headers } });
  }
}

export default router("DO");
