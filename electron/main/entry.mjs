// Entry of the Electron main process: loads the TypeScript shell through tsx, as bin/offpeak.mjs does.
import { register } from "tsx/esm/api";
register();
await import("./main.ts");
