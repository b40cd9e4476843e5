/**
 * What a command reads from its standard input: a piped text to its end, or a line typed at the
 * terminal — with the typing hidden for a secret such as a backup phrase.
 */

/** The command's standard input (tests pass their own). */
export interface CommandInput {
  readonly isTTY: boolean;
  /** The whole piped input (at most `maxBytes`), for a non-terminal stdin. */
  readAll(maxBytes: number): Promise<string>;
  /** Shows `prompt` on stderr and reads one line typed at the terminal; `hidden` echoes nothing. */
  readLine(prompt: string, hidden: boolean): Promise<string>;
}

/** The process's stdin. */
export function processInput(stdin: NodeJS.ReadStream = process.stdin, stderr: NodeJS.WriteStream = process.stderr): CommandInput {
  return {
    isTTY: Boolean(stdin.isTTY),
    readAll(maxBytes) {
      return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        let size = 0;
        stdin.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) {
            stdin.destroy();
            reject(new Error(`the input is longer than ${maxBytes} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        stdin.once("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
        stdin.once("error", reject);
      });
    },
    readLine(prompt, hidden) {
      stderr.write(prompt);
      return new Promise((resolve, reject) => {
        let text = "";
        const raw = hidden && typeof stdin.setRawMode === "function";
        if (raw) stdin.setRawMode(true);
        stdin.setEncoding("utf8");
        const finish = (error: Error | null) => {
          stdin.off("data", onData);
          if (raw) stdin.setRawMode(false);
          stdin.pause();
          if (hidden) stderr.write("\n");
          if (error) reject(error);
          else resolve(text);
        };
        const onData = (chunk: string) => {
          for (const ch of chunk) {
            if (ch === "\r" || ch === "\n") return finish(null);
            if (ch === "\u0003" || ch === "\u0004") return finish(new Error("cancelled"));
            if (ch === "\u007f" || ch === "\b") text = text.slice(0, -1);
            else text += ch;
          }
        };
        stdin.on("data", onData);
        stdin.resume();
      });
    },
  };
}
