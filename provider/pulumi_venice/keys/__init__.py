"""The lifecycle core: check, diff, create exactly once, read, update,
delete, rotate and retire, and delivery to a sink, on plain values. Knows
nothing of Pulumi."""
