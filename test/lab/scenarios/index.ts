import type { Scenario } from "../cluster";
import { addWorker } from "./addWorker";
import { bringUp } from "./bringUp";
import { faultArp } from "./faultArp";
import { faultExhibitor } from "./faultExhibitor";
import { faultStepDown } from "./faultStepDown";
import { seed000 } from "./seed000";

/** In order: each starts from the state the one before left (faults restore what they break). */
export const SCENARIOS: readonly Scenario[] = [bringUp, seed000, faultExhibitor, faultArp, faultStepDown, addWorker];
