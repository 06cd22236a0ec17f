"""The dynamic provider's door: the resources Python programs write
(``ApiKey``, ``Web3ApiKey``), their providers, args and data functions."""
