// A Go program on the native plugin, through the SDK generated from its schema.
package main

import (
	"github.com/pulumi-venice/pulumi-venice/sdk/go/venice"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		conf := config.New(ctx, "")
		usd := conf.GetFloat64("usd")
		if usd == 0 {
			usd = 5
		}
		description := conf.Get("description")
		if description == "" {
			description = "native go key"
		}
		rotation := conf.Get("rotation")
		if rotation == "" {
			rotation = "1"
		}
		key, err := venice.NewApiKey(ctx, "key", &venice.ApiKeyArgs{
			ApiKeyType:  venice.ApiKeyTypeInference, // the schema's enums are Go constants
			Description: pulumi.String(description),
			ConsumptionLimit: &venice.ConsumptionLimitArgs{
				Usd:  pulumi.Float64(usd),
				Diem: pulumi.Float64(0),
			},
			LimitPeriod: venice.LimitPeriodMonth,
			Keepers:     pulumi.StringMap{"rotation": pulumi.String(rotation)},
		})
		if err != nil {
			return err
		}
		// Wired to the first key: its description is unknown until that key exists.
		linked, err := venice.NewApiKey(ctx, "linked", &venice.ApiKeyArgs{
			ApiKeyType:  venice.ApiKeyTypeInference,
			Description: pulumi.Sprintf("linked to %s", key.Last6Chars),
		})
		if err != nil {
			return err
		}
		ctx.Export("key_id", key.ID())
		ctx.Export("key_secret", key.ApiKey)
		ctx.Export("last6", key.Last6Chars)
		ctx.Export("linked_id", linked.ID())
		return nil
	})
}
