"""What a user sets: the fields' metadata, the settings models of a key and
of its sink, the checking of inputs, the provider's configuration, times and
wallets. Imports only :mod:`pulumi_venice.venice`."""
