"""The dynamic provider's hidden inputs: what its resources add to a key's
inputs for the provider, which Pulumi's dynamic provider gives no other way
(the provider itself, the resource's identity, the stack). Never compared by
diff, never handed to the core.
"""

from __future__ import annotations

from typing import Final

PROVIDER_KEY: Final = "__provider"
# A hidden input of the dynamic provider's resources: which resource this is
# (its name, under its parent's URN). Pulumi's dynamic provider gives the
# provider no URN, and a replacement's create must know which diff announced
# it (see pulumi_venice.keys.retirement). Never compared by diff.
IDENTITY_KEY: Final = "__identity"
# A hidden input of the dynamic provider's resources that deliver their key
# (deliver_to): the stack, "<project>/<stack>", the salt of the fingerprint
# (the plugin reads it from the URN). Never compared by diff.
STACK_KEY: Final = "__stack"
HIDDEN_INPUTS: Final = (PROVIDER_KEY, IDENTITY_KEY, STACK_KEY)
