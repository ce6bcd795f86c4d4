/** Read-mask validation shared by the services: an unknown path answers INVALID_ARGUMENT. */
import type { IMessageType } from "@protobuf-ts/runtime"
import { type MaskTree, validateMask } from "./readMask.js"
import { invalidArgument } from "./status.js"

export const checkMask = <T extends object>(type: IMessageType<T>, mask: MaskTree): void => {
  const bad = validateMask(type as IMessageType<object>, mask)
  if (bad !== undefined) throw invalidArgument(bad)
}
