/**
 * A fake of the parts of the `electron` module the shell uses, for tests that run in plain Node
 * (the real module would try to download the Electron binary). Each call to
 * {@link createFakeElectron} gives an independent world: app events, windows, tray, menus, IPC,
 * utility processes.
 *
 * Use with `vi.mock("electron", () => fake.module)`.
 */
import { EventEmitter } from "node:events";
import { PassThrough } from "node:stream";

/** A menu item as the app built it (the template object itself). */
export interface FakeMenuItem {
  readonly id?: string;
  readonly label?: string;
  readonly type?: string;
  readonly enabled?: boolean;
  readonly checked?: boolean;
  readonly click?: (...args: unknown[]) => void;
}

/** An event object with preventDefault, as Electron passes to many listeners. */
export class FakeEvent {
  defaultPrevented = false;
  preventDefault(): void {
    this.defaultPrevented = true;
  }
}

/**
 * A utility process as `utilityProcess.fork` returns it. The test plays the child: `fromChild`
 * delivers a message to the parent, `exitChild` ends it; `received` holds what the parent posted.
 */
export class FakeUtilityProcess extends EventEmitter {
  readonly received: unknown[] = [];
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  pid: number | undefined;
  killCalls = 0;
  alive = true;
  constructor(
    readonly modulePath: string,
    readonly args: string[],
    readonly options: Record<string, unknown>,
    pid: number,
  ) {
    super();
    this.pid = pid;
  }
  postMessage(message: unknown): void {
    if (!this.alive) throw new Error("the utility process has exited");
    // Electron copies messages with the structured clone algorithm.
    this.received.push(structuredClone(message));
  }
  /** Like Electron: SIGTERM to the child; true if it was running. */
  kill(): boolean {
    this.killCalls += 1;
    if (!this.alive) return false;
    this.exitChild(143);
    return true;
  }
  /** Test helper: the child sends a message to the parent (`process.parentPort.postMessage`). */
  fromChild(message: unknown): void {
    this.emit("message", structuredClone(message));
  }
  /** Test helper: the child process ends with this exit code. */
  exitChild(code: number): void {
    if (!this.alive) return;
    this.alive = false;
    this.pid = undefined;
    this.stdout.end();
    this.stderr.end();
    this.emit("exit", code);
  }
}

/** Creates an isolated fake Electron. */
export function createFakeElectron(options: { singleInstanceLock?: boolean } = {}) {
  let nextWebContentsId = 1;
  const windows: FakeBrowserWindow[] = [];
  const trays: FakeTray[] = [];
  const utilityProcesses: FakeUtilityProcess[] = [];
  let nextUtilityPid = 40_000;
  const handlers = new Map<string, (event: unknown, ...args: unknown[]) => unknown>();
  const ipcListeners = new Map<string, Set<(event: unknown, ...args: unknown[]) => void>>();
  const exposed = new Map<string, unknown>();
  const rendererListeners = new Map<string, Set<(...args: unknown[]) => void>>();

  class FakeApp extends EventEmitter {
    quitCalls = 0;
    exitCode: number | null = null;
    private readyResolve: () => void = () => {};
    private readonly ready = new Promise<void>((resolve) => (this.readyResolve = resolve));
    /** Whether this instance gets the single-instance lock. */
    lockAvailable = options.singleInstanceLock ?? true;
    requestSingleInstanceLock(): boolean {
      return this.lockAvailable;
    }
    whenReady(): Promise<void> {
      return this.ready;
    }
    /** Test helper: Electron finished starting. */
    becomeReady(): void {
      this.readyResolve();
    }
    quit(): void {
      this.quitCalls += 1;
      const before = new FakeEvent();
      this.emit("before-quit", before);
      if (before.defaultPrevented) return;
      for (const window of [...windows]) window.close();
      const will = new FakeEvent();
      this.emit("will-quit", will);
    }
    exit(code = 0): void {
      this.exitCode = code;
    }
    getAppPath(): string {
      return process.cwd();
    }
    /** False like a run from source; tests of packaged behaviour set it. */
    isPackaged = false;
    version = "0.1.0";
    getVersion(): string {
      return this.version;
    }
    /** Folders `getPath` answers with; tests set them (e.g. to a temporary folder). */
    readonly paths: Record<string, string> = {};
    getPath(name: string): string {
      const found = this.paths[name];
      if (found === undefined) throw new Error(`fake app has no path '${name}'`);
      return found;
    }
    /** Every setLoginItemSettings call, in order; getLoginItemSettings answers with the last. */
    readonly loginItemCalls: Record<string, unknown>[] = [];
    setLoginItemSettings(settings: Record<string, unknown>): void {
      this.loginItemCalls.push(settings);
    }
    getLoginItemSettings(): { openAtLogin: boolean } {
      return { openAtLogin: Boolean(this.loginItemCalls.at(-1)?.openAtLogin) };
    }
  }
  const app = new FakeApp();

  class FakeWebContents extends EventEmitter {
    readonly id = nextWebContentsId++;
    readonly sent: { channel: string; args: unknown[] }[] = [];
    windowOpenHandler: ((details: { url: string }) => { action: string }) | null = null;
    destroyed = false;
    send(channel: string, ...args: unknown[]): void {
      this.sent.push({ channel, args });
    }
    setWindowOpenHandler(handler: (details: { url: string }) => { action: string }): void {
      this.windowOpenHandler = handler;
    }
    isDestroyed(): boolean {
      return this.destroyed;
    }
  }

  class FakeBrowserWindow extends EventEmitter {
    readonly webContents = new FakeWebContents();
    visible = false;
    minimized = false;
    focused = false;
    destroyed = false;
    loadedFile: string | null = null;
    constructor(readonly options: Record<string, unknown>) {
      super();
      windows.push(this);
    }
    async loadFile(file: string): Promise<void> {
      this.loadedFile = file;
      this.emit("ready-to-show");
    }
    show(): void {
      this.visible = true;
    }
    hide(): void {
      this.visible = false;
      this.focused = false;
    }
    focus(): void {
      this.focused = true;
    }
    isVisible(): boolean {
      return this.visible;
    }
    isMinimized(): boolean {
      return this.minimized;
    }
    minimize(): void {
      this.minimized = true;
    }
    restore(): void {
      this.minimized = false;
    }
    isDestroyed(): boolean {
      return this.destroyed;
    }
    /** Like clicking the window's close button: listeners may prevent it. */
    close(): void {
      if (this.destroyed) return;
      const event = new FakeEvent();
      this.emit("close", event);
      if (event.defaultPrevented) return;
      this.destroyed = true;
      this.webContents.destroyed = true;
      this.visible = false;
      this.emit("closed");
    }
  }

  class FakeTray extends EventEmitter {
    image: unknown;
    tooltip = "";
    menu: { items: FakeMenuItem[] } | null = null;
    destroyed = false;
    constructor(image: unknown) {
      super();
      this.image = image;
      trays.push(this);
    }
    setImage(image: unknown): void {
      this.image = image;
    }
    setToolTip(text: string): void {
      this.tooltip = text;
    }
    setContextMenu(menu: { items: FakeMenuItem[] }): void {
      this.menu = menu;
    }
    destroy(): void {
      this.destroyed = true;
    }
  }

  /**
   * `powerMonitor`: tests set `idleSeconds`, `onBatteryPower` and `thermalState`, and `fire` an
   * event ("suspend", "on-battery", "thermal-state-change", …) as the OS would.
   */
  class FakePowerMonitor extends EventEmitter {
    idleSeconds = 0;
    onBatteryPower = false;
    thermalState: "unknown" | "nominal" | "fair" | "serious" | "critical" = "unknown";
    getSystemIdleTime(): number {
      return this.idleSeconds;
    }
    isOnBatteryPower(): boolean {
      return this.onBatteryPower;
    }
    getCurrentThermalState(): string {
      return this.thermalState;
    }
    /** Test helper: the OS reports this power event. */
    fire(event: string, ...args: unknown[]): void {
      this.emit(event, ...args);
    }
  }
  const powerMonitor = new FakePowerMonitor();

  /** `powerSaveBlocker`: `blockers` holds the blockers started and not stopped, by id. */
  const blockers = new Map<number, string>();
  let nextBlockerId = 0;
  const powerSaveBlocker = {
    /** Every start call's type, in order. */
    startCalls: [] as string[],
    start(type: "prevent-app-suspension" | "prevent-display-sleep"): number {
      powerSaveBlocker.startCalls.push(type);
      const id = nextBlockerId++;
      blockers.set(id, type);
      return id;
    },
    stop(id: number): boolean {
      return blockers.delete(id);
    },
    isStarted(id: number): boolean {
      return blockers.has(id);
    },
  };

  /** `nativeTheme`: tests set `shouldUseDarkColors` and call `change()` as the OS would. */
  class FakeNativeTheme extends EventEmitter {
    shouldUseDarkColors = false;
    themeSource: "system" | "light" | "dark" = "system";
    /** Test helper: the OS switched to dark (true) or light. */
    change(dark: boolean): void {
      this.shouldUseDarkColors = dark;
      this.emit("updated");
    }
  }
  const nativeTheme = new FakeNativeTheme();

  /** Every Notification shown, oldest first. */
  const notifications: FakeNotification[] = [];
  class FakeNotification extends EventEmitter {
    static supported = true;
    static isSupported(): boolean {
      return FakeNotification.supported;
    }
    shown = false;
    constructor(readonly options: { title: string; body?: string; silent?: boolean }) {
      super();
    }
    show(): void {
      this.shown = true;
      notifications.push(this);
    }
    close(): void {}
  }

  /** `shell`: what the app asked the OS to reveal or open. */
  const shell = {
    shownItems: [] as string[],
    openedPaths: [] as string[],
    openedExternal: [] as string[],
    showItemInFolder(fullPath: string): void {
      shell.shownItems.push(fullPath);
    },
    async openPath(fullPath: string): Promise<string> {
      shell.openedPaths.push(fullPath);
      return "";
    },
    async openExternal(url: string): Promise<void> {
      shell.openedExternal.push(url);
    },
  };

  /** `session.defaultSession`: the handlers the app installed, for tests to call. */
  const defaultSession = {
    permissionRequestHandler: null as ((...args: unknown[]) => void) | null,
    permissionCheckHandler: null as ((...args: unknown[]) => boolean) | null,
    setPermissionRequestHandler(handler: ((...args: unknown[]) => void) | null): void {
      defaultSession.permissionRequestHandler = handler;
    },
    setPermissionCheckHandler(handler: ((...args: unknown[]) => boolean) | null): void {
      defaultSession.permissionCheckHandler = handler;
    },
  };

  const module = {
    app,
    nativeTheme,
    Notification: FakeNotification,
    shell,
    session: { defaultSession },
    BrowserWindow: FakeBrowserWindow,
    Tray: FakeTray,
    powerMonitor,
    powerSaveBlocker,
    utilityProcess: {
      fork(modulePath: string, args: string[] = [], options: Record<string, unknown> = {}): FakeUtilityProcess {
        const child = new FakeUtilityProcess(modulePath, args, options, nextUtilityPid++);
        utilityProcesses.push(child);
        return child;
      },
    },
    Menu: { buildFromTemplate: (template: FakeMenuItem[]) => ({ items: template }) },
    nativeImage: { createFromPath: (file: string) => ({ file, isEmpty: () => false }) },
    ipcMain: {
      handle(channel: string, handler: (event: unknown, ...args: unknown[]) => unknown): void {
        if (handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
        handlers.set(channel, handler);
      },
      removeHandler(channel: string): void {
        handlers.delete(channel);
      },
      /** `ipcMain.on` (the app uses `handle`; electron-store's constructor uses `on`). */
      on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): void {
        const set = ipcListeners.get(channel) ?? new Set();
        set.add(listener);
        ipcListeners.set(channel, set);
      },
      removeAllListeners(channel?: string): void {
        if (channel === undefined) ipcListeners.clear();
        else ipcListeners.delete(channel);
      },
    },
    contextBridge: {
      exposeInMainWorld(key: string, api: unknown): void {
        exposed.set(key, api);
      },
    },
    ipcRenderer: {
      invoke: async (channel: string, ...args: unknown[]) => {
        const handler = handlers.get(channel);
        if (!handler) throw new Error(`No handler registered for '${channel}'`);
        return handler({ sender: { id: -1 }, senderFrame: null }, ...args);
      },
      on(channel: string, listener: (...args: unknown[]) => void) {
        const set = rendererListeners.get(channel) ?? new Set();
        set.add(listener);
        rendererListeners.set(channel, set);
      },
      removeListener(channel: string, listener: (...args: unknown[]) => void) {
        rendererListeners.get(channel)?.delete(listener);
      },
    },
  };

  return {
    module,
    app,
    nativeTheme,
    notifications,
    shell,
    defaultSession,
    windows,
    trays,
    powerMonitor,
    powerSaveBlocker,
    /** Power-save blockers held now (id → type). */
    blockers,
    /** Every utility process forked, oldest first. */
    utilityProcesses,
    exposed,
    /** Calls an ipcMain handler as if a renderer with this sender and frame URL invoked it. */
    invoke(channel: string, sender: { webContentsId: number; frameUrl: string; subframe?: boolean }, ...args: unknown[]): Promise<unknown> {
      const handler = handlers.get(channel);
      if (!handler) throw new Error(`No handler registered for '${channel}'`);
      const event = {
        sender: { id: sender.webContentsId },
        senderFrame: { url: sender.frameUrl, parent: sender.subframe ? {} : null },
      };
      return Promise.resolve(handler(event, ...args));
    },
    /** Delivers a message on the renderer side, as main's webContents.send would. */
    sendToRenderer(channel: string, ...args: unknown[]): void {
      for (const listener of rendererListeners.get(channel) ?? []) listener({}, ...args);
    },
    handlerChannels: () => [...handlers.keys()],
    /** Channels with an `ipcMain.on` listener. */
    listenerChannels: () => [...ipcListeners.entries()].filter(([, set]) => set.size > 0).map(([channel]) => channel),
  };
}

export type FakeElectron = ReturnType<typeof createFakeElectron>;
