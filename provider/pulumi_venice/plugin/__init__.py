"""The native provider plugin ``venice``'s door: the provider (:mod:`.native`),
the values it translates (:mod:`.values`), its schema (:mod:`.schema`) and
the server the engine runs (:mod:`.serve`). Installing it and generating
SDKs are tools (:mod:`pulumi_venice.tools.installer`)."""
