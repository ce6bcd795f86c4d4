/** A transaction's data as the localnet reads it (the shape both BCS decoders produce). */
export interface ObjRef {
  readonly id: string
  readonly version: bigint
  readonly digest: string
}

export type TxInput =
  | { readonly kind: "pure"; readonly bytes: Uint8Array }
  | { readonly kind: "owned"; readonly ref: ObjRef }
  | { readonly kind: "shared"; readonly id: string; readonly initialVersion: bigint; readonly mutable: boolean }
  | { readonly kind: "receiving"; readonly ref: ObjRef }
  | { readonly kind: "unresolved"; readonly id: string; readonly version?: bigint; readonly digest?: string; readonly mutable?: boolean }

export type TxArg =
  | { readonly kind: "gas" }
  | { readonly kind: "input"; readonly index: number }
  | { readonly kind: "result"; readonly index: number; readonly sub?: number }

export type TxCommand =
  | { readonly kind: "moveCall"; readonly package: string; readonly module: string; readonly function: string; readonly typeArguments: string[]; readonly args: TxArg[] }
  | { readonly kind: "splitCoins"; readonly coin: TxArg; readonly amounts: TxArg[] }
  | { readonly kind: "mergeCoins"; readonly coin: TxArg; readonly sources: TxArg[] }
  | { readonly kind: "transferObjects"; readonly objects: TxArg[]; readonly address: TxArg }
  | { readonly kind: "makeMoveVec"; readonly type: string | null; readonly elements: TxArg[] }
  | { readonly kind: "unsupported"; readonly name: string }

export type TxExpiration =
  | { readonly kind: "none" }
  | { readonly kind: "epoch"; readonly epoch: bigint }
  | { readonly kind: "validDuring"; readonly minEpoch: bigint | null; readonly maxEpoch: bigint | null; readonly chain: string; readonly nonce: number }

export interface TxData {
  readonly sender: string
  readonly gas: { readonly payment: ObjRef[]; readonly owner: string; readonly price: bigint | undefined; readonly budget: bigint | undefined }
  readonly expiration: TxExpiration
  readonly inputs: TxInput[]
  readonly commands: TxCommand[]
}
