"""Subcommands of the ``valuestack`` command line; each module exposes ``add_parser``."""
