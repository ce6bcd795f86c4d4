/**
 * `secrets set|list|delete` as the operator runs them (the real command line, a process each):
 * the value comes from stdin or a file and is never printed, the store is a 0600 file under
 * STATE_DIR that holds no value in clear, and what `set` stored is what the daemon's store reads.
 */
import { spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, Option } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { makeSecretsStore } from "../../src/layers/Secrets.js"
import { cleanEnv, ROOT, runCli } from "./processes.js"

const TSX = path.join(ROOT, "node_modules", "tsx", "dist", "cli.mjs")

const withStdin = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv, input: string) =>
  new Promise<{ code: number | null; output: string }>((resolve) => {
    const proc = spawn(process.execPath, [TSX, "src/main.ts", ...args], { cwd: ROOT, env, stdio: ["pipe", "pipe", "pipe"] })
    let output = ""
    proc.stdout.on("data", (c) => (output += c))
    proc.stderr.on("data", (c) => (output += c))
    proc.once("exit", (code) => resolve({ code, output }))
    proc.stdin.end(input)
  })

describe("secrets commands", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "silvana-secrets-cli-"))
  const key = randomBytes(32)
  const env = cleanEnv({ STATE_DIR: dir, SECRETS_KEY: key.toString("hex") })
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))
  const instance = `0x${"c1".repeat(32)}`
  const job = { developer: "dev", agent: "prover", app: "my-app", appInstance: instance }

  it("set reads the value from stdin or a file, list never shows it, delete removes it", async () => {
    const set = await withStdin(["secrets", "set", "--developer", "dev", "--agent", "prover", "--app", "my-app", "--app-instance", "C1".repeat(32), "--name", "db"], env, "s3cret-db\n")
    expect(set.code).toBe(0)
    expect(set.output).not.toContain("s3cret-db")
    const file = path.join(dir, "value.txt")
    fs.writeFileSync(file, "sk-value-from-file")
    const fromFile = await runCli(["secrets", "set", "--developer", "dev", "--agent", "prover", "--name", "sk_wallet", "--file", file], env)
    expect(fromFile.code).toBe(0)

    const store = makeSecretsStore(dir, key)
    const db = await Effect.runPromise(store.retrieve(job, "db"))
    expect(Option.map(db, (x) => x.value)).toEqual(Option.some("s3cret-db"))
    const wallet = await Effect.runPromise(store.retrieve(job, "sk_wallet"))
    expect(Option.map(wallet, (x) => x.value)).toEqual(Option.some("sk-value-from-file"))

    const stored = path.join(dir, "secrets.json")
    expect(fs.statSync(stored).mode & 0o777).toBe(0o600)
    expect(fs.readFileSync(stored, "utf8")).not.toMatch(/s3cret-db|sk-value-from-file/)

    const list = await runCli(["secrets", "list", "--json"], env)
    expect(list.code).toBe(0)
    expect(list.output).not.toMatch(/s3cret-db|sk-value-from-file/)
    const listed = JSON.parse(list.output.slice(list.output.indexOf("["))) as Array<{ name: string; appInstance?: string }>
    expect(listed.map((e) => [e.name, e.appInstance])).toEqual([["db", instance], ["sk_wallet", undefined]])

    const del = await runCli(["secrets", "delete", "--developer", "dev", "--agent", "prover", "--name", "sk_wallet"], env)
    expect(del.code).toBe(0)
    expect(Option.isNone(await Effect.runPromise(store.retrieve(job, "sk_wallet")))).toBe(true)
    expect((await runCli(["secrets", "delete", "--developer", "dev", "--agent", "prover", "--name", "sk_wallet"], env)).code).toBe(1)
  }, 180_000)

  it("refuses a value on the command line, an empty value, a wrong or missing key", async () => {
    const argv = await runCli(["secrets", "set", "--developer", "dev", "--agent", "prover", "--name", "x", "--value", "leak"], env)
    expect(argv.code).not.toBe(0)
    const empty = await withStdin(["secrets", "set", "--developer", "dev", "--agent", "prover", "--name", "x"], env, "")
    expect(empty.code).toBe(2)
    const wrong = await runCli(["secrets", "list"], { ...env, SECRETS_KEY: randomBytes(32).toString("hex") })
    expect(wrong.code).toBe(1)
    expect(wrong.output).toMatch(/another SECRETS_KEY/)
    const missing = await runCli(["secrets", "list"], cleanEnv({ STATE_DIR: dir }))
    expect(missing.code).toBe(2)
    expect(missing.output).toMatch(/SECRETS_KEY/)
    const bad = await runCli(["secrets", "list"], { ...env, SECRETS_KEY: "not-a-key" })
    expect(bad.code).toBe(2)
    expect(bad.output).not.toContain("not-a-key")
  }, 180_000)
})
