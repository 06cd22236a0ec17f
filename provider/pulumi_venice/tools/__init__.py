"""What runs beside the doors: installing the plugin, generating code, docs
and SDKs, the release, ``venice-orphans`` and the pytest plugin."""
