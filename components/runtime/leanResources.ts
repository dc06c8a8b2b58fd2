import * as aws from "./aws";
import * as awsUtilities from "@pulumi/aws/utilities";
import * as command from "@pulumi/command";
import * as commandUtilities from "@pulumi/command/utilities";
import * as pulumi from "@pulumi/pulumi";
import type * as tls from "@pulumi/tls";
import * as tlsUtilities from "@pulumi/tls/utilities";

// The resource types every worker adds (issue 14): its instance, its DNS record and its
// post-step commands (arp-purge, agent-reregister), registered exactly as the SDK classes
// aws.ec2.Instance, aws.route53.Record and command.remote.Command register them (same type token, same inputs on the
// wire, same resource options: the provider version the class pins, its secret outputs and
// replaceOnChanges), but holding only the Outputs the program reads: `urn` and `id`.
//
// Why: a generated SDK class turns every property it knows into an Output (aws.ec2.Instance: ~70,
// every input key whether set or not, plus its outputs; route53.Record: 17; remote.Command: 11), each made of four
// promises the SDK tracks until they settle, and keeps them for the life of the program. An
// instance cost ~8x a bare resource and remote.Command ~4x, at 1,000 workers several seconds
// and hundreds of MiB that nothing reads. The engine sees no difference: the registration
// request is the one the class sends (test/evaluationCost.test.ts compares them field by field
// under mocks; when an SDK upgrade changes a class, that test says so). What the engine returns
// for the other properties is still in the state and in `pulumi stack export`; only this program
// does not hold them as Outputs. Code that needs one reads it from the SDK class instead.
//
// Each class extends CustomResource directly, as the SDK classes do: the SDK takes the resource's
// source position (what the engine shows beside a resource error) a fixed number of frames up
// from Resource's constructor, so one more class in between would name this file instead of the
// caller's line.

/** The classes' type tokens (`__pulumiType`, internal to the SDKs: the test checks them). */
export const INSTANCE_TYPE = "aws:ec2/instance:Instance";
export const REMOTE_COMMAND_TYPE = "command:remote:Command";
export const DNS_RECORD_TYPE = "aws:route53/record:Record";
export const SSM_PARAMETER_TYPE = "aws:ssm/parameter:Parameter";
export const PRIVATE_KEY_TYPE = "tls:index/privateKey:PrivateKey";

/** The inputs that are set: an unset one is not sent, and would only cost an Output. */
function setInputs(args: object): Record<string, unknown> {
    return Object.fromEntries(Object.entries(args).filter(([, value]) => value !== undefined));
}

/** An EC2 instance: as `new aws.ec2.Instance(name, args, opts)` registers it, with `id` and `urn` only. */
export class LeanInstance extends pulumi.CustomResource {
    constructor(name: string, args: aws.ec2.InstanceArgs, opts: pulumi.CustomResourceOptions = {}) {
        // The class copies each input it knows (`resourceInputs.x = args?.x`); unset ones are
        // not sent. Its options: the provider version.
        super(INSTANCE_TYPE, name, setInputs(args), pulumi.mergeOptions({ version: awsUtilities.getVersion() }, opts));
    }
}

/** A Route 53 record: as `new aws.route53.Record(name, args, opts)` registers it, with `id` and `urn` only. */
export class LeanDnsRecord extends pulumi.CustomResource {
    constructor(name: string, args: aws.route53.RecordArgs, opts: pulumi.CustomResourceOptions = {}) {
        super(DNS_RECORD_TYPE, name, setInputs(args), pulumi.mergeOptions({ version: awsUtilities.getVersion() }, opts));
    }
}

/** A remote command: as `new command.remote.Command(name, args, opts)` registers it, with `id` and `urn` only. */
export class LeanRemoteCommand extends pulumi.CustomResource {
    constructor(name: string, args: command.remote.CommandArgs, opts: pulumi.CustomResourceOptions = {}) {
        // The class fills in the connection's defaults (port 22, user root, dial limits) and
        // sends the whole connection as a secret; it pins the provider version, keeps the
        // connection secret in the state and replaces the command when a trigger changes.
        const { connection, ...rest } = args;
        const inputs = {
            ...setInputs(rest),
            connection: connection ? pulumi.secret(pulumi.output(connection).apply(command.types.input.remote.connectionArgsProvideDefaults)) : undefined,
        };
        let options = pulumi.mergeOptions({ version: commandUtilities.getVersion() }, opts);
        options = pulumi.mergeOptions(options, { additionalSecretOutputs: ["connection"] });
        options = pulumi.mergeOptions(options, { replaceOnChanges: ["triggers[*]"] });
        super(REMOTE_COMMAND_TYPE, name, inputs, options);
    }
}

/**
 * An SSM parameter: as `new aws.ssm.Parameter(name, args, opts)` registers it (`value` sent as a
 * secret and kept secret in the state, whatever the caller passed), with `id` and `urn` only.
 * Each node has two (its host key and the key's binding to its instance).
 */
export class LeanSsmParameter extends pulumi.CustomResource {
    constructor(name: string, args: aws.ssm.ParameterArgs, opts: pulumi.CustomResourceOptions = {}) {
        const { value, valueWo, ...rest } = args;
        const inputs = setInputs({ ...rest, value: value ? pulumi.secret(value) : undefined, valueWo: valueWo ? pulumi.secret(valueWo) : undefined });
        let options = pulumi.mergeOptions({ version: awsUtilities.getVersion() }, opts);
        options = pulumi.mergeOptions(options, { additionalSecretOutputs: ["value", "valueWo"] });
        super(SSM_PARAMETER_TYPE, name, inputs, options);
    }
}

/**
 * A TLS private key: as `new tls.PrivateKey(name, args, opts)` registers it (its private forms
 * secret in the state), holding only the two OpenSSH forms the program reads: each node's SSH
 * host key is one.
 */
export class LeanPrivateKey extends pulumi.CustomResource {
    declare readonly privateKeyOpenssh: pulumi.Output<string>;
    declare readonly publicKeyOpenssh: pulumi.Output<string>;

    constructor(name: string, args: tls.PrivateKeyArgs, opts: pulumi.CustomResourceOptions = {}) {
        // Output properties are requested by naming them with no value, as the class does.
        const inputs = { ...setInputs(args), privateKeyOpenssh: undefined, publicKeyOpenssh: undefined };
        let options = pulumi.mergeOptions({ version: tlsUtilities.getVersion() }, opts);
        options = pulumi.mergeOptions(options, { additionalSecretOutputs: ["privateKeyOpenssh", "privateKeyPem", "privateKeyPemPkcs8"] });
        super(PRIVATE_KEY_TYPE, name, inputs, options);
    }
}
