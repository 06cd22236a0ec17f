// A TypeScript program on the native plugin, through the SDK generated from its
// schema (pulumi package gen-sdk venice --language nodejs, built with tsc into sdk/nodejs/bin).
import * as pulumi from "@pulumi/pulumi";
import * as venice from "./sdk/nodejs/bin";

const config = new pulumi.Config();
const key = new venice.ApiKey("key", {
    apiKeyType: "INFERENCE",
    description: config.get("description") ?? "native typescript key",
    consumptionLimit: { usd: config.getNumber("usd") ?? 5, diem: 0 },
    limitPeriod: "MONTH",
    keepers: { rotation: config.get("rotation") ?? "1" },
});

// Wired to the first key: its description is unknown until that key exists.
const linked = new venice.ApiKey("linked", {
    apiKeyType: "INFERENCE",
    description: pulumi.interpolate`linked to ${key.last6Chars}`,
});

export const key_id = key.id;
export const key_secret = key.apiKey;
export const last6 = key.last6Chars;
export const linked_id = linked.id;
