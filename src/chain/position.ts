/** Where the coordinator stands in the ledger: the unit the event follower and the Journal share. */

/** A ledger position: checkpoint, transaction index in it, event index in that transaction. */
export interface ChainPosition {
  readonly checkpoint: bigint
  readonly tx: number
  readonly event: number
}

/** The stored event cursor: the last fully processed position (and the node's opaque cursor, if any). */
export interface ChainCursor extends ChainPosition {
  readonly token: Uint8Array | null
}
