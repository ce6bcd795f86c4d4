/** Transaction digests shown as explorer links where the chain has a public explorer. */
import type { Explorer } from "./types.js"
import { h, shortHex } from "./dom.js"

export const digestView = (digest: string | null, explorers: ReadonlyArray<Explorer>) => {
  if (digest === null) return h("span", { class: "muted" }, "–")
  const code = h("code", { class: "digest", title: digest, "data-digest": digest }, shortHex(digest, 12))
  if (explorers.length === 0) return code
  return h(
    "span",
    { class: "digest-links" },
    code,
    ...explorers.map((e) =>
      h("a", { href: e.tx.replace("{digest}", encodeURIComponent(digest)), target: "_blank", rel: "noopener noreferrer", class: "explorer" }, e.name)
    )
  )
}
