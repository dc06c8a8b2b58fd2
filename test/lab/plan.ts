import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { validateConfig } from "../../components/config/validate";
import { rawFromStackConfig, SSH_PRIVATE_KEY } from "../../components/config/load";
import { evaluateProgram, Evaluation, RegisteredResource } from "../../scripts/offline/mockEngine";
import { buildReport, nodeFromInstance, PlanCommand, PlanNode, PlanReport, writeOut } from "../../scripts/offline/planCli";
import { readStackConfig } from "../../scripts/offline/stackConfig";
import { LabError } from "./proc";

/**
 * The plan the lab builds: the program itself (index.ts) evaluated in-process under the same
 * mocks as `npm run plan`, read through the plan CLI's own types and functions. Its files are
 * written by the plan CLI's writeOut: DIR/cloud-config/<node>.yaml and DIR/scripts/<command>.sh,
 * the create texts byte for byte, which the lab runs over SSH as they are.
 */

const PROJECT_ROOT = path.resolve(__dirname, "..", "..");
const VPC = "aws:ec2/vpc:Vpc";
const SUBNET = "aws:ec2/subnet:Subnet";
const INSTANCE = "aws:ec2/instance:Instance";

export interface LabNode extends PlanNode {
    /** Prefix length of the node's subnet (the address on its eth0 is privateIp/prefix). */
    readonly prefixLength: number;
    /** write_files of the node's rendered cloud-config: path → content. */
    readonly files: ReadonlyMap<string, string>;
}

export interface LabPlan {
    readonly report: PlanReport;
    readonly nodes: readonly LabNode[];
    readonly commands: readonly PlanCommand[];
    /** The VPC's CIDR: one on-link route on every node stands in for the VPC router. */
    readonly vpcCidr: string;
    /** The master that must lead at the end (`mesos-cluster:preferredLeader`): seed 000's master-1. */
    readonly preferredLeader: string;
    /** Where writeOut put the files. */
    readonly dir: string;
}

/** Evaluates the program for the stack file `configFile` and writes its files under `dir`. */
export async function loadLabPlan(configFile: string, dir: string): Promise<LabPlan> {
    const stack = readStackConfig(configFile);
    // The program validates the same way; this only reads what the lab needs beyond the report.
    const { [SSH_PRIVATE_KEY]: _secret, ...raw } = rawFromStackConfig(stack.config);
    const validated = validateConfig(raw);
    if (!validated.ok) throw new LabError(`${configFile}: ${validated.errors.join("; ")}`);
    let evaluation: Evaluation;
    try {
        evaluation = await evaluateProgram({
            config: stack.config,
            secretKeys: stack.secretKeys,
            stack: "lab",
            load: async () => require(path.join(PROJECT_ROOT, "index.ts")),
        });
    } catch (err) {
        const lines = (err as { lines?: readonly string[] }).lines;
        throw lines ? new LabError(`the program refused ${configFile}: ${lines.join("; ")}`) : err;
    }
    if (evaluation.duplicateUrns.length > 0) throw new LabError(`duplicate resource URNs: ${evaluation.duplicateUrns.join(", ")}`);
    const report = buildReport(evaluation);
    fs.rmSync(dir, { recursive: true, force: true });
    writeOut(dir, evaluation);
    for (const c of report.commands) {
        if (!fs.existsSync(scriptFile(dir, c))) throw new LabError(`the plan lists ${c.name} but wrote no ${scriptFile(dir, c)}`);
    }

    const ofType = (type: string) => evaluation.resources.filter((r) => r.type === type);
    const [vpc] = ofType(VPC);
    if (!vpc) throw new LabError("the plan has no VPC");
    const subnetById = new Map(ofType(SUBNET).map((s) => [s.id, s.inputs.cidrBlock as string]));
    const instanceByName = new Map(ofType(INSTANCE).map((r) => [r.inputs.tags.Name as string, r]));
    const nodes = report.nodes.map((node): LabNode => {
        const instance = instanceByName.get(node.name) as RegisteredResource;
        const cidr = subnetById.get(instance.inputs.subnetId as string);
        if (!cidr) throw new LabError(`${node.name}: its subnet ${instance.inputs.subnetId} is not in the plan`);
        return { ...node, prefixLength: Number(cidr.split("/")[1]), files: writeFiles(nodeFromInstance(instance).userDataText) };
    });
    return {
        report,
        nodes,
        commands: report.commands,
        vpcCidr: vpc.inputs.cidrBlock as string,
        preferredLeader: validated.config.preferredLeader,
        dir,
    };
}

export function scriptFile(dir: string, command: PlanCommand): string {
    return path.join(dir, "scripts", `${command.name}.sh`);
}

function writeFiles(cloudConfig: string): Map<string, string> {
    const doc = parse(cloudConfig) as { write_files?: { path: string; content?: string }[] };
    return new Map((doc.write_files ?? []).map((f) => [f.path, f.content ?? ""]));
}
