// The PGLite artifacts, bound as workerd modules by the generated config
// (Wasm modules compiled by workerd at startup, data modules as ArrayBuffer).
import pgliteWasm from "./pglite.wasm";
import initdbWasm from "./initdb.wasm";
import pgliteData from "./pglite.data";
import dataDir from "./datadir.tar";

export const modules = { pgliteWasm, initdbWasm, pgliteData, dataDir };
