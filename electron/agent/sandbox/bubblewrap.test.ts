import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bubblewrapArgs, bubblewrapLayout, describeBubblewrap, findGpuDevices, type BubblewrapLayout } from "./bubblewrap";

const layout: BubblewrapLayout = {
  system: [
    { path: "/usr", symlinkTo: null },
    { path: "/bin", symlinkTo: "usr/bin" },
    { path: "/lib", symlinkTo: "usr/lib" },
    { path: "/lib64", symlinkTo: "usr/lib64" },
  ],
  etcFiles: ["/etc/ld.so.cache"],
  binaryDirs: [],
  appRoot: "/home/ann/offpeak",
  modelDirs: ["/home/ann/.offpeak/models"],
  workerHome: "/home/ann/.offpeak/worker-home",
  gpuDevices: [],
  gpuReadOnly: [],
};

describe("bubblewrapArgs", () => {
  it("builds the exact command line of the worker: no network, cleared environment, only the needed folders", () => {
    const env = { PATH: "/home/ann/bin:/usr/bin", HOME: "/home/ann", LANG: "en_US.UTF-8", OFFPEAK_TOKEN: "secret", HTTPS_PROXY: "http://p", NODE_LLAMA_CPP_GPU: "false" };
    expect(bubblewrapArgs(layout, "/usr/bin/node", ["--import", "tsx", "/home/ann/offpeak/electron/worker/worker-main.ts"], { ipc: true, env })).toEqual([
      "--unshare-all",
      "--die-with-parent",
      "--new-session",
      "--cap-drop",
      "ALL",
      "--clearenv",
      "--setenv", "HOME", "/home/ann/.offpeak/worker-home",
      "--setenv", "PATH", "/usr/local/bin:/usr/bin:/bin",
      "--setenv", "TMPDIR", "/home/ann/.offpeak/worker-home/tmp",
      "--setenv", "LANG", "en_US.UTF-8",
      "--setenv", "NODE_LLAMA_CPP_GPU", "false",
      "--setenv", "NODE_CHANNEL_FD", "3",
      "--setenv", "NODE_CHANNEL_SERIALIZATION_MODE", "json",
      "--ro-bind", "/usr", "/usr",
      "--symlink", "usr/bin", "/bin",
      "--symlink", "usr/lib", "/lib",
      "--symlink", "usr/lib64", "/lib64",
      "--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache",
      "--proc", "/proc",
      "--dev", "/dev",
      "--tmpfs", "/tmp",
      "--ro-bind", "/home/ann/offpeak", "/home/ann/offpeak",
      "--bind", "/home/ann/.offpeak/worker-home", "/home/ann/.offpeak/worker-home",
      "--ro-bind", "/home/ann/.offpeak/models", "/home/ann/.offpeak/models",
      "/usr/bin/node", "--import", "tsx", "/home/ann/offpeak/electron/worker/worker-main.ts",
    ]);
  });

  it("leaves out the IPC variables for a process started without a channel", () => {
    const argv = bubblewrapArgs(layout, "/usr/bin/node", ["-e", "0"], { ipc: false });
    expect(argv.join(" ")).not.toContain("NODE_CHANNEL");
    expect(argv.slice(-3)).toEqual(["/usr/bin/node", "-e", "0"]);
  });

  it("passes the GPU through on NVIDIA machines, with /sys and driver config read-only", () => {
    const gpu: BubblewrapLayout = { ...layout, gpuDevices: ["/dev/dri", "/dev/nvidia-uvm", "/dev/nvidia0", "/dev/nvidiactl"], gpuReadOnly: ["/sys", "/etc/vulkan"] };
    const argv = bubblewrapArgs(gpu, "/usr/bin/node", [], { ipc: true }).join(" ");
    expect(argv).toContain("--dev /dev --tmpfs /tmp --dev-bind /dev/dri /dev/dri --dev-bind /dev/nvidia-uvm /dev/nvidia-uvm --dev-bind /dev/nvidia0 /dev/nvidia0 --dev-bind /dev/nvidiactl /dev/nvidiactl --ro-bind /sys /sys --ro-bind /etc/vulkan /etc/vulkan");
    expect(describeBubblewrap(gpu)).toContain("GPU devices passed through (/dev/dri, /dev/nvidia-uvm, /dev/nvidia0, /dev/nvidiactl)");
    expect(describeBubblewrap(layout)).toContain("no GPU devices passed through");
  });

  it("binds the folder of a Node that lives outside the system folders, read-only", () => {
    const argv = bubblewrapArgs(layout, "/home/ann/.nvm/versions/node/v20/bin/node", ["x.js"], { ipc: true });
    expect(argv.join(" ")).toContain("--ro-bind /home/ann/.nvm/versions/node/v20/bin /home/ann/.nvm/versions/node/v20/bin");
    expect(argv[argv.indexOf("PATH") + 1]).toBe("/home/ann/.nvm/versions/node/v20/bin:/usr/local/bin:/usr/bin:/bin");
  });

  it("keeps a model folder inside the worker home read-only (mounted after the home)", () => {
    const nested: BubblewrapLayout = { ...layout, modelDirs: ["/home/ann/.offpeak/worker-home/models"] };
    const argv = bubblewrapArgs(nested, "/usr/bin/node", [], { ipc: true });
    expect(argv.lastIndexOf("/home/ann/.offpeak/worker-home/models")).toBeGreaterThan(argv.lastIndexOf("/home/ann/.offpeak/worker-home"));
    expect(argv[argv.indexOf("/home/ann/.offpeak/worker-home/models") - 1]).toBe("--ro-bind");
  });

  it("keeps a worker home inside a model folder (or the app) writable (mounted after its parent)", () => {
    const nested: BubblewrapLayout = { ...layout, modelDirs: ["/srv/run"], workerHome: "/srv/run/node/worker-home" };
    const argv = bubblewrapArgs(nested, "/usr/bin/node", [], { ipc: true });
    const home = argv.indexOf("--bind");
    expect(argv[home + 1]).toBe("/srv/run/node/worker-home");
    expect(argv.indexOf("/srv/run")).toBeLessThan(home);
  });
});

describe("bubblewrapLayout and findGpuDevices", () => {
  let dir = "";
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "offpeak-bwrap-layout-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("finds NVIDIA device nodes and the DRI folder, and nothing on a machine without them", async () => {
    const dev = join(dir, "dev");
    await mkdir(join(dev, "dri"), { recursive: true });
    for (const name of ["nvidia0", "nvidiactl", "nvidia-uvm", "null", "tty0"]) await writeFile(join(dev, name), "");
    expect(findGpuDevices(dev)).toEqual([join(dev, "dri"), join(dev, "nvidia-uvm"), join(dev, "nvidia0"), join(dev, "nvidiactl")]);
    expect(findGpuDevices(join(dir, "no-such-dev"))).toEqual([]);
  });

  it("describes this machine: system folders (symlinks kept as symlinks), resolved app, model and home folders", async () => {
    const app = join(dir, "app");
    const models = join(dir, "models");
    const home = join(dir, "home");
    const nodeDir = join(dir, "node-bin");
    for (const path of [app, models, home, nodeDir]) await mkdir(path, { recursive: true });
    await writeFile(join(nodeDir, "node"), "");
    const found = bubblewrapLayout({ appRoot: app, modelDirs: [models], workerHome: home, nodeBinary: join(nodeDir, "node"), gpuDevices: [] });
    expect(found.system.find((mount) => mount.path === "/usr")).toEqual({ path: "/usr", symlinkTo: null });
    expect(found.appRoot).toBe(realpathSync(app));
    expect(found.modelDirs).toEqual([realpathSync(models)]);
    expect(found.workerHome).toBe(realpathSync(home));
    expect(found.binaryDirs).toEqual([realpathSync(nodeDir)]);
    expect(found.gpuReadOnly).toEqual([]);
    // A Node inside the system folders needs no extra mount.
    const system = bubblewrapLayout({ appRoot: app, modelDirs: [], workerHome: home, nodeBinary: process.execPath, gpuDevices: [] });
    expect(system.binaryDirs.length).toBe(process.execPath.startsWith("/usr/") ? 0 : 1);
  });
});
