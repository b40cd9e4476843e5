/**
 * Model references people type: `hf:<owner>/<repo>/<path/to/file.gguf>` (a file of a Hugging
 * Face repository) or an https:// URL of a GGUF file. Both resolve to the URL to download and the
 * file name the model gets in the models folder.
 */

/** Where `hf:` references point unless another base URL is given. */
export const HF_BASE_URL = "https://huggingface.co";

/** A model reference resolved to what the downloader needs. */
export interface ResolvedModelRef {
  /** The URL to download. */
  readonly url: string;
  /** The file name in the models folder (always ends with `.gguf`). */
  readonly fileName: string;
}

/** A model reference that cannot be used; the message says why and what is accepted. */
export class ModelRefError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ModelRefError";
  }
}

const ACCEPTED = 'expected "hf:<owner>/<repo>/<file>.gguf" or an https:// URL of a .gguf file';
const HF_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const LOCAL_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** True when `url` may be downloaded from: https anywhere, http only on this machine. */
export function isAllowedDownloadUrl(url: URL): boolean {
  if (url.protocol === "https:") return true;
  return url.protocol === "http:" && LOCAL_HOSTS.has(url.hostname);
}

/** Checks that `name` is a plain `.gguf` file name (no folders, not hidden); returns it. */
export function checkModelFileName(name: string, ref: string): string {
  if (name === "" || name.includes("/") || name.includes("\\") || name.includes("\0") || name.startsWith(".")) {
    throw new ModelRefError(`"${ref}" does not name a usable file (got "${name}"); ${ACCEPTED}`);
  }
  if (!name.toLowerCase().endsWith(".gguf")) {
    throw new ModelRefError(`"${ref}" does not name a .gguf file (got "${name}"); ${ACCEPTED}`);
  }
  return name;
}

function normaliseBaseUrl(baseUrl: string): string {
  let parsed: URL;
  try {
    parsed = new URL(baseUrl);
  } catch {
    throw new ModelRefError(`the Hugging Face base URL "${baseUrl}" is not a URL`);
  }
  if (!isAllowedDownloadUrl(parsed)) {
    throw new ModelRefError(`the Hugging Face base URL "${baseUrl}" must be https:// (or http:// on 127.0.0.1 or localhost)`);
  }
  return parsed.href.replace(/\/+$/, "");
}

/** Maps `hf:<owner>/<repo>/<path/to/file.gguf>` to `<base>/<owner>/<repo>/resolve/main/<path>`. */
export function parseHfUri(uri: string, baseUrl: string = HF_BASE_URL): ResolvedModelRef {
  if (!uri.startsWith("hf:")) throw new ModelRefError(`"${uri}" is not an hf: reference; ${ACCEPTED}`);
  const parts = uri.slice(3).split("/");
  if (parts.length < 3) {
    throw new ModelRefError(`"${uri}" needs an owner, a repository and a file: "hf:<owner>/<repo>/<file>.gguf"`);
  }
  const [owner, repo, ...path] = parts as [string, string, ...string[]];
  for (const [what, value] of [["owner", owner], ["repository", repo]] as const) {
    if (!HF_NAME.test(value)) throw new ModelRefError(`"${uri}" has an invalid ${what} "${value}" (letters, digits, ".", "_" and "-" only)`);
  }
  for (const segment of path) {
    if (segment === "" || segment === "." || segment === ".." || segment.includes("\\") || segment.includes("\0")) {
      throw new ModelRefError(`"${uri}" has an invalid file path "${path.join("/")}"`);
    }
  }
  const fileName = checkModelFileName(path[path.length - 1] ?? "", uri);
  const encodedPath = path.map((segment) => encodeURIComponent(segment)).join("/");
  return { url: `${normaliseBaseUrl(baseUrl)}/${owner}/${repo}/resolve/main/${encodedPath}`, fileName };
}

/** Resolves an `hf:` reference or a download URL; throws {@link ModelRefError} for anything else. */
export function resolveModelRef(ref: string, hfBaseUrl: string = HF_BASE_URL): ResolvedModelRef {
  const trimmed = ref.trim();
  if (trimmed.startsWith("hf:")) return parseHfUri(trimmed, hfBaseUrl);
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw new ModelRefError(`"${ref}" is neither a catalog model nor a URL; ${ACCEPTED}`);
  }
  if (!isAllowedDownloadUrl(url)) {
    throw new ModelRefError(`"${ref}" is refused: models are downloaded over https:// only (http:// only from 127.0.0.1 or localhost)`);
  }
  if (url.username !== "" || url.password !== "") throw new ModelRefError(`"${ref}" is refused: URLs with a user name or password are not accepted`);
  const lastSegment = url.pathname.split("/").pop() ?? "";
  let fileName: string;
  try {
    fileName = decodeURIComponent(lastSegment);
  } catch {
    throw new ModelRefError(`"${ref}" has a badly encoded file name "${lastSegment}"`);
  }
  return { url: url.href, fileName: checkModelFileName(fileName, ref) };
}
