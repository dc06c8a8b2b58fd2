import type { Scenario } from "../cluster";
import { addWorker } from "./addWorker";
import { bringUp } from "./bringUp";
import { faultArp } from "./faultArp";
import { faultExhibitor } from "./faultExhibitor";
import { faultStepDown } from "./faultStepDown";
import { secretsAndHostKeys } from "./secretsAndHostKeys";
import { quorumSwap } from "./quorumSwap";
import { seed000 } from "./seed000";
import { workerReplace } from "./workerReplace";

/** In order: each starts from the state the one before left (faults restore what they break). */
export const SCENARIOS: readonly Scenario[] = [bringUp, secretsAndHostKeys, seed000, faultExhibitor, faultArp, faultStepDown, quorumSwap, workerReplace, addWorker];
