module example.com/venice-e2e

go 1.25

require (
	github.com/pulumi-venice/pulumi-venice/sdk v0.0.0
	github.com/pulumi/pulumi/sdk/v3 v3.192.0
)
