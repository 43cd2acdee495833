"""The workers: API client, scheduler, validator, monitor, store and the runtime that wires them."""
