/**
 * Test support: a throwaway Secret Service, so keychain tests run against the real thing on
 * Linux without touching the developer's own keyring. It starts a private D-Bus session bus (its
 * own config: nothing is auto-started on it) and a gnome-keyring-daemon on that bus, with an
 * unlocked login collection in a temporary home. Needs the Debian packages gnome-keyring and
 * dbus-x11 (which brings dbus-daemon and dbus-send).
 *
 * Point the keychain library at it with `process.env.DBUS_SESSION_BUS_ADDRESS = service.address`
 * (the library reads it each time an entry is made), or pass `service.env` to a child process.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The login collection gnome-keyring makes with `--unlock`. */
export const LOGIN_COLLECTION = "/org/freedesktop/secrets/collection/login";

export interface SecretService {
  /** DBUS_SESSION_BUS_ADDRESS of the private bus. */
  readonly address: string;
  /** The environment a child process needs to use this Secret Service. */
  readonly env: Readonly<Record<string, string>>;
  /** Locks the login collection (as a screen lock or `secret-tool lock` would). */
  lock(): Promise<void>;
  /** Stops the keyring daemon: the bus stays, with no Secret Service on it. */
  stopKeyring(): Promise<void>;
  /** Stops both daemons and deletes the temporary home. */
  close(): Promise<void>;
}

function busConfig(socket: string): string {
  return `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=${socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`;
}

async function dbusSend(env: NodeJS.ProcessEnv, args: string[]): Promise<string> {
  const { stdout } = await run("dbus-send", ["--session", "--print-reply", ...args], { env, timeout: 10_000 });
  return stdout;
}

async function hasSecretService(env: NodeJS.ProcessEnv): Promise<boolean> {
  const reply = await dbusSend(env, [
    "--dest=org.freedesktop.DBus",
    "/org/freedesktop/DBus",
    "org.freedesktop.DBus.NameHasOwner",
    "string:org.freedesktop.secrets",
  ]).catch(() => "");
  return reply.includes("boolean true");
}

/** Starts the bus and the keyring; resolves once the Secret Service answers. */
export async function startSecretService(password = "offpeak-test"): Promise<SecretService> {
  const root = await mkdtemp(join(tmpdir(), "offpeak-keyring-"));
  const home = join(root, "home");
  const runtime = join(root, "run");
  await mkdir(home, { mode: 0o700 });
  await mkdir(runtime, { mode: 0o700 });
  const configFile = join(root, "bus.conf");
  await writeFile(configFile, busConfig(join(root, "bus")));

  let busPid: number | null = null;
  let keyring: ChildProcess | null = null;
  const close = async () => {
    if (keyring && keyring.exitCode === null && keyring.signalCode === null) {
      const exited = new Promise((resolve) => keyring?.once("exit", resolve));
      keyring.kill("SIGTERM");
      await exited;
    }
    if (busPid !== null) {
      try {
        process.kill(busPid, "SIGTERM");
      } catch {
        // already gone
      }
    }
    await rm(root, { recursive: true, force: true });
  };

  try {
    const started = await run("dbus-daemon", [`--config-file=${configFile}`, "--fork", "--print-address=1", "--print-pid=1"], { timeout: 10_000 });
    const [address, pid] = started.stdout.trim().split("\n");
    if (!address || !pid) throw new Error(`dbus-daemon printed no address and pid: ${started.stdout}`);
    busPid = Number(pid);
    const env = {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: home,
      XDG_RUNTIME_DIR: runtime,
      XDG_DATA_HOME: join(home, ".local", "share"),
      XDG_CONFIG_HOME: join(home, ".config"),
      DBUS_SESSION_BUS_ADDRESS: address,
    };
    keyring = spawn("gnome-keyring-daemon", ["--foreground", "--unlock", "--components=secrets"], { env, stdio: ["pipe", "ignore", "pipe"] });
    let stderr = "";
    keyring.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const spawnError = new Promise<never>((_, reject) => keyring?.once("error", reject));
    spawnError.catch(() => undefined);
    keyring.stdin?.end(password);
    for (let attempt = 0; !(await Promise.race([hasSecretService(env), spawnError])); attempt++) {
      if (attempt >= 100 || keyring.exitCode !== null) throw new Error(`gnome-keyring-daemon did not start: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const child = keyring;
    return {
      address,
      env,
      async lock() {
        await dbusSend(env, ["--dest=org.freedesktop.secrets", "/org/freedesktop/secrets", "org.freedesktop.Secret.Service.Lock", `array:objpath:${LOGIN_COLLECTION}`]);
      },
      async stopKeyring() {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      },
      close,
    };
  } catch (error) {
    await close();
    throw new Error(`cannot start a Secret Service for the keychain tests (needs the gnome-keyring and dbus-x11 packages): ${(error as Error).message}`);
  }
}
