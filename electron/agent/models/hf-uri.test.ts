import { describe, expect, it } from "vitest";
import { ModelRefError, parseHfUri, resolveModelRef } from "./hf-uri";

describe("model references", () => {
  it("maps hf: references to Hugging Face resolve URLs", () => {
    expect(resolveModelRef("hf:bartowski/Llama-3.2-1B-Instruct-GGUF/Llama-3.2-1B-Instruct-Q4_K_M.gguf")).toEqual({
      url: "https://huggingface.co/bartowski/Llama-3.2-1B-Instruct-GGUF/resolve/main/Llama-3.2-1B-Instruct-Q4_K_M.gguf",
      fileName: "Llama-3.2-1B-Instruct-Q4_K_M.gguf",
    });
    expect(parseHfUri("hf:owner/repo/sub dir/model q4.gguf").url).toBe("https://huggingface.co/owner/repo/resolve/main/sub%20dir/model%20q4.gguf");
  });

  it("uses the given base URL for hf: references", () => {
    expect(resolveModelRef("hf:o/r/m.gguf", "http://127.0.0.1:4567/").url).toBe("http://127.0.0.1:4567/o/r/resolve/main/m.gguf");
    expect(() => resolveModelRef("hf:o/r/m.gguf", "http://example.com")).toThrow(/must be https/);
  });

  it("accepts https URLs and local http URLs, naming the file after the URL", () => {
    expect(resolveModelRef("https://example.com/models/x%20y.gguf?download=1")).toEqual({
      url: "https://example.com/models/x%20y.gguf?download=1",
      fileName: "x y.gguf",
    });
    expect(resolveModelRef("http://localhost:8080/a.gguf").fileName).toBe("a.gguf");
  });

  it.each([
    ["http://example.com/a.gguf", /https:\/\/ only/],
    ["ftp://example.com/a.gguf", /https:\/\/ only/],
    ["llama", /neither a catalog model nor a URL/],
    ["hf:owner/repo", /needs an owner, a repository and a file/],
    ["hf:owner/repo/model.bin", /does not name a \.gguf file/],
    ["hf:owner/repo/../secret.gguf", /invalid file path/],
    ["hf:own er/repo/m.gguf", /invalid owner/],
    ["https://example.com/", /does not name a usable file/],
    ["https://example.com/%2e%2e%2fevil.gguf", /does not name a usable file/],
    ["https://user:pw@example.com/a.gguf", /user name or password/],
  ])("refuses %s", (ref, message) => {
    expect(() => resolveModelRef(ref)).toThrow(ModelRefError);
    expect(() => resolveModelRef(ref)).toThrow(message);
  });
});
