module example.com/pulumi-venice

go 1.25

require github.com/pulumi/pulumi/sdk/v3 v3.192.0
