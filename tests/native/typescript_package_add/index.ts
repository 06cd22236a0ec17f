// A TypeScript program on the native plugin, through the SDK that
// `pulumi package add venice` generated into sdks/venice and linked into
// package.json (as "@pulumi/venice").
import * as venice from "@pulumi/venice";

const key = new venice.ApiKey("key", {
    apiKeyType: "INFERENCE",
    description: "added with pulumi package add",
});

export const key_secret = key.apiKey;
