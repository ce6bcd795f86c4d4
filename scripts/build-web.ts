/**
 * `npm run build:web`: bundles the status page (src/web/client) into dist/web/static/ for the
 * compiled daemon. `npm start` and the tests do not need it: they build the page in memory.
 */
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { writeBundle } from "../src/web/bundle.js"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const out = path.join(root, "dist", "web", "static")
const names = await writeBundle(out)
console.log(`status page bundle: ${names.join(", ")} in ${path.relative(root, out)}`)
