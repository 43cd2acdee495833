"""One module per subcommand: each adds its parser and maps parsed flags onto the core.

Every module exposes ``register(subparsers)``; the parser it adds sets ``run`` to a callable
taking the parsed namespace and returning an exit code.
"""
