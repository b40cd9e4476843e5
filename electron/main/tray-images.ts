/**
 * Which tray image to show: one per node activity, drawn three ways. On macOS a template image
 * (black and alpha only, its name ending in "Template" so macOS tints it for a light or dark menu
 * bar and for the highlighted state); on Windows and Linux a coloured image in a light-theme or
 * a dark-theme variant, chosen by `nativeTheme.shouldUseDarkColors`. Every image has an @2x
 * sibling that Electron picks on high-density screens.
 */
import { nodeActivitySchema, type NodeActivity } from "../../shared/control-api";

/** The three drawings of each state. */
export type TrayImageVariant = "template" | "light" | "dark";
export const TRAY_IMAGE_VARIANTS: readonly TrayImageVariant[] = ["template", "light", "dark"];
/** Every state the tray can show. */
export const TRAY_STATES: readonly NodeActivity[] = nodeActivitySchema.options;

/** What decides the drawing: the OS, and whether its theme is dark (ignored on macOS). */
export interface TrayAppearance {
  readonly platform: NodeJS.Platform;
  readonly dark: boolean;
}

/** The drawing for an OS and theme. */
export function trayImageVariant(appearance: TrayAppearance): TrayImageVariant {
  if (appearance.platform === "darwin") return "template";
  return appearance.dark ? "dark" : "light";
}

/** The file name (in resources/tray) of one state's drawing at 1x ("tray-earningTemplate.png", "tray-paused-dark.png"). */
export function trayImageName(activity: NodeActivity, variant: TrayImageVariant): string {
  return variant === "template" ? `tray-${activity}Template.png` : `tray-${activity}-${variant}.png`;
}

/** The file of the image for an activity (null while the agent starts: "connecting"). */
export function trayImageFile(activity: NodeActivity | null, appearance: TrayAppearance): string {
  return trayImageName(activity ?? "connecting", trayImageVariant(appearance));
}

/** The @2x sibling of a 1x file name. */
export function retinaName(file: string): string {
  return file.replace(/\.png$/, "@2x.png");
}
