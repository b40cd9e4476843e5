/** The browser specs' global setup: reserves the renderer build folder they share. */
import { reserveRendererBuild } from "./renderer-build";

// Playwright loads a global setup file's default export; what it returns runs as the teardown.
// eslint-disable-next-line no-restricted-exports
export default reserveRendererBuild;
