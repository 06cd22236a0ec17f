// Venice AI API keys as code: ordinary and wallet-made keys, their caps, rotation, and the account's keys and limits.
package venice
