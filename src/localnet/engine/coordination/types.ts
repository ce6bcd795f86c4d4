/** Type names and abort-code helpers shared by the coordination modules. */
import type { MoveType } from "../runtime.js"

/** #[error] constants abort with "clever" codes: bit 63 set, constant index in bits 32..47. */
export const clever = (index: number): bigint => (1n << 63n) | (BigInt(index) << 32n)

export const appInstanceType = (pkg: string): string => `${pkg}::app_instance::AppInstance`
export const registryType = (pkg: string): string => `${pkg}::registry::SilvanaRegistry`
export const appMethodType = (pkg: string): string => `${pkg}::app_method::AppMethod`

export const dt = (datatype: string): MoveType => ({ datatype })
