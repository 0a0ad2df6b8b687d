// `pnpm lint:proto` and `pnpm breaking` (scripts/buf-breaking.sh), run in a scratch git repository holding a copy of
// proto/, pass on the protocol as it is and fail on seeded violations.
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const errorsProto = "proto/screenshare/v1/errors.proto";
let repo: string;

async function sh(command: string, ...args: string[]): Promise<{ ok: boolean; output: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(command, args, { cwd: repo });
    return { ok: true, output: stdout + stderr };
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    return { ok: false, output: stdout + stderr };
  }
}
const git = async (...args: string[]) => {
  const result = await sh("git", "-c", "user.name=test", "-c", "user.email=test@example.com", ...args);
  if (!result.ok) throw new Error(`git ${args.join(" ")}: ${result.output}`);
};
const breaking = () => sh("bash", "scripts/buf-breaking.sh");
const edit = (path: string, from: string, to: string) => {
  const text = readFileSync(join(repo, path), "utf8");
  if (!text.includes(from)) throw new Error(`${path} has no ${from}`);
  writeFileSync(join(repo, path), text.replace(from, to));
};
const narrowRetryDelay = () => edit(errorsProto, "uint64 retry_after_ms = 1;", "uint32 retry_after_ms = 1;");

describe("in a scratch repository", () => {
  beforeEach(async () => {
    repo = mkdtempSync(join(tmpdir(), "proto-tools-"));
    for (const path of ["proto", "scripts/buf-breaking.sh", "package.json"]) cpSync(join(root, path), join(repo, path), { recursive: true });
    symlinkSync(join(root, "node_modules"), join(repo, "node_modules"));
    writeFileSync(join(repo, ".gitignore"), "node_modules\n");
    await git("init", "--quiet", "--initial-branch=main");
    // Two commits, as in this repository: RetryDelay came after screenshare.v1 was first published.
    await git("add", ".", `:!${errorsProto}`);
    await git("commit", "--quiet", "-m", "v1");
    await git("add", ".");
    await git("commit", "--quiet", "-m", "error details");
  });

  afterEach(() => rmSync(repo, { recursive: true, force: true }));

  describe("pnpm lint:proto", () => {
    it("passes on proto/ and fails on a field without a comment", async () => {
      expect(await sh("pnpm", "run", "--silent", "lint:proto")).toMatchObject({ ok: true });
      edit(errorsProto, "  uint64 retry_after_ms = 1;\n", "  uint64 retry_after_ms = 1;\n  string uncommented = 2;\n");
      const lint = await sh("pnpm", "run", "--silent", "lint:proto");
      expect(lint.ok).toBe(false);
      expect(lint.output).toContain('Field "uncommented" should have a non-empty comment');
    });
  });

  describe("pnpm breaking", () => {
    it("passes when nothing changed and when a change is additive", async () => {
      expect(await breaking()).toMatchObject({ ok: true });
      edit(errorsProto, "  uint64 retry_after_ms = 1;\n", "  uint64 retry_after_ms = 1;\n  // Added.\n  string added = 2;\n");
      expect(await breaking()).toMatchObject({ ok: true });
    });

    it("fails on an uncommitted wire break with HEAD on main", async () => {
      narrowRetryDelay();
      const result = await breaking();
      expect(result.ok).toBe(false);
      expect(result.output).toContain('"retry_after_ms" on message "RetryDelay" changed type from "uint64" to "uint32"');
    });

    it("fails on an uncommitted change of a language option", async () => {
      edit(errorsProto, 'option java_package = "com.screenshare.v1";', 'option java_package = "com.example.v1";');
      expect(await breaking()).toMatchObject({ ok: false });
    });

    it("fails on a break committed on a branch, against main", async () => {
      await git("checkout", "--quiet", "-b", "feature");
      narrowRetryDelay();
      await git("commit", "--quiet", "-am", "narrow");
      const result = await breaking();
      expect(result.ok).toBe(false);
      expect(result.output).toMatch(/breaks main/);
    });

    it("passes on a branch that main has moved ahead of with an addition", async () => {
      await git("checkout", "--quiet", "-b", "feature");
      await git("checkout", "--quiet", "main");
      edit(errorsProto, "  uint64 retry_after_ms = 1;\n", "  uint64 retry_after_ms = 1;\n  // Added on main.\n  string added = 2;\n");
      await git("commit", "--quiet", "-am", "addition on main");
      await git("checkout", "--quiet", "feature");
      expect(await breaking()).toMatchObject({ ok: true });
    });

    it("fails on a break committed on main, against the latest release tag", async () => {
      await git("tag", "v1.0.0");
      narrowRetryDelay();
      await git("commit", "--quiet", "-am", "narrow");
      const result = await breaking();
      expect(result.ok).toBe(false);
      expect(result.output).toContain("is compatible with main");
      expect(result.output).toContain("breaks v1.0.0");
    });
  });
});

describe("language options", () => {
  // What buf's managed mode sets for package screenshare.v1 (go_package with the examples' module as prefix), so a
  // new file cannot ship without them and code generated with or without managed mode gets the same names.
  const pascal = (name: string) => name.replace(/(^|_)([a-z])/g, (_match, _sep, letter: string) => letter.toUpperCase());
  const files = readdirSync(join(root, "proto/screenshare/v1")).filter((name) => name.endsWith(".proto"));
  it.each(files)("%s has the options managed mode would set", (name) => {
    const text = readFileSync(join(root, "proto/screenshare/v1", name), "utf8");
    const options = Object.fromEntries([...text.matchAll(/^option (\w+) = (.+);$/gm)].map(([, option, value]) => [option, value]));
    expect(options).toEqual({
      csharp_namespace: '"Screenshare.V1"',
      go_package: '"github.com/screenshare-protocol/screenshare/examples/go/gen/screenshare/v1;screensharev1"',
      java_multiple_files: "true",
      java_outer_classname: `"${pascal(name.replace(/\.proto$/, ""))}Proto"`,
      java_package: '"com.screenshare.v1"',
      objc_class_prefix: '"SXX"',
      php_metadata_namespace: '"Screenshare\\\\V1\\\\GPBMetadata"',
      php_namespace: '"Screenshare\\\\V1"',
      ruby_package: '"Screenshare::V1"',
    });
  });
});
