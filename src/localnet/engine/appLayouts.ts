/**
 * Move layouts of the AppInstance's application data (prover, blocks, sequence states,
 * settlements) and their events. The coordination package's structs are defined once, in
 * src/chain (appTypes.ts, blockTypes.ts); the localnet uses them from there.
 */
export { appInstanceEventLayouts, ProofCalculationLayout, ProofLayout, proverEventLayouts } from "../../chain/appTypes.js"
export {
  BlockLayout,
  BlockSettlementLayout,
  blockEventLayouts,
  blockModuleEventLayouts,
  ElementLayout,
  SequenceStateLayout,
  sequenceStateEventLayouts,
  settlementEventLayouts
} from "../../chain/blockTypes.js"
