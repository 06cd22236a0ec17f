"""The Venice API over HTTP: the wire models, the clients, the errors an
answer means, and retries. Imports nothing else of the package."""
